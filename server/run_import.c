/* run_import.c — POST /api/runs/import[?name=…]: a run file (as GET /api/runs/{id}/file
 * gives it, from this or another server) as the raw request body. The gates of an upload
 * (writable server, same origin, access token, size and rate limits); the body is spooled
 * to the data directory, then treated as untrusted input: validated by db_run_check.c, its
 * texts by the user-string validator (api_text.h), and copied into a new run (new id,
 * public id and edit token) whose findings are computed here. 201 with the run, or a 4xx
 * saying what is wrong; nothing is kept then. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "api.h"
#include "api_text.h"
#include "db_store.h"
#include "server.h"

/* The recorded texts must pass the validator uploads and edits pass. 0, or 1 with why. */
static int texts_valid(sqlite3 *u, char *why, size_t len)
{
	static const struct {
		const char *col;
		size_t max;
		enum api_text_rule rule;
	} fields[] = {{"name", API_TEXT_MAX, API_TEXT_LINE},
		      {"file_name", API_TEXT_MAX, API_TEXT_LINE},
		      {"notes", API_NOTES_MAX, API_TEXT_NOTES}};
	sqlite3_stmt *q;
	int rc = 1;
	if (sqlite3_prepare_v2(u, "SELECT name, file_name, notes, summary, format,"
				  " status IN ('ready', 'partial') FROM runs", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_finalize(q);
		snprintf(why, len, "the run cannot be read");
		return 1;
	}
	rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++) {
		const char *s = (const char *)sqlite3_column_text(q, i);
		rc = api_text_check(fields[i].col, s, (size_t)sqlite3_column_bytes(q, i), fields[i].max,
				    fields[i].rule, why, len) != 0;
	}
	cJSON *sum = rc == 0 ? cJSON_Parse((const char *)sqlite3_column_text(q, 3)) : NULL;
	const char *fmt = (const char *)sqlite3_column_text(q, 4);
	if (rc == 0 && !cJSON_IsObject(sum)) {
		snprintf(why, len, "the run's summary is not a JSON object");
		rc = 1;
	} else if (rc == 0 && (!sqlite3_column_int(q, 5) || strlen(fmt) > 31 ||
			       strspn(fmt, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(fmt))) {
		snprintf(why, len, "the run's status or format is not one etlscope writes");
		rc = 1;
	}
	cJSON_Delete(sum);
	sqlite3_finalize(q);
	return rc;
}

/* Copy the validated file into a new run: 201 with it in *out, else 500 with the error. */
static int import_run(struct server_ctx *s, sqlite3 *u, const char *name, cJSON **out)
{
	struct db_run_writer w;
	char err[512], pub[DB_PUBLIC_ID_LEN + 1] = "", token[DB_PUBLIC_ID_LEN + 1] = "";
	if (db_store_run_begin(s->store, &w, err, sizeof err) != 0) {
		*out = api_error("cannot import the run: %s", err);
		return 500;
	}
	if (db_run_file_copy(u, w.db, w.run_id, name, err, sizeof err) != 0) {
		db_store_run_abandon(s->store, &w);
		*out = api_error("cannot import the run: %s", err);
		return 500;
	}
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(w.db, "SELECT public_id, edit_token FROM runs WHERE id=?", -1, &q,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, w.run_id);
		if (sqlite3_step(q) == SQLITE_ROW) {
			snprintf(pub, sizeof pub, "%s", sqlite3_column_text(q, 0));
			snprintf(token, sizeof token, "%s", sqlite3_column_text(q, 1));
		}
		sqlite3_finalize(q);
	}
	/* Findings and call trees are ours, built from the copied rows, never the file's. */
	server_run_derive(w.db, w.run_id, pub);
	if (db_store_run_publish(s->store, &w, NULL, err, sizeof err) != 0) {
		*out = api_error("cannot import the run: %s", err);
		return 500;
	}
	*out = cJSON_CreateObject();
	cJSON *run = cJSON_AddObjectToObject(*out, "run");
	cJSON_AddStringToObject(run, "id", pub);
	cJSON_AddStringToObject(run, "edit_token", token);
	return 201;
}

/* Validate and import the spooled file: the status, with the answer in *out. */
static int import_spooled(struct server_ctx *s, const char *path, const char *name, cJSON **out)
{
	char why[256];
	int64_t run_id;
	sqlite3 *u = db_run_file_open_untrusted(path, why, sizeof why);
	int rc = u ? db_run_file_validate(u, &run_id, why, sizeof why) : 1;
	if (rc == 0)
		rc = texts_valid(u, why, sizeof why);
	int st;
	if (rc != 0) {
		st = rc > 0 ? 400 : 500;
		*out = api_error("not an importable run file: %s", why);
	} else {
		st = import_run(s, u, name[0] ? name : NULL, out);
	}
	db_run_file_close_untrusted(u, path); /* before answering: the client then sees nothing left */
	return st;
}

int run_import_handle(struct mg_connection *conn, struct server_ctx *s)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	char name[API_TEXT_MAX + 1] = "", path[4200], why[160];
	int st = upload_refused(conn, s);
	if (!st)
		st = upload_too_large(conn, s->cfg.max_upload, "run file");
	if (st)
		return st;
	if (ri->query_string &&
	    mg_get_var(ri->query_string, strlen(ri->query_string), "name", name, sizeof name) == -2) {
		http_send_error(conn, 400, "the name is too long");
		return 400;
	}
	if (name[0] && api_text_check("name", name, strlen(name), API_TEXT_MAX, API_TEXT_LINE, why,
				      sizeof why) != 0) {
		http_send_error(conn, 400, "%s", why);
		return 400;
	}
	int slot = limits_upload_begin(&s->limits, ri->remote_addr);
	if (slot != 0) {
		http_send_error(conn, 429, "too many uploads in progress; try again shortly");
		return 429;
	}
	const char *fail;
	cJSON *out = NULL;
	st = upload_spool_temp(conn, s, "upload-import-", s->cfg.max_upload, path, sizeof path, &fail);
	if (!st) {
		st = import_spooled(s, path, name, &out);
		http_send_json(conn, st, out);
	} else {
		http_send_error(conn, st, "%s", fail);
	}
	limits_upload_end(&s->limits, ri->remote_addr);
	return st;
}
