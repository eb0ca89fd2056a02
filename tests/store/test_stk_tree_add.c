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

/* One tree: how it is grouped and walked, its hand-worked nodes, and its node count (root
 * included). */
struct tree_case {
	const char *name;
	int inverted, by_module;
	const struct want *w;
	size_t nw, nodes;
};

static const struct want frame_w[] = {
	{1, {F(1, 1)}, 15, 0},
	{2, {F(1, 1), F(1, 2)}, 11, 1},
	{3, {F(1, 1), F(1, 2), F(2, 1)}, 7, 7},
	{3, {F(1, 1), F(1, 2), F(2, 2)}, 3, 3},
	{2, {F(1, 1), F(3, 1)}, 4, 0},
	{3, {F(1, 1), F(3, 1), F(2, 1)}, 4, 4},
};
static const struct want frame_inverted_w[] = {
	{1, {F(2, 1)}, 11, 0},
	{2, {F(2, 1), F(1, 2)}, 7, 0},
	{3, {F(2, 1), F(1, 2), F(1, 1)}, 7, 7},
	{2, {F(2, 1), F(3, 1)}, 4, 0},
	{3, {F(2, 1), F(3, 1), F(1, 1)}, 4, 4},
	{3, {F(2, 2), F(1, 2), F(1, 1)}, 3, 3},
	{2, {F(1, 2), F(1, 1)}, 1, 1},
};
/* A's consecutive frames fold into one node: S3 ends in A, S5 goes A → B */
static const struct want module_w[] = {
	{1, {F(1, 0)}, 15, 1},
	{2, {F(1, 0), F(2, 0)}, 10, 10},
	{2, {F(1, 0), F(3, 0)}, 4, 0},
	{3, {F(1, 0), F(3, 0), F(2, 0)}, 4, 4},
};
static const struct want module_inverted_w[] = {
	{1, {F(2, 0)}, 14, 0},
	{2, {F(2, 0), F(1, 0)}, 10, 10},
	{2, {F(2, 0), F(3, 0)}, 4, 0},
	{3, {F(2, 0), F(3, 0), F(1, 0)}, 4, 4},
	{1, {F(1, 0)}, 1, 1},
};
#define CASE(name, inv, mod, w, nodes) {name, inv, mod, w, sizeof w / sizeof w[0], nodes}
static const struct tree_case cases[] = {
	CASE("by frame", 0, 0, frame_w, 7),
	CASE("by frame, inverted", 1, 0, frame_inverted_w, 11),
	CASE("by module", 0, 1, module_w, 5),
	CASE("by module, inverted", 1, 1, module_inverted_w, 6),
};

static void test_trees(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct tree_case *tc = &cases[c];
		print_message("%s\n", tc->name);
		struct api_stk_query q = {0};
		struct api_stk_tree t = {.inverted = tc->inverted, .by_module = tc->by_module};
		assert_int_equal(api_stk_tree_init(&t, &q), 0);
		for (size_t i = 0; i < sizeof stacks / sizeof stacks[0]; i++)
			assert_true(api_stk_tree_add(&t, stacks[i].fr, stacks[i].n, stacks[i].count) > 0);
		assert_int_equal(t.total, 15);
		assert_int_equal(t.v[0].value, 15);
		assert_int_equal(t.n, tc->nodes);
		for (size_t i = 0; i < tc->nw; i++) {
			const struct want *w = &tc->w[i];
			int32_t at = 0;
			for (int k = 0; k < w->n && at >= 0; k++)
				at = find_child(&t, at, w->path[k]);
			assert_true(at > 0);
			assert_int_equal(t.v[at].value, w->value);
			assert_int_equal(t.v[at].self, w->self);
		}
		api_stk_tree_clear(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_trees)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
