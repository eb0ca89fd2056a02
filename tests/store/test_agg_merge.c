/* test_agg_merge.c — agg_slice_merge (db/db_agg_slice.c): a flushed slice's records added
 * into its parent, for each of its three loops (the DPC builder's mask, the maximum in
 * V_MAX; the CPU builder's, sums only; any other mask). Table-driven: each case builds a
 * parent and a child slice by hand, merges, and checks every parent record against
 * values worked out by hand below each case: summed slots add, max slots take the larger,
 * a histogram bucket set in both adds, a bucket set only in the child takes the child's
 * count whatever stale value the parent's array held there (hist[b] is valid only where
 * hmask has bit b), and a key new to the parent is appended after the parent's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_agg.h"

#define MAXR 4
#define STALE 777 /* written into hist[] where hmask is clear: must never show */

struct mrec {
	unsigned cpu;
	int32_t module;
	unsigned kind;
	uint64_t v[AGG_NVALS];
	uint64_t hmask;
	uint64_t hist[4]; /* counts of the hmask's buckets, lowest bucket first */
};

struct merge_case {
	const char *name;
	unsigned max_mask;
	struct mrec parent[MAXR], child[MAXR], want[MAXR];
	uint32_t nparent, nchild, nwant;
};

static const struct merge_case cases[] = {
	/* DPC mask: count 3+1 = 4, total 500+90 = 590, max max(300, 90) = 300, above 1+0,
	 * above_total 300+0; bucket 20 in both: 2+1 = 3; bucket 30 only in the parent: 1;
	 * the second key (cpu 1) only in the child: appended as it is */
	{"dpc mask: sums, max, shared bucket",
	 1u << V_MAX,
	 {{0, 2, 0, {3, 500, 300, 1, 300}, 1ull << 20 | 1ull << 30, {2, 1}}},
	 {{0, 2, 0, {1, 90, 90, 0, 0}, 1ull << 20, {1}},
	  {1, 2, 3, {1, 30, 30, 1, 30}, 1ull << 22, {1}}},
	 {{0, 2, 0, {4, 590, 300, 1, 300}, 1ull << 20 | 1ull << 30, {3, 1}},
	  {1, 2, 3, {1, 30, 30, 1, 30}, 1ull << 22, {1}}},
	 1, 2, 2},
	/* DPC mask, the child's max larger: max(40, 250) = 250; bucket 5 only in the child:
	 * its count 2, not STALE + 2; bucket 7 only in the parent: 4 */
	{"dpc mask: child's max larger, bucket new to the parent",
	 1u << V_MAX,
	 {{3, -1, 1, {4, 100, 40, 0, 0}, 1ull << 7, {4}}},
	 {{3, -1, 1, {2, 300, 250, 2, 300}, 1ull << 5, {2}}},
	 {{3, -1, 1, {6, 400, 250, 2, 300}, 1ull << 5 | 1ull << 7, {2, 4}}},
	 1, 1, 1},
	/* CPU mask (0): every slot sums, V_MAX's too: 10+5 = 15, 7+1 = 8, 9+20 = 29 */
	{"cpu mask: every slot summed",
	 0,
	 {{5, 9, 0, {10, 7, 9, 0, 0}, 0, {0}}},
	 {{5, 9, 0, {5, 1, 20, 0, 0}, 0, {0}}},
	 {{5, 9, 0, {15, 8, 29, 0, 0}, 0, {0}}},
	 1, 1, 1},
	/* another mask (count and above take the maximum): max(3, 8) = 8, 10+1 = 11,
	 * 6+7 = 13, max(5, 2) = 5, 1+1 = 2; buckets 0 (1+1 = 2) and 40 (new: 3) */
	{"other mask: maxima in slots 0 and 3",
	 1u << V_COUNT | 1u << V_ABOVE,
	 {{0, 0, 2, {3, 10, 6, 5, 1}, 1ull << 0, {1}},
	  {1, 0, 2, {1, 1, 1, 1, 1}, 0, {0}}},
	 {{0, 0, 2, {8, 1, 7, 2, 1}, 1ull << 0 | 1ull << 40, {1, 3}}},
	 {{0, 0, 2, {8, 11, 13, 5, 2}, 1ull << 0 | 1ull << 40, {2, 3}},
	  {1, 0, 2, {1, 1, 1, 1, 1}, 0, {0}}},
	 2, 1, 2},
};

/* The records of rs into s, in order; where hmask is clear, hist[] holds STALE. */
static void fill(struct agg_slice *s, const struct mrec *rs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct agg_rec *r =
			agg_slice_rec(s, agg_key(rs[i].cpu, rs[i].module, rs[i].kind));
		assert_non_null(r);
		memcpy(r->v, rs[i].v, sizeof r->v);
		for (int b = 0; b < DB_DPC_NBUCKETS; b++)
			r->hist[b] = STALE;
		r->hmask = rs[i].hmask;
		int k = 0;
		for (uint64_t m = rs[i].hmask; m; m &= m - 1)
			r->hist[__builtin_ctzll(m)] = rs[i].hist[k++];
	}
}

static void test_merge_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct merge_case *mc = &cases[c];
		struct agg_slice parent = {0}, child = {0};
		agg_slice_reset(&parent, 1, 0);
		agg_slice_reset(&child, 0, 3);
		fill(&parent, mc->parent, mc->nparent);
		fill(&child, mc->child, mc->nchild);
		assert_int_equal(agg_slice_merge(&parent, &child, mc->max_mask), 0);
		print_message("%s\n", mc->name);
		assert_int_equal(parent.n, mc->nwant);
		for (uint32_t i = 0; i < mc->nwant; i++) {
			const struct mrec *w = &mc->want[i];
			const struct agg_rec *r = &parent.recs[i];
			assert_int_equal(r->key, agg_key(w->cpu, w->module, w->kind));
			for (int k = 0; k < AGG_NVALS; k++)
				assert_int_equal(r->v[k], w->v[k]);
			assert_int_equal(r->hmask, w->hmask);
			int k = 0;
			for (uint64_t m = w->hmask; m; m &= m - 1)
				assert_int_equal(r->hist[__builtin_ctzll(m)], w->hist[k++]);
		}
		free(parent.recs);
		free(parent.tab);
		free(child.recs);
		free(child.tab);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
