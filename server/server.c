/* server.c — starting and stopping civetweb with hardened options: loopback by default,
 * no document_root (every URL is answered by our handlers), CORS off, no directory
 * listing, bounded headers; one db_reader (catalog connection and run-file handles) per
 * worker thread. */
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "db.h"
#include "db_stk_cache.h"
#include "db_store.h"
#include "find.h"
#include "jobs.h"
#include "cache.h"
#include "server.h"
#include "symbols.h"
#include "warm.h"

/* Worker threads get a db_reader each (SQLite connections are per thread). */
static void *thread_start(const struct mg_context *ctx, int thread_type)
{
	struct server_ctx *s = mg_get_user_data(ctx);
	char err[256];
	if (thread_type != 1) /* 1 = request worker */
		return NULL;
	struct db_reader *r = db_reader_new(s->store, err, sizeof err);
	if (!r)
		fprintf(stderr, "etlscope: worker thread: %s\n", err);
	return r;
}

static void thread_stop(const struct mg_context *ctx, int thread_type, void *thread_pointer)
{
	if (thread_type == 1)
		db_reader_free(thread_pointer);
}

/* A run converted from a single-file database gets the findings its release may not have
 * stored, before its file is published (run files are never written again). */
static int convert_findings(void *ud, sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
	cJSON *doc = NULL;
	(void)ud;
	if (find_get(db, run_id, &doc, err, errlen) != 0)
		fprintf(stderr, "etlscope: converting run %lld: findings: %s\n", (long long)run_id,
			err);
	cJSON_Delete(doc);
	return 0;
}

struct db_store *server_open_store(const struct server_config *cfg, int lock_fd, char *err,
				   size_t errlen)
{
	char dir[4096];
	if ((size_t)snprintf(dir, sizeof dir, "%s", cfg->runs_dir ? cfg->runs_dir : cfg->data_dir) >=
		    sizeof dir - 64 ||
	    (!cfg->runs_dir && (size_t)snprintf(dir, sizeof dir, "%s/runs", cfg->data_dir) >=
				       sizeof dir - 64)) {
		snprintf(err, errlen, "the data directory's name is too long");
		return NULL;
	}
	/* The previous server on this data directory is gone (its lock is ours): its name in
	 * the catalog, which it wrote into the lock file, is forgotten at once. */
	char before[128] = "";
	ssize_t n = pread(lock_fd, before, sizeof before - 1, 0);
	before[n > 0 ? n : 0] = '\0';
	struct db_store_start start = {before};
	struct db_store *st = db_store_open_after(cfg->catalog && *cfg->catalog ? cfg->catalog
									       : cfg->db_path,
						  dir, cfg->lease_s, &start, convert_findings, NULL,
						  err, errlen);
	const char *me = st ? db_store_owner(st) : NULL;
	if (me && (ftruncate(lock_fd, 0) != 0 ||
		   pwrite(lock_fd, me, strlen(me), 0) != (ssize_t)strlen(me)))
		fprintf(stderr, "etlscope: cannot note this server in the lock file\n");
	return st;
}

/* The guard's question before it sheds a connection on probation (guard.h). */
static int threads_crowded(void *ud)
{
	struct server_ctx *s = ud;
	return limits_crowded(&s->limits, s->threads);
}

/* The answer to a connection shed for want of worker threads, before its request was read
 * (the guard's watchdog, or every probation slot taken): a 503 the client can retry, never
 * a bare close. Written with MSG_DONTWAIT into an empty send buffer: it never blocks. */
static void refuse_busy(void *ud, int fd)
{
	(void)ud;
	http_send_raw(fd, 503, "Service Unavailable", "Retry-After: 1",
		      "{\"error\":\"the server is busy: every worker thread is taken; retry shortly\"}");
}

/* A connection's state (its conn_data): counted as waiting for its request head (see
 * limits_conn_open), let in over the caps on probation (a guard_probation), or its
 * request reached begin_request or http_error. */
