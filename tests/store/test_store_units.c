/* test_store_units.c — the ETW store's small parts: histogram edges and the guideline per
 * kind, the quantile estimate, window rounding via the top level, and the slice blob codec
 * (round trip, and every truncation or byte flip is rejected or decoded without crashing),
 * and how evenly the slice's index spreads its keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_agg.h"
#include "store_gen.h"

static void test_edges_and_guideline(void **state)
{
	const uint32_t *e = db_dpc_bucket_edges_ns();
	assert_int_equal(DB_DPC_NEDGES, GEN_NEDGES);
	for (int i = 0; i < DB_DPC_NEDGES; i++) /* the R10 series, derived in store_gen.c */
		assert_int_equal(e[i], gen_edge_ns(i));
	for (uint64_t d = 0; d < 12000000; d = d * 5 / 4 + 1)
		assert_int_equal(db_dpc_bucket(d), gen_bucket(d));
	for (int i = 0; i < DB_DPC_NEDGES; i++) /* each edge and its neighbours */
		for (uint64_t d = gen_edge_ns(i) - 1; d <= gen_edge_ns(i) + 1; d++)
			assert_int_equal(db_dpc_bucket(d), gen_bucket(d));
	for (int k = 0; k < 64; k++) /* each power of two and the values around it */
		for (uint64_t d = ((uint64_t)1 << k) - 1; d <= ((uint64_t)1 << k) + 1 && d; d++)
			assert_int_equal(db_dpc_bucket(d), gen_bucket(d));
	assert_int_equal(e[14], 25000);
	assert_int_equal(e[20], 100000);
	assert_int_equal(db_dpc_bucket(0), 0);
	assert_int_equal(db_dpc_bucket(1000), 0);
	assert_int_equal(db_dpc_bucket(1001), 1);
	assert_int_equal(db_dpc_bucket(25000), 14);
	assert_int_equal(db_dpc_bucket(25001), 15);
	assert_int_equal(db_dpc_bucket(100000), 20);
	assert_int_equal(db_dpc_bucket(100001), 21);
	assert_int_equal(db_dpc_bucket(10000000), 40);
	assert_int_equal(db_dpc_bucket(10000001), 41);
	assert_int_equal(db_dpc_bucket(UINT64_MAX), 41);
	for (int b = 0; b < DB_DPC_NBUCKETS; b++) {
		uint64_t lo, hi;
		db_dpc_bucket_range(b, &lo, &hi);
		assert_int_equal(db_dpc_bucket(lo + 1), b);
		if (hi != UINT64_MAX)
			assert_int_equal(db_dpc_bucket(hi), b);
	}
	assert_int_equal(db_dpc_guideline_ns(SINK_DPC), 100000);
	assert_int_equal(db_dpc_guideline_ns(SINK_THREADED_DPC), 100000);
	assert_int_equal(db_dpc_guideline_ns(SINK_TIMER_DPC), 100000);
	assert_int_equal(db_dpc_guideline_ns(SINK_ISR), 25000);
	assert_int_equal(db_dpc_guideline_ns(SINK_ISR_MSI), 25000);
}

static void test_quantile_estimate(void **state)
{
	uint64_t b[DB_DPC_NBUCKETS] = {0};
	assert_int_equal(db_dpc_quantile_ns(b, 0, 0.5), 0);
	b[20] = 100; /* (80, 100] µs */
	assert_int_equal(db_dpc_quantile_ns(b, 100000, 0.5), 90000);
	assert_int_equal(db_dpc_quantile_ns(b, 100000, 1.0), 100000);
	b[41] = 100; /* > 10 ms, capped by the maximum */
	uint64_t p99 = db_dpc_quantile_ns(b, 30000000, 0.99);
	assert_true(p99 > 10000000 && p99 <= 30000000);
}

static void test_top_level(void **state)
{
	assert_int_equal(agg_top_level(0), 0);
	assert_int_equal(agg_top_level(999999), 0);
	assert_int_equal(agg_top_level(1000000), 1);
	assert_int_equal(agg_top_level(15999999), 1);
	assert_int_equal(agg_top_level(16000000), 2);
	assert_int_equal(agg_top_level(60000000000LL), 4);
	assert_int_equal(agg_top_level(AGG_MAX_T_NS), 10);
}

struct collect {
	struct agg_slice *s;
};

static int collect_visit(void *ud, const struct agg_view *v)
{
	struct collect *c = ud;
	struct agg_rec *r = agg_slice_rec(c->s, v->key), tmp;
	memcpy(tmp.v, v->v, sizeof tmp.v);
	tmp.hmask = v->hmask;
	memcpy(tmp.hist, v->hist, sizeof tmp.hist);
	agg_rec_merge(r, &tmp, 1u << V_MAX);
	return 0;
}

static int count_visit(void *ud, const struct agg_view *v)
{
	(*(int *)ud)++;
	return 0;
}

/* The slice's index spreads keys that differ only in CPU and module: the longest run of
 * occupied slots (a lookup's worst probe count, whatever the hash; with linear probing the
 * occupied slots do not depend on the insertion order) stays short. Each set is the
 * (cpu, module, kind) keys of one 1 ms slice; the runs were worked out by a simulation of
 * the table (bench/README.md, "DPC-only trace, third pass"): bits 32.. of the product, the
 * hash before, made runs of 39 and 55 slots on the first and third sets, the top bits 6, 4
 * and 3. */
