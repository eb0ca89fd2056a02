/* db_stk_prefilt.c — the stored aggregates that serve windows and CPU, process and thread
 * filters (see db_stacks.h, migration 16): module tree node counts per (dimension, key,
 * slice) and module butterflies per (dimension, key, slice), written once after ingest by
 * api_stacks_prefilt.c and summed over a selection's keys and slices at read time. Every
 * row is a count of samples, so sums over slices and over disjoint keys (a sample has one
 * CPU, one process and one thread) are exact. Inserts add to an existing row: the builder
 * flushes its bounded maps whenever they fill. */
#include <stdio.h>
#include <string.h>
#include "db_batch.h"
#include "db_stacks.h"

/* Prepare sql, bind v[0..n), step once: SQLITE_ROW, SQLITE_DONE, or another code. */
static int step_once(sqlite3 *db, const char *sql, const int64_t *v, int n)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(q, i + 1, v[i]);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc;
}

int db_stk_prefilt_begin(sqlite3 *db, int64_t run_id, struct db_batch *tree_ins,
			 struct db_batch *bf_ins)
{
	memset(tree_ins, 0, sizeof *tree_ins);
	memset(bf_ins, 0, sizeof *bf_ins);
	if (step_once(db, "DELETE FROM stk_prestored WHERE run_id=?", &run_id, 1) != SQLITE_DONE ||
	    step_once(db, "DELETE FROM stk_prefilt WHERE run_id=?", &run_id, 1) != SQLITE_DONE ||
	    step_once(db, "DELETE FROM stk_bfslice WHERE run_id=?", &run_id, 1) != SQLITE_DONE ||
	    db_batch_init(tree_ins, db, run_id,
			  "INSERT INTO stk_prefilt(run_id, mode, dim, key, slice, id, self) VALUES ",
			  6, " ON CONFLICT DO UPDATE SET self=self+excluded.self"))
		return -1;
	if (db_batch_init(bf_ins, db, run_id,
			  "INSERT INTO stk_bfslice(run_id, idle, dim, key, target, slice, kind,"
			  " other, value) VALUES ",
			  8, " ON CONFLICT DO UPDATE SET value=value+excluded.value")) {
		db_batch_clear(tree_ins);
		return -1;
	}
	return 0;
}

int db_stk_prefilt_put(struct db_batch *ins, int mode, int dim, int64_t key, int64_t slice,
		       int64_t id, int64_t self)
{
	const int64_t v[] = {mode, dim, key, slice, id, self};
	return db_batch_add(ins, v);
}

int db_stk_bfslice_put(struct db_batch *ins, int idle, int dim, int64_t key, int32_t target,
		       int64_t slice, int kind, int32_t other, int64_t value)
{
	const int64_t v[] = {idle, dim, key, target, slice, kind, other, value};
	return db_batch_add(ins, v);
}

int db_stk_prestored_put(sqlite3 *db, int64_t run_id, int what, int which)
{
	const int64_t v[] = {run_id, what, which};
	return step_once(db, "INSERT OR IGNORE INTO stk_prestored(run_id, what, which)"
			     " VALUES (?,?,?)", v, 3) == SQLITE_DONE ? 0 : -1;
}

int db_stk_prestored(sqlite3 *db, int64_t run_id, int what, int which)
{
	const int64_t v[] = {run_id, what, which};
	int rc = step_once(db, "SELECT 1 FROM stk_prestored WHERE run_id=? AND what=? AND"
			       " which=?", v, 3);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Step q (bound by the caller): cb2 per (int64, int64) row, or cb3 per (kind, other,
 * value) row. 0 or -1 with err set. */
static int rows(sqlite3 *db, sqlite3_stmt *q, int (*cb2)(void *ud, int64_t a, int64_t b),
		db_stk_prebfly_fn cb3, void *ud, char *err, size_t errlen)
{
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int stop = cb2 ? cb2(ud, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1))
			       : cb3(ud, sqlite3_column_int(q, 0), sqlite3_column_int(q, 1),
				     sqlite3_column_int64(q, 2));
		if (stop)
			break;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	snprintf(err, errlen, "reading stored counts: %s", sqlite3_errmsg(db));
	return -1;
}

int db_stk_prefilt_read(sqlite3 *db, int64_t run_id, int mode, int dim, int64_t key,
			int64_t lo, int64_t hi, int (*cb)(void *ud, int64_t id, int64_t self),
			void *ud, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	/* one row per (slice, node), in key order: the caller sums (a GROUP BY would sort) */
	if (sqlite3_prepare_v2(db, "SELECT id, self FROM stk_prefilt WHERE run_id=? AND"
				   " mode=? AND dim=? AND key=? AND slice BETWEEN ? AND ?", -1, &q,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading stored counts: %s", sqlite3_errmsg(db));
		return -1;
	}
	const int64_t v[] = {run_id, mode, dim, key, lo, hi};
	for (int i = 0; i < 6; i++)
		sqlite3_bind_int64(q, i + 1, v[i]);
	return rows(db, q, cb, NULL, ud, err, errlen);
}

int db_stk_bfslice_read(sqlite3 *db, int64_t run_id, int idle, int dim, int64_t key,
			int32_t target, int64_t lo, int64_t hi, db_stk_prebfly_fn cb, void *ud,
			char *err, size_t errlen)
{
	sqlite3_stmt *q;
	/* the target's rows, then the total's (target DB_STK_BF_NONE): one key range each,
	 * a row per slice — the caller sums */
	if (sqlite3_prepare_v2(db, "SELECT kind, other, value FROM stk_bfslice WHERE"
				   " run_id=?1 AND dim=?2 AND key=?3 AND target IN (?4, ?5) AND"
				   " slice BETWEEN ?6 AND ?7 AND (idle=0 OR ?8)", -1, &q,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading stored counts: %s", sqlite3_errmsg(db));
		return -1;
	}
	const int64_t v[] = {run_id, dim, key, target, DB_STK_BF_NONE, lo, hi, idle};
	for (int i = 0; i < 8; i++)
		sqlite3_bind_int64(q, i + 1, v[i]);
	return rows(db, q, NULL, cb, ud, err, errlen);
}
