/* routes.c — the /api/ URL space: method checks, path parsing, and the call into api/
 * (reads) or upload/jobs (writes). Each worker thread has its own db_reader: run lists,
 * edits and jobs use its catalog connection, a run's reads the handle db_run_open gives. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "api.h"
#include "api_dpc.h"
#include "api_params.h"
#include "api_tags.h"
#include "assets.h"
#include "cache.h"
#include "db_catalog.h"
#include "db_stk_cache.h"
#include "db_store.h"
#include "jobs.h"
#include "kb.h"
#include "server.h"
#include "symbols.h"
#include "warm.h"

#define RUN_ID_MAX 64

static int is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static int method_is(struct mg_connection *conn, const char *m)
{
	const char *rm = mg_get_request_info(conn)->request_method;
	return is(rm, m) || (is(m, "GET") && is(rm, "HEAD"));
}

static int not_allowed(struct mg_connection *conn, const char *allow)
{
	http_send_error(conn, 405, "method not allowed here (use %s)", allow);
	return 405;
}

/* /api/runs/{id}[/{what}] → id and what (what = "" when absent). */
static int split_run_path(const char *rest, char *id, size_t idlen, const char **what)
{
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (n == 0 || n >= idlen)
		return -1;
	memcpy(id, rest, n);
	id[n] = '\0';
	*what = slash ? slash + 1 : "";
	return 0;
}

#define MAX_EDIT_BODY (64 * 1024)

/* PATCH and DELETE of a run: same-origin, writable server, and the run's edit token. */
static int run_change(struct mg_connection *conn, struct server_ctx *s, struct db_reader *rd,
		      const char *id, int del)
{
	struct db_catalog *cat = db_reader_catalog(rd); /* edits change the catalog */
	struct api_auth auth = {http_client_token(conn), s->cfg.admin_token};
	cJSON *out = NULL;
	int st;
	if (s->cfg.read_only) {
		http_send_error(conn, 403, "this server is read-only");
		return 403;
	}
	if (!http_same_origin(conn)) {
		http_send_error(conn, 403, "cross-origin changes are refused");
		return 403;
	}
	if (!http_access_allowed(conn, &s->cfg)) {
		http_send_error(conn, 401, "this server needs its access token for changes");
		return 401;
	}
	if (del) {
		st = api_run_delete(cat, id, &auth, &out);
		if (st == 200) /* the catalog row is gone: unlink its file */
			db_store_sweep(s->store);
	} else {
		size_t len = 0;
		char *body = http_read_body(conn, MAX_EDIT_BODY, &len, &st);
		if (!body) {
			http_send_error(conn, st, st == 413 ? "the body is too large" : "cannot read the body");
			return st;
		}
		st = api_run_patch(cat, id, &auth, body, len, &out);
		free(body);
		char err[256];
		sqlite3 *run = st == 200 ? db_run_open(rd, id, err, sizeof err) : NULL;
		if (st == 200) { /* the answer: the run with its warnings and counters, its file's */
			cJSON_Delete(out);
			out = NULL;
			st = run ? api_run_get(run, id, NULL, &out) : 500;
			if (!run)
				out = api_error("%s", err);
		}
	}
	http_send_json(conn, st, out);
	return st;
}

/* GET …/stacks/export: a download, or the API's JSON error. */
static int send_export(struct mg_connection *conn, sqlite3 *db, const char *id,
		       const struct api_request *rq)
{
	char *body = NULL, name[96];
	size_t len = 0;
	const char *mime = NULL;
	cJSON *out = NULL;
	int st = api_run_stacks_export(db, id, rq, &body, &len, &mime, name, sizeof name, &out);
	if (st == 200)
		http_send_download(conn, mime, body, len, name);
	else
		http_send_json(conn, st, out);
	free(body);
	return st;
}

/* POST …/stacks/tags: the selection by the tags of the .stacktags file in the body (read
 * only: nothing is stored, so no token; same origin all the same). */
