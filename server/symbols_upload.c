/* symbols_upload.c — POST /api/runs/{id}/symbols?file=NAME.pdb: a PDB for a run's modules,
 * as the raw request body. Authority as for PATCH (the run's edit token or the admin token,
 * same origin, the access token when set). The body is streamed to a spool file in the data
 * directory, bounded by SYMBOLS_UPLOAD_MAX and the server's upload limit, opened with our PDB
 * reader (bounded reads), and kept only if its GUID and age name a module of this run: it
 * then goes to DATA/symbols/NAME.pdb/GUIDAGE/NAME.pdb (NAME from the trace's RSDS record)
 * and those modules are resolved again at once. Anything else answers 4xx and keeps nothing.
 * POST /api/runs/{id}/symbols/resolve (same authority, no body) looks the run's modules up
 * again: queued for the symbol job when the server has a --symbol-path, else at once from
 * the uploaded PDBs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "api.h"
#include "db_store.h"
#include "db_symbols.h"
#include "pdb.h"
#include "server.h"
#include "sym_run.h"
#include "symbols.h"

#define SYMBOLS_UPLOAD_MAX (1LL << 30)

/* The modules of the run whose identity the uploaded PDB carries. */
struct match_ctx {
	const pdb *p;
	int32_t ids[64];
	char name[64][256]; /* the RSDS base name each is stored under */
	char key[64][48];
	int n;
};

static int match_module(void *ud, const struct db_sym_module *m)
{
	struct match_ctx *c = ud;
	char keytext[48];
	uint8_t guid[16];
	uint32_t age;
	snprintf(keytext, sizeof keytext, "%s%X", m->guid, m->age);
	if (c->n >= 64 || sym_key_parse(keytext, guid, &age) != 0 || !pdb_matches(c->p, guid, age))
		return 0;
	if (sym_pdb_basename(m->pdb, c->name[c->n], sizeof c->name[c->n]) != 0)
		return 0;
	c->ids[c->n] = m->id;
	memcpy(c->key[c->n], keytext, sizeof keytext);
	c->n++;
	return 0;
}

/* Moves the verified spool file to DIR/NAME/KEY/NAME (a copy for further matches). */
static int store_pdb(const char *dir, const char *spool, const char *name, const char *key,
		     int keep_spool)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof path, "%s/%s/%s", dir, name, key);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof path, "%s/%s/%s/%s", dir, name, key, name);
	if (!keep_spool)
		return rename(spool, path);
	return link(spool, path) == 0 || errno == EEXIST ? 0 : -1;
}

/* Store the verified PDB once per matching module and resolve those modules again, in
 * the run's new version (a db_store_fn). */
struct resolve_ctx {
	struct server_ctx *s;
	const char *spool;
	const struct match_ctx *c;
	cJSON *out;
};

static int resolve_matched(void *ud, sqlite3 *db, int64_t run, char *err, size_t errlen)
{
	struct resolve_ctx *r = ud;
	const struct match_ctx *c = r->c;
	cJSON *arr = cJSON_GetObjectItem(r->out, "modules");
	for (int i = 0; i < c->n; i++) {
		struct sym_run_stats stats;
		sym_opts opts = {0};
		if (store_pdb(server_symbols_dir(r->s->symbols), r->spool, c->name[i], c->key[i],
			      i + 1 < c->n) != 0) {
			snprintf(err, errlen, "cannot store the PDB");
			return -1;
		}
		if (sym_run_resolve_hiding(db, run, c->ids[i], server_symbols_local(r->s->symbols),
					   &opts, server_symbols_dir(r->s->symbols), &stats, err,
					   errlen) != 0)
			return -1;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", c->ids[i]);
		cJSON_AddStringToObject(o, "status", stats.resolved ? "resolved" : "not_found");
		cJSON_AddNumberToObject(o, "names", (double)stats.names);
		cJSON_AddItemToArray(arr, o);
	}
	return 0;
}

