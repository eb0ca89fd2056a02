/* test_stk_pfruns.c — the slice pass's sorted runs in a temporary file (api/api_stacks_pfruns.c):
 * the merge hands every key once, in key order (signed, column by column: a whole-run slice
 * -1 before slice 0), with the values of equal keys in different runs summed; runs longer
 * than the merge's read buffer are read in pieces; a callback's stop is returned; after a
 * merge the runs are gone and the file is reused. Expected rows are merged by hand, or for
 * the long runs by arithmetic on how they were made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "api/api_stacks_pfruns.h"

#define R(a, b, c, v) {{a, b, c, 0, 0, 0, 0}, v}

struct merge_case {
	const char *name;
	struct api_stk_pfrow run[3][6]; /* each sorted, keys unique within it */
	int n[3];
	struct api_stk_pfrow want[10];
	int nwant;
};

static const struct merge_case cases[] = {
	{"three runs, keys shared across them summed",
	 {{R(1, 1, -1, 5), R(1, 1, 0, 2), R(1, 2, 7, 1)},
	  {R(0, 3, 1, 4), R(1, 1, 0, 3), R(2, 0, 0, 9)},
	  {R(1, 1, -1, 1), R(1, 1, 0, 10), R(1, 2, 6, 8)}},
	 {3, 3, 3},
	 {R(0, 3, 1, 4), R(1, 1, -1, 6), R(1, 1, 0, 15), R(1, 2, 6, 8), R(1, 2, 7, 1),
	  R(2, 0, 0, 9)},
	 6},
	{"negative keys before zero, an empty run between",
	 {{R(-2, 0, 0, 1), R(0, 0, 0, 1)}, {R(0, 0, 0, 0)}, {R(-3, 5, 5, 7), R(-2, 0, 0, 2)}},
	 {2, 0, 2},
	 {R(-3, 5, 5, 7), R(-2, 0, 0, 3), R(0, 0, 0, 1)},
	 3},
	{"one run: its rows as they are", {{R(4, 4, 4, 4), R(5, 0, 0, 1)}}, {2, 0, 0},
	 {R(4, 4, 4, 4), R(5, 0, 0, 1)}, 2},
	{"no rows", {{R(0, 0, 0, 0)}}, {0, 0, 0}, {R(0, 0, 0, 0)}, 0},
};

struct got {
	struct api_stk_pfrow r[4096];
	int n, stop_at;
};

static int collect(void *ud, const struct api_stk_pfrow *row)
{
	struct got *g = ud;
	if (g->n == g->stop_at)
		return 7;
	assert_true(g->n < 4096);
	g->r[g->n++] = *row;
	return 0;
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct merge_case *t = &cases[c];
		struct api_stk_pfruns r = {0};
		static struct got g;
		g.n = 0;
		g.stop_at = -1;
		print_message("%s\n", t->name);
		/* twice: a merge empties r, the second round reuses its file */
		for (int round = 0; round < 2; round++) {
			for (int i = 0; i < 3; i++)
				assert_int_equal(api_stk_pfruns_put(&r, t->run[i], (size_t)t->n[i]), 0);
			g.n = 0;
			assert_int_equal(api_stk_pfruns_merge(&r, collect, &g), 0);
			assert_int_equal(g.n, t->nwant);
			assert_int_equal(r.n, 0);
			for (int i = 0; i < t->nwant; i++) {
				assert_memory_equal(g.r[i].k, t->want[i].k, sizeof g.r[i].k);
				assert_int_equal(g.r[i].v, t->want[i].v);
			}
		}
		api_stk_pfruns_clear(&r);
		assert_null(r.f);
	}
}

/* Runs of 1,000 rows (several of the merge's reads each): run a holds the keys 0, 2, 4, …
 * with value 1, run b 0, 3, 6, … with value 10, run c 0, 5, 10, … with value 100, keys in
 * the third column. Key x then sums 1 × [x even] + 10 × [3 | x] + 100 × [5 | x], and the
 * keys are the numbers below 5,000 that 2, 3 or 5 divide. */
static void test_long_runs(void **state)
{
	(void)state;
	static struct api_stk_pfrow run[1000];
	const int step[3] = {2, 3, 5};
	const int64_t val[3] = {1, 10, 100};
	struct api_stk_pfruns r = {.dir = "."};
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 1000; j++)
			run[j] = (struct api_stk_pfrow){{0, 0, (int64_t)j * step[i], 0, 0, 0, 0}, val[i]};
		assert_int_equal(api_stk_pfruns_put(&r, run, 1000), 0);
	}
	static struct got g;
	g.n = 0;
	g.stop_at = -1;
	assert_int_equal(api_stk_pfruns_merge(&r, collect, &g), 0);
	int want_n = 0;
	for (int64_t x = 0; x < 5000; x++) {
		int64_t v = (x % 2 == 0 && x < 2000 ? 1 : 0) + (x % 3 == 0 && x < 3000 ? 10 : 0) +
			    (x % 5 == 0 ? 100 : 0);
		if (!v)
			continue;
		assert_true(want_n < g.n);
		assert_int_equal(g.r[want_n].k[2], x);
		assert_int_equal(g.r[want_n].v, v);
		want_n++;
	}
	assert_int_equal(g.n, want_n);
	api_stk_pfruns_clear(&r);
}

/* A callback's non-zero stops the merge and is returned; the runs are gone after it. */
static void test_stop(void **state)
{
	(void)state;
	const struct api_stk_pfrow a[] = {R(1, 0, 0, 1), R(2, 0, 0, 1), R(3, 0, 0, 1)};
	struct api_stk_pfruns r = {0};
	assert_int_equal(api_stk_pfruns_put(&r, a, 3), 0);
	assert_int_equal(api_stk_pfruns_put(&r, a, 3), 0);
	static struct got g;
	g.n = 0;
	g.stop_at = 1;
	assert_int_equal(api_stk_pfruns_merge(&r, collect, &g), 7);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].v, 2);
	assert_int_equal(r.n, 0);
	g.n = 0;
	assert_int_equal(api_stk_pfruns_merge(&r, collect, &g), 0);
	assert_int_equal(g.n, 0);
	api_stk_pfruns_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_long_runs),
		cmocka_unit_test(test_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
