/* db_stk_pretree.c — the pre-aggregated call trees and module butterflies of a run (see
 * db_stacks.h): one tree per
 * mode (frame or module grouping, top-down or inverted, Idle left out or kept), each node
 * with its inclusive and exclusive samples and its number of children, written once after
 * ingest (api_stacks_pre.c builds them with the API's own tree builder) and read back with
 * value >= min so that a request reads only the nodes it returns.
 *
 * Invariants the reader relies on: a node's value is at least each child's (every sample
 * of a child passes through its parent) and a parent's id is smaller than its children's
 * (ids are creation order); rows come in (value DESC, id) order, so a node's parent always
 * comes before it. */
#include <stdio.h>
#include "db_stacks.h"
#include "db_stk_blobs.h"

int db_stk_rows_begin(sqlite3 *db, int64_t run_id, const char *del, const char *insert,
		 sqlite3_stmt **ins)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, del, -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_prepare_v2(db, insert, -1, ins, NULL) == SQLITE_OK ? 0 : -1;
}

int db_stk_rows_put(sqlite3_stmt *ins, const int64_t *v, int n)
{
	sqlite3_reset(ins);
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(ins, i + 1, v[i]);
	return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

int db_stk_pretree_begin(sqlite3 *db, int64_t run_id, sqlite3_stmt **ins)
{
	return db_stk_rows_begin(db, run_id, "DELETE FROM stk_pretree WHERE run_id=?",
		     "INSERT INTO stk_pretree(run_id, mode, value, id, parent, module, sym_module,"
		     " offset, kernel, self, nchild) VALUES (?,?,?,?,?,?,?,?,?,?,?)", ins);
}

int db_stk_prebfly_begin(sqlite3 *db, int64_t run_id, sqlite3_stmt **ins)
{
	return db_stk_rows_begin(db, run_id, "DELETE FROM stk_prebfly WHERE run_id=?",
		     "INSERT INTO stk_prebfly(run_id, idle, target, kind, other, value)"
		     " VALUES (?,?,?,?,?,?)", ins);
}

int db_stk_prebfly_put(sqlite3_stmt *ins, int64_t run_id, int idle, int32_t target, int kind,
		       int32_t other, int64_t value)
{
	const int64_t v[] = {run_id, idle, target, kind, other, value};
	return db_stk_rows_put(ins, v, (int)(sizeof v / sizeof v[0]));
}

int db_stk_prebfly_read(sqlite3 *db, int64_t run_id, int idle, int32_t target,
			db_stk_prebfly_fn cb, void *ud, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT target, kind, other, value FROM stk_prebfly WHERE"
				   " run_id=?1 AND idle=?2 AND target IN (?3, ?4)", -1, &q,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading a stored butterfly: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int(q, 2, idle);
	sqlite3_bind_int(q, 3, target);
	sqlite3_bind_int(q, 4, DB_STK_BF_NONE);
	int rc, any = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		any |= sqlite3_column_int(q, 0) == DB_STK_BF_NONE;
		if (cb(ud, sqlite3_column_int(q, 1), sqlite3_column_int(q, 2),
		       sqlite3_column_int64(q, 3)))
			break;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading a stored butterfly: %s", sqlite3_errmsg(db));
		return -1;
	}
	return any ? 0 : 1; /* the total is stored with every butterfly */
}

int db_stk_pretree_put(sqlite3_stmt *ins, int64_t run_id, int mode,
		       const struct db_stk_prenode *n)
{
	const int64_t v[] = {run_id, mode, n->value, n->id, n->parent, n->module, n->sym_module,
			     (int64_t)n->offset, n->kernel, n->self, n->nchild};
	return db_stk_rows_put(ins, v, (int)(sizeof v / sizeof v[0]));
}

