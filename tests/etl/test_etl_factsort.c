/* test_etl_factsort.c — the per-slice facts' sort (ingest/etl/etl_factsort.c): a hand-ordered
 * table where each field in turn decides (domain, slice, CPU, pid, tid, then the key as a
 * signed integer, so a key with its top bit set comes before key 0; the largest CPU before
 * the next slice, the largest slice before the next domain), fed in scrambled orders;
 * and random sets of distinct keys of sizes around the insertion-sort runs and the merge
 * widths, checked against qsort(3) with a comparator written here, each fact carrying its
 * values (n, ns) along with its key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_factsort.h"

/* The expected order, by hand: each row is after the one above it because of the field
 * named at its end. */
static const struct sink_slice_fact table[] = {
	{0, 0, 0, 0, 0, 0, 1, 0, 0, 0},
	{0, 0, 0, 0, 0, 1, 2, 0, 0, 0},                       /* key */
	{0, 0, 0, 0, 1, UINT64_MAX, 3, 0, 0, 0},              /* tid (key −1 < 1 no matter) */
	{0, 0, 0, 0, 1, 0, 4, 0, 0, 0},                       /* key: −1 before 0 */
	{0, 0, 0, 1, 0, 0, 5, 0, 0, 0},                       /* pid */
	{0, 1, 0, 0, 0, 1ull << 63, 6, 0, 0, 0},             /* cpu (key INT64_MIN no matter) */
	{0, 1, 0, 0, 0, 0, 7, 0, 0, 0},                       /* key: INT64_MIN before 0 */
	{0, 0, 1, 0, 0, 0, 8, 0, 0, 0},                       /* slice (cpu 0 after cpu 1) */
	{0, 0, 7, UINT32_MAX, UINT32_MAX, 5, 9, 0, 0, 0},     /* slice */
	{1, 0, 0, 0, 0, 0, 10, 0, 0, 0},                      /* domain */
	{1, 65535, 0, 0, 0, 0, 11, 0, 0, 0},                  /* cpu, its largest value */
	{1, 0, 1, 0, 0, 0, 12, 0, 0, 0},                      /* slice (after cpu 65535) */
	{1, 0, UINT32_MAX, 0, 0, 0, 13, 0, 0, 0},             /* slice, its largest value */
	{9, 0, 0, 0, 0, 0, 14, 0, 0, 0},                      /* domain (after that slice) */
};
#define NT (sizeof table / sizeof table[0])

static int ref_cmp(const void *pa, const void *pb)
{
	const struct sink_slice_fact *a = pa, *b = pb;
	uint64_t ka[6] = {a->domain, a->slice, a->cpu, a->pid, a->tid, a->key ^ (1ull << 63)};
	uint64_t kb[6] = {b->domain, b->slice, b->cpu, b->pid, b->tid, b->key ^ (1ull << 63)};
	for (int i = 0; i < 6; i++)
		if (ka[i] != kb[i])
			return ka[i] < kb[i] ? -1 : 1;
	return 0;
}

static void test_table_orders(void **state)
{
	(void)state;
	const size_t orders[][NT] = {
		{13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
		{6, 3, 12, 0, 9, 11, 1, 13, 4, 7, 10, 2, 5, 8},
		{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12},
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13},
	};
	for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
		struct sink_slice_fact v[NT];
		struct etl_factsort_ent idx[NT], tmp[NT];
		for (size_t i = 0; i < NT; i++)
			v[i] = table[orders[o][i]];
		etl_factsort(v, NT, idx, tmp);
		for (size_t i = 0; i < NT; i++) {
			assert_int_equal(v[i].n, i + 1);
			assert_memory_equal(&v[i], &table[i], sizeof v[i]);
		}
	}
}

static void test_random_vs_qsort(void **state)
{
	(void)state;
	const size_t sizes[] = {0, 1, 2, 15, 16, 17, 33, 100, 1000, 4097, 32768};
	srand(17);
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s];
		struct sink_slice_fact *v = calloc(n + 1, sizeof *v), *ref = calloc(n + 1, sizeof *ref);
		struct etl_factsort_ent *idx = malloc((n + 1) * sizeof *idx), *tmp = malloc((n + 1) * sizeof *tmp);
		assert_non_null(v);
		assert_non_null(ref);
		for (size_t i = 0; i < n; i++) {
			/* few values per field so ties fall through to the later ones; the index
			 * in the key's low bits keeps the keys distinct, its top bit random */
			v[i].domain = (uint8_t)(rand() % 3);
			v[i].slice = (uint32_t)(rand() % 4);
			v[i].cpu = (uint16_t)(rand() % 3);
			v[i].pid = (uint32_t)(rand() % 3);
			v[i].tid = (uint32_t)(rand() % 3);
			v[i].key = (uint64_t)(rand() & 1) << 63 | (uint64_t)(rand() % 5) << 32 | i;
			v[i].n = i;
			v[i].ns = 3 * i + 1;
		}
		/* half the sets mostly in order already, as a map's keys come in time */
		if (s % 2 && n)
			qsort(v, n / 2, sizeof *v, ref_cmp);
		memcpy(ref, v, n * sizeof *v);
		qsort(ref, n, sizeof *ref, ref_cmp);
		etl_factsort(v, n, idx, tmp);
		if (n)
			assert_memory_equal(v, ref, n * sizeof *v);
		free(v);
		free(ref);
		free(idx);
		free(tmp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_orders),
		cmocka_unit_test(test_random_vs_qsort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