static const char waiting[] = "waiting", answered[] = "answered";

/* The connection's request head arrived, or it closes before: it no longer waits. */
static void stop_waiting(struct server_ctx *s, const void *state)
{
	if (state == waiting)
		limits_conn_request(&s->limits);
	else if (state && guard_on_probation(&s->guard, state))
		guard_probation_end(&s->guard, (void *)state);
}

/* The request head has arrived: the connection no longer waits, and it is answered. */
static void request_arrived(struct server_ctx *s, struct mg_connection *conn)
{
	stop_waiting(s, mg_get_user_connection_data(conn));
	mg_set_user_connection_data(conn, (void *)answered);
}

/* Every request passes here first: a foreign Host (DNS rebinding), an ambiguous
 * Content-Length (request smuggling) or a client over its rate is refused before any work,
 * and the connection closed without reading its body (http_send_bytes). */
static int begin_request(struct mg_connection *conn)
{
	struct server_ctx *s = mg_get_user_data(mg_get_context(conn));
	const struct mg_request_info *ri = mg_get_request_info(conn);
	guard_learn_layout(&s->guard, conn);
	request_arrived(s, conn);
	if (!http_host_allowed(conn)) {
		http_send_error(conn, 421, "this server does not answer to that Host name "
					   "(start it with --public-url to name it)");
		return 421;
	}
	if (!http_length_valid(conn)) {
		http_send_error(conn, 400, "Content-Length must appear once, as digits, "
					   "and not with Transfer-Encoding");
		return 400;
	}
	if (limits_request(&s->limits, ri->remote_addr, db_now_us()))
		return 0;
	http_send_error(conn, 429, "too many requests; slow down");
	return 429;
}

/* Errors civetweb itself answers (malformed requests, bad Transfer-Encoding, oversized
 * headers, unknown methods) get the same JSON body and security headers as ours. */
static int http_error(struct mg_connection *conn, int status, const char *errmsg)
{
	(void)errmsg; /* civetweb's text may echo request bytes; ours is fixed */
	request_arrived(mg_get_user_data(mg_get_context(conn)), conn);
	http_send_error(conn, status, "%s", mg_get_response_code_text(conn, status));
	return 0;
}

/* A new connection, on the worker thread that will serve it, before its request is read.
 * Each client address may hold max_conns_ip connections freely, and at most half the
 * worker threads may wait for request heads; beyond either cap a connection is let in on
 * probation: once the worker threads are crowded, the watchdog answers 503 and shuts it
 * unless its request head is arriving at a minimum rate (guard.h). So slow or silent
 * connections, from one address or many, cannot take the worker threads, and a burst of
 * quick requests costs nothing more than a slot. */
static int init_connection(const struct mg_connection *conn, void **conn_data)
{
	struct server_ctx *s = mg_get_user_data(mg_get_context(conn));
	const struct mg_request_info *ri = guard_conn_info(&s->guard, conn);
	*conn_data = NULL;
	if (!ri)
		return 0;
	if (limits_conn_open(&s->limits, ri->remote_addr)) {
		*conn_data = (void *)waiting;
		return 0;
	}
	*conn_data = guard_probation_begin(&s->guard, ri);
	if (!*conn_data) { /* every probation slot taken: refuse at once */
		int fd = guard_conn_fd(&s->guard, conn);
		*conn_data = (void *)answered; /* counted, not waiting; answered here */
		if (fd >= 0 && !ri->is_ssl)
			refuse_busy(s, fd);
		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
	}
	return 0;
}

/* The end of every connection. A request civetweb read but gave no handler and did not
 * answer itself ("OPTIONS *", or an absolute URL naming another server) gets its answer
 * here, so no request goes unanswered. */
