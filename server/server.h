/* server.h — the HTTP server context (the only mutable state shared across threads) and
 * the entry points of each server module. */
#ifndef ETLSCOPE_SERVER_H
#define ETLSCOPE_SERVER_H

#include <stdint.h>
#include <civetweb.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "answers.h"
#include "guard.h"
#include "limits.h"

struct jobs;
struct server_symbols;
struct db_store;
struct db_stk_cache;
struct server_warm;

/* An idle keep-alive connection is closed after this (or --timeout, when shorter). */
#define SERVER_KEEP_ALIVE_MS 3000

struct server_config {
	const char *listen;   /* "127.0.0.1:8080"; port 0 picks a free one */
	const char *db_path;  /* the SQLite catalog (docs/team.md) */
	const char *catalog;  /* a postgresql:// URI (team mode): replaces db_path; NULL = none */
	const char *runs_dir; /* run files (the block store); NULL = <data_dir>/runs */
	int lease_s;          /* a dead server's jobs fail this long after its last heartbeat */
	const char *data_dir; /* uploads are spooled here before ingest; run files in runs/ */
	int ingest_workers;   /* ingests at once; 0 = 1 */
	int64_t max_upload;   /* bytes */
	int threads;
	int read_only;        /* viewers only: uploads and edits refused */
	const char *admin_token; /* may edit or delete any run; NULL = none */
	const char *auth_token;  /* when set, uploads and changes need it too */
	const char *tls_cert;    /* PEM file with certificate and key: serve HTTPS */
	double rate, burst;      /* requests per second per client address; 0 = no limit */
	int64_t min_upload_rate; /* bytes/s an upload must average after the grace period */
	int upload_grace_s;
	int stream_ingest;       /* ingest while the upload arrives (--stream-ingest): an
				  * ingest worker is held as long as the upload, so with one
				  * worker a slow client delays other ingests; off by default */
	int timeout_s;           /* headers complete within it; any read/write stalled this long ends */
	int max_conns_ip;        /* connections per client address (more only with complete headers) */
	const char *public_url;  /* "https://host[:port]": the Host and Origin clients use; NULL = listen
				  * address and localhost */
	const char *symbol_path; /* _NT_SYMBOL_PATH syntax; NULL = uploads only, no job */
	int64_t stack_cache;     /* bytes of runs' stack nodes kept in memory (--stack-cache;
				  * db_stk_cache.h); 0 = none */
};

/* Who this server is on the web: the names a Host header may carry and the origin
 * browsers send, from --public-url and the listen address. */
struct server_origin {
	char public_host[256];   /* lowercase; "" without --public-url */
	char public_origin[300]; /* "scheme://host[:port]" as browsers write Origin */
	char listen_host[64];    /* the listen address; "" = all addresses (wildcard) */
	int loopback;            /* the listen address is loopback: "localhost" names it too */
};

struct server_ctx {
	struct server_config cfg;
	struct mg_context *mg;
	struct db_store *store; /* catalog + run files; each worker thread has a db_reader */
	struct jobs *jobs;
	struct server_symbols *symbols;
	struct limits limits;
	struct guard guard;
	struct server_origin self;
	int lock_fd; /* flock on <data-dir>/etlscope.lock while serving */
	int port;
	int64_t started_us; /* ETags of run answers change with it (cache.c) */
	struct answers answers; /* run answers kept by ETag (answers.h) */
	struct db_stk_cache *stk_cache; /* runs' stack node arrays (db_stk_cache.h); NULL = none */
	struct server_warm *warm; /* loads a new run's into stk_cache (warm.h); NULL = none */
	int keep_alive_ms;      /* an idle kept connection is closed after it */
	int threads;            /* civetweb's worker threads: one per open connection */
};

/* memory.c: the "memory" object of /api/health (docs/api.md) into o */
void server_memory_json(cJSON *o, struct server_ctx *s);
/* Once, before the worker threads start: glibc sets up malloc's bookkeeping on its first
 * malloc or mallinfo2 call, and flags it done before it is done. Under AddressSanitizer
 * (which replaces malloc) the first call is /api/health's mallinfo2, and two worker threads
 * making it at once let one walk half-made bins (a SEGV seen in CI). */
void server_memory_init(void);

/* server.c */
int server_start(struct server_ctx *s, const struct server_config *cfg, char *err,
		 size_t errlen);
void server_stop(struct server_ctx *s);
/* Lock <data_dir>/etlscope.lock (one owner at a time: a server, or `etlscope ingest` /
 * `demo`, which write runs into its store): the lock's fd, or -1 with err. */
int server_lock_data_dir(const char *data_dir, char *err, size_t errlen);
/* Compute what is stored beside a run's rows before its file is published (run_derive.c):
 * its findings and call trees. Failures are said on stderr; requests then compute them. */
void server_run_derive(sqlite3 *db, int64_t run_id, const char *public_id);
/* The catalog (cfg->catalog, else cfg->db_path) and the run files (cfg->runs_dir, else
 * <data_dir>/runs), converting an older single-file database (db_store_open); the caller
 * holds the data directory's lock as lock_fd, and this server's catalog name is written
 * into it (so the next start on the directory forgets a dead predecessor at once). NULL
 * with err. */