static int stacktags_post(struct mg_connection *conn, sqlite3 *db, const char *id,
			  const struct api_request *rq)
{
	cJSON *out = NULL;
	size_t len = 0;
	int st;
	if (!http_same_origin(conn)) {
		http_send_error(conn, 403, "cross-origin requests are refused");
		return 403;
	}
	char *body = http_read_body(conn, API_TAGS_MAX_BYTES, &len, &st);
	if (!body) {
		http_send_error(conn, st, st == 413 ? "the tag file is larger than 1 MiB" : "cannot read the body");
		return st;
	}
	st = api_run_stacks_tags(db, id, rq, body, len, "uploaded", &out);
	free(body);
	http_send_json(conn, st, out);
	return st;
}

/* GET /api/runs/{id}/file: the run's file as it is stored (docs/team.md): an SQLite
 * database with the analysis schema, application_id "ETLR", user_version its schema
 * version, and no edit token. Streamed: run files can be gigabytes. */
static int send_run_file(struct mg_connection *conn, struct db_reader *rd, const char *id)
{
	char err[256], name[RUN_ID_MAX + 32];
	int64_t size = 0;
	int fd = db_run_file_open(rd, id, &size, err, sizeof err);
	if (fd < 0) {
		int st = fd == -1 ? 404 : fd == -2 ? 409 : 500;
		http_send_error(conn, st, "%s", err);
		return st;
	}
	snprintf(name, sizeof name, "etlscope-run-%s.db", id); /* id: [0-9a-f] (found above) */
	http_send_file(conn, fd, size, "application/vnd.sqlite3", name);
	close(fd);
	return 200;
}

static int run_answer(struct mg_connection *conn, struct server_ctx *s, sqlite3 *db,
		      const char *id, const char *what, const struct api_request *rq, char *etag);

static int run_routes(struct mg_connection *conn, struct server_ctx *s, struct db_reader *rd,
		      const char *rest, const struct api_request *rq)
{
	char id[RUN_ID_MAX], etag[CACHE_ETAG_LEN], err[256];
	const char *what;
	int st;
	if (split_run_path(rest, id, sizeof id, &what) != 0) {
		http_send_error(conn, 404, "no such run");
		return 404;
	}
	if (is(what, "") && (method_is(conn, "PATCH") || method_is(conn, "DELETE")))
		return run_change(conn, s, rd, id, method_is(conn, "DELETE"));
	if (is(what, "file") && method_is(conn, "GET"))
		return send_run_file(conn, rd, id);
	int post = (is(what, "symbols") || is(what, "symbols/resolve") || is(what, "stacks/tags")) &&
		   method_is(conn, "POST");
	if (!post && !method_is(conn, "GET"))
		return not_allowed(conn, is(what, "") ? "GET, PATCH or DELETE" : "GET");
	sqlite3 *db = db_run_open(rd, id, err, sizeof err);
	if (!db) {
		int nf = strcmp(err, "no such run") == 0;
		http_send_error(conn, nf ? 404 : 500, "%s", err);
		return nf ? 404 : 500;
	}
	int64_t version = db_reader_version(rd); /* of db: part of every tag */
	struct api_request rqv = *rq; /* stack walks borrow the run's kept nodes */
	rqv.stk_cache = s->stk_cache;
	rqv.version = version;
	rq = &rqv;
	if (post && is(what, "symbols"))
		return symbols_upload_handle(conn, s, db, id);
	if (post && is(what, "symbols/resolve"))
		return symbols_resolve_handle(conn, s, db, id);
	if (post)
		return stacktags_post(conn, db, id, rq);
	/* The tag before the answer: a revalidation (304) or an answer kept under it. */
	int tagged = cache_run_etag(db, s->started_us, version, id, what, rq->query, etag) == 0;
	if (tagged && cache_fresh(conn, etag)) {
		cache_send_not_modified(conn, etag);
		return 304;
	}
	int claimed = 0; /* this request computes the answer others wait for (answers.h) */
	if (tagged && cache_send_kept(conn, &s->answers, etag, &claimed))
		return 200;
	char claim[CACHE_ETAG_LEN];
	if (claimed)
		snprintf(claim, sizeof claim, "%s", etag);
	st = run_answer(conn, s, db, id, what, rq, etag);
	if (claimed)
		answers_land(&s->answers, claim);
	return st;
}

/* Compute the answer to GET /api/runs/ID/WHAT and send it (kept under its tag, written
 * to etag): returns the status sent. */
