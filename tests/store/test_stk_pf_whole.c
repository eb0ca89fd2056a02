/* test_stk_pf_whole.c — the slice pass's whole-run module tree counts (api/api_stacks_prefilt.c)
 * are summed in a map that grows (up to PF_WHOLE_MAP_LOG2 slots) instead of being flushed
 * whenever 3,072 of them are held, and the flushed rows are merged in key order before the
 * insert (api_stacks_pfruns.c): each whole-run row reaches stk_prefilt once (no upsert
 * adding to it, counted by a TEMP trigger on UPDATE), and a selection past the bound, which
 * flushes, sums to the same counts. Built a second time as test_stk_pf_merges, with small
 * buffers merged every two (PF_SORT_ROWS, PF_RUNS_MAX): later merges then add to the rows
 * of earlier ones, and the counts must come out the same. Rows are fed by hand: per slice, one count of 1 for
 * every node 1..nodes, on CPU node % 2, in process 7, in thread node; so the whole run holds,
 * per node, one row per dimension (CPU, process, thread), each with self = slices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "api/api_stacks.h"
#include "store_db.h"

struct whole_case {
	const char *name;
	int slices, nodes;
	int64_t want_rows;       /* whole-run rows: 3 dimensions × nodes */
	int updated;             /* whether some whole-run row was added to (upsert) */
};

#ifdef PF_RUNS_MAX /* test_stk_pf_merges: a flush past the bound lands in a later merge */
#define PAST_BOUND_UPDATED 1
#else /* one merge at the end sums every flush of a row before its insert */
#define PAST_BOUND_UPDATED 0
#endif

static const struct whole_case cases[] = {
	/* 6,000 whole-run rows: past the 3,072 a 4 Ki map holds, within 2^16 × 3/4 */
	{"6,000 whole-run rows, 3 slices: each inserted once", 3, 2000, 6000, 0},
	{"one slice: nothing to add up", 1, 2000, 6000, 0},
	/* 60,000 whole-run rows: past the bound (49,152): flushed at it and again at the end */
	{"60,000 whole-run rows, 2 slices: past the bound, still summed", 2, 20000, 60000,
	 PAST_BOUND_UPDATED},
};

/* pf_begin: runs `setup` (the case's TEMP trigger), begins the transaction, adds a run and
 * starts the slice pass on it; the caller frees the pass and commits or rolls back. */
static struct api_stk_pf *pf_begin(sqlite3 *db, const char *setup)
{
	assert_int_equal(sqlite3_exec(db, setup, NULL, NULL, NULL), SQLITE_OK);
	int64_t run = begin_run(db);
	struct api_stk_pf *pf = NULL;
	assert_int_equal(api_stk_pf_begin(db, run, NULL, NULL, &pf), 0);
	return pf;
}

static void run_case(const struct whole_case *c)
{
	char path[64];
	sqlite3 *db = open_temp(path, sizeof path);
	struct api_stk_pf *pf = pf_begin(db, "CREATE TEMP TABLE ups(n);"
					 "CREATE TEMP TRIGGER u AFTER UPDATE ON main.stk_prefilt"
					 " WHEN new.slice = -1 BEGIN INSERT INTO ups VALUES (1); END;");
	const int mode = DB_STK_PRE_MODULE;
	for (int s = 0; s < c->slices; s++)
		for (int node = 1; node <= c->nodes; node++) {
			assert_int_equal(api_stk_pf_row(pf, s, (uint32_t)node % 2, 7, (uint32_t)node,
							0, 1), 0);
			assert_int_equal(api_stk_pf_tree(pf, mode, node), 0);
		}
	assert_int_equal(api_stk_pf_finish(pf, &mode, 1, DB_STK_PRE_IDLE), 0);
	api_stk_pf_free(pf);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);

	assert_int_equal(count_rows(db, "SELECT count(*) FROM stk_prefilt WHERE slice = -1"),
			 c->want_rows);
	/* every whole-run row: the node's one count in each slice */
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM stk_prefilt WHERE slice = -1 AND self <> %d",
		 c->slices);
	assert_int_equal(count_rows(db, sql), 0);
	/* the CPU rows: node % 2 as key; the thread rows: the node itself */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM stk_prefilt WHERE slice = -1 AND"
				     " ((dim = 1 AND key <> id % 2) OR (dim = 2 AND key <> 7) OR"
				     " (dim = 3 AND key <> id) OR dim NOT IN (1, 2, 3))"),
			 0);
	/* per slice: the same 3 rows per node, each of 1 */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM stk_prefilt WHERE slice >= 0"),
			 (int64_t)c->slices * 3 * c->nodes);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM stk_prefilt WHERE slice >= 0 AND"
				     " self <> 1"),
			 0);
	int64_t ups = count_rows(db, "SELECT count(*) FROM temp.ups");
	if (c->updated)
		assert_true(ups > 0);
	else
		assert_int_equal(ups, 0);
	sqlite3_close(db);
	remove_db(path);
}

static void test_whole_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		print_message("case: %s\n", cases[i].name);
		run_case(&cases[i]);
	}
}

/* A failed insert (a trigger refusing whole-run rows) is reported, not hidden. */
static void test_insert_fails(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = open_temp(path, sizeof path);
	struct api_stk_pf *pf = pf_begin(db, "CREATE TEMP TRIGGER no BEFORE INSERT ON main.stk_prefilt"
					 " WHEN new.slice = -1 BEGIN SELECT RAISE(ABORT, 'no'); END;");
	const int mode = DB_STK_PRE_MODULE;
	for (int node = 1; node <= 100; node++) {
		assert_int_equal(api_stk_pf_row(pf, 0, 0, 7, (uint32_t)node, 0, 1), 0);
		assert_int_equal(api_stk_pf_tree(pf, mode, node), 0);
	}
	assert_int_equal(api_stk_pf_finish(pf, &mode, 1, DB_STK_PRE_IDLE), -1);
	api_stk_pf_free(pf);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM stk_prefilt"), 0);
	sqlite3_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_rows),
		cmocka_unit_test(test_insert_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
