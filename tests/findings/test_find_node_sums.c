/* test_find_node_sums.c — the findings' bounded per-node sums (findings/find_node_sums.c):
 * with a map of 4 slots (3 nodes between flushes) the callback gets, for a hand-made
 * sequence of counts, exactly the sums worked out below, in ascending node order per
 * flush, a full map flushing before the node that does not fit; a callback that stops is
 * not called again and add/flush say so; a map too small to hold a node is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "find_node_sums.h"

struct call {
	int64_t node, n;
};

struct got {
	struct call c[32];
	int n, stop_at; /* stop_at: the call (1-based) that returns 1; 0 = never */
};

static int on_node(void *ud, int64_t node, int64_t n)
{
	struct got *g = ud;
	if (g->n < 32)
		g->c[g->n] = (struct call){node, n};
	g->n++;
	return g->stop_at && g->n == g->stop_at;
}

/* (node, n) added in this order */
static const struct call adds[] = {
	{9, 1}, {4, 2}, {9, 10}, {7, 5}, /* 3 nodes: the map is full */
	{4, 100}, {2, 3},                 /* node 4 still held; node 2 does not fit: flush */
	{2, 20}, {9, 1000}, {7, 7},       /* the second batch: 2, 7, 9 */
};

/* By hand: first flush {4: 2 + 100, 7: 5, 9: 1 + 10} in node order, then at the end
 * {2: 3 + 20, 7: 7, 9: 1000}. */
static const struct call want[] = {
	{4, 102}, {7, 5}, {9, 11},
	{2, 23}, {7, 7}, {9, 1000},
};

static void test_sums_by_hand(void **state)
{
	(void)state;
	struct got g = {0};
	struct find_node_sums s;
	assert_int_equal(find_node_sums_init(&s, 2, on_node, &g), 0);
	for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
		assert_int_equal(find_node_sums_add(&s, adds[i].node, adds[i].n), 0);
		if (i == 4) /* node 4's second count joined its sum: nothing handed on yet */
			assert_int_equal(g.n, 0);
	}
	assert_int_equal(g.n, 3); /* node 2 made the first flush */
	assert_int_equal(find_node_sums_flush(&s), 0);
	assert_int_equal(g.n, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(g.c[i].node, want[i].node);
		assert_int_equal(g.c[i].n, want[i].n);
	}
	/* flushed: a second flush hands nothing */
	assert_int_equal(find_node_sums_flush(&s), 0);
	assert_int_equal(g.n, 6);
	find_node_sums_clear(&s);
}

static void test_stop(void **state)
{
	(void)state;
	struct got g = {.stop_at = 2};
	struct find_node_sums s;
	assert_int_equal(find_node_sums_init(&s, 2, on_node, &g), 0);
	for (int64_t node = 1; node <= 3; node++)
		assert_int_equal(find_node_sums_add(&s, node, node), 0);
	/* node 4 flushes 1, 2 (which stops), never 3 */
	assert_int_equal(find_node_sums_add(&s, 4, 4), 1);
	assert_int_equal(g.n, 2);
	assert_int_equal(find_node_sums_add(&s, 5, 5), 1);
	assert_int_equal(find_node_sums_flush(&s), 1);
	assert_int_equal(g.n, 2);
	find_node_sums_clear(&s);
}

/* Past the first 256 slots the map doubles up to its bound (1,024 slots: 768 nodes), then
 * flushes: 2,000 distinct nodes, node i with i samples, each arrive once with their own
 * count, ascending within each flush; the counts total 2,000 × 2,001 / 2 = 2,001,000. */
struct seen {
	unsigned char got[2001];
	int64_t sum, last;
	int calls, out_of_order, twice;
};

static int on_seen(void *ud, int64_t node, int64_t n)
{
	struct seen *v = ud;
	if (node < 1 || node > 2000 || v->got[node] || n != node)
		v->twice++;
	else
		v->got[node] = 1;
	if (v->calls++ && node <= v->last && v->calls != 769 && v->calls != 1537)
		v->out_of_order++; /* calls 769 and 1537 start the later flushes */
	v->last = node;
	v->sum += n;
	return 0;
}

static void test_grows_then_flushes(void **state)
{
	(void)state;
	static struct seen v;
	memset(&v, 0, sizeof v);
	struct find_node_sums s;
	assert_int_equal(find_node_sums_init(&s, 10, on_seen, &v), 0);
	for (int64_t i = 2000; i >= 1; i--) /* descending: each flush must sort */
		assert_int_equal(find_node_sums_add(&s, i, i), 0);
	assert_int_equal(v.calls, 2 * 768); /* two full flushes so far */
	assert_int_equal(find_node_sums_flush(&s), 0);
	assert_int_equal(v.calls, 2000);
	assert_int_equal(v.twice, 0);
	assert_int_equal(v.sum, 2001000);
	assert_int_equal(v.out_of_order, 0);
	find_node_sums_clear(&s);
}

static void test_too_small(void **state)
{
	(void)state;
	struct got g = {0};
	struct find_node_sums s;
	assert_int_equal(find_node_sums_init(&s, 1, on_node, &g), -1);
	find_node_sums_clear(&s); /* cleared by the failed init: safe */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sums_by_hand),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_grows_then_flushes),
		cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
