/* db_stk_cache.h — runs' stack node arrays (db_stk_nodes.h) kept in memory for the server's
 * worker threads: a run's stack store never changes after ingest, and loading its nodes is
 * most of what a stack view that walks stacks costs (bench/README.md), so each run's arrays
 * are loaded once and shared.
 *
 * Keyed by (key, version): the run's public id and the version of the file the caller's
 * handle reads (db_reader_version; a new version, e.g. after symbol loading, is a new
 * entry, and the older versions of the key are dropped when it is kept). Bounded by bytes:
 * the kept entries' arrays take at most max_bytes, the least recently used evicted first;
 * a run whose arrays alone exceed it is not kept (the caller reads SQLite as without the
 * cache). Reference-counted: an entry evicted while requests use it stays valid until the
 * last gives it back, so memory may exceed max_bytes by the entries requests still hold.
 * Thread-safe: one mutex; an entry is loaded outside it, once — a request for an entry
 * being loaded waits for that load instead of starting its own. A background load
 * (db_stk_cache_warm, at a low CPU priority) is the exception: a request that would wait for
 * it asks it to stop (db_stk_cache_yield) and, once it has, loads the entry itself, so that
 * no request waits on a thread the scheduler serves last. */
#ifndef ETLSCOPE_DB_STK_CACHE_H
#define ETLSCOPE_DB_STK_CACHE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "db_stk_nodes.h"

#define DB_STK_CACHE_DEFAULT_MB 256
#define DB_STK_CACHE_KEY_MAX 64 /* longer keys are not kept */

/* How an entry is loaded: as db_stk_nodes_load (the default; tests give their own). */
typedef int (*db_stk_cache_load_fn)(void *ud, sqlite3 *db, int64_t run_id, size_t max_bytes,
				    struct db_stk_nodes *n);

struct db_stk_cache;
/* A cache of at most max_bytes (0: nothing is kept, every get answers 1); load NULL =
 * db_stk_nodes_load. NULL when out of memory. */
struct db_stk_cache *db_stk_cache_new(size_t max_bytes, db_stk_cache_load_fn load, void *ud);
/* Destroy the cache; every entry must have been given back. */
void db_stk_cache_free(struct db_stk_cache *c);
/* The arrays of run_id (read through db on a miss) for (key, version): 0 with *out set
 * (give it back with db_stk_cache_release), 1 when not kept (no stack store, larger than
 * the cache, ids not dense, key too long: read SQLite instead), -1 when loading failed (SQL
 * error, out of memory; the next get tries again). */
int db_stk_cache_get(struct db_stk_cache *c, sqlite3 *db, int64_t run_id, const char *key,
		     int64_t version, const struct db_stk_nodes **out);
void db_stk_cache_release(struct db_stk_cache *c, const struct db_stk_nodes *n);
/* As db_stk_cache_get, for a background thread that only wants the entry kept (nothing is
 * held after): 0 kept (now, or already), 1 not kept, -1 loading failed, 2 a request asked
 * for the entry while it loaded and its load was given up (db_stk_cache_yield). */
int db_stk_cache_warm(struct db_stk_cache *c, sqlite3 *db, int64_t run_id, const char *key,
		      int64_t version);
/* 1 when a request waits for a background load: its loader should stop (fail) soon — the
 * load's result is then discarded and the request loads the entry itself; else 0. Cheap
 * (an atomic read): for an SQLite progress handler. */
int db_stk_cache_yield(struct db_stk_cache *c);

struct db_stk_cache_stats {
	uint64_t hits;     /* gets served by a kept entry (or one being loaded); a warm that
			    * finds its entry is not one */
	uint64_t loads;    /* loads started */
	uint64_t evicted;  /* entries evicted for room or by a newer version */
	size_t bytes;      /* the kept entries' arrays */
	size_t entries;    /* kept entries (loading ones included) */
	size_t held;       /* entries requests hold (evicted ones included) */
	unsigned waiting;  /* gets waiting for a load */
};
void db_stk_cache_stats(struct db_stk_cache *c, struct db_stk_cache_stats *st);

#endif
