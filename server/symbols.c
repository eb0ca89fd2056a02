/* symbols.c — the server's symbol sources and the symbol job (symbols.h). The job has its
 * own thread and writes each run's names into a new version of its file (db_store.h), so a
 * slow symbol server never holds up ingests or readers: the
 * ingest worker only queues the run (a bounded ring; a run that does not fit keeps its
 * modules "pending" and the drop is logged). Stopping cancels a download in progress.
 * Each version the job publishes is handed to the published hook (the kept-stacks warmer). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "background.h"
#include "db.h"
#include "db_store.h"
#include "db_symbols.h"
#include "sym_run.h"
#include "symbols.h"

#define QUEUE_RUNS 1024

struct server_symbols {
	sym_path path;  /* the upload directory, then --symbol-path */
	sym_path local; /* the upload directory alone */
	int any;       /* --symbol-path was given */
	char dir[4096];
	struct db_store *store;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t worker;
	int started, stopping;
	server_symbols_published_fn published; /* under mu */
	void *published_ctx;
	int64_t queue[QUEUE_RUNS];
	size_t head, count;
};

static int cancel_if_stopping(void *ctx, uint64_t now, uint64_t total)
{
	struct server_symbols *s = ctx;
	(void)now;
	(void)total;
	pthread_mutex_lock(&s->mu);
	int stop = s->stopping;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* One run of the job: its public id is read from the new version (for the published hook) */
struct job_run {
	struct server_symbols *s;
	char public_id[DB_PUBLIC_ID_LEN + 1];
};

/* Resolve every module of the run along the symbol path, in the run's new version. */
static int resolve_all(void *ud, sqlite3 *db, int64_t run, char *err, size_t errlen)
{
	struct job_run *jr = ud;
	struct server_symbols *s = jr->s;
	struct sym_run_stats st;
	sym_opts opts = {.progress = cancel_if_stopping, .ctx = s};
	db_run_public_id(db, run, jr->public_id, sizeof jr->public_id);
	return sym_run_resolve_hiding(db, run, -1, &s->path, &opts, s->dir, &st, err, errlen);
}

static void *worker_main(void *arg)
{
	struct server_symbols *s = arg;
	char err[256];
	server_background_thread("symbols", SERVER_NICE_SYMBOLS); /* behind the requests */
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		if (!s->count) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		int64_t run = s->queue[s->head];
		s->head = (s->head + 1) % QUEUE_RUNS;
		s->count--;
		server_symbols_published_fn published = s->published;
		void *published_ctx = s->published_ctx;
		pthread_mutex_unlock(&s->mu);
		struct job_run jr = {s, ""};
		int rc = db_store_run_modify(s->store, run, resolve_all, &jr, err, sizeof err);
		if (rc < 0)
			fprintf(stderr, "etlscope: symbol job: %s\n", err);
		else if (rc == 0 && published && jr.public_id[0]) /* a new version, and only then */
			published(published_ctx, jr.public_id);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct server_symbols *server_symbols_new(const char *data_dir, const char *symbol_path,
					  struct db_store *store, char *err, size_t errlen)
{
	struct server_symbols *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->store = store;
	if ((size_t)snprintf(s->dir, sizeof s->dir, "%s/symbols", data_dir) >= sizeof s->dir ||
	    (mkdir(s->dir, 0700) != 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create the symbol directory under %s", data_dir);
		free(s);
		return NULL;
	}
	size_t n = strlen(s->dir) + (symbol_path ? strlen(symbol_path) : 0) + 2;
	char *text = malloc(n);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	snprintf(text, n, "%s;%s", s->dir, symbol_path ? symbol_path : "");
	char perr[256];
	int rc = sym_path_parse(text, s->dir, &s->path, perr, sizeof perr);
	free(text);
	if (rc != 0) {
		snprintf(err, errlen, "--symbol-path: %s", perr);
		free(s);
		return NULL;
	}
	if (sym_path_parse(s->dir, NULL, &s->local, perr, sizeof perr) != 0) {
		snprintf(err, errlen, "symbol directory: %s", perr);
		server_symbols_free(s);
		return NULL;
	}
	s->any = symbol_path && *symbol_path;
	if (s->any) {
		if (pthread_create(&s->worker, NULL, worker_main, s) != 0) {
			snprintf(err, errlen, "cannot start the symbol job");
			server_symbols_free(s);
			return NULL;
		}
		s->started = 1;
	}
	return s;
}

void server_symbols_free(struct server_symbols *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->worker, NULL);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	sym_path_clear(&s->path);
	sym_path_clear(&s->local);
	free(s);
}

void server_symbols_set_published(struct server_symbols *s, server_symbols_published_fn fn,
				  void *ctx)
{
	pthread_mutex_lock(&s->mu);
	s->published = fn;
	s->published_ctx = ctx;
	pthread_mutex_unlock(&s->mu);
}

const char *server_symbols_dir(const struct server_symbols *s)
{
	return s->dir;
}

const sym_path *server_symbols_local(const struct server_symbols *s)
{
	return &s->local;
}

/* 1 if run is waiting in the queue (caller holds mu). */
static int queued(const struct server_symbols *s, int64_t run_id)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->queue[(s->head + i) % QUEUE_RUNS] == run_id)
			return 1;
	return 0;
}

