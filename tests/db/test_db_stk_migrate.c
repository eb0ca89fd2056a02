/* test_db_stk_migrate.c — migration 19 (db/db_stk_blobs.c): a run file written before it,
 * its stack counts as rows of stk_counts (the SQL of migration 10, user_version 18), is
 * repacked into one blob per (run, slice, CPU), the old table dropped, and the stack
 * readers (db_stk_counts grouped with each filter, db_stk_rows in key order) answer with
 * the counts worked out by hand below; replaying the migrations (tests rewind
 * user_version) changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db/db.h"
#include "db/db_etw.h"
#include "db/db_stacks.h"
#include "db_test_file.h"
#include "tests/store/store_db.h"

#define RUN 7
#define IRQ 4294967294LL /* DB_STK_TID_INTERRUPTS: Idle's samples in a DPC or ISR */

/* the old rows: run, slice, cpu, pid, tid, node, n */
static const int64_t old_rows[][7] = {
	{RUN, 0, 0, 4, 8, 1, 3},     {RUN, 0, 0, 4, 8, 2, 5},   {RUN, 0, 0, 4, 12, 1, 2},
	{RUN, 0, 1, 0, 0, 3, 7},     {RUN, 0, 1, 0, IRQ, 2, 11}, {RUN, 2, 0, 900, 904, 1, 13},
	{RUN, 2, 1, 4, 8, 1, 17},    {RUN + 1, 0, 0, 4, 8, 1, 100},
};
#define NOLD (sizeof old_rows / sizeof old_rows[0])

struct got {
	int64_t r[16][5]; /* node, pid, tid, slice, n */
	size_t n;
};

static int on_count(void *ud, int64_t node, uint32_t pid, uint32_t tid, int64_t slice, int64_t n)
{
	struct got *g = ud;
	if (g->n < 16) {
		int64_t row[5] = {node, pid, tid, slice, n};
		memcpy(g->r[g->n], row, sizeof row);
	}
	g->n++;
	return 0;
}

static void write_old(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE stk_counts ("
		"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
		"  slice INTEGER NOT NULL, cpu INTEGER NOT NULL, pid INTEGER NOT NULL,"
		"  tid INTEGER NOT NULL, node INTEGER NOT NULL, n INTEGER NOT NULL,"
		"  PRIMARY KEY (run_id, slice, cpu, pid, tid, node)) WITHOUT ROWID;"
		"DROP TABLE stk_count_blobs; PRAGMA user_version=18;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO stk_counts VALUES (?,?,?,?,?,?,?)",
					    -1, &st, NULL), SQLITE_OK);
	for (size_t i = 0; i < NOLD; i++) {
		sqlite3_reset(st);
		for (int k = 0; k < 7; k++)
			sqlite3_bind_int64(st, k + 1, old_rows[i][k]);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
}

static const uint64_t cpu1[DB_MAX_CPUS / 64] = {2};

/* what the readers must answer, by hand from old_rows: groups by (node, pid, tid[, slice])
 * in that order, or (rows) the run's records in key order */
