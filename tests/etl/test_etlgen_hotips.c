/* test_etlgen_hotips.c — etlgen's hot_ips knob: sampled IPs and return addresses come from a
 * bounded hot set with the Zipf-like law of etlgen_hot_index (etlgen.h), so a benchmark's
 * stacks repeat as a real trace's do. The trace is read back by a small decoder written here
 * (uncompressed buffers, PERFINFO64 headers: SampledProfile 15/46's IP, StackWalk 24/32's
 * frames), not by the product's; the expected shares are worked by hand from the law:
 * top K of N take ln(K+1) / ln(N+1) at skew 1. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tools/etlgen/etlgen.h"

#define MAX_DISTINCT 4096

struct tally { /* distinct values and how often each was seen */
	uint64_t v[MAX_DISTINCT];
	uint32_t n[MAX_DISTINCT];
	size_t distinct, total, overflow;
};

static void tally_add(struct tally *t, uint64_t v)
{
	t->total++;
	for (size_t i = 0; i < t->distinct; i++)
		if (t->v[i] == v) {
			t->n[i]++;
			return;
		}
	if (t->distinct == MAX_DISTINCT) {
		t->overflow++;
		return;
	}
	t->v[t->distinct] = v;
	t->n[t->distinct++] = 1;
}

static int by_count_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x < y) - (x > y);
}

