/* test_db_stk_pretree.c — the stored call trees, butterflies and slice counts
 * (db/db_stk_pretree.c): a tree read back above a share comes parent first in (value
 * descending, id) order with exactly the nodes at or above it; a mode never stored answers
 * 1; a butterfly reads its target's rows and the total; slice counts of one (slice, node)
 * written twice add up and a slice range sums them; the slices a window selects. Trees and
 * numbers are written here by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db/db.h"
#include "db/db_stacks.h"
#include "db_test_file.h"

#define RUN 7

/* all(100) → a(60, self 10) → c(50, self 50); all → b(30, self 30); all → d(10) → e(5, self
 * 5) and f(5, self 5): ids in creation order, as the tree builder gives them. */
static const struct db_stk_prenode tree[] = {
	{.id = 0, .parent = -1, .value = 100, .self = 0, .nchild = 3, .module = -1},
	{.id = 1, .parent = 0, .value = 60, .self = 10, .nchild = 1, .module = 1, .offset = 0x10},
	{.id = 2, .parent = 1, .value = 50, .self = 50, .nchild = 0, .module = 2, .offset = 0x20, .kernel = 1},
	{.id = 3, .parent = 0, .value = 30, .self = 30, .nchild = 0, .module = 3},
	{.id = 4, .parent = 0, .value = 10, .self = 0, .nchild = 2, .module = 4},
	{.id = 5, .parent = 4, .value = 5, .self = 5, .nchild = 0, .module = 5},
	{.id = 6, .parent = 4, .value = 5, .self = 5, .nchild = 0, .module = 6, .sym_module = 9},
};

struct got {
	int64_t id[16];
	struct db_stk_prenode last;
	int n;
};

static int on_node(void *ud, const struct db_stk_prenode *n)
{
	struct got *g = ud;
	g->id[g->n++] = n->id;
	g->last = *n;
	return 0;
}

static void test_tree(void **state)
{
	struct db_test_fx *fx = *state;
	char err[256];
	sqlite3_stmt *ins;
	assert_int_equal(db_stk_pretree_begin(fx->db, RUN, &ins), 0);
	for (size_t i = 0; i < sizeof tree / sizeof tree[0]; i++)
		assert_int_equal(db_stk_pretree_put(ins, RUN, DB_STK_PRE_MODULE, &tree[i]), 0);
	sqlite3_finalize(ins);
	static const struct {
		double share;
		int n;
		int64_t ids[8];
	} cases[] = {
		{0, 7, {0, 1, 2, 3, 4, 5, 6}}, /* equal values (5, 5) by id */
		{0.05, 7, {0, 1, 2, 3, 4, 5, 6}}, /* exactly at the share: kept */
		{0.051, 5, {0, 1, 2, 3, 4}},
		{0.3, 4, {0, 1, 2, 3}},
		{0.6, 2, {0, 1}},
		{1, 1, {0}},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct got g = {0};
		assert_int_equal(db_stk_pretree_read(fx->db, RUN, DB_STK_PRE_MODULE, cases[c].share,
						     on_node, &g, err, sizeof err), 0);
		assert_int_equal(g.n, cases[c].n);
		assert_memory_equal(g.id, cases[c].ids, (size_t)g.n * sizeof g.id[0]);
	}
	/* every field comes back */
	struct got g = {0};
	assert_int_equal(db_stk_pretree_read(fx->db, RUN, DB_STK_PRE_MODULE, 0, on_node, &g, err,
					     sizeof err), 0);
	const struct db_stk_prenode *w = &tree[6];
	const int64_t got[] = {g.last.id, g.last.parent, g.last.value, g.last.self, g.last.nchild,
			       g.last.module, g.last.sym_module, (int64_t)g.last.offset, g.last.kernel};
	const int64_t want[] = {w->id, w->parent, w->value, w->self, w->nchild, w->module,
				w->sym_module, (int64_t)w->offset, w->kernel};
	assert_memory_equal(got, want, sizeof want);
	/* the last node at 0.5: the kernel frame under a (50 of 100) */
	g.n = 0;
	assert_int_equal(db_stk_pretree_read(fx->db, RUN, DB_STK_PRE_MODULE, 0.5, on_node, &g, err,
					     sizeof err), 0);
	assert_true(g.n == 3 && g.last.kernel == 1 && g.last.offset == 0x20 && g.last.parent == 1);
	/* another mode, another run: nothing stored */
	assert_int_equal(db_stk_pretree_read(fx->db, RUN, DB_STK_PRE_INVERTED, 0, on_node, &g, err,
					     sizeof err), 1);
	assert_int_equal(db_stk_pretree_read(fx->db, RUN + 1, DB_STK_PRE_MODULE, 0, on_node, &g,
					     err, sizeof err), 1);
	/* begin again empties the run */
	assert_int_equal(db_stk_pretree_begin(fx->db, RUN, &ins), 0);
	sqlite3_finalize(ins);
	assert_int_equal(db_stk_pretree_read(fx->db, RUN, DB_STK_PRE_MODULE, 0, on_node, &g, err,
					     sizeof err), 1);
}

struct bf {
	int64_t v[5], other[5];
};