static int verify_and_store(struct mg_connection *conn, struct server_ctx *s, sqlite3 *db,
			    int64_t run, const char *spool)
{
	char perr[PDB_ERR_LEN], err[256];
	pdb *p = pdb_open(spool, perr, sizeof perr);
	if (!p) {
		http_send_error(conn, 400, "not a readable PDB: %s", perr);
		return 400;
	}
	struct match_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		pdb_close(p);
		http_send_error(conn, 500, "out of memory");
		return 500;
	}
	c->p = p;
	int rc = db_sym_modules(db, run, match_module, c, err, sizeof err);
	char have[42];
	pdb_guid_age_text(pdb_id(p)->guid, pdb_id(p)->dbi_age, have);
	pdb_close(p);
	if (rc != 0 || c->n == 0) {
		free(c);
		if (rc != 0)
			http_send_error(conn, 500, "%s", err);
		else
			http_send_error(conn, 400, "this PDB (GUID and age %s) belongs to no module of "
					"this run; see /modules for the identities the trace asks for", have);
		return rc != 0 ? 500 : 400;
	}
	struct resolve_ctx job = {s, spool, c, cJSON_CreateObject()};
	cJSON_AddArrayToObject(job.out, "modules");
	/* the names go into a new version of the run's file (db_store.h) */
	int st = db_store_run_modify(s->store, run, resolve_matched, &job, err, sizeof err);
	free(c);
	if (st != 0) {
		cJSON_Delete(job.out);
		http_send_error(conn, st == 1 ? 404 : 500, st == 1 ? "no such run"
								   : "cannot store the PDB");
		return st == 1 ? 404 : 500;
	}
	http_send_json(conn, 200, job.out);
	return 200;
}

/* The authority both endpoints need (upload_refused's checks, then the run's edit token or
 * the admin token): 0 with *run set, or the status of the answer already sent. */
static int authorise(struct mg_connection *conn, struct server_ctx *s, sqlite3 *db,
		     const char *run_id, int64_t *run)
{
	struct api_auth auth = {http_client_token(conn), s->cfg.admin_token};
	cJSON *out = NULL;
	int st = upload_refused(conn, s);
	if (st)
		return st;
	st = api_run_authorise(db, run_id, &auth, run, &out);
	if (st)
		http_send_json(conn, st, out);
	return st;
}

int symbols_upload_handle(struct mg_connection *conn, struct server_ctx *s, sqlite3 *db,
			  const char *run_id)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	int64_t max = s->cfg.max_upload < SYMBOLS_UPLOAD_MAX ? s->cfg.max_upload : SYMBOLS_UPLOAD_MAX;
	char file[256] = "", name[256], spool[4096];
	int64_t run;
	int st = authorise(conn, s, db, run_id, &run);
	if (st)
		return st;
	st = upload_too_large(conn, max, "PDB");
	if (st)
		return st;
	if (ri->query_string)
		mg_get_var(ri->query_string, strlen(ri->query_string), "file", file, sizeof file);
	if (sym_pdb_basename(file, name, sizeof name) != 0 || strcmp(name, file) != 0) {
		http_send_error(conn, 400, "?file= must name a .pdb file (letters, digits, . _ - + ~ $)");
		return 400;
	}
	int slot = limits_upload_begin(&s->limits, ri->remote_addr);
	if (slot != 0) {
		http_send_error(conn, 429, "too many uploads in progress; try again shortly");
		return 429;
	}
	const char *why;
	st = upload_spool_temp(conn, s, "upload-pdb-", max, spool, sizeof spool, &why);
	if (!st) {
		st = verify_and_store(conn, s, db, run, spool);
		unlink(spool); /* stored copies are links or renames: this only drops the spool */
	} else {
		http_send_error(conn, st, "%s", why);
	}
	limits_upload_end(&s->limits, ri->remote_addr);
	return st;
}

int symbols_resolve_handle(struct mg_connection *conn, struct server_ctx *s, sqlite3 *db,
			   const char *run_id)
{
	int64_t run;
	char err[256];
	int st = authorise(conn, s, db, run_id, &run);
	if (st)
		return st;
	int q = server_symbols_again(s->symbols, run, err, sizeof err);
	if (q < 0) {
		http_send_error(conn, q == -1 ? 503 : 500, "%s", err);
		return q == -1 ? 503 : 500;
	}
	cJSON *out = cJSON_CreateObject();
	if (q == 0) {
		/* the job looks along the whole symbol path: /modules shows "pending" until then */
		cJSON_AddStringToObject(out, "state", "queued");
		http_send_json(conn, 202, out);
		return 202;
	}
	/* no --symbol-path: the uploaded PDBs are the only source, read here (no network) */
	struct sym_run_stats stats;
	int rc = server_symbols_local_resolve(s->symbols, run, &stats, err, sizeof err);
	if (rc != 0) {
		cJSON_Delete(out);
		http_send_error(conn, rc == 1 ? 404 : 500, "%s", rc == 1 ? "no such run" : err);
		return rc == 1 ? 404 : 500;
	}
	cJSON_AddStringToObject(out, "state", "done");
	cJSON_AddNumberToObject(out, "modules", stats.modules);
	cJSON_AddNumberToObject(out, "resolved", stats.resolved);
	cJSON_AddNumberToObject(out, "names", (double)stats.names);
	http_send_json(conn, 200, out);
	return 200;
}
