/* db_stk_totals.c — per-leaf sample totals of a run's stack store, built once after
 * ingest from the stored counts (stk_counts summed over slices, CPUs and threads, Idle
 * apart), so that a whole-run call tree reads one row per distinct stack instead of
 * grouping every (slice, CPU, thread, stack) count at each request. Used by db_stk_counts
 * for selections with no window, CPU, process or thread filter whose caller does not need
 * pids and tids (db_stk_filter.no_ids). Runs ingested before have no totals: the counts
 * are grouped as before. */
#include <stdio.h>
#include "db_stacks.h"

int db_stk_totals_build(sqlite3 *db, int64_t run_id)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "INSERT INTO stk_leaf_totals(run_id, idle, node, n)"
				   " SELECT run_id, " DB_STK_IDLE_SQL ", node, sum(n) FROM stk_counts"
				   " WHERE run_id=?1 GROUP BY " DB_STK_IDLE_SQL ", node", -1, &q,
				   NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
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
