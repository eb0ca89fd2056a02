/* test_stk_dense.c — stk_dense (db/db_stk_map.c), the slice pass's leaf → tree node cache:
 * ids 1..dense_n in an array of nk cells each, dense_n the most that fit max_bytes, every
 * other id in a map forgotten when full. Each case is a sequence of puts then the gets
 * expected, worked by hand from the sizes (4 bytes a cell; a map of 2^log2 slots holds
 * 3/4 of them before it forgets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "db/db_stk_map.h"

struct op {
	int64_t id;
	unsigned k;
	int32_t v;
};

struct dense_case {
	const char *name;
	int64_t max_id;
	unsigned nk, map_log2;
	size_t max_bytes;
	int64_t want_dense_n;
	struct op put[8];
	int nput;
	struct op get[10]; /* v: the value expected, 0 absent */
	int nget;
	uint64_t want_forgot;
};

static const struct dense_case cases[] = {
	{"10 ids, 2 keys, 32 bytes: ids 1-4 in the array (32 / (2 × 4)), 5-10 in the map",
	 10, 2, 2, 32, 4,
	 {{1, 0, 7}, {4, 1, 9}, {3, 0, -2}, {5, 0, 11}, {6, 1, 12}, {10, 0, 13}}, 6,
	 {{1, 0, 7}, {1, 1, 0}, {4, 1, 9}, {4, 0, 0}, {3, 0, -2}, {2, 0, 0}, {5, 0, 11},
	  {6, 1, 12}, {6, 0, 0}, {10, 0, 13}}, 10, 0},
	{"a fourth id past the array fills the 4-slot map (3 held): it forgets, the array keeps",
	 10, 2, 2, 32, 4,
	 {{1, 0, 7}, {5, 0, 11}, {6, 1, 12}, {10, 0, 13}, {7, 0, 14}}, 5,
	 {{1, 0, 7}, {5, 0, 0}, {6, 1, 0}, {10, 0, 0}, {7, 0, 14}}, 5, 1},
	{"the same id and key put twice: the last value, no second map entry",
	 2, 1, 2, 4, 1,
	 {{2, 0, 3}, {2, 0, 4}, {2, 0, 5}, {1, 0, 6}, {1, 0, 8}, {3, 0, 9}}, 6,
	 {{2, 0, 5}, {1, 0, 8}, {3, 0, 9}}, 3, 0},
	{"room for more than max_id: the array holds exactly 1..max_id",
	 3, 4, 4, 1 << 20, 3,
	 {{3, 3, 1}, {4, 0, 2}, {0, 1, 5}, {-1, 2, 6}}, 4,
	 {{3, 3, 1}, {3, 2, 0}, {4, 0, 2}, {0, 1, 5}, {-1, 2, 6}}, 5, 0},
	{"unknown node count (-1): the map alone",
	 -1, 4, 4, 1 << 20, 0,
	 {{1, 0, 1}, {1, 3, 2}}, 2,
	 {{1, 0, 1}, {1, 3, 2}, {1, 1, 0}}, 3, 0},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		const struct dense_case *t = &cases[c];
		struct stk_dense d;
		print_message("%s\n", t->name);
		assert_int_equal(stk_dense_init(&d, t->max_id, t->nk, t->max_bytes, t->map_log2), 0);
		assert_int_equal(d.dense_n, t->want_dense_n);
		for (int i = 0; i < t->nput; i++)
			stk_dense_put(&d, t->put[i].id, t->put[i].k, t->put[i].v);
		for (int i = 0; i < t->nget; i++)
			assert_int_equal(stk_dense_get(&d, t->get[i].id, t->get[i].k), t->get[i].v);
		assert_int_equal(d.forgot, t->want_forgot);
		stk_dense_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
