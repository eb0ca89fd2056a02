/* routes.c — the /api/ URL space: method checks, path parsing, and the call into api/
 * (reads) or upload/jobs (writes). Each worker thread has its own database connection. */
#include <string.h>
#include "api.h"
#include "jobs.h"
#include "server.h"

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

static int run_routes(struct mg_connection *conn, sqlite3 *db, const char *rest,
		      const struct api_request *rq)
{
	char id[RUN_ID_MAX];
	const char *what;
	cJSON *out = NULL;
	int st;
	if (split_run_path(rest, id, sizeof id, &what) != 0) {
		http_send_error(conn, 404, "no such run");
		return 404;
	}
	if (!method_is(conn, "GET"))
		return not_allowed(conn, "GET");
	if (is(what, ""))
		st = api_run_get(db, id, rq, &out);
	else if (is(what, "counters"))
		st = api_run_counters(db, id, rq, &out);
	else if (is(what, "series"))
		st = api_run_series(db, id, rq, &out);
	else if (is(what, "cpu"))
		st = api_run_cpu(db, id, rq, &out);
	else {
		http_send_error(conn, 404, "no such resource");
		return 404;
	}
	http_send_json(conn, st, out);
	return st;
}

int routes_api(struct mg_connection *conn, void *cbdata)
{
	struct server_ctx *s = cbdata;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *uri = ri->local_uri;
	sqlite3 *db = mg_get_thread_pointer(conn);
	struct api_request rq = {ri->query_string};
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
		cJSON_AddNumberToObject(o, "max_upload", (double)s->cfg.max_upload);
		http_send_json(conn, 200, o);
		return 200;
	}
	if (strncmp(uri, "/api/jobs/", 10) == 0) {
		if (!method_is(conn, "GET"))
			return not_allowed(conn, "GET");
		out = jobs_status(s->jobs, uri + 10);
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
	if (strncmp(uri, "/api/runs/", 10) == 0)
		return run_routes(conn, db, uri + 10, &rq);
	http_send_error(conn, 404, "no such API endpoint");
	return 404;
}