int db_stk_pretree_read(sqlite3 *db, int64_t run_id, int mode, double min_share,
			db_stk_prenode_fn cb, void *ud, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	/* the root holds the largest value: the first row in key order */
	if (sqlite3_prepare_v2(db, "SELECT value FROM stk_pretree WHERE run_id=? AND mode=?"
				   " ORDER BY value DESC LIMIT 1", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int(q, 2, mode);
	int rc = sqlite3_step(q);
	int64_t total = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return 1; /* no tree of this mode: ingested before them, or too large */
	if (rc != SQLITE_ROW ||
	    sqlite3_prepare_v2(db, "SELECT id, parent, module, sym_module, offset, kernel, value,"
				   " self, nchild FROM stk_pretree WHERE run_id=? AND mode=? AND"
				   " value >= ? ORDER BY value DESC, id", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int(q, 2, mode);
	/* the same double the tree's pruning compares with (min_share × total) */
	sqlite3_bind_double(q, 3, min_share * (double)total);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct db_stk_prenode n = {
			.id = sqlite3_column_int64(q, 0), .parent = sqlite3_column_int64(q, 1),
			.module = sqlite3_column_int(q, 2), .sym_module = sqlite3_column_int(q, 3),
			.offset = (uint64_t)sqlite3_column_int64(q, 4),
			.kernel = sqlite3_column_int(q, 5), .value = sqlite3_column_int64(q, 6),
			.self = sqlite3_column_int64(q, 7), .nchild = sqlite3_column_int64(q, 8),
		};
		if (cb(ud, &n))
			break;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
fail:
	snprintf(err, errlen, "reading the stored call tree: %s", sqlite3_errmsg(db));
	return -1;
}

struct slice_rows {
	db_stk_slice_row_fn cb;
	void *ud;
};

static int slice_row(void *ud, int64_t slice, int64_t cpu, const struct db_stkblob_rec *r)
{
	struct slice_rows *s = ud;
	return s->cb(s->ud, slice, r->node, r->pid == 0 && r->tid != DB_STK_TID_INTERRUPTS, r->n,
		     (uint32_t)cpu, r->pid, r->tid);
}

int db_stk_slice_rows(sqlite3 *db, int64_t run_id, db_stk_slice_row_fn cb, void *ud)
{
	/* the blobs in (slice, CPU) order: by slice, no sort */
	struct slice_rows s = {cb, ud};
	char err[256];
	return db_stk_blobs_scan(db, run_id, 0, INT64_MAX, NULL, slice_row, &s, err, sizeof err);
}

int db_stk_preslice_begin(sqlite3 *db, int64_t run_id, sqlite3_stmt **ins)
{
	return db_stk_rows_begin(db, run_id, "DELETE FROM stk_preslice WHERE run_id=?",
		     "INSERT INTO stk_preslice(run_id, mode, slice, id, self) VALUES (?,?,?,?,?)"
		     " ON CONFLICT DO UPDATE SET self=self+excluded.self", ins);
}

int db_stk_preslice_put(sqlite3_stmt *ins, int64_t run_id, int mode, int64_t slice, int64_t id,
			int64_t self)
{
	const int64_t v[] = {run_id, mode, slice, id, self};
	return db_stk_rows_put(ins, v, (int)(sizeof v / sizeof v[0]));
}

int db_stk_preslice_read(sqlite3 *db, int64_t run_id, int mode, int64_t lo, int64_t hi,
			 int (*cb)(void *ud, int64_t id, int64_t self), void *ud, char *err,
			 size_t errlen)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT id, sum(self) FROM stk_preslice WHERE run_id=? AND"
				   " mode=? AND slice BETWEEN ? AND ? GROUP BY id", -1, &q,
			       NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int(q, 2, mode);
	sqlite3_bind_int64(q, 3, lo);
	sqlite3_bind_int64(q, 4, hi);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (cb(ud, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1)))
			break;
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
fail:
	snprintf(err, errlen, "reading stored slice counts: %s", sqlite3_errmsg(db));
	return -1;
}