struct key_group {
	int32_t module;
	unsigned kind, cpu_first, ncpus, cpu_step;
};
static void test_slice_index_runs(void **state)
{
	static const struct {
		const char *what;
		struct key_group g[16];
		uint32_t max_run;
	} sets[] = {
		{"bench/dpc_25m.json as ingested (128 keys)",
		 {{0, 2, 0, 24, 1}, {1, 0, 0, 24, 1}, {2, 3, 0, 24, 1}, {3, 0, 0, 24, 1},
		  {3, 4, 0, 24, 1}, {4, 0, 0, 4, 2}, {4, 4, 0, 4, 2}},
		 12},
		{"64 CPUs, timer DPCs, ISRs, one driver's DPCs (192 keys)",
		 {{0, 2, 0, 64, 1}, {2, 3, 0, 64, 1}, {5, 0, 0, 64, 1}},
		 12},
		{"8 CPUs, 14 drivers' DPCs (112 keys)",
		 {{0, 2, 0, 8, 1}, {1, 0, 0, 8, 1}, {2, 0, 0, 8, 1}, {3, 0, 0, 8, 1},
		  {4, 0, 0, 8, 1}, {5, 0, 0, 8, 1}, {6, 0, 0, 8, 1}, {7, 0, 0, 8, 1},
		  {8, 0, 0, 8, 1}, {9, 0, 0, 8, 1}, {10, 0, 0, 8, 1}, {11, 0, 0, 8, 1},
		  {12, 0, 0, 8, 1}, {13, 0, 0, 8, 1}},
		 12},
	};
	for (size_t t = 0; t < sizeof sets / sizeof sets[0]; t++) {
		struct agg_slice s = {0};
		agg_slice_reset(&s, 0, 0);
		for (const struct key_group *g = sets[t].g; g->ncpus; g++)
			for (unsigned c = 0; c < g->ncpus; c++)
				assert_non_null(agg_slice_rec(
					&s, agg_key(g->cpu_first + c * g->cpu_step, g->module, g->kind)));
		uint32_t run = 0, longest = 0, used = 0;
		for (uint32_t i = 0; i < 2 * s.tabcap; i++) { /* twice round: runs wrap */
			run = s.tab[i % s.tabcap] ? run + 1 : 0;
			longest = run > longest ? run : longest;
			used += i < s.tabcap && s.tab[i];
		}
		assert_int_equal(used, s.n);
		if (longest > sets[t].max_run)
			fail_msg("%s: %u keys in %u slots, a run of %u occupied slots", sets[t].what,
				 s.n, s.tabcap, longest);
		free(s.recs);
		free(s.tab);
	}
}

static void test_codec_round_trip_and_corruption(void **state)
{
	struct agg_slice s = {0}, back = {0};
	const struct agg_out o = {AGG_DPC, -1, 5, {0, 1, 2, 3, 4}, 1, 1, 1, AGG_GROUP_NONE, 0};
	uint64_t seed = 42;
	agg_slice_reset(&s, 0, 0);
	for (int i = 0; i < 3000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned cpu = (unsigned)(seed >> 33) % 2048, kind = (unsigned)(seed >> 20) % 5;
		int32_t mod = (int32_t)((seed >> 40) % 300) - 1;
		uint32_t d = (uint32_t)(seed >> 8) % 20000000;
		struct agg_rec *r = agg_slice_rec(&s, agg_key(cpu, mod, kind));
		assert_non_null(r);
		int b = gen_bucket(d), above = d > gen_guideline_ns((int)kind);
		r->v[V_COUNT]++;
		r->v[V_TOTAL] += d;
		if (d > r->v[V_MAX])
			r->v[V_MAX] = d;
		r->v[V_ABOVE] += (uint64_t)above;
		r->v[V_ABOVE_TOTAL] += above ? d : 0;
		r->hist[b] = (r->hmask >> b & 1) ? r->hist[b] + 1 : 1;
		r->hmask |= 1ull << b;
	}
	struct agg_buf buf = {0};
	assert_int_equal(agg_encode(&s, &o, &buf), 0);
	agg_slice_reset(&back, 0, 0);
	struct collect c = {&back};
	assert_int_equal(agg_decode(buf.p, buf.n, NULL, collect_visit, &c), 0);
	assert_int_equal(back.n, s.n);
	for (uint32_t i = 0; i < s.n; i++) {
		struct agg_rec *r = agg_slice_rec(&back, s.recs[i].key);
		assert_memory_equal(r->v, s.recs[i].v, sizeof r->v);
		assert_int_equal(r->hmask, s.recs[i].hmask);
		for (uint64_t m = r->hmask; m; m &= m - 1) {
			int b = __builtin_ctzll(m);
			assert_int_equal(r->hist[b], s.recs[i].hist[b]);
		}
	}
	/* every truncation is rejected; byte flips never crash (ASan watches) */
	for (size_t n = 0; n < buf.n; n += (n < 64 ? 1 : 97)) {
		int k = 0;
		assert_int_equal(agg_decode(buf.p, n, NULL, count_visit, &k), -1);
	}
	uint8_t *copy = malloc(buf.n);
	for (int t = 0; t < 2000; t++) {
		memcpy(copy, buf.p, buf.n);
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		copy[(seed >> 33) % buf.n] ^= (uint8_t)(1u << ((seed >> 20) % 8));
		int k = 0;
		int rc = agg_decode(copy, buf.n, NULL, count_visit, &k);
		assert_true(rc == 0 || rc == -1);
	}
	free(copy);
	free(buf.p);
	free(s.recs);
	free(s.tab);
	free(back.recs);
	free(back.tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges_and_guideline),
		cmocka_unit_test(test_quantile_estimate),
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_codec_round_trip_and_corruption),
		cmocka_unit_test(test_slice_index_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
