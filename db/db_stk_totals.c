/* db_stk_totals.c — per-leaf sample totals of a run's stack store, built once after
 * ingest from the stored counts (stk_counts summed over slices, CPUs and threads, Idle
 * apart), so that a whole-run call tree reads one row per distinct stack instead of
 * grouping every (slice, CPU, thread, stack) count at each request. Used by db_stk_counts
 * for selections with no window, CPU, process or thread filter whose caller does not need
 * pids and tids (db_stk_filter.no_ids). Runs ingested before have no totals: the counts
 * are grouped as before. */
#include <stdio.h>
#include "db_batch.h"
#include "db_stacks.h"
#include "db_stk_map.h"

#define TOTALS_MAP_LOG2 16 /* 64 Ki slots (2.6 MB): distinct leaves summed between flushes */

/* Write every accumulated (idle, node) sum of m into the totals (added to a row an earlier
 * flush wrote) and empty m: 0 or -1. In multi-row upserts (db_batch.h): one statement per
 * 64 rows (issue 17: 7.6 k → see the commit instructions a row on the field story). */
static int totals_flush(struct db_batch *ins, struct stk_map *m)
{
	size_t n = stk_map_sorted(m);
	for (size_t i = 0; i < n; i++) {
		const struct stk_entry *e = &m->e[i];
		if (db_batch_add(ins, (const int64_t[]){(int64_t)e->k[0], (int64_t)e->k[1], e->v}))
			return -1;
	}
	stk_map_reset(m);
	return db_batch_flush(ins);
}

/* The sums are taken in a bounded map over one scan of the counts (flushed when full) rather
 * than by a GROUP BY: SQLite sorts every count row for that, in memory during an ingest
 * (temp_store=MEMORY), which grew with the trace (60 MB for 1.5 M rows, a 60 s trace). */
int db_stk_totals_build(sqlite3 *db, int64_t run_id)
{
	sqlite3_stmt *q = NULL;
	struct db_batch ins = {0};
	struct stk_map m = {0};
	int rc = -1, st;
	if (stk_map_init(&m, TOTALS_MAP_LOG2) ||
	    sqlite3_prepare_v2(db, "SELECT " DB_STK_IDLE_SQL ", node, n FROM stk_counts"
				   " WHERE run_id=?", -1, &q, NULL) != SQLITE_OK ||
	    db_batch_init(&ins, db, run_id, "INSERT INTO stk_leaf_totals(run_id, idle, node, n)"
			  " VALUES ", 3, " ON CONFLICT(run_id, idle, node) DO UPDATE SET"
			  " n=n+excluded.n"))
		goto done;
	sqlite3_bind_int64(q, 1, run_id);
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		if (stk_map_full(&m) && totals_flush(&ins, &m))
			goto done;
		stk_map_put(&m, (uint64_t)sqlite3_column_int64(q, 0),
			    (uint64_t)sqlite3_column_int64(q, 1), 0)->v += sqlite3_column_int64(q, 2);
	}
	if (st == SQLITE_DONE)
		rc = totals_flush(&ins, &m);
done:
	sqlite3_finalize(q);
	db_batch_clear(&ins);
	stk_map_free(&m);
	return rc;
}

int db_stk_totals_counts(sqlite3 *db, int64_t run_id, int idle, db_stk_count_fn cb, void *ud,
			 char *err, size_t errlen)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM stk_leaf_totals WHERE run_id=? LIMIT 1", -1, &q,
			       NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(q, 1, run_id);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return 1; /* no totals for this run */
	if (rc != SQLITE_ROW ||
	    /* in key order, no sort; with Idle a node may come twice (its two rows add up) */
	    sqlite3_prepare_v2(db, "SELECT node, n FROM stk_leaf_totals WHERE run_id=? AND"
				   " (idle=0 OR ?)", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int(q, 2, idle);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (cb(ud, sqlite3_column_int64(q, 0), 0, 0, 0, sqlite3_column_int64(q, 1)))
			break;
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
fail:
	snprintf(err, errlen, "reading stack totals: %s", sqlite3_errmsg(db));
	return -1;
}
