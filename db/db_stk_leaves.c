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

struct sums {
	int64_t *sum, nn;
	int out_of_range;
};

static int add_row(void *ud, int64_t node, uint32_t pid, uint32_t tid, int64_t slice, int64_t n)
{
	struct sums *s = ud;
	(void)pid;
	(void)tid;
	(void)slice;
	if (node < 1 || node > s->nn) {
		s->out_of_range = 1;
		return 1;
	}
	s->sum[node] += n;
	return 0;
}

/* Sum the selected rows (db_stk_rows: in key order, Idle's rows skipped by seeks when left
 * out) into sum[1..nn]: 0, 1 when a node id is out of range, -1 */
static int scan(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f, int64_t *sum,
		int64_t nn, char *err, size_t errlen)
{
	struct sums s = {sum, nn, 0};
	if (db_stk_rows(db, run_id, f, add_row, &s, err, errlen))
		return -1;
	return s.out_of_range;
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
