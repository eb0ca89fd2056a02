/* test_etl_limits.c — the reader's defences against hostile traces: the 16 MiB buffer cap
 * (a header claiming more is refused with a clear error), the XPRESS expansion bound
 * (64 × compressed bytes + 4 KiB) at its edge, the shared memory budget of the per-CPU
 * merge, and the plausible-time window and in-buffer order check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_buffer.h"
#include "ingest/etl/etl_ingest.h"
#include "ingest/etl/etl_le.h"
#include "ingest/etl/etl_timeguard.h"
#include "tools/etlgen/etlgen.h"
#include "etl_test_sink.h"

#define HDR 0x48

/* An XPRESS stream of 15 bytes, one literal and one distance-1 match whose length is in
 * the u32 extension ([MS-XCA] 2.4.4): expands to exactly out bytes (out >= 26). */
static void bomb_stream(uint8_t s[15], uint32_t out)
{
	etl_put32(s, 0x40000000u);
	s[4] = 'A';
	etl_put16(s + 5, 7);
	s[7] = 0x0F;
	s[8] = 0xFF;
	etl_put16(s + 9, 0);
	etl_put32(s + 11, out - 4);
}

/* buffer 0: an empty uncompressed buffer whose State names XPRESS; then one 87-byte
 * compressed buffer per entry of used[] (uncompressed used size incl. header). */
static size_t bomb_file(uint8_t *f, const uint32_t *used, size_t n)
{
	memset(f, 0, HDR);
	etl_put32(f, HDR);
	etl_put32(f + 0x2C, 3);
	etl_put32(f + 0x30, HDR);
	size_t off = HDR;
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = f + off;
		memset(b, 0, HDR);
		etl_put32(b, HDR + 15);
		etl_put32(b + 0x30, used[i]);
		etl_put16(b + 0x34, 0x40 | 0x20);
		etl_put16(b + 0x28, (uint16_t)i);
		bomb_stream(b + HDR, used[i] - HDR);
		off += HDR + 15;
	}
	return off;
}

static void test_expansion_bound(void **state)
{
	(void)state;
	/* 64 × 15 + 4096 = 5056 payload bytes is the most 15 compressed bytes may give */
	static const struct {
		uint32_t used;
		int bad;
	} cases[] = {
		{HDR + 26, 0}, {HDR + 5056, 0}, {HDR + 5057, ETL_BAD_LIMIT},
		{HDR + (1u << 20), ETL_BAD_LIMIT}, {16u << 20, ETL_BAD_LIMIT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint8_t file[2 * HDR + 15];
		size_t size = bomb_file(file, &cases[i].used, 1);
		FILE *f = fmemopen(file, size, "rb");
		assert_non_null(f);
		struct etl_walker w;
		struct etl_buffer b;
		etl_walker_init(&w, f);
		assert_int_equal(etl_walker_next(&w, &b), ETL_WALK_OK);
		assert_int_equal(etl_walker_next(&w, &b), ETL_WALK_OK);
		if (b.bad != cases[i].bad)
			fail_msg("case %zu: bad %d, want %d", i, b.bad, cases[i].bad);
		if (!b.bad) {
			assert_int_equal(b.payload_len, cases[i].used - HDR);
			assert_int_equal(b.payload[0], 'A');
			assert_int_equal(b.payload[b.payload_len - 1], 'A');
		}
		/* work done is bounded by the rule, whatever the claim */
		assert_true(w.expanded <= 64u * 15 + 4096);
		assert_true(w.data_cap <= 64u * 15 + 4096);
		assert_int_equal(etl_walker_next(&w, &b), ETL_WALK_END);
		etl_walker_free(&w);
		fclose(f);
	}
}

static void test_memory_budget(void **state)
{
	(void)state;
	/* buffers of 5000 payload bytes each under a 12 000-byte budget: two fit, the third
	 * is skipped as over the limit and the walk goes on */
	uint32_t used[4] = {HDR + 5000, HDR + 5000, HDR + 5000, HDR + 5000};
	uint8_t file[5 * HDR + 4 * 15];
	size_t size = bomb_file(file, used, 4);
	FILE *f = fmemopen(file, size, "rb");
	assert_non_null(f);
	struct etl_mem_budget budget = {0, 12000};
	struct etl_walker w[3];
	struct etl_buffer b;
	for (int i = 0; i < 3; i++) {
		etl_walker_init(&w[i], f);
		w[i].budget = &budget;
		w[i].compression_format = 3;
		etl_walker_seek(&w[i], HDR + (uint64_t)i * (HDR + 15), (uint32_t)i + 1);
		assert_int_equal(etl_walker_next(&w[i], &b), ETL_WALK_OK);
		assert_int_equal(b.bad, i < 2 ? 0 : ETL_BAD_LIMIT);
		assert_true(budget.held <= budget.max);
	}
	/* the third walker still walks: the next buffer is reached and refused again */
	assert_int_equal(etl_walker_next(&w[2], &b), ETL_WALK_OK);
	assert_int_equal(b.bad, ETL_BAD_LIMIT);
	for (int i = 0; i < 3; i++)
		etl_walker_free(&w[i]);
	assert_int_equal(budget.held, 0);
	fclose(f);
}

static const struct etlgen_module mod = {
	.name = "net.sys", .base = 0xfffff88001000000ull, .size = 0x100000, .dpc_rate = 2000,
	.dpc_us = {ETLGEN_FIXED, 5, 0}};

static void test_header_buffer_size_cap(void **state)
{
	(void)state;
	struct etlgen_scenario s = {.cpus = 2, .pointer_size = 8, .buffer_size = 8192,
				    .duration_s = 0.1, .seed = 5, .qpc_frequency = 10000000,
				    .build = 19041, .dpc_groups_enabled = 1, .modules = &mod,
				    .n_modules = 1};
	struct etlgen_expect e;
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(etlgen_write(&s, f, &e, NULL, 0), 0);
	etlgen_expect_free(&e);
	/* TRACE_LOGFILE_HEADER.BufferSize: after buffer 0's header and a 32-byte SYSTEM header */
	static const struct {
		uint32_t claim;
		int rc;
	} cases[] = {{8192, INGEST_OK}, {16u << 20, INGEST_OK}, {(16u << 20) + 1, INGEST_EFORMAT},
		     {64u << 20, INGEST_EFORMAT}, {0xFFFFFFFFu, INGEST_EFORMAT}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint8_t v[4];
		etl_put32(v, cases[i].claim);
		fseek(f, HDR + 32, SEEK_SET);
		assert_int_equal(fwrite(v, 1, 4, f), 4);
		fflush(f);
		rewind(f);
		struct test_sink k;
		struct ingest_error err = {{0}};
		test_sink_init(&k);
		int rc = etl_ingest(f, &k.sink, &err);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, err.message);
		if (rc == INGEST_EFORMAT)
			assert_non_null(strstr(err.message, "16 MiB"));
		test_sink_free(&k);
	}
	fclose(f);
}

