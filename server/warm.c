/* warm.c — the kept-stacks warmer (warm.h): one thread, a slot for the run it warms next,
 * and a stop flag that the warm's SQLite progress handler reads.
 *
 * Invariants (under mu): next[0] != 0 iff a run waits; cur[0] != 0 iff a run is warmed
 * (so the stats' busy is either, not kept apart); stop, once 1, stays 1, and
 * the thread takes no run after it; superseded is 1 only while cur's run was queued again
 * during its warm (a newer version of it, e.g. after the symbol job): the warm stops, and
 * the waiting one loads the run's current version. Once idle, every queued run was counted
 * exactly once: warmed + not_kept + yielded + dropped. */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "background.h"
#include "db.h"
#include "db_stk_cache.h"
#include "db_store.h"
#include "warm.h"

/* SQLite virtual machine steps between two looks at the stop flag */
#define WARM_PROGRESS_OPS 10000

struct server_warm {
	struct db_store *store;
	struct db_stk_cache *cache;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stop;
	atomic_int superseded;
	char next[DB_PUBLIC_ID_LEN + 1];
	char cur[DB_PUBLIC_ID_LEN + 1];
	struct server_warm_stats st;
};

/* The warm's SQLite progress handler: non-zero stops its load (at shutdown, when its run
 * was queued again, or when a request waits for it: db_stk_cache_yield) */
static int stopping(void *ud)
{
	struct server_warm *w = ud;
	return atomic_load(&w->stop) || atomic_load(&w->superseded) ||
	       db_stk_cache_yield(w->cache);
}

/* Load public_id's kept stacks through rd: db_stk_cache_warm's result, 1 when the run
 * cannot be read */
static int warm_one(struct server_warm *w, struct db_reader *rd, const char *public_id)
{
	char err[256];
	sqlite3 *db = db_run_open(rd, public_id, err, sizeof err);
	int64_t version = db_reader_version(rd);
	if (!db || version <= 0) /* requests on a run outside a file use no kept stacks */
		return 1;
	struct db_run run;
	if (db_run_get(db, public_id, &run) != 0)
		return 1;
	sqlite3_progress_handler(db, WARM_PROGRESS_OPS, stopping, w);
	int rc = db_stk_cache_warm(w->cache, db, run.id, public_id, version);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	db_run_clear(&run);
	/* The load read the run's whole stack tables: give back what it only passed through —
	 * the handle's page cache (the kept arrays hold the result) and the load's freed
	 * growth buffers, which malloc would otherwise keep resident (issue 17: ~7 MB per
	 * 31 MB upload, measured through /api/health's memory). */
	sqlite3_db_release_memory(db);
	malloc_trim(0);
	return rc;
}

static void *warm_main(void *arg)
{
	struct server_warm *w = arg;
	/* this thread only: requests come first */
	server_background_thread("warm", SERVER_NICE_WARM);
	char err[256], id[DB_PUBLIC_ID_LEN + 1];
	struct db_reader *rd = NULL;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!atomic_load(&w->stop) && !w->next[0])
			pthread_cond_wait(&w->cv, &w->mu);
		if (atomic_load(&w->stop))
			break;
		memcpy(id, w->next, sizeof id);
		memcpy(w->cur, w->next, sizeof w->cur);
		w->next[0] = '\0';
		atomic_store(&w->superseded, 0);
		pthread_mutex_unlock(&w->mu);
		if (!rd && !(rd = db_reader_new(w->store, err, sizeof err)))
			fprintf(stderr, "etlscope: warm: %s\n", err);
		int rc = rd ? warm_one(w, rd, id) : -1;
		pthread_mutex_lock(&w->mu);
		w->cur[0] = '\0';
		if (rc == 0)
			w->st.warmed++;
		else if (rc == 2)
			w->st.yielded++;
		else if (atomic_load(&w->superseded))
			w->st.dropped++; /* its run waits again */
		else
			w->st.not_kept++;
	}
	pthread_mutex_unlock(&w->mu);
	db_reader_free(rd);
	return NULL;
}

struct server_warm *server_warm_start(struct db_store *store, struct db_stk_cache *cache,
				      char *err, size_t errlen)
{
	if (!cache)
		return NULL;
	struct server_warm *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->store = store;
	w->cache = cache;
	atomic_init(&w->stop, 0);
	atomic_init(&w->superseded, 0);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, warm_main, w) != 0) {
		snprintf(err, errlen, "cannot start the stack warm thread");
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

void server_warm_queue(struct server_warm *w, const char *public_id)
{
	if (!w || strlen(public_id) > DB_PUBLIC_ID_LEN)
		return;
	pthread_mutex_lock(&w->mu);
	if (!atomic_load(&w->stop)) {
		if (w->next[0])
			w->st.dropped++;
		if (!strcmp(w->cur, public_id)) /* a newer version of the run in progress */
			atomic_store(&w->superseded, 1);
		strcpy(w->next, public_id);
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
}

void server_warm_stop(struct server_warm *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->stop, 1);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void server_warm_stats(struct server_warm *w, struct server_warm_stats *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	st->busy = w->next[0] || w->cur[0];
	pthread_mutex_unlock(&w->mu);
}