/* The share of t's samples on its k most frequent values. */
static double top_share(const struct tally *t, size_t k)
{
	uint32_t c[MAX_DISTINCT];
	memcpy(c, t->n, t->distinct * sizeof *c);
	qsort(c, t->distinct, sizeof *c, by_count_desc);
	uint64_t sum = 0;
	for (size_t i = 0; i < k && i < t->distinct; i++)
		sum += c[i];
	return (double)sum / (double)t->total;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define A_BASE 0xfffff88001000000ull
#define B_BASE 0xfffff88003000000ull

/* Every sample's IP into ips, every StackWalk frame after the first into rets, and each
 * stack's (IP, first caller) pair into pairs as (IP - A_BASE) << 20 | (caller - B_BASE)
 * (both images are 1 MiB: the key is exact). */
static void read_back(FILE *f, struct tally *ips, struct tally *rets, struct tally *pairs)
{
	static uint8_t buf[65536];
	for (;;) {
		size_t got = fread(buf, 1, 0x48, f);
		if (got < 0x48)
			break;
		uint32_t size = buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24;
		uint32_t used = buf[0x30] | buf[0x31] << 8 | buf[0x32] << 16 | (uint32_t)buf[0x33] << 24;
		assert_true(size >= 0x48 && size <= sizeof buf && used <= size);
		assert_int_equal(fread(buf + 0x48, 1, size - 0x48, f), size - 0x48);
		for (size_t pos = 0x48; pos + 16 <= used;) {
			const uint8_t *e = buf + pos;
			size_t evsize;
			if ((e[3] & 0xC0) == 0xC0 && e[2] == 0x11) { /* PERFINFO64: 16-byte header */
				evsize = e[4] | e[5] << 8;
				assert_true(evsize >= 16 && pos + evsize <= used);
				if (e[7] == 15 && e[6] == 46)
					tally_add(ips, get64(e + 16));
				else if (e[7] == 24 && e[6] == 32) {
					for (size_t o = 16 + 16 + 8; o + 8 <= evsize; o += 8)
						tally_add(rets, get64(e + o));
					if (evsize >= 16 + 16 + 16)
						tally_add(pairs, (get64(e + 32) - A_BASE) << 20 |
								 (get64(e + 40) - B_BASE));
				}
			} else if (e[3] & 0x80) {
				evsize = e[0] | e[1] << 8;
			} else {
				break;
			}
			if (!evsize)
				break;
			pos += (evsize + 7) & ~(size_t)7;
		}
	}
}

static int callers[] = {1};

/* a.sys takes every sample (stack: one frame in b.sys); b.sys's own hot set is `b_hot`;
 * paths is the scenario's hot_paths. */
static void generate_paths(uint32_t hot, double skew, uint32_t b_hot, uint32_t paths,
			   struct tally *ips, struct tally *rets, struct tally *pairs)
{
	struct etlgen_module m[] = {
		{.name = "a.sys", .base = A_BASE, .size = 0x100000,
		 .sample_weight = 1, .stack = callers, .n_stack = 1},
		{.name = "b.sys", .base = B_BASE, .size = 0x100000, .hot_ips = b_hot},
	};
	struct etlgen_scenario s = {
		.cpus = 2, .pointer_size = 8, .buffer_size = 65536, .duration_s = 5, .seed = 7,
		.qpc_frequency = 10000000, .build = 19041, .sample_rate_hz = 1000,
		.dpc_groups_enabled = 1, .hot_ips = hot, .hot_skew = skew, .hot_paths = paths,
		.modules = m, .n_modules = 2,
	};
	FILE *f = tmpfile();
	assert_non_null(f);
	char msg[128];
	assert_int_equal(etlgen_write(&s, f, NULL, msg, sizeof msg), 0);
	rewind(f);
	memset(ips, 0, sizeof *ips);
	memset(rets, 0, sizeof *rets);
	memset(pairs, 0, sizeof *pairs);
	read_back(f, ips, rets, pairs);
	fclose(f);
	for (size_t i = 0; i < ips->distinct; i++)
		assert_true(ips->v[i] >= m[0].base && ips->v[i] < m[0].base + m[0].size);
	for (size_t i = 0; i < rets->distinct; i++)
		assert_true(rets->v[i] >= m[1].base && rets->v[i] < m[1].base + m[1].size);
}

static void generate(uint32_t hot, double skew, uint32_t b_hot, struct tally *ips, struct tally *rets)
{
	static struct tally pairs;
	generate_paths(hot, skew, b_hot, 0, ips, rets, &pairs);
}

/* The most distinct callers any one IP has in pairs, and how many IPs have more than one. */
static size_t max_callers_per_ip(const struct tally *pairs, size_t *several)
{
	size_t most = 0;
	*several = 0;
	for (size_t i = 0; i < pairs->distinct; i++) {
		size_t n = 0, first = 1;
		for (size_t j = 0; j < pairs->distinct; j++)
			if (pairs->v[j] >> 20 == pairs->v[i] >> 20) {
				n++;
				first &= j >= i;
			}
		if (n > most)
			most = n;
		if (first && n > 1)
			(*several)++;
	}
	return most;
}

/* Within 5 standard deviations of a binomial share p over n draws. */
static void assert_share(double got, double p, size_t n)
{
	double sd = sqrt(p * (1 - p) / (double)n);
	if (fabs(got - p) > 5 * sd)
		fail_msg("share %.4f, expected %.4f ± %.4f", got, p, 5 * sd);
}

static void test_hot_set_skew_1(void **state)
{
	(void)state;
	static struct tally ips, rets;
	generate(16, 1, 0, &ips, &rets);
	assert_true(ips.total > 9900 && ips.total <= 10000); /* 2 CPUs × 5 s × 1 kHz */
	assert_int_equal(ips.overflow, 0);
	/* 16 hot IPs; the rarest, k = 15, is drawn with ln(17/16)/ln 17 = 2.1 %: all appear */
	assert_int_equal(ips.distinct, 16);
	assert_share(top_share(&ips, 1), log(2) / log(17), ips.total);  /* 24.5 % */
	assert_share(top_share(&ips, 4), log(5) / log(17), ips.total);  /* 56.8 % */
	assert_share(top_share(&ips, 8), log(9) / log(17), ips.total);  /* 77.6 % */
	/* return addresses: 16 others of b.sys, none of them a leaf address */
	assert_int_equal(rets.total, ips.total); /* one caller frame per sample */
	assert_int_equal(rets.distinct, 16);
	assert_share(top_share(&rets, 1), log(2) / log(17), rets.total);
}

static void test_hot_set_skew_2_and_module_override(void **state)
{
	(void)state;
	static struct tally ips, rets;
	generate(64, 2, 1, &ips, &rets);
	/* s = 2: F(K) = (1 - 1/(K+1)) / (1 - 1/65): top 1 = (1/2)/(64/65) = 50.8 % */
	assert_true(ips.distinct <= 64);
	assert_share(top_share(&ips, 1), 0.5 / (64.0 / 65), ips.total);
	assert_share(top_share(&ips, 3), 0.75 / (64.0 / 65), ips.total);
	/* b.sys's own hot set of 1: every frame in it is one return address */
	assert_int_equal(rets.distinct, 1);
}

/* hot_paths: an IP's callers are one of that many chains fixed by the IP (chain j drawn
 * with the same law: of 2, the first takes ln 2 / ln 3 = 63 %); without it every caller
 * frame is drawn on its own, so a hot IP meets all 16 of b.sys's hot return addresses. */
static void test_hot_paths(void **state)
{
	(void)state;
	static struct tally ips, rets, pairs;
	static const struct {
		uint32_t paths;
		size_t most, several_min; /* most callers of one IP; IPs with more than one, at least */
	} cases[] = {
		/* 16 IPs × 2 chains: every IP ≥ 2.1 % of 10,000 samples, so both chains of each
		 * appear (odds 0.37^210 of missing one); the two chains' callers are drawn from
		 * the same 16, so they coincide with Σ p_k² ≈ 0.11: ~14.2 IPs (sd 1.25) show
		 * two callers, at least 10 */
		{2, 2, 10},
		{1, 1, 0},
		/* off: the top IP (24.5 %, ~2,450 samples) meets all 16 callers */
		{0, 16, 16},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		generate_paths(16, 1, 0, cases[c].paths, &ips, &rets, &pairs);
		assert_int_equal(pairs.overflow, 0);
		size_t several;
		size_t most = max_callers_per_ip(&pairs, &several);
		print_message("hot_paths %u: at most %zu callers an IP, %zu IPs with several\n",
			      cases[c].paths, most, several);
		assert_int_equal(most, cases[c].most);
		assert_true(several >= cases[c].several_min);
		assert_int_equal(ips.distinct, 16); /* the IPs' law is untouched */
	}
}

static void test_off_is_uniform(void **state)
{
	(void)state;
	static struct tally ips, rets;
	generate(0, 1, 0, &ips, &rets);
	/* 10,000 draws over 1 MiB: nearly every IP its own (the worst case the knob avoids) */
	assert_true(ips.distinct + ips.overflow > 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hot_set_skew_1),
		cmocka_unit_test(test_hot_set_skew_2_and_module_override),
		cmocka_unit_test(test_hot_paths),
		cmocka_unit_test(test_off_is_uniform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