static int run_answer(struct mg_connection *conn, struct server_ctx *s, sqlite3 *db,
		      const char *id, const char *what, const struct api_request *rq, char *etag)
{
	cJSON *out = NULL;
	int st;
	int64_t version = rq->version;
	if (is(what, ""))
		st = api_run_get(db, id, rq, &out);
	else if (is(what, "counters"))
		st = api_run_counters(db, id, rq, &out);
	else if (is(what, "series"))
		st = api_run_series(db, id, rq, &out);
	else if (is(what, "cpu"))
		st = api_run_cpu(db, id, rq, &out);
	else if (is(what, "processes"))
		st = api_run_processes(db, id, rq, &out);
	else if (is(what, "report-histograms"))
		st = api_run_report_histograms(db, id, rq, &out);
	else if (is(what, "drivers"))
		st = api_run_drivers(db, id, rq, &out);
	else if (is(what, "findings"))
		st = api_run_findings(db, id, rq, &out);
	else if (strncmp(what, "dpcisr/", 7) == 0)
		st = api_run_dpcisr(db, id, what + 7, rq, &out);
	else if (is(what, "modules"))
		st = api_run_modules(db, id, rq, &out);
	else if (is(what, "syscalls"))
		st = api_run_syscalls(db, id, rq, &out);
	else if (is(what, "scheduling"))
		st = api_run_scheduling(db, id, rq, &out);
	else if (is(what, "diskio") || is(what, "fileio"))
		st = (is(what, "diskio") ? api_run_diskio : api_run_fileio)(db, id, rq, &out);
	else if (is(what, "minifilter"))
		st = api_run_minifilter(db, id, rq, &out);
	else if (is(what, "stacks/export"))
		return send_export(conn, db, id, rq);
	else if (is(what, "stacks/tags"))
		st = api_run_stacks_tags(db, id, rq, (const char *)stacktags_default[0].data,
					 stacktags_default[0].len, "default", &out);
	else if (strncmp(what, "stacks/", 7) == 0)
		st = api_run_stacks(db, id, what + 7, rq, &out);
	else if (is(what, "threads"))
		st = api_run_threads(db, id, rq, &out);
	else {
		http_send_error(conn, 404, "no such resource");
		return 404;
	}
	/* The tag after it (GET /findings may have stored the findings meanwhile). */
	if (st == 200 && cache_run_etag(db, s->started_us, version, id, what, rq->query, etag) == 0)
		cache_send_json(conn, st, out, etag, &s->answers);
	else
		http_send_json(conn, st, out);
	return st;
}

/* GET /api/compare?runs=… and /api/compare/stacks?runs=…: answer (api_compare,
 * api_compare_stacks) on one connection over the named runs' files; when
 * none of them exists, on the catalog, which answers the errors (400, 404). */
static int compare(struct mg_connection *conn, struct db_reader *rd, const struct api_request *rq,
		   int (*answer)(sqlite3 *, const struct api_request *, cJSON **))
{
	char list[8 * RUN_ID_MAX] = "", err[256];
	const char *ids[8];
	int n = 0;
	cJSON *out = NULL;
	if (api_param(rq, "runs", 0, list, sizeof list) == 1)
		for (char *save = NULL, *t = strtok_r(list, ",", &save); t && n < 8;
		     t = strtok_r(NULL, ",", &save))
			ids[n++] = t;
	sqlite3 *set = n ? db_run_open_set(rd, ids, n, err, sizeof err) : NULL;
	if (!set && n && strcmp(err, "no such run") != 0) {
		http_send_error(conn, 500, "%s", err);
		return 500;
	}
	sqlite3 *none = set ? NULL : db_reader_empty(rd, err, sizeof err);
	if (!set && !none) {
		http_send_error(conn, 500, "%s", err);
		return 500;
	}
	int st = answer(set ? set : none, rq, &out);
	db_close(set);
	http_send_json(conn, st, out);
	return st;
}

/* n counters named names[i] with values v[i] into o */
static void add_counters(cJSON *o, const char *const *names, const double *v, int n)
{
	for (int i = 0; i < n; i++)
		cJSON_AddNumberToObject(o, names[i], v[i]);
}