static void connection_close(const struct mg_connection *conn)
{
	struct server_ctx *s = mg_get_user_data(mg_get_context(conn));
	const struct mg_request_info *ri = guard_conn_info(&s->guard, conn);
	if (!ri)
		return;
	/* NULL: init_connection never ran (a failed TLS handshake), nothing was counted. */
	const void *state = mg_get_user_connection_data(conn);
	mg_set_user_connection_data(conn, NULL);
	if (state) {
		stop_waiting(s, state);
		limits_conn_close(&s->limits, ri->remote_addr);
	}
	if (!state || state == answered || !ri->request_uri || !ri->request_method || ri->is_ssl)
		return;
	int fd = guard_conn_fd(&s->guard, conn);
	if (fd < 0)
		return;
	if (strcmp(ri->request_method, "OPTIONS") == 0 && strcmp(ri->request_uri, "*") == 0)
		http_send_raw(fd, 204, "No Content", "Allow: GET, HEAD, POST, PATCH, DELETE", NULL);
	else
		http_send_raw(fd, 400, "Bad Request", NULL,
			      "{\"error\":\"only paths on this server are answered\"}");
}

static int log_message(const struct mg_connection *conn, const char *message)
{
	fprintf(stderr, "etlscope: %s\n", message);
	return 1;
}

/* Spool files left by a crash mid-upload or mid-ingest: their runs were never committed,
 * so the files are garbage. */
static void remove_stale_spool(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "upload-", 7) == 0) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
}

/* One server per data directory: a second one would delete the first one's uploads in
 * progress as stale spool files. The lock is released by the kernel when the process
 * ends, however it ends. Returns the lock's descriptor, or -1 with err set. */
int server_lock_data_dir(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/etlscope.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			snprintf(err, errlen, "another etlscope server is using the data directory %s; "
					      "stop it or give this one its own --data-dir", dir);
		else
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
		return -1;
	}
	return fd;
}

/* After each ingest (jobs.h): the symbol job, and the warmer loads the run's kept stacks
 * so that its first stack view finds them (s->warm is set before any upload is taken). */
static void after_ingest(void *ctx, sqlite3 *db, int64_t run_id, const char *public_id)
{
	struct server_ctx *s = ctx;
	(void)db; /* the symbol job writes a new version of the run's file */
	server_symbols_queue(s->symbols, run_id);
	server_warm_queue(s->warm, public_id);
}

/* After the symbol job published a new version of a run: the warmer loads that version's
 * kept stacks (the ingest's warm, if it still waits or runs, loaded the old one). */
static void after_symbols(void *ctx, const char *public_id)
{
	struct server_ctx *s = ctx;
	server_warm_queue(s->warm, public_id);
}