static const struct {
	const char *what;
	int64_t from_ms, to_ms;
	const uint64_t *cpus;
	uint32_t pid;
	int idle, by_slice, rows;
	size_t n;
	int64_t want[8][5];
} cases[] = {
	{"whole run", 0, -1, NULL, 0, 1, 0, 0, 6,
	 {{1, 4, 8, 0, 20}, {1, 4, 12, 0, 2}, {1, 900, 904, 0, 13}, {2, 0, IRQ, 0, 11},
	  {2, 4, 8, 0, 5}, {3, 0, 0, 0, 7}}},
	{"Idle left out", 0, -1, NULL, 0, 0, 0, 0, 5,
	 {{1, 4, 8, 0, 20}, {1, 4, 12, 0, 2}, {1, 900, 904, 0, 13}, {2, 0, IRQ, 0, 11},
	  {2, 4, 8, 0, 5}}},
	{"window: slice 2", 200, 300, NULL, 0, 1, 0, 0, 2, {{1, 4, 8, 0, 17}, {1, 900, 904, 0, 13}}},
	{"CPU 1", 0, -1, cpu1, 0, 1, 0, 0, 3, {{1, 4, 8, 0, 17}, {2, 0, IRQ, 0, 11}, {3, 0, 0, 0, 7}}},
	{"pid 4", 0, -1, NULL, 4, 1, 0, 0, 3, {{1, 4, 8, 0, 20}, {1, 4, 12, 0, 2}, {2, 4, 8, 0, 5}}},
	{"by slice", 0, -1, NULL, 0, 1, 1, 0, 7,
	 {{1, 4, 8, 0, 3}, {1, 4, 8, 2, 17}, {1, 4, 12, 0, 2}, {1, 900, 904, 2, 13},
	  {2, 0, IRQ, 0, 11}, {2, 4, 8, 0, 5}, {3, 0, 0, 0, 7}}},
	{"rows in key order", 0, -1, NULL, 0, 1, 0, 1, 7,
	 {{1, 4, 8, 0, 3}, {2, 4, 8, 0, 5}, {1, 4, 12, 0, 2}, {3, 0, 0, 0, 7}, {2, 0, IRQ, 0, 11},
	  {1, 900, 904, 2, 13}, {1, 4, 8, 2, 17}}},
	{"rows, Idle out, CPU 1", 0, -1, cpu1, 0, 0, 0, 1, 2, {{2, 0, IRQ, 0, 11}, {1, 4, 8, 2, 17}}},
};

static void check_answers(sqlite3 *db)
{
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct db_stk_filter f = {.from_ns = cases[c].from_ms * 1000000,
					  .to_ns = cases[c].to_ms < 0 ? INT64_MAX
								      : cases[c].to_ms * 1000000,
					  .cpu_words = cases[c].cpus, .idle = cases[c].idle};
		if (cases[c].pid) {
			f.pids[0] = cases[c].pid;
			f.npids = 1;
		}
		struct got g = {0};
		char err[256] = "";
		int rc = cases[c].rows ? db_stk_rows(db, RUN, &f, on_count, &g, err, sizeof err)
				       : db_stk_counts(db, RUN, &f, cases[c].by_slice, on_count, &g,
						       err, sizeof err);
		if (rc)
			fail_msg("%s: %s", cases[c].what, err);
		if (g.n != cases[c].n)
			fail_msg("%s: %zu rows, want %zu", cases[c].what, g.n, cases[c].n);
		for (size_t i = 0; i < g.n; i++)
			for (int k = 0; k < 5; k++)
				if (g.r[i][k] != cases[c].want[i][k])
					fail_msg("%s: row %zu column %d is %lld, want %lld",
						 cases[c].what, i, k, (long long)g.r[i][k],
						 (long long)cases[c].want[i][k]);
	}
}

static void test_migration_repacks(void **state)
{
	struct db_test_fx *fx = *state;
	sqlite3 *db = fx->db;
	write_old(db);
	char err[256] = "";
	if (db_migrate(db, err, sizeof err))
		fail_msg("migrate: %s", err);
	/* one blob per (run, slice, CPU): 4 of run 7, 1 of run 8; the old table gone */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM stk_count_blobs WHERE run_id=7"), 4);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM stk_count_blobs WHERE run_id=8"), 1);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM sqlite_master WHERE name='stk_counts'"), 0);
	check_answers(db);
	/* replayed: stk_counts comes back empty from migration 10, nothing moves twice */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=9", NULL, NULL, NULL), SQLITE_OK);
	if (db_migrate(db, err, sizeof err))
		fail_msg("migrate again: %s", err);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM stk_count_blobs"), 5);
	check_answers(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migration_repacks, db_test_fx_setup,
						db_test_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
