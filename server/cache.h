/* cache.h — ETags and 304s for run answers (cache.c). */
#ifndef ETLSCOPE_CACHE_H
#define ETLSCOPE_CACHE_H

#include <stdint.h>
#include <sqlite3.h>
#include "server.h"

#define CACHE_ETAG_LEN 40 /* "\"" + 32 hex + "\"" + NUL, rounded up */
/* Revalidate on every use (edits must show at once), private (a server with an access
 * token must not have its answers kept by shared caches). */
#define CACHE_RUN_CONTROL "private, no-cache"

/* The strong ETag of GET /api/runs/RUN_ID/WHAT?QUERY. epoch: the server's start time (a
 * new process may compute answers differently); version: the run file's version db was
 * opened on (db_reader_version: re-symbolisation writes a new one). Returns 0 with etag set, 1 when the answer
 * gets no tag (no such run, or its ingest has not finished), -1 on a database error. */
int cache_run_etag(sqlite3 *db, int64_t epoch, int64_t version, const char *run_id,
		   const char *what, const char *query, char etag[CACHE_ETAG_LEN]);
/* Does the request's If-None-Match hold etag? */
int cache_fresh(struct mg_connection *conn, const char *etag);
/* Like http_send_json, with ETag and CACHE_RUN_CONTROL; frees body. The printed answer is
 * kept in keep under etag (NULL: not kept). */
struct answers;
void cache_send_json(struct mg_connection *conn, int status, cJSON *body, const char *etag,
		     struct answers *keep);
/* Send the answer kept under etag: 1 sent, 0 none kept. While another request computes
 * it, waits for it first (answers_get_or_claim); on 0, *claimed is 1 when the caller holds
 * the tag's claim: it must answers_land(keep, etag) once its answer is kept or given up. */
int cache_send_kept(struct mg_connection *conn, struct answers *keep, const char *etag,
		    int *claimed);
void cache_send_not_modified(struct mg_connection *conn, const char *etag);

#endif
