/* server.c — starting and stopping civetweb with hardened options: loopback by default,
 * no document_root (every URL is answered by our handlers), CORS off, no directory
 * listing, bounded headers; one database connection per worker thread. */
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>
#include "db.h"
#include "jobs.h"
#include "server.h"
#include "symbols.h"

/* Worker threads get a database connection each (SQLite connections are per thread). */
static void *thread_start(const struct mg_context *ctx, int thread_type)
{
	struct server_ctx *s = mg_get_user_data(ctx);
	char err[256];
	if (thread_type != 1) /* 1 = request worker */
		return NULL;
	sqlite3 *db = db_open(s->cfg.db_path, DB_READWRITE, err, sizeof err);
	if (!db)
		fprintf(stderr, "etlscope: worker thread: %s\n", err);
	return db;
}

static void thread_stop(const struct mg_context *ctx, int thread_type, void *thread_pointer)
{
	if (thread_type == 1)
		db_close(thread_pointer);
}

/* Every request passes here first: a client over its rate gets 429 before any work. */
static int begin_request(struct mg_connection *conn)
{
	struct server_ctx *s = mg_get_user_data(mg_get_context(conn));
	const struct mg_request_info *ri = mg_get_request_info(conn);
	if (limits_request(&s->limits, ri->remote_addr, db_now_us()))
		return 0;
	http_send_error(conn, 429, "too many requests; slow down");
	return 429;
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

int server_start(struct server_ctx *s, const struct server_config *cfg, char *err,
		 size_t errlen)
{
	char threads[16], listen[300], errtext[256] = "";
	struct mg_callbacks cb;
	struct mg_init_data init;
	struct mg_error_data edata;
	unsigned ecode = 0;
	sqlite3 *db;

	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	/* Create and migrate the schema once, before any thread opens it. */
	if (!(db = db_open(cfg->db_path, DB_READWRITE, err, errlen)))
		return -1;
	db_purge_expired(db, db_now_us());
	db_close(db);
	remove_stale_spool(cfg->data_dir);
	if (!(s->symbols = server_symbols_new(cfg->data_dir, cfg->symbol_path, cfg->db_path, err,
						errlen)))
		return -1;
	if (!(s->jobs = jobs_create(cfg->db_path, err, errlen))) {
		server_symbols_free(s->symbols);
		return -1;
	}
	jobs_set_after_ingest(s->jobs, server_symbols_after_ingest, s->symbols);

	int nthreads = cfg->threads > 0 ? cfg->threads : 16;
	snprintf(threads, sizeof threads, "%d", nthreads);
	/* A quarter of the workers may be busy receiving uploads; the rest stay for readers. */
	limits_init(&s->limits, cfg->rate, cfg->burst, nthreads / 4, 2);
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
		"request_timeout_ms", "15000",
		"enable_keep_alive", "no",
		"additional_header", "X-Content-Type-Options: nosniff",
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
		jobs_destroy(s->jobs);
		s->jobs = NULL;
		server_symbols_free(s->symbols);
		s->symbols = NULL;
		limits_destroy(&s->limits);
		return -1;
	}
	if (!cfg->tls_cert)
		mg_init_library(0);
	s->mg = mg_start2(&init, &edata);
	if (!s->mg) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen,
			 errtext[0] ? errtext : "unknown error");
		jobs_destroy(s->jobs);
		s->jobs = NULL;
		server_symbols_free(s->symbols);
		s->symbols = NULL;
		limits_destroy(&s->limits);
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
	jobs_destroy(s->jobs);
	s->jobs = NULL;
	server_symbols_free(s->symbols);
	s->symbols = NULL;
	limits_destroy(&s->limits);
	mg_exit_library();
}