static void unlock_data_dir(struct server_ctx *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

int server_start(struct server_ctx *s, const struct server_config *cfg, char *err,
		 size_t errlen)
{
	char threads[16], listen[300], errtext[256] = "", timeout[16], keep_alive[16];
	struct mg_callbacks cb;
	struct mg_init_data init;
	struct mg_error_data edata;
	unsigned ecode = 0;
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	s->started_us = db_now_us();
	answers_init(&s->answers);
	s->lock_fd = -1;
	if (http_origin_init(&s->self, cfg->public_url, cfg->listen) != 0) {
		snprintf(err, errlen, "--public-url must look like https://host[:port]");
		return -1;
	}
	if ((s->lock_fd = server_lock_data_dir(cfg->data_dir, err, errlen)) < 0)
		return -1;
	/* Create and migrate the catalog once (converting a single-file database), before any
	 * thread opens it; expired runs are purged. */
	if (!(s->store = server_open_store(cfg, s->lock_fd, err, errlen))) {
		unlock_data_dir(s);
		return -1;
	}
	remove_stale_spool(cfg->data_dir);
	if (!(s->symbols = server_symbols_new(cfg->data_dir, cfg->symbol_path, s->store, err,
						errlen))) {
		db_store_free(s->store);
		unlock_data_dir(s);
		return -1;
	}
	if (!(s->jobs = jobs_create(s->store, cfg->ingest_workers, err, errlen))) {
		server_symbols_free(s->symbols);
		db_store_free(s->store);
		unlock_data_dir(s);
		return -1;
	}
	jobs_set_after_ingest(s->jobs, after_ingest, s);
	server_symbols_set_published(s->symbols, after_symbols, s);

	int nthreads = s->threads = cfg->threads > 0 ? cfg->threads : 16;
	snprintf(threads, sizeof threads, "%d", nthreads);
	/* A quarter of the workers may be busy receiving uploads and half may wait for request
	 * heads (init_connection); a quarter at least stays for readers. */
	limits_init(&s->limits, cfg->rate, cfg->burst, nthreads / 4, 2,
		    cfg->max_conns_ip > 0 ? cfg->max_conns_ip : nthreads, nthreads / 2);
	if (guard_start(&s->guard, cfg->min_upload_rate, cfg->upload_grace_s, threads_crowded,
			refuse_busy, s) != 0) {
		snprintf(err, errlen, "cannot start the upload watchdog");
		unlock_data_dir(s);
		jobs_destroy(s->jobs);
		s->jobs = NULL;
		server_symbols_free(s->symbols);
		s->symbols = NULL;
		db_store_free(s->store);
		s->store = NULL;
		limits_destroy(&s->limits);
		answers_clear(&s->answers);
		return -1;
	}
	int timeout_ms = (cfg->timeout_s > 0 ? cfg->timeout_s : 5) * 1000;
	snprintf(timeout, sizeof timeout, "%d", timeout_ms);
	s->keep_alive_ms = timeout_ms < SERVER_KEEP_ALIVE_MS ? timeout_ms : SERVER_KEEP_ALIVE_MS;
	snprintf(keep_alive, sizeof keep_alive, "%d", s->keep_alive_ms);
	/* civetweb marks TLS ports with a trailing 's'. */
	snprintf(listen, sizeof listen, "%s%s", cfg->listen, cfg->tls_cert ? "s" : "");
	const char *options[] = {
		"listening_ports", listen,
		"num_threads", threads,
		"enable_directory_listing", "no",
		"access_control_allow_origin", "",
		"access_control_allow_methods", "",
		"access_control_allow_headers", "",
		"max_request_size", "16384",
		/* Headers must be complete within it (from the first byte civetweb waits for),
		 * and any read or write that waits this long ends the connection. */
		"request_timeout_ms", timeout,
		/* Keep-alive saves a handshake per request (the pages make dozens), but a kept
		 * connection holds its worker thread until the next request: an idle one is
		 * closed after keep_alive (3 s, or --timeout when shorter), the next request's
		 * head must be complete within that time too, and connections are kept only
		 * while few are open (limits_keep_alive, http.c). */
		"enable_keep_alive", "yes",
		"keep_alive_timeout_ms", keep_alive,
		/* civetweb writes a response's head and body apart: on a kept connection Nagle
		 * holds the body back until the head's delayed ACK (40 ms per small answer). */
		"tcp_nodelay", "1",
		/* Paths stay as sent: "%00" or "%2F" can never shorten or split an id. */
		"decode_url", "no",
		/* Anything civetweb writes without our handlers (see http_error) still says so. */
		"additional_header", "X-Content-Type-Options: nosniff\r\n"
				     "X-Frame-Options: DENY\r\n"
				     "Referrer-Policy: no-referrer\r\n"
				     "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
		NULL, NULL, /* ssl_certificate, when serving TLS */
		NULL,
	};
	if (cfg->tls_cert) {
		size_t n = 0;
		while (options[n])
			n++;
		options[n] = "ssl_certificate";
		options[n + 1] = cfg->tls_cert;
	}
	memset(&cb, 0, sizeof cb);
	cb.init_thread = thread_start;
	cb.exit_thread = thread_stop;
	cb.log_message = log_message;
	cb.begin_request = begin_request;
	cb.http_error = http_error;
	cb.init_connection = init_connection;
	cb.connection_close = connection_close;
	memset(&init, 0, sizeof init);
	init.callbacks = &cb;
	init.user_data = s;
	init.configuration_options = options;
	memset(&edata, 0, sizeof edata);
	edata.code = &ecode;
	edata.text = errtext;
	edata.text_buffer_size = sizeof errtext;

	/* TLS loads libssl by name at run time; if any function civetweb wants is missing
	 * (see server/tlsshim/) it reports no TLS here, and we refuse rather than crash later. */
	if (cfg->tls_cert && !(mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS)) {
		snprintf(err, errlen, "TLS is unavailable: libssl could not be loaded (install "
				      "libssl-dev; keep the tls/ folder beside the binary)");
		mg_exit_library();
		guard_stop(&s->guard);
		unlock_data_dir(s);
		jobs_destroy(s->jobs);
		s->jobs = NULL;
		server_symbols_free(s->symbols);
		s->symbols = NULL;
		db_store_free(s->store);
		s->store = NULL;
		limits_destroy(&s->limits);
		answers_clear(&s->answers);
		return -1;
	}
	if (!cfg->tls_cert)
		mg_init_library(0);
	if (cfg->stack_cache > 0)
		s->stk_cache = db_stk_cache_new((size_t)cfg->stack_cache, NULL, NULL);
	char werr[128];
	if (s->stk_cache && !(s->warm = server_warm_start(s->store, s->stk_cache, werr, sizeof werr)))
		fprintf(stderr, "etlscope: new runs' stacks are not warmed: %s\n", werr);
	server_memory_init();
	s->mg = mg_start2(&init, &edata);
	if (!s->mg) {
		server_warm_stop(s->warm);
		s->warm = NULL;
		db_stk_cache_free(s->stk_cache);
		s->stk_cache = NULL;
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen,
			 errtext[0] ? errtext : "unknown error");
		guard_stop(&s->guard);
		unlock_data_dir(s);
		jobs_destroy(s->jobs);
		s->jobs = NULL;
		server_symbols_free(s->symbols);
		s->symbols = NULL;
		db_store_free(s->store);
		s->store = NULL;
		limits_destroy(&s->limits);
		answers_clear(&s->answers);
		mg_exit_library();
		return -1;
	}
	mg_set_request_handler(s->mg, "/api/", routes_api, s);
	mg_set_request_handler(s->mg, "/", assets_handle, s);

	struct mg_server_port ports[4];
	int n = mg_get_server_ports(s->mg, 4, ports);
	s->port = n > 0 ? ports[0].port : 0;
	return 0;
}

