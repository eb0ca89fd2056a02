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

static int cpu_in(const struct db_stk_filter *f, int64_t cpu)
{
	return !f->cpu_words || (cpu >= 0 && cpu < DB_MAX_CPUS &&
				 (f->cpu_words[cpu / 64] >> (cpu % 64) & 1));
}

/* Add q's rows (cpu, pid, tid, node, n; bound, stepped to the end) to sum[1..nn]: 0, 1 when
 * a node id is out of range, -1 on an SQL error */
static int add_rows(sqlite3_stmt *q, const struct db_stk_filter *f, int64_t *sum, int64_t nn)
{
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!cpu_in(f, sqlite3_column_int64(q, 0)) ||
		    !id_in(f->pids, f->npids, (uint32_t)sqlite3_column_int64(q, 1)) ||
		    !id_in(f->tids, f->ntids, (uint32_t)sqlite3_column_int64(q, 2)))
			continue;
		int64_t node = sqlite3_column_int64(q, 3);
		if (node < 1 || node > nn)
			return 1;
		sum[node] += sqlite3_column_int64(q, 4);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Idle left out: most rows of a busy machine's slice are Idle (pid 0, 80 % of the field
 * story's samples), so rather than reading past them, per slice and CPU (the next CPU
 * found by a seek) seek to the rows of pid > 0 and to pid 0's interrupt pseudo-thread
 * (pids are stored as unsigned 32-bit values: never below 0). */
static const char *const BUSY_SQL[3] = {
	"SELECT cpu FROM stk_counts WHERE run_id=?1 AND slice=?2 AND cpu>?3 ORDER BY cpu LIMIT 1",
	"SELECT cpu, pid, tid, node, n FROM stk_counts WHERE run_id=?1 AND slice=?2 AND cpu=?3"
	" AND pid>0",
	"SELECT cpu, pid, tid, node, n FROM stk_counts WHERE run_id=?1 AND slice=?2 AND cpu=?3"
	" AND pid=0 AND tid=?4",
};

static int scan_busy(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f, int64_t lo,
		     int64_t hi, int64_t *sum, int64_t nn)
{
	sqlite3_stmt *q[3] = {0};
	int rc = 0;
	for (int i = 0; i < 3 && !rc; i++)
		rc = sqlite3_prepare_v2(db, BUSY_SQL[i], -1, &q[i], NULL) != SQLITE_OK ? -1 : 0;
	if (!rc && hi == INT64_MAX) { /* an open window ends at the run's last slice */
		sqlite3_stmt *m;
		hi = -1;
		rc = sqlite3_prepare_v2(db, "SELECT max(slice) FROM stk_counts WHERE run_id=?", -1, &m,
					NULL) != SQLITE_OK ? -1 : 0;
		if (!rc) {
			sqlite3_bind_int64(m, 1, run_id);
			if (sqlite3_step(m) == SQLITE_ROW && sqlite3_column_type(m, 0) != SQLITE_NULL)
				hi = sqlite3_column_int64(m, 0);
			sqlite3_finalize(m);
		}
	}
	for (int64_t s = lo; !rc && s <= hi; s++) {
		for (int64_t cpu = -1; !rc;) {
			sqlite3_reset(q[0]);
			sqlite3_bind_int64(q[0], 1, run_id);
			sqlite3_bind_int64(q[0], 2, s);
			sqlite3_bind_int64(q[0], 3, cpu);
			int st = sqlite3_step(q[0]);
			if (st != SQLITE_ROW) {
				rc = st == SQLITE_DONE ? 0 : -1;
				break;
			}
			cpu = sqlite3_column_int64(q[0], 0);
			if (!cpu_in(f, cpu))
				continue;
			for (int i = 1; i < 3 && !rc; i++) {
				sqlite3_reset(q[i]);
				sqlite3_bind_int64(q[i], 1, run_id);
				sqlite3_bind_int64(q[i], 2, s);
				sqlite3_bind_int64(q[i], 3, cpu);
				if (i == 2)
					sqlite3_bind_int64(q[i], 4, DB_STK_TID_INTERRUPTS);
				rc = add_rows(q[i], f, sum, nn);
			}
		}
	}
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(q[i]);
	return rc;
}

/* Sum the selected rows into sum[1..nn]: 0, 1 when a node id is out of range, -1 */
static int scan(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f, int64_t *sum,
		int64_t nn, char *err, size_t errlen)
{
	int64_t lo, hi;
	db_stk_slice_range(f, &lo, &hi);
	int rc;
	if (!f->idle) {
		rc = scan_busy(db, run_id, f, lo, hi, sum, nn);
	} else {
		/* the primary key (run_id, slice, cpu, pid, tid, node) gives the window's rows in
		 * order: no temporary B-tree; the CPU, pid and tid sets are tested here */
		sqlite3_stmt *q;
		rc = sqlite3_prepare_v2(db, "SELECT cpu, pid, tid, node, n FROM stk_counts WHERE"
					    " run_id=? AND slice BETWEEN ? AND ?", -1, &q,
					NULL) != SQLITE_OK ? -1 : 0;
		if (!rc) {
			sqlite3_bind_int64(q, 1, run_id);
			sqlite3_bind_int64(q, 2, lo);
			sqlite3_bind_int64(q, 3, hi);
			rc = add_rows(q, f, sum, nn);
			sqlite3_finalize(q);
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "reading stacks: %s", sqlite3_errmsg(db));
	return rc;
}

int db_stk_leaf_sums(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f,
		     struct db_stk_reader *r, db_stk_count_fn cb, void *ud, char *err,
		     size_t errlen)
{
	int64_t nn = db_stk_run_nodes(db, run_id);
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
