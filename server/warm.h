/* warm.h — loading a run's kept stacks (db_stk_cache.h) right after its ingest, so that the
 * first stack view of a fresh upload finds them in memory instead of paying the load
 * (~1 s of CPU for 3 M stored rows, bench/README.md). One background thread at the lowest
 * CPU priority (nice 19), at most one warm at a time and one waiting: a newer run replaces
 * a waiting one (the newest upload is the one a user opens next). A run is queued again
 * when the symbol job publishes a new version of it: that replaces its waiting warm, and
 * stops its warm in progress (which loads the old version). Runs whose arrays do not
 * fit the cache are left alone (the cache refuses them before reading their rows).
 * A request that needs the run while it is warmed does not wait behind this thread: the warm
 * gives up its load and the request loads at its own priority (db_stk_cache_yield).
 * Stopping interrupts a warm in progress (an SQLite progress handler): nothing is kept of
 * it, and the next request on the run loads as without the warmer. */
#ifndef ETLSCOPE_SERVER_WARM_H
#define ETLSCOPE_SERVER_WARM_H

#include <stddef.h>
#include <stdint.h>

struct db_store;
struct db_stk_cache;
struct server_warm;

/* The warmer of cache over store's runs; NULL when cache is NULL (nothing to warm) or on
 * failure (err set; the server runs without it). */
struct server_warm *server_warm_start(struct db_store *store, struct db_stk_cache *cache,
				      char *err, size_t errlen);
/* Warm run public_id (a copy is kept) once the thread is free; returns at once. */
void server_warm_queue(struct server_warm *w, const char *public_id);
/* Interrupt a warm in progress, drop a waiting one, join the thread and free w (NULL: no-op). */
void server_warm_stop(struct server_warm *w);

struct server_warm_stats {
	uint64_t warmed;   /* runs whose stacks a warm kept (or found kept) */
	uint64_t not_kept; /* warms that kept nothing: no stack store, too large, interrupted, failed */
	uint64_t yielded;  /* warms given up for a request that loaded the run itself */
	uint64_t dropped;  /* waiting runs replaced by a newer one, warms stopped by their run's
			    * newer version */
	int busy;          /* a warm is waiting or in progress */
};
void server_warm_stats(struct server_warm *w, struct server_warm_stats *st);

#endif
