/* db_stk_rows.c — the selected stored counts record by record, in the stack store's key
 * order (slice, cpu, pid, tid, node: db_stacks.h, db_stk_rows): for callers that only add
 * counts up (processes, threads, samples by stack tag), so that nothing has to be grouped.
 * db_stk_counts groups by node, pid, tid (and slice), which needs a sort of every selected
 * record; read in key order the same records cost one scan of the window's blobs. */
#include <stdio.h>
#include "db_etw.h"
#include "db_stacks.h"
#include "db_stk_blobs.h"
#include "db_stk_nodes.h"

/* 1 when the row (cpu, pid, tid) is in f's CPU set, pid and tid lists and Idle choice */
static int keeps(const struct db_stk_filter *f, int64_t cpu, uint32_t pid, uint32_t tid)
{
	if (!f->idle && pid == 0 && tid != DB_STK_TID_INTERRUPTS)
		return 0;
	return db_stk_filter_cpu(f, cpu) && db_stk_filter_id(f->pids, f->npids, pid) &&
	       db_stk_filter_id(f->tids, f->ntids, tid);
}

struct rows {
	const struct db_stk_filter *f;
	db_stk_count_fn cb;
	void *ud;
};

static int row(void *ud, int64_t slice, int64_t cpu, const struct db_stkblob_rec *r)
{
	struct rows *w = ud;
	if (!keeps(w->f, cpu, r->pid, r->tid))
		return 0;
	return w->cb(w->ud, r->node, r->pid, r->tid, slice, r->n);
}

int db_stk_rows(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f,
		db_stk_count_fn cb, void *ud, char *err, size_t errlen)
{
	int64_t lo, hi;
	db_stk_slice_range(f, &lo, &hi);
	/* the window's slices are a range of the blobs' index; a CPU outside f's set is
	 * skipped before its blob is decoded */
	struct rows w = {f, cb, ud};
	return db_stk_blobs_scan(db, run_id, lo, hi, f->cpu_words, row, &w, err, errlen);
}

int64_t db_stk_run_nodes(sqlite3 *db, int64_t run_id)
{
	int64_t nn = -1, nf;
	return db_stk_nodes_count(db, run_id, &nn, &nf) == 0 ? nn : -1;
}
