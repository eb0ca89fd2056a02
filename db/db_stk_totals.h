/* db_stk_totals.h — internal: the stack store's per-leaf totals as it writes them
 * (db_stk_totals.c; read with db_stk_totals_counts, db_stacks.h). */
#ifndef ETLSCOPE_DB_STK_TOTALS_H
#define ETLSCOPE_DB_STK_TOTALS_H

#include <sqlite3.h>
#include <stdint.h>
#include "db_batch.h"
#include "db_stk_map.h"

/* Sums per (idle, leaf node) in a bounded map, upserted into stk_leaf_totals whenever it
 * fills and at the end. */
struct db_stk_totals {
	struct stk_map m;
	struct db_batch ins;
};

/* Inside the ingest transaction; t zeroed by the caller. 0, or -1 (ENOMEM or SQL error:
 * db_stk_totals_clear t still). */
int db_stk_totals_begin(struct db_stk_totals *t, sqlite3 *db, int64_t run_id);
/* Add n samples of leaf node (idle: Idle time, DB_STK_IDLE_SQL): 0, or -1 (SQL error). */
int db_stk_totals_add(struct db_stk_totals *t, int idle, int64_t node, int64_t n);
/* Write what is accumulated: 0, or -1 (SQL error). */
int db_stk_totals_flush(struct db_stk_totals *t);
void db_stk_totals_clear(struct db_stk_totals *t);

#endif