static int on_bfly(void *ud, int kind, int32_t other, int64_t value)
{
	struct bf *b = ud;
	b->v[kind] += value;
	b->other[kind] = other;
	return 0;
}

static void test_butterfly(void **state)
{
	struct db_test_fx *fx = *state;
	char err[256];
	sqlite3_stmt *ins;
	assert_int_equal(db_stk_prebfly_begin(fx->db, RUN, &ins), 0);
	static const int64_t rows[][5] = {
		/* idle, target, kind, other, value */
		{0, DB_STK_BF_NONE, DB_STK_BF_TOTAL, DB_STK_BF_NONE, 100},
		{0, 3, DB_STK_BF_CALLER, 1, 40},
		{0, 3, DB_STK_BF_CALLEE, -1, 7},
		{0, 3, DB_STK_BF_INCL, DB_STK_BF_NONE, 45},
		{0, 3, DB_STK_BF_EXCL, DB_STK_BF_NONE, 5},
		{0, 4, DB_STK_BF_INCL, DB_STK_BF_NONE, 99},
		{1, DB_STK_BF_NONE, DB_STK_BF_TOTAL, DB_STK_BF_NONE, 150},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(db_stk_prebfly_put(ins, RUN, (int)rows[i][0], (int32_t)rows[i][1],
						    (int)rows[i][2], (int32_t)rows[i][3], rows[i][4]), 0);
	sqlite3_finalize(ins);
	struct bf b = {0};
	assert_int_equal(db_stk_prebfly_read(fx->db, RUN, 0, 3, on_bfly, &b, err, sizeof err), 0);
	static const int64_t want[5] = {40, 7, 45, 5, 100};
	assert_memory_equal(b.v, want, sizeof want);
	assert_int_equal(b.other[DB_STK_BF_CALLER], 1);
	assert_int_equal(b.other[DB_STK_BF_CALLEE], -1);
	/* a module with no rows: the total alone; Idle kept: its own total */
	memset(&b, 0, sizeof b);
	assert_int_equal(db_stk_prebfly_read(fx->db, RUN, 1, 4, on_bfly, &b, err, sizeof err), 0);
	static const int64_t idle[5] = {0, 0, 0, 0, 150};
	assert_memory_equal(b.v, idle, sizeof idle);
	assert_int_equal(db_stk_prebfly_read(fx->db, RUN + 1, 0, 3, on_bfly, &b, err, sizeof err), 1);
}

static int64_t slice_sum[8];
static int on_slice(void *ud, int64_t id, int64_t self)
{
	(void)ud;
	slice_sum[id] = self;
	return 0;
}

static void test_slices(void **state)
{
	struct db_test_fx *fx = *state;
	char err[256];
	sqlite3_stmt *ins;
	assert_int_equal(db_stk_preslice_begin(fx->db, RUN, &ins), 0);
	static const int64_t rows[][4] = { /* slice, id, self */
		{0, 1, 3}, {0, 2, 4}, {1, 1, 5}, {1, 1, 6}, /* written twice: 11 */
		{2, 2, 7}, {9, 1, 100},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(db_stk_preslice_put(ins, RUN, DB_STK_PRE_MODULE, rows[i][0],
						     rows[i][1], rows[i][2]), 0);
	sqlite3_finalize(ins);
	static const struct {
		int64_t lo, hi, node1, node2;
	} cases[] = {{0, 0, 3, 4}, {0, 1, 14, 4}, {1, 2, 11, 7}, {0, 9, 114, 11}, {3, 8, 0, 0}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		memset(slice_sum, 0, sizeof slice_sum);
		assert_int_equal(db_stk_preslice_read(fx->db, RUN, DB_STK_PRE_MODULE, cases[c].lo,
						      cases[c].hi, on_slice, NULL, err, sizeof err), 0);
		assert_int_equal(slice_sum[1], cases[c].node1);
		assert_int_equal(slice_sum[2], cases[c].node2);
	}
}

static void test_slice_range(void **state)
{
	(void)state;
	const int64_t S = DB_STK_SLICE_NS;
	static const struct {
		int64_t from, to, lo, hi;
	} cases[] = {
		{INT64_MIN, INT64_MAX, 0, INT64_MAX},
		{0, DB_STK_SLICE_NS, 0, 0},              /* [0, 100 ms): slice 0 */
		{1, DB_STK_SLICE_NS + 1, 0, 1},          /* overlaps slice 1 by 1 ns */
		{5 * DB_STK_SLICE_NS, 15 * DB_STK_SLICE_NS, 5, 14},
		{-5, 0, 0, -1},                          /* before the trace: nothing */
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct db_stk_filter f = {.from_ns = cases[c].from, .to_ns = cases[c].to};
		int64_t lo, hi;
		db_stk_slice_range(&f, &lo, &hi);
		assert_int_equal(lo, cases[c].lo);
		assert_int_equal(hi, cases[c].hi);
	}
	assert_int_equal(S, 100000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tree, db_test_fx_setup, db_test_fx_teardown),
		cmocka_unit_test_setup_teardown(test_butterfly, db_test_fx_setup, db_test_fx_teardown),
		cmocka_unit_test_setup_teardown(test_slices, db_test_fx_setup, db_test_fx_teardown),
		cmocka_unit_test(test_slice_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
