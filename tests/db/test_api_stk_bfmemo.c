/* test_api_stk_bfmemo.c — the slice pass's memo of butterfly rows by stack node
 * (api/api_stacks_bfmemo.c): a node's rows are what a sample of its stack adds to every
 * module's butterfly — each named module's inclusive once, each distinct caller and callee
 * module once, the leaf module's exclusive — in walk order, the same whether the node is
 * walked or replayed, and a node walked once is replayed after; an unknown node is an
 * error. The stacks are hand-made arrays and the expected rows worked out by hand here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "api/api_stacks.h"
#include "api/api_stacks_bfmemo.h"

enum { IN = DB_STK_BF_INCL, EX = DB_STK_BF_EXCL, UP = DB_STK_BF_CALLER, DN = DB_STK_BF_CALLEE };
#define NO DB_STK_BF_NONE

/* Frames by id (1..6): module, offset. Module 4 has no name (never a target). */
static int32_t fr_mod[] = {0, 1, 2, 3, 1, 4, 3};
static uint64_t fr_off[] = {0, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60};
/* Nodes by id (1..6): parent, frame. Paths, root first, as modules:
 * 1 [1]; 2 [1 2]; 3 [1 2 3]; 4 [1 2 3 1]; 5 [1 2 3 1 4]; 6 [1 1] */
static int32_t nd_parent[] = {0, 0, 1, 2, 3, 4, 1};
static int32_t nd_frame[] = {0, 1, 2, 3, 4, 5, 4};

struct want {
	int32_t target;
	int kind;
	int32_t other;
};

static const struct {
	int64_t node;
	int n; /* -1: an error */
	struct want rows[12];
} cases[] = {
	{5, 10, {{1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, DN, 3}, {3, IN, NO},
		 {3, UP, 2}, {3, DN, 1}, {1, UP, 3}, {1, DN, 4}}}, /* leaf 4 unnamed: no exclusive */
	{2, 5, {{1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, EX, NO}}},
	{5, 10, {{1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, DN, 3}, {3, IN, NO},
		 {3, UP, 2}, {3, DN, 1}, {1, UP, 3}, {1, DN, 4}}}, /* replayed */
	{6, 2, {{1, IN, NO}, {1, EX, NO}}}, /* [1 1] is one link */
	{1, 2, {{1, IN, NO}, {1, EX, NO}}},
	{4, 10, {{1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, DN, 3}, {3, IN, NO},
		 {3, UP, 2}, {3, DN, 1}, {1, UP, 3}, {1, EX, NO}}}, /* 1 again: a new caller only */
	{2, 5, {{1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, EX, NO}}}, /* replayed */
	{4, 10, {{1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, DN, 3}, {3, IN, NO},
		 {3, UP, 2}, {3, DN, 1}, {1, UP, 3}, {1, EX, NO}}}, /* replayed */
	{99, -1, {{0}}}, /* no such node */
};

static void test_rows(void **state)
{
	(void)state;
	struct db_stk_nodes nodes = {.nn = 6, .nf = 6, .parent = nd_parent, .frame = nd_frame,
				     .fmod = fr_mod, .foff = fr_off};
	struct api_module_name names[] = {{.id = 1, .name = "ntoskrnl.exe"},
					  {.id = 2, .name = "ndis.sys"},
					  {.id = 3, .name = "idsvia64.sys"}};
	static struct api_stk_query q; /* canon none: every id stands for itself */
	q.names.n = 3;
	q.names.m = names;
	struct db_stk_reader *r = db_stk_reader_new_nodes(NULL, 1, &nodes);
	assert_non_null(r);
	struct api_stk_bfmemo m;
	assert_int_equal(api_stk_bfmemo_init(&m, &q, r, 6), 0);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct api_stk_bfrow *rows = NULL;
		int n = api_stk_bfmemo_rows(&m, cases[c].node, &rows);
		assert_int_equal(n, cases[c].n);
		for (int i = 0; i < n; i++) {
			assert_int_equal(rows[i].target, cases[c].rows[i].target);
			assert_int_equal(rows[i].kind, cases[c].rows[i].kind);
			assert_int_equal(rows[i].other, cases[c].rows[i].other);
		}
	}
	assert_int_equal(m.walks, 5); /* nodes 5, 2, 6, 1, 4 once each */
	assert_int_equal(m.hits, 3);
	api_stk_bfmemo_clear(&m);
	db_stk_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
