/* test_stk_tree_add.c — api_stk_tree_add (api_stacks_tree.c), every call tree's builder,
 * adding stacks that share different prefixes (and one module's consecutive frames, which
 * a tree by module folds into one node) against trees worked by hand, by frame and by
 * module, top-down and inverted. The stacks (root first; modules A = 1, B = 2, C = 3, frame offsets in hex):
 *   S1 A+1 A+2 B+1 ×2   S2 A+1 A+2 B+2 ×3   S3 A+1 A+2 ×1   S4 A+1 C+1 B+1 ×4
 *   S5 A+1 A+2 B+1 ×5   (S2 shares two frames with S1, S3 is a prefix of both, S4 shares one) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "api/api_stacks.h"

#define F(m, o) {(m), (o)}
static const struct stack {
	int n;
	struct db_stk_frame fr[3];
	int64_t count;
} stacks[] = {
	{3, {F(1, 1), F(1, 2), F(2, 1)}, 2}, {3, {F(1, 1), F(1, 2), F(2, 2)}, 3},
	{2, {F(1, 1), F(1, 2)}, 1},          {3, {F(1, 1), F(3, 1), F(2, 1)}, 4},
	{3, {F(1, 1), F(1, 2), F(2, 1)}, 5},
};

/* A node by its path from the root (frames as the tree is walked; by module, the offset
 * is 0) and its hand-summed inclusive and exclusive samples. */
struct want {
	int n;
	struct db_stk_frame path[3];
	int64_t value, self;
};

static int32_t find_child(const struct api_stk_tree *t, int32_t at, struct db_stk_frame f)
{
	for (int32_t c = t->v[at].first; c >= 0; c = t->v[c].next)
		if (t->v[c].module == f.module_id && t->v[c].offset == f.offset)
			return c;
	return -1;
}

static void check(int inverted, int by_module, const struct want *w, size_t nw, size_t nodes)
{
	struct api_stk_query q = {0};
	struct api_stk_tree t = {.q = &q, .inverted = inverted, .by_module = by_module};
	t.cap = 64;
	t.v = malloc(t.cap * sizeof *t.v);
	assert_non_null(t.v);
	assert_int_equal(stk_map_init(&t.map, API_STK_TREE_MAP_START_LOG2), 0);
	t.n = 1;
	t.v[0] = (struct api_stk_tnode){.module = -1, .first = -1, .next = -1, .sym_module = -1};
	for (size_t i = 0; i < sizeof stacks / sizeof stacks[0]; i++)
		assert_true(api_stk_tree_add(&t, stacks[i].fr, stacks[i].n, stacks[i].count) > 0);
	assert_int_equal(t.total, 15);
	assert_int_equal(t.v[0].value, 15);
	assert_int_equal(t.n, nodes);
	for (size_t i = 0; i < nw; i++) {
		int32_t at = 0;
		for (int k = 0; k < w[i].n && at >= 0; k++)
			at = find_child(&t, at, w[i].path[k]);
		assert_true(at > 0);
		assert_int_equal(t.v[at].value, w[i].value);
		assert_int_equal(t.v[at].self, w[i].self);
	}
	api_stk_tree_clear(&t);
}

static void test_frame(void **state)
{
	(void)state;
	static const struct want w[] = {
		{1, {F(1, 1)}, 15, 0},
		{2, {F(1, 1), F(1, 2)}, 11, 1},
		{3, {F(1, 1), F(1, 2), F(2, 1)}, 7, 7},
		{3, {F(1, 1), F(1, 2), F(2, 2)}, 3, 3},
		{2, {F(1, 1), F(3, 1)}, 4, 0},
		{3, {F(1, 1), F(3, 1), F(2, 1)}, 4, 4},
	};
	check(0, 0, w, sizeof w / sizeof w[0], 7);
}

static void test_frame_inverted(void **state)
{
	(void)state;
	static const struct want w[] = {
		{1, {F(2, 1)}, 11, 0},
		{2, {F(2, 1), F(1, 2)}, 7, 0},
		{3, {F(2, 1), F(1, 2), F(1, 1)}, 7, 7},
		{2, {F(2, 1), F(3, 1)}, 4, 0},
		{3, {F(2, 1), F(3, 1), F(1, 1)}, 4, 4},
		{3, {F(2, 2), F(1, 2), F(1, 1)}, 3, 3},
		{2, {F(1, 2), F(1, 1)}, 1, 1},
	};
	check(1, 0, w, sizeof w / sizeof w[0], 11);
}

static void test_module(void **state)
{
	(void)state;
	/* A's consecutive frames fold into one node: S3 ends in A, S5 goes A → B */
	static const struct want w[] = {
		{1, {F(1, 0)}, 15, 1},
		{2, {F(1, 0), F(2, 0)}, 10, 10},
		{2, {F(1, 0), F(3, 0)}, 4, 0},
		{3, {F(1, 0), F(3, 0), F(2, 0)}, 4, 4},
	};
	check(0, 1, w, sizeof w / sizeof w[0], 5);
}

static void test_module_inverted(void **state)
{
	(void)state;
	static const struct want w[] = {
		{1, {F(2, 0)}, 14, 0},
		{2, {F(2, 0), F(1, 0)}, 10, 10},
		{2, {F(2, 0), F(3, 0)}, 4, 0},
		{3, {F(2, 0), F(3, 0), F(1, 0)}, 4, 4},
		{1, {F(1, 0)}, 1, 1},
	};
	check(1, 1, w, sizeof w / sizeof w[0], 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame), cmocka_unit_test(test_frame_inverted),
		cmocka_unit_test(test_module), cmocka_unit_test(test_module_inverted)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
