/* db_stk_leaves.c — the selected stored counts summed per leaf node (see db_stacks.h), for
 * callers that ignore pids and tids (db_stk_filter.no_ids) under a window, CPU, process or
 * thread filter: one scan of the window's (slice, CPU, pid, tid, node) rows in key order,
 * summed into an array indexed by node id, given back in node order. db_stk_counts answers
 * the same by a GROUP BY node, pid, tid, which has SQLite sort every selected row (about
 * half of a 10 s window's time by frame, bench/README.md "Window by frame"), and gives a
 * stack once per thread that ran it. Node ids are dense from 1 (the store numbers them), so
 * the array is n_nodes counts: bounded by DB_STK_LEAF_MAX_NODES, beyond which, or on an id
 * out of range, the caller groups with db_stk_counts instead. */
#include <stdio.h>
#include <stdlib.h>
#include "db_etw.h"
#include "db_stacks.h"

/* pid / tid in ids (k of them, 0 = all) */
static int id_in(const uint32_t *ids, unsigned k, uint32_t id)
{
	if (!k)
		return 1;
	for (unsigned i = 0; i < k; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static int64_t run_nodes(sqlite3 *db, int64_t run_id)
{
	sqlite3_stmt *q;
	int64_t nn = -1;
	if (sqlite3_prepare_v2(db, "SELECT n_nodes FROM stk_runs WHERE run_id=?", -1, &q, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	if (sqlite3_step(q) == SQLITE_ROW)
		nn = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return nn;
}

/* Sum the selected rows into sum[1..nn]: 0, 1 when a node id is out of range, -1 */
static int scan(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f, int64_t *sum,
		int64_t nn, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	/* the primary key (run_id, slice, cpu, pid, tid, node) gives the window's rows in order:
	 * no temporary B-tree; the CPU, pid and tid sets are tested here */
	if (sqlite3_prepare_v2(db, f->idle ? "SELECT cpu, pid, tid, node, n FROM stk_counts WHERE"
					     " run_id=? AND slice BETWEEN ? AND ?"
					   : "SELECT cpu, pid, tid, node, n FROM stk_counts WHERE"
					     " run_id=? AND slice BETWEEN ? AND ? AND NOT "
					     DB_STK_IDLE_SQL, -1, &q, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading stacks: %s", sqlite3_errmsg(db));
		return -1;
	}
	int64_t lo, hi;
	db_stk_slice_range(f, &lo, &hi);
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int64(q, 2, lo);
	sqlite3_bind_int64(q, 3, hi);
	int rc, out = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		unsigned cpu = (unsigned)sqlite3_column_int(q, 0);
		if (f->cpu_words && (cpu >= DB_MAX_CPUS || !(f->cpu_words[cpu / 64] >> (cpu % 64) & 1)))
			continue;
		if (!id_in(f->pids, f->npids, (uint32_t)sqlite3_column_int64(q, 1)) ||
		    !id_in(f->tids, f->ntids, (uint32_t)sqlite3_column_int64(q, 2)))
			continue;
		int64_t node = sqlite3_column_int64(q, 3);
		if (node < 1 || node > nn) {
			out = 1;
			break;
		}
		sum[node] += sqlite3_column_int64(q, 4);
	}
	if (!out && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading stacks: %s", sqlite3_errmsg(db));
		out = -1;
	}
	sqlite3_finalize(q);
	return out;
}

int db_stk_leaf_sums(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f,
		     struct db_stk_reader *r, db_stk_count_fn cb, void *ud, char *err,
		     size_t errlen)
{
	int64_t nn = run_nodes(db, run_id);
	if (nn < 1 || nn > DB_STK_LEAF_MAX_NODES)
		return 1;
	int64_t *sum = calloc((size_t)nn + 1, sizeof *sum);
	if (!sum) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = scan(db, run_id, f, sum, nn, err, errlen);
	int64_t distinct = 0;
	for (int64_t i = 1; !rc && i <= nn; i++)
		distinct += sum[i] != 0;
	/* a node looked up in SQLite costs about ten times its share of the preload's scan, and
	 * a stack looks up its uncached prefix: at 1/64 of the run's nodes, load them all */
	if (!rc && r && distinct >= nn / 64)
		db_stk_reader_preload(r); /* on failure, nodes are looked up one by one */
	for (int64_t i = 1; !rc && i <= nn; i++)
		if (sum[i] && cb(ud, i, 0, 0, 0, sum[i]))
			break;
	free(sum);
	return rc;
}