/* The kept stack nodes' counters (db_stk_cache.h), null without the cache; with the
 * warmer's (warm.h) when it runs. */
static void health_stack_nodes(cJSON *o, struct db_stk_cache *c, struct server_warm *w)
{
	if (!c) {
		cJSON_AddNullToObject(o, "stack_nodes");
		return;
	}
	struct db_stk_cache_stats st;
	db_stk_cache_stats(c, &st);
	static const char *const kept[] = {"runs", "bytes", "loads", "hits", "evicted"};
	const double kv[] = {(double)st.entries, (double)st.bytes, (double)st.loads,
			     (double)st.hits, (double)st.evicted};
	cJSON *k = cJSON_AddObjectToObject(o, "stack_nodes");
	add_counters(k, kept, kv, 5);
	if (!w)
		return;
	struct server_warm_stats ws;
	server_warm_stats(w, &ws);
	static const char *const warm[] = {"warmed", "not_kept", "yielded", "dropped"};
	const double wv[] = {(double)ws.warmed, (double)ws.not_kept, (double)ws.yielded,
			     (double)ws.dropped};
	cJSON *a = cJSON_AddObjectToObject(k, "warm");
	add_counters(a, warm, wv, 4);
	cJSON_AddBoolToObject(a, "busy", ws.busy);
}

int routes_api(struct mg_connection *conn, void *cbdata)
{
	struct server_ctx *s = cbdata;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *uri = ri->local_uri;
	struct db_reader *rd = mg_get_thread_pointer(conn);
	struct db_catalog *db = rd ? db_reader_catalog(rd) : NULL;
	struct api_request rq = {.query = ri->query_string};
	cJSON *out = NULL;
	int st;

	if (is(uri, "/api/uploads")) {
		if (!method_is(conn, "POST"))
			return not_allowed(conn, "POST");
		return upload_handle(conn, s);
	}
	if (is(uri, "/api/health")) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", 1);
		cJSON_AddStringToObject(o, "version", ETLSCOPE_VERSION);
		cJSON_AddBoolToObject(o, "read_only", s->cfg.read_only);
		cJSON_AddBoolToObject(o, "auth_required", s->cfg.auth_token && *s->cfg.auth_token);
		cJSON_AddNumberToObject(o, "max_upload", (double)s->cfg.max_upload);
		cJSON_AddStringToObject(o, "kb_version", kb_version());
		health_stack_nodes(o, s->stk_cache, s->warm);
		server_memory_json(o, s);
		http_send_json(conn, 200, o);
		return 200;
	}
	if (strncmp(uri, "/api/jobs/", 10) == 0) {
		if (!method_is(conn, "GET"))
			return not_allowed(conn, "GET");
		const char *job = uri + 10;
		out = api_valid_run_id(job) ? jobs_status(s->jobs, job) : NULL; /* ids: 32 hex */
		if (!out && api_valid_run_id(job))
			out = jobs_status_stored(db, job);
		if (!out) {
			http_send_error(conn, 404, "no such job");
			return 404;
		}
		http_send_json(conn, 200, out);
		return 200;
	}
	if (!db) {
		http_send_error(conn, 503, "database unavailable");
		return 503;
	}
	if (is(uri, "/api/runs")) {
		if (!method_is(conn, "GET"))
			return not_allowed(conn, "GET");
		st = api_runs_list(db, &rq, &out);
		http_send_json(conn, st, out);
		return st;
	}
	if (is(uri, "/api/runs/import")) {
		if (!method_is(conn, "POST"))
			return not_allowed(conn, "POST");
		return run_import_handle(conn, s);
	}
	if (strncmp(uri, "/api/runs/", 10) == 0)
		return run_routes(conn, s, rd, uri + 10, &rq);
	if (is(uri, "/api/compare/stacks")) {
		if (!method_is(conn, "GET"))
			return not_allowed(conn, "GET");
		return compare(conn, rd, &rq, api_compare_stacks);
	}
	if (is(uri, "/api/compare")) {
		if (!method_is(conn, "GET"))
			return not_allowed(conn, "GET");
		return compare(conn, rd, &rq, api_compare);
	}
	http_send_error(conn, 404, "no such API endpoint");
	return 404;
}
