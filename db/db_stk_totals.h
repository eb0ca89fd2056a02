/* db_stk_totals.h — internal: the stack store's per-leaf totals as it writes them
 * (db_stk_totals.c; read with db_stk_totals_counts, db_stacks.h). */
#ifndef ETLSCOPE_DB_STK_TOTALS_H
#define ETLSCOPE_DB_STK_TOTALS_H

#include <sqlite3.h>
#include <stdint.h>
#include "db_batch.h"
#include "db_stacks.h"
#include "db_stk_map.h"

/* Sums per (idle, leaf node) in a bounded map, upserted into stk_leaf_totals whenever it
 * fills and at the end. */
struct db_stk_totals {
	struct stk_map m;
	struct db_batch ins;
};

/* Inside the ingest transaction, with a map of 2^map_log2 slots (40 bytes each); t zeroed
 * by the caller. 0, or -1 (ENOMEM or SQL error: db_stk_totals_clear t still). */
int db_stk_totals_begin(struct db_stk_totals *t, sqlite3 *db, int64_t run_id, unsigned map_log2);
/* Add n samples of leaf node (idle: Idle time, DB_STK_IDLE_SQL): 0, or -1 (SQL error). */
int db_stk_totals_add(struct db_stk_totals *t, int idle, int64_t node, int64_t n);
/* Write what is accumulated: 0, or -1 (SQL error). */
int db_stk_totals_flush(struct db_stk_totals *t);
void db_stk_totals_clear(struct db_stk_totals *t);

/* The run's totals held in memory, in the order db_stk_totals_counts reads them (Idle
 * rows after the others, each part by node): a derive step that walks the whole run's
 * stacks many times (api_stacks_pre.c) reads them once. Packed as varints of the node's
 * step from the previous row's and of the count (~2 bytes a leaf of a random-frame trace),
 * held only up to DB_STK_HELD_MAX bytes. */
#define DB_STK_HELD_MAX (4 * 1024 * 1024)
struct db_stk_held {
	uint8_t *buf;
	size_t len, busy; /* bytes; bytes before the Idle rows */
};
/* 0 loaded into *h (db_stk_held_clear it), 1 not held (no totals, or too many: read with
 * db_stk_totals_counts), -1 SQL error or ENOMEM. */
int db_stk_held_load(struct db_stk_held *h, sqlite3 *db, int64_t run_id);
/* As db_stk_totals_counts over the held rows: cb per row, a non-zero return stops. */
void db_stk_held_each(const struct db_stk_held *h, int idle, db_stk_count_fn cb, void *ud);
void db_stk_held_clear(struct db_stk_held *h);

#endif