static void test_time_guard(void **state)
{
	(void)state;
	/* 10 MHz QPC, T0 = 5e9 ticks, a 60 s session by the header's FILETIMEs */
	struct etl_logfile lf = {0};
	lf.clock_type = ETL_CLOCK_QPC;
	lf.perf_freq = 10000000;
	lf.header_timestamp = 5000000000ull;
	lf.start_time = 132000000000000000ull;
	lf.end_time = lf.start_time + 600000000ull;
	struct etl_time_guard g;
	etl_time_guard_init(&g, &lf);
	const uint64_t t0 = 5000000000ull, s = 10000000ull; /* ticks per second */
	static const struct {
		int64_t dt_ticks; /* from T0 */
		int ok;
	} win[] = {
		{0, 1}, {60 * 10000000ll, 1}, {360 * 10000000ll, 1}, {360 * 10000000ll + 1, 0},
		{-360 * 10000000ll, 1}, {-360 * 10000000ll - 1, 0}, {INT64_MAX / 2, 0},
	};
	for (size_t i = 0; i < sizeof win / sizeof *win; i++) {
		uint64_t prev = 0, ts = t0 + (uint64_t)win[i].dt_ticks;
		if (etl_time_guard_check(&g, &prev, ts) != win[i].ok)
			fail_msg("window case %zu", i);
	}
	/* in one buffer: a step back of 10 ms is jitter, more is damage (0.1 ms = 1000 ticks) */
	uint64_t prev = t0 + s;
	assert_int_equal(etl_time_guard_check(&g, &prev, t0 + s - 100000), 1);
	prev = t0 + s;
	assert_int_equal(etl_time_guard_check(&g, &prev, t0 + s - 100001), 0);
	/* no EndTime: a week after T0 is still accepted, much more is not */
	lf.end_time = 0;
	etl_time_guard_init(&g, &lf);
	prev = 0;
	assert_int_equal(etl_time_guard_check(&g, &prev, t0 + 7 * 86400 * s), 1);
	prev = 0;
	assert_int_equal(etl_time_guard_check(&g, &prev, t0 + 8 * 86400 * s), 0);
	/* no clock: nothing can be judged, everything passes */
	lf.perf_freq = 0;
	etl_time_guard_init(&g, &lf);
	prev = 0;
	assert_int_equal(etl_time_guard_check(&g, &prev, UINT64_MAX), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expansion_bound),
		cmocka_unit_test(test_memory_budget),
		cmocka_unit_test(test_header_buffer_size_cap),
		cmocka_unit_test(test_time_guard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