static int set_pending(void *ud, sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
	(void)ud;
	return db_sym_set_pending(db, run_id, "queued to be looked up again", err, errlen);
}

int server_symbols_again(struct server_symbols *s, int64_t run_id, char *err, size_t errlen)
{
	if (!s->any)
		return 1;
	pthread_mutex_lock(&s->mu);
	int full = !queued(s, run_id) && s->count == QUEUE_RUNS;
	pthread_mutex_unlock(&s->mu);
	if (full) {
		snprintf(err, errlen, "the symbol job has %d runs waiting; try again later", QUEUE_RUNS);
		return -1;
	}
	/* Marked before it is queued, outside mu (the job holds the run's modify while it asks
	 * cancel_if_stopping for mu): a job that finishes before the mark is overwritten by
	 * "pending", but the run is queued after it, so a job always answers last. */
	int rc = db_store_run_modify(s->store, run_id, set_pending, NULL, err, errlen);
	if (rc != 0) {
		if (rc == 1)
			snprintf(err, errlen, "no such run");
		return -2;
	}
	pthread_mutex_lock(&s->mu);
	if (!queued(s, run_id) && s->count < QUEUE_RUNS) {
		s->queue[(s->head + s->count) % QUEUE_RUNS] = run_id;
		s->count++;
		pthread_cond_signal(&s->cv);
	} else if (!queued(s, run_id)) {
		fprintf(stderr, "etlscope: symbol job: queue full, run %lld keeps pending symbols\n",
			(long long)run_id);
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

struct local_resolve {
	struct server_symbols *s;
	struct sym_run_stats *stats;
};

static int resolve_local(void *ud, sqlite3 *db, int64_t run, char *err, size_t errlen)
{
	struct local_resolve *lr = ud;
	sym_opts opts = {0};
	return sym_run_resolve_hiding(db, run, -1, &lr->s->local, &opts, lr->s->dir, lr->stats,
				      err, errlen);
}

int server_symbols_local_resolve(struct server_symbols *s, int64_t run_id,
				 struct sym_run_stats *stats, char *err, size_t errlen)
{
	struct local_resolve lr = {s, stats};
	memset(stats, 0, sizeof *stats);
	return db_store_run_modify(s->store, run_id, resolve_local, &lr, err, errlen);
}

void server_symbols_queue(struct server_symbols *s, int64_t run_id)
{
	if (!s || !s->any)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->count < QUEUE_RUNS) {
		s->queue[(s->head + s->count) % QUEUE_RUNS] = run_id;
		s->count++;
		pthread_cond_signal(&s->cv);
	} else {
		fprintf(stderr, "etlscope: symbol job: queue full, run %lld keeps pending symbols\n",
			(long long)run_id);
	}
	pthread_mutex_unlock(&s->mu);
}
