/* db_stk_rows.c — the selected stored counts row by row, in the stack store's key order
 * (db_stacks.h, db_stk_rows): for callers that only add counts up (processes, threads,
 * samples by stack tag), so that nothing has to be grouped. db_stk_counts groups by node,
 * pid, tid (and slice), an order that is not the primary key's (run_id, slice, cpu, pid,
 * tid, node), so SQLite sorts every selected row in a temporary B-tree — 277 k rows of a
 * demo run cost ~0.3 s of CPU and a spill to a temporary file at each first visit of its
 * page; read in key order the same rows cost one scan. */
#include <stdio.h>
#include "db_etw.h"
#include "db_stacks.h"
#include "db_stk_nodes.h"

/* 1 when the row (cpu, pid, tid) is in f's CPU set, pid and tid lists and Idle choice */
static int keeps(const struct db_stk_filter *f, int64_t cpu, uint32_t pid, uint32_t tid)
{
	if (!f->idle && pid == 0 && tid != DB_STK_TID_INTERRUPTS)
		return 0;
	return db_stk_filter_cpu(f, cpu) && db_stk_filter_id(f->pids, f->npids, pid) &&
	       db_stk_filter_id(f->tids, f->ntids, tid);
}

/* The rows of sel (bound from ?4 on; run_id ?1, slice ?2, cpu ?3 bound here) through f's
 * test to cb: SQLITE_DONE at the end or when cb stops, else SQLite's error. */
static int emit(sqlite3_stmt *sel, const struct db_stk_filter *f, db_stk_count_fn cb, void *ud,
		int *stopped)
{
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		uint32_t pid = (uint32_t)sqlite3_column_int64(sel, 2);
		uint32_t tid = (uint32_t)sqlite3_column_int64(sel, 3);
		if (!keeps(f, sqlite3_column_int64(sel, 1), pid, tid))
			continue;
		if (cb(ud, sqlite3_column_int64(sel, 4), pid, tid, sqlite3_column_int64(sel, 0),
		       sqlite3_column_int64(sel, 5))) {
			*stopped = 1;
			return SQLITE_DONE;
		}
	}
	return rc;
}

/* Idle left out (f->idle 0): most rows of a mostly idle machine are Idle's (pid 0; 80 %
 * of a demo run's), so rather than reading past them, for each (slice, CPU) — the next one
 * found by a seek on the key — seek to pid 0's interrupt pseudo-thread and to pid > 0. */
static const char *const BUSY_SQL[3] = {
	"SELECT slice, cpu FROM stk_counts WHERE run_id=?1 AND (slice, cpu) > (?2, ?3)"
	" AND slice <= ?4 ORDER BY slice, cpu LIMIT 1",
	"SELECT slice, cpu, pid, tid, node, n FROM stk_counts WHERE run_id=?1 AND slice=?2"
	" AND cpu=?3 AND pid=0 AND tid=?4",
	"SELECT slice, cpu, pid, tid, node, n FROM stk_counts WHERE run_id=?1 AND slice=?2"
	" AND cpu=?3 AND pid>0",
};

static int rows_busy(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f, int64_t lo,
		     int64_t hi, db_stk_count_fn cb, void *ud)
{
	sqlite3_stmt *q[3] = {0};
	int rc = SQLITE_DONE, stopped = 0;
	for (int i = 0; i < 3 && rc == SQLITE_DONE; i++)
		if (sqlite3_prepare_v2(db, BUSY_SQL[i], -1, &q[i], NULL) != SQLITE_OK)
			rc = SQLITE_ERROR;
	for (int64_t slice = lo, cpu = -1; rc == SQLITE_DONE && !stopped;) {
		sqlite3_reset(q[0]);
		sqlite3_bind_int64(q[0], 1, run_id);
		sqlite3_bind_int64(q[0], 2, slice);
		sqlite3_bind_int64(q[0], 3, cpu);
		sqlite3_bind_int64(q[0], 4, hi);
		int st = sqlite3_step(q[0]);
		if (st != SQLITE_ROW) {
			rc = st;
			break;
		}
		slice = sqlite3_column_int64(q[0], 0);
		cpu = sqlite3_column_int64(q[0], 1);
		for (int i = 1; i < 3 && rc == SQLITE_DONE && !stopped; i++) {
			sqlite3_reset(q[i]);
			sqlite3_bind_int64(q[i], 1, run_id);
			sqlite3_bind_int64(q[i], 2, slice);
			sqlite3_bind_int64(q[i], 3, cpu);
			if (i == 1)
				sqlite3_bind_int64(q[i], 4, DB_STK_TID_INTERRUPTS);
			rc = emit(q[i], f, cb, ud, &stopped);
		}
	}
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(q[i]);
	return rc;
}

int db_stk_rows(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f,
		db_stk_count_fn cb, void *ud, char *err, size_t errlen)
{
	int64_t lo, hi;
	db_stk_slice_range(f, &lo, &hi);
	int rc, stopped = 0;
	if (!f->idle) {
		rc = rows_busy(db, run_id, f, lo, hi, cb, ud);
	} else {
		/* the window's slices are a range of the primary key: no temporary B-tree */
		sqlite3_stmt *q;
		rc = sqlite3_prepare_v2(db, "SELECT slice, cpu, pid, tid, node, n FROM stk_counts"
					    " WHERE run_id=?1 AND slice BETWEEN ?2 AND ?3", -1, &q,
					NULL) != SQLITE_OK ? SQLITE_ERROR : SQLITE_DONE;
		if (rc == SQLITE_DONE) {
			sqlite3_bind_int64(q, 1, run_id);
			sqlite3_bind_int64(q, 2, lo);
			sqlite3_bind_int64(q, 3, hi);
			rc = emit(q, f, cb, ud, &stopped);
			sqlite3_finalize(q);
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading stacks: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int64_t db_stk_run_nodes(sqlite3 *db, int64_t run_id)
{
	int64_t nn = -1, nf;
	return db_stk_nodes_count(db, run_id, &nn, &nf) == 0 ? nn : -1;
}
