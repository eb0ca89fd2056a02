/* test_stk_pfsort.c — the slice pass's sorted row buffer (api/api_stacks_pfsort.c): rows come
 * back in primary-key order (signed, column by column, as SQLite orders integers: the whole
 * run's slice -1 before slice 0), equal keys summed into one row, short rows zero-filled, and
 * "full" reported exactly at capacity. Expected rows are sorted and summed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "api/api_stacks_pfsort.h"

struct row {
	int ncols;
	int64_t k[API_STK_PFSORT_COLS];
	int64_t v;
};

struct pfsort_case {
	const char *name;
	struct row in[8];
	int nin;
	struct row want[8]; /* all 7 columns, as stored */
	int nwant;
};

static const struct pfsort_case cases[] = {
	{"stk_prefilt rows: mode, dim, key, slice, id",
	 {{5, {1, 2, 7, 3, 10}, 4},
	  {5, {1, 1, 9, -1, 5}, 2},
	  {5, {1, 2, 7, 3, 10}, 1},
	  {5, {0, 3, 1, 0, 0}, 6},
	  {5, {1, 1, 9, -1, 4}, 3},
	  {5, {1, 2, 7, -1, 10}, 5}},
	 6,
	 {{5, {0, 3, 1, 0, 0}, 6},
	  {5, {1, 1, 9, -1, 4}, 3},
	  {5, {1, 1, 9, -1, 5}, 2},
	  {5, {1, 2, 7, -1, 10}, 5},  /* the whole run (-1) before slice 3 */
	  {5, {1, 2, 7, 3, 10}, 5}}, /* 4 + 1 */
	 5},
	{"stk_bfslice rows: only the last column differs; a negative target",
	 {{7, {2, 40, 5, 8, 0, 3, 2}, 7},
	  {7, {2, 40, 5, 8, 0, 3, 1}, 1},
	  {7, {2, 40, -2, 8, 0, 0, -2}, 9},
	  {7, {2, 40, 5, 8, 0, 3, 2}, 2}},
	 4,
	 {{7, {2, 40, -2, 8, 0, 0, -2}, 9},
	  {7, {2, 40, 5, 8, 0, 3, 1}, 1},
	  {7, {2, 40, 5, 8, 0, 3, 2}, 9}}, /* 7 + 2 */
	 3},
	{"one row", {{5, {3, 1, 1, 1, 1}, 1}}, 1, {{5, {3, 1, 1, 1, 1}, 1}}, 1},
	{"no rows", {{0}}, 0, {{0}}, 0},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct pfsort_case *t = &cases[c];
		struct api_stk_pfsort b;
		assert_int_equal(api_stk_pfsort_init(&b, 16), 0);
		for (int i = 0; i < t->nin; i++)
			assert_int_equal(api_stk_pfsort_add(&b, t->in[i].k, t->in[i].ncols, t->in[i].v), 0);
		size_t n = api_stk_pfsort_sort(&b);
		print_message("%s\n", t->name);
		assert_int_equal(n, (size_t)t->nwant);
		assert_int_equal(b.n, (size_t)t->nwant);
		for (int i = 0; i < t->nwant; i++) {
			assert_memory_equal(b.r[i].k, t->want[i].k, sizeof b.r[i].k);
			assert_int_equal(b.r[i].v, t->want[i].v);
		}
		api_stk_pfsort_clear(&b);
		assert_null(b.r);
	}
}

/* "full" at exactly cap rows; reset empties it for reuse */
static void test_full(void **state)
{
	(void)state;
	struct api_stk_pfsort b;
	const int64_t k[] = {1, 2, 3};
	assert_int_equal(api_stk_pfsort_init(&b, 3), 0);
	assert_int_equal(api_stk_pfsort_add(&b, k, 3, 1), 0);
	assert_int_equal(api_stk_pfsort_add(&b, k, 3, 1), 0);
	assert_int_equal(api_stk_pfsort_add(&b, k, 3, 1), 1);
	assert_int_equal(api_stk_pfsort_sort(&b), 1);
	assert_int_equal(b.r[0].v, 3);
	api_stk_pfsort_reset(&b);
	assert_int_equal(b.n, 0);
	assert_int_equal(api_stk_pfsort_add(&b, k, 3, 1), 0);
	api_stk_pfsort_clear(&b);
}

/* A short row reusing a slot that held a long one is zero-filled past its columns: the two
 * short rows below are one key (5 columns then 0, 0), whatever the slots held before. */
static void test_short_rows_zero_filled(void **state)
{
	(void)state;
	struct api_stk_pfsort b;
	const int64_t long_row[] = {1, 1, 1, 1, 1, 9, 9}, short_row[] = {1, 1, 1, 1, 1};
	const int64_t want[API_STK_PFSORT_COLS] = {1, 1, 1, 1, 1, 0, 0};
	assert_int_equal(api_stk_pfsort_init(&b, 4), 0);
	api_stk_pfsort_add(&b, long_row, 7, 1);
	api_stk_pfsort_add(&b, long_row, 7, 1);
	api_stk_pfsort_reset(&b);
	api_stk_pfsort_add(&b, short_row, 5, 2);
	api_stk_pfsort_add(&b, short_row, 5, 3);
	assert_int_equal(api_stk_pfsort_sort(&b), 1);
	assert_memory_equal(b.r[0].k, want, sizeof want);
	assert_int_equal(b.r[0].v, 5);
	api_stk_pfsort_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_short_rows_zero_filled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
