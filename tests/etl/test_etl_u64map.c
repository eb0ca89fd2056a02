/* test_etl_u64map.c — the shared u64 → u64 map (ingest/etl/etl_u64map.c): a table of
 * add/find steps with their expected answers (key 0 refused, a second add finds the first
 * slot, values kept across growth), the capacity after n keys against the invariant worked
 * out by hand (1024 slots up to 512 keys, then doubling whenever 2n would exceed cap — the
 * bound etl_fltpin.h states: 512 Ki slots, 8 MiB, at its 256 Ki cap), and every one of many
 * aligned pointer keys found again with its own value after the table grew many times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "ingest/etl/etl_u64map.h"

enum op { ADD, FIND };

static void test_steps(void **state)
{
	(void)state;
	/* key, and what the step should answer: for ADD, added (1 new / 0 existing / -1 NULL)
	 * and the value the slot holds before the step writes set (if set != 0); for FIND,
	 * found (1 / 0) and the value */
	static const struct {
		enum op op;
		uint64_t key;
		int answer;
		uint64_t val, set;
		size_t n;
	} steps[] = {
		{FIND, 5, 0, 0, 0, 0},                       /* empty map */
		{ADD, 0, -1, 0, 0, 0},                       /* key 0 is refused */
		{FIND, 0, 0, 0, 0, 0},
		{ADD, 5, 1, 0, 50, 1},                       /* new: value 0, then set to 50 */
		{ADD, 5, 0, 50, 0, 1},                       /* existing: the same slot */
		{FIND, 5, 1, 50, 0, 1},
		{FIND, 6, 0, 0, 0, 1},
		{ADD, UINT64_MAX, 1, 0, 7, 2},               /* the largest key */
		{ADD, 0xfffff80070600000ull, 1, 0, 9, 3},    /* a kernel pointer */
		{ADD, 0xfffff80070600040ull, 1, 0, 10, 4},   /* its neighbour */
		{FIND, UINT64_MAX, 1, 7, 0, 4},
		{FIND, 0xfffff80070600000ull, 1, 9, 0, 4},
		{FIND, 0xfffff80070600040ull, 1, 10, 0, 4},
		{FIND, 0xfffff80070600080ull, 0, 0, 0, 4},
	};
	struct etl_u64map m;
	etl_u64map_init(&m);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct etl_u64map_slot *e;
		if (steps[i].op == ADD) {
			int added = 42;
			e = etl_u64map_add(&m, steps[i].key, &added);
			if (steps[i].answer < 0) {
				assert_null(e);
				assert_int_equal(added, 0);
			} else {
				assert_non_null(e);
				assert_int_equal(added, steps[i].answer);
			}
		} else {
			e = etl_u64map_find(&m, steps[i].key);
			assert_int_equal(e != NULL, steps[i].answer);
		}
		if (e) {
			assert_true(e->key == steps[i].key);
			assert_true(e->val == steps[i].val);
			if (steps[i].set)
				e->val = steps[i].set;
		}
		assert_int_equal(m.n, steps[i].n);
	}
	etl_u64map_clear(&m);
	assert_null(m.t);
	assert_int_equal(m.cap, 0);
	assert_int_equal(m.n, 0);
	assert_null(etl_u64map_find(&m, 5));
}

static void test_growth(void **state)
{
	(void)state;
	/* capacity after n distinct keys: the smallest power of two ≥ 1024 holding 2n */
	static const struct { size_t n, cap; } caps[] = {
		{1, 1024}, {512, 1024}, {513, 2048}, {1024, 2048}, {1025, 4096},
		{131072, 262144}, {131073, 524288}, {262144, 524288},
	};
	struct etl_u64map m;
	etl_u64map_init(&m);
	size_t c = 0;
	uint64_t added_keys = 0;
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		while (added_keys < caps[i].n) {
			added_keys++;
			int added = 0;
			struct etl_u64map_slot *e = etl_u64map_add(&m, added_keys * 0x40, &added);
			assert_non_null(e);
			assert_int_equal(added, 1);
			e->val = added_keys * 3 + 1;
		}
		assert_int_equal(m.n, caps[i].n);
		assert_int_equal(m.cap, caps[i].cap);
		c = m.cap;
	}
	assert_int_equal(c * sizeof(struct etl_u64map_slot), 8u << 20); /* fltpin's 8 MiB */
	for (uint64_t k = 1; k <= added_keys; k++) {
		struct etl_u64map_slot *e = etl_u64map_find(&m, k * 0x40);
		assert_non_null(e);
		assert_true(e->val == k * 3 + 1);
		assert_null(etl_u64map_find(&m, k * 0x40 + 8)); /* never added */
	}
	etl_u64map_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
