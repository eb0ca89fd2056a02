/* api_edit.c — editing and deleting runs. Authority is the run's edit token (returned once
 * at upload) or the server's admin token; anything else gets 403 and changes nothing. */
#include <math.h>
#include <string.h>
#include "api.h"
#include "api_params.h"
#include "api_text.h"
#include "db.h"
#include "db_catalog.h"

/* Is auth the admin token, or else the run's edit token (token; NULL: read it from db)? */
static int authorised(sqlite3 *db, const struct db_run *r, const char *token,
		      const struct api_auth *auth)
{
	char stored[DB_PUBLIC_ID_LEN + 1];
	if (!auth->token || !*auth->token)
		return 0;
	if (auth->admin_token && *auth->admin_token && db_token_equal(auth->token, auth->admin_token))
		return 1;
	if (!token && db_run_edit_token(db, r->id, stored, sizeof stored) != 0)
		return 0;
	return db_token_equal(auth->token, token ? token : stored);
}

/* The catalog's row of run_id into *r: 0, or the HTTP status with *out. */
static int find_catalog_run(struct db_catalog *cat, const char *run_id,
			    struct db_catalog_run *r, cJSON **out)
{
	int rc = api_valid_run_id(run_id) ? cat->ops->run_get(cat, run_id, r) : 1;
	if (rc == 1)
		*out = api_error("no such run");
	else if (rc < 0)
		*out = api_error("cannot read run: %s", db_catalog_errmsg(cat));
	return rc == 0 ? 0 : rc == 1 ? 404 : 500;
}

/* A string field: absent → NULL; else text of min to max bytes passing the user-string
 * validator (api_text.h) under rule. */
static int text_field(const cJSON *body, const char *key, size_t min, size_t max,
		      enum api_text_rule rule, const char **out, cJSON **err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
	char why[160];
	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) < min) {
		*err = api_error("'%s' must be text of %zu to %zu bytes", key, min, max);
		return -1;
	}
	if (api_text_check(key, v->valuestring, strlen(v->valuestring), max, rule, why,
			   sizeof why)) {
		*err = api_error("%s", why);
		return -1;
	}
	*out = v->valuestring;
	return 0;
}

int api_run_authorise(sqlite3 *db, const char *run_id, const struct api_auth *auth,
		      int64_t *rowid, cJSON **out)
{
	struct db_run r;
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	*rowid = r.id;
	st = authorised(db, &r, NULL, auth) ? 0 : 403;
	if (st)
		*out = api_error("changing this run needs its edit token");
	db_run_clear(&r);
	return st;
}

int api_run_patch(struct db_catalog *cat, const char *run_id, const struct api_auth *auth,
		  const char *body, size_t len, cJSON **out)
{
	struct db_catalog_run cr;
	struct db_run_edit e = {0};
	cJSON *doc, *it;
	int st = find_catalog_run(cat, run_id, &cr, out);
	struct db_run r = cr.run;
	if (st)
		return st;
	if (!authorised(NULL, &r, cr.edit_token, auth)) {
		db_run_clear(&r);
		*out = api_error("editing this run needs its edit token");
		return 403;
	}
	if (api_json_has_nul(body, len)) {
		db_run_clear(&r);
		*out = api_error("text fields must not contain NUL characters");
		return 400;
	}
	doc = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		db_run_clear(&r);
		*out = api_error("the body must be a JSON object: {\"name\", \"notes\", \"expires\"}");
		return 400;
	}
	cJSON_ArrayForEach(it, doc)
	{
		if (strcmp(it->string, "name") && strcmp(it->string, "notes") &&
		    strcmp(it->string, "expires")) {
			*out = api_error("unknown field '%s'", it->string);
			st = 400;
			goto done;
		}
	}
	if (text_field(doc, "name", 1, API_TEXT_MAX, API_TEXT_LINE, &e.name, out) ||
	    text_field(doc, "notes", 0, API_NOTES_MAX, API_TEXT_NOTES, &e.notes, out)) {
		st = 400;
		goto done;
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "expires");
	if (it) {
		e.set_expiry = 1;
		if (cJSON_IsNumber(it) && isfinite(it->valuedouble) && it->valuedouble > 0 &&
		    it->valuedouble < 9.0e15) {
			e.has_expiry = 1;
			e.expires_us = (int64_t)(it->valuedouble * 1000.0);
		} else if (!cJSON_IsNull(it)) {
			*out = api_error("'expires' is a time in ms since the epoch, or null");
			st = 400;
			goto done;
		}
	}
	if (cat->ops->run_update(cat, r.id, &e) != 0) {
		*out = api_error("cannot update run: %s", db_catalog_errmsg(cat));
		st = 500;
		goto done;
	}
	*out = cJSON_CreateObject();
	cJSON_AddBoolToObject(*out, "updated", 1);
	st = 200;
done:
	cJSON_Delete(doc);
	db_run_clear(&r);
	return st;
}

int api_run_delete(struct db_catalog *cat, const char *run_id, const struct api_auth *auth,
		   cJSON **out)
{
	struct db_catalog_run cr;
	int st = find_catalog_run(cat, run_id, &cr, out);
	struct db_run r = cr.run;
	if (st)
		return st;
	if (!authorised(NULL, &r, cr.edit_token, auth)) {
		db_run_clear(&r);
		*out = api_error("deleting this run needs its edit token");
		return 403;
	}
	if (cat->ops->run_delete(cat, r.id) != 0) {
		db_run_clear(&r);
		*out = api_error("cannot delete run: %s", db_catalog_errmsg(cat));
		return 500;
	}
	db_run_clear(&r);
	*out = cJSON_CreateObject();
	cJSON_AddBoolToObject(*out, "deleted", 1);
	return 200;
}