struct db_store *server_open_store(const struct server_config *cfg, int lock_fd, char *err,
				   size_t errlen);

/* http.c — every response goes through these, so every response has the headers. */
void http_send_json(struct mg_connection *conn, int status, cJSON *body); /* frees body */
void http_send_error(struct mg_connection *conn, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A complete response written straight to a plain-text socket, without blocking, for
 * requests civetweb never hands to a handler (see server.c connection_close); extra is one
 * more header line or NULL, json the body or NULL. */
void http_send_raw(int fd, int status, const char *reason, const char *extra, const char *json);
/* Answer "Expect: 100-continue" before reading a request body (civetweb 1.15 does not for
 * handlers); the final response is still sent with every header by http_send_*. */
void http_send_continue(struct mg_connection *conn);
void http_send_bytes(struct mg_connection *conn, int status, const char *mime,
		     const void *data, size_t len, const char *cache_control);
/* http_send_bytes for a page with an inline style sheet: style_src (its "'sha256-…'", from
 * struct asset; NULL: none) is added to the Content-Security-Policy's style-src. */
void http_send_page(struct mg_connection *conn, int status, const char *mime,
		    const void *data, size_t len, const char *cache_control, const char *style_src);
/* http_send_bytes with an ETag header (NULL: none); a 304 gets no Content-Length. */
void http_send_tagged(struct mg_connection *conn, int status, const char *mime,
		      const void *data, size_t len, const char *cache_control, const char *etag);
/* 200 with Content-Disposition: attachment; filename="…" (filename: [A-Za-z0-9._-]). */
void http_send_download(struct mg_connection *conn, const char *mime, const void *data,
			size_t len, const char *filename);
/* 200 with the size bytes of the open file fd as an attachment (filename as above), read
 * and sent in chunks; 0, or -1 when the file or the client stopped early. */
int http_send_file(struct mg_connection *conn, int fd, int64_t size, const char *mime,
		   const char *filename);
/* The token a client presents: X-Edit-Token, or Authorization: Bearer <token>. */
const char *http_client_token(struct mg_connection *conn);
/* With --auth-token set: does the request carry it (X-Auth-Token or Bearer), or the
 * admin token? Always 1 when no access token is configured. */
int http_access_allowed(struct mg_connection *conn, const struct server_config *cfg);
/* Read a small request body (at most max bytes) into a new buffer; NULL with *status set
 * (413 too large, 400 unreadable) on failure. */
char *http_read_body(struct mg_connection *conn, size_t max, size_t *len, int *status);

/* checks.c — is the request for us, and unambiguous? */
/* Refuse cross-site state changes: an Origin header, when present, must be this server's
 * origin exactly (scheme, host and port). */
int http_same_origin(struct mg_connection *conn);
/* Is the Host header one of this server's names (DNS rebinding defence)? */
int http_host_allowed(struct mg_connection *conn);
/* Parse --public-url (or derive from the listen address when url is NULL); -1 if malformed. */
int http_origin_init(struct server_origin *o, const char *url, const char *listen);
/* Content-Length present at most once, digits only, and not with Transfer-Encoding. */
int http_length_valid(struct mg_connection *conn);

/* routes.c — /api/ dispatch; returns the status it sent. */
int routes_api(struct mg_connection *conn, void *cbdata);

/* upload.c — POST /api/uploads: stream the raw body to disk, queue an ingest job. */
int upload_handle(struct mg_connection *conn, struct server_ctx *s);
/* Stream the request body into fd, at most max bytes, under the upload-rate watchdog (the
 * rate is checked on a clock: guard.c). Returns 0 with *total bytes written, else an HTTP
 * status (400 interrupted, 408 too slow, 413 over max, 500/507 write failure) with *why.
 * progress (may be NULL) hears the running total after each write. */
int upload_spool(struct mg_connection *conn, struct server_ctx *s, int fd, int64_t max,
		 void (*progress)(void *ud, long long total), void *ud, long long *total,
		 const char **why);
/* The whole body into a new file DATA/<prefix>XXXXXX (its name into path), flushed: 0, or
 * an HTTP status with *why, the file removed. */
int upload_spool_temp(struct mg_connection *conn, struct server_ctx *s, const char *prefix,
		      int64_t max, char *path, size_t pathlen, const char **why);
/* The checks every body upload passes first (read-only server, same origin, access token):
 * 0 when allowed, else the status it sent (403 or 401). */
int upload_refused(struct mg_connection *conn, struct server_ctx *s);
/* 0 when the request's Content-Length is at most max, else sends 413 naming what (e.g.
 * "file", "PDB") and returns 413. */
int upload_too_large(struct mg_connection *conn, int64_t max, const char *what);

/* run_import.c — POST /api/runs/import: a run file from GET /api/runs/{id}/file becomes a
 * new run (validated as untrusted input: db_run_check.c). */
int run_import_handle(struct mg_connection *conn, struct server_ctx *s);

/* assets.c — embedded web pages and scripts. */
int assets_handle(struct mg_connection *conn, void *cbdata);
/* run_page.c — the run page (the embedded page) with run id's stored verdict in it; the
 * page as embedded when there is none to show. Always answers 200. */
struct asset;
void run_page_send(struct mg_connection *conn, const struct asset *page, const char *id,
		   const char *cache_control);

#endif