void server_stop(struct server_ctx *s)
{
	if (s->mg)
		mg_stop(s->mg);
	s->mg = NULL;
	guard_stop(&s->guard);
	jobs_destroy(s->jobs);
	s->jobs = NULL;
	server_warm_stop(s->warm); /* after the jobs, which queue runs to it */
	s->warm = NULL;
	server_symbols_free(s->symbols);
	s->symbols = NULL;
	db_store_free(s->store); /* after everything that reads or writes runs */
	s->store = NULL;
	limits_destroy(&s->limits);
	/* how often a run answer with a body came from memory (a 304 asks for none) */
	uint64_t asked = s->answers.hits + s->answers.misses;
	if (asked)
		fprintf(stderr, "etlscope: kept answers: %llu of %llu run answers (%.0f %%)\n",
			(unsigned long long)s->answers.hits, (unsigned long long)asked,
			100.0 * (double)s->answers.hits / (double)asked);
	answers_clear(&s->answers);
	if (s->stk_cache) { /* every request has given its entries back (mg_stop) */
		struct db_stk_cache_stats st;
		db_stk_cache_stats(s->stk_cache, &st);
		fprintf(stderr, "etlscope: kept stack nodes: %llu loads, %llu hits, %llu evicted\n",
			(unsigned long long)st.loads, (unsigned long long)st.hits,
			(unsigned long long)st.evicted);
		db_stk_cache_free(s->stk_cache);
		s->stk_cache = NULL;
	}
	unlock_data_dir(s);
	mg_exit_library();
}
