/* api.h — the JSON API: turns database reads into response documents. It knows nothing
 * of HTTP beyond status codes, so tests call it directly; server/routes.c maps URLs here.
 * Every function returns an HTTP status and sets *out to the body ({"error": …} on
 * failure). Times in JSON are milliseconds since the Unix epoch, UTC. */
#ifndef ETLSCOPE_API_H
#define ETLSCOPE_API_H

#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

/* The request's query string (may be NULL): parameters are read with civetweb's
 * mg_get_var2, so repeated keys (c=1&c=2) are supported. */
struct db_stk_cache;
struct api_request {
	const char *query;
	/* The server's kept stack nodes (NULL: none) and the version of the run file the
	 * handle reads (db_reader_version; 0: not a run file, nothing is kept): stack walks
	 * borrow the run's node arrays from it (db_stk_cache.h). */
	struct db_stk_cache *stk_cache;
	int64_t version;
};

cJSON *api_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct db_catalog;
int api_runs_list(struct db_catalog *cat, const struct api_request *rq, cJSON **out);
int api_run_get(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out);
int api_run_counters(sqlite3 *db, const char *run_id, const struct api_request *rq,
		     cJSON **out);
/* ?c=IDX (repeatable) &from=MS &to=MS &points=N */
int api_run_series(sqlite3 *db, const char *run_id, const struct api_request *rq,
		   cJSON **out);
/* ?counter=NAME &from=MS &to=MS &points=N — one series per CPU for a processor counter */
int api_run_cpu(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out);
/* GET /api/runs/{id}/processes — the processes with the most CPU (perfmon
 * Process(*)\% Processor Time), each over time. */
int api_run_processes(sqlite3 *db, const char *run_id, const struct api_request *rq,
		      cJSON **out);
/* Call stacks, processes and threads of an ETW run (issue 13; api_stacks.h, docs/api.md):
 * `what` after /stacks/ is tree or butterfly. */
int api_run_stacks(sqlite3 *db, const char *run_id, const char *what,
		   const struct api_request *rq, cJSON **out);
int api_run_threads(sqlite3 *db, const char *run_id, const struct api_request *rq,
		    cJSON **out);
/* After a run's ingest: store its pre-aggregated call trees (api_stacks_pre.c), in a
 * transaction of its own. 0 (a run without call stacks stores none), or -1 with err set —
 * requests then walk the stacks as before. */
int api_stk_pre_build(sqlite3 *db, const char *public_id, char *err, size_t errlen);
/* GET …/stacks/export?format=folded|speedscope: the body to download. 200 with *body
 * (malloc'd), *len, *mime and filename set, or an HTTP status with *out set. */
#include <stddef.h>
/* GET/POST …/stacks/tags: the selection by stack tag with the tag set xml (.stacktags,
 * api_tags.h) named set_name ("default" or "uploaded"); 400 for a malformed set. */
int api_run_stacks_tags(sqlite3 *db, const char *run_id, const struct api_request *rq,
			const char *xml, size_t len, const char *set_name, cJSON **out);
int api_run_stacks_export(sqlite3 *db, const char *run_id, const struct api_request *rq,
			  char **body, size_t *len, const char **mime, char *filename,
			  size_t fnlen, cJSON **out);
/* Pre-bucketed DPC/ISR histograms and per-CPU usage of a text-report run (docs/api.md). */
int api_run_report_histograms(sqlite3 *db, const char *run_id, const struct api_request *rq,
			      cJSON **out);
/* ?from=MS &to=MS &cpus=0,2,4-6 — driver attribution of an ETW run (404 for other runs) */
int api_run_drivers(sqlite3 *db, const char *run_id, const struct api_request *rq,
		    cJSON **out);
/* The run's stored findings and verdict (computed on first request). */
/* GET /api/runs/{id}/syscalls and /scheduling — syscall cost per (process, address) and
 * per-thread scheduling of an ETW run (api_sched.c). */
int api_run_syscalls(sqlite3 *db, const char *run_id, const struct api_request *rq,
		     cJSON **out);
int api_run_scheduling(sqlite3 *db, const char *run_id, const struct api_request *rq,
		       cJSON **out);
int api_run_findings(sqlite3 *db, const char *run_id, const struct api_request *rq,
		     cJSON **out);
/* Disk I/O and FileIo event counts of an ETW run (api_io.c; 404 when it has none). */
int api_run_diskio(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out);
int api_run_fileio(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out);
/* GET /api/runs/{id}/minifilter (api_minifilter.c): minifilter delays per driver and major
 * function under the shared filter (+ module). 200, 400, 404 or 500 with *out set. */
int api_run_minifilter(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out);


/* ?runs=ID,ID[,ID,ID]&kind=dpc|isr — 2 to 4 runs side by side (api_compare.c). */
int api_compare(sqlite3 *db, const struct api_request *rq, cJSON **out);
/* ?runs=A,B[&base=A] — the differential call tree of two runs (api_compare_stacks.c). */
int api_compare_stacks(sqlite3 *db, const struct api_request *rq, cJSON **out);

/* Who asks for a change: the token the client sent (X-Edit-Token header or
 * "Authorization: Bearer …") and the server's admin token (NULL when not configured). */
struct api_auth {
	const char *token;
	const char *admin_token;
};
/* Changes in the catalog (db_catalog.h). Body: {"name": "…", "notes": "…", "expires": MS |
 * null}; 200 with {"updated": true}: the caller answers the updated run from its file
 * (api_run_get on db_run_open's handle). */
int api_run_patch(struct db_catalog *cat, const char *run_id, const struct api_auth *auth,
		  const char *body, size_t len, cJSON **out);
int api_run_delete(struct db_catalog *cat, const char *run_id, const struct api_auth *auth,
		   cJSON **out);
/* May auth change the run (its edit token or the admin token)? 0 with *rowid set, else the
 * HTTP status (404 no such run, 403 not authorised) with an error document in *out. */
int api_run_authorise(sqlite3 *db, const char *run_id, const struct api_auth *auth,
		      int64_t *rowid, cJSON **out);

#endif
