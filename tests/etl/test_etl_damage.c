/* test_etl_damage.c — damaged and old-style traces: Win7 header buffer (SavedOffset 0) and
 * CPU byte without PROC_INDEX, a BufferSize past the end of the file, a compressed buffer that
 * does not expand to its size, an event whose size runs past its buffer. The reader keeps
 * going, counts what it skipped and says so in warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_ingest.h"
#include "ingest/etl/etl_le.h"
#include "ingest/etl/etl_merge.h"
#include "tools/etlgen/etlgen.h"
#include "etl_test_sink.h"

struct trace {
	uint8_t *data;
	size_t size;
	struct etlgen_expect e;
};

static const struct etlgen_module mod = {
	.name = "net.sys", .base = 0xfffff88001000000ull, .size = 0x100000, .dpc_rate = 20000,
	.dpc_us = {ETLGEN_UNIFORM, 2, 40}, .isr_rate = 5000, .isr_us = {ETLGEN_FIXED, 3, 0}};

static void make(struct trace *t, int compressed)
{
	struct etlgen_scenario s = {.cpus = 3, .pointer_size = 8, .compressed = compressed,
				    .buffer_size = 8192, .duration_s = 0.5, .seed = 77,
				    .qpc_frequency = 10000000, .build = 7600,
				    .dpc_groups_enabled = 1, .modules = &mod, .n_modules = 1};
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(etlgen_write(&s, f, &t->e, NULL, 0), 0);
	fseek(f, 0, SEEK_END);
	t->size = (size_t)ftell(f);
	rewind(f);
	t->data = malloc(t->size);
	assert_non_null(t->data);
	assert_int_equal(fread(t->data, 1, t->size, f), t->size);
	fclose(f);
}

static void run(struct trace *t, struct test_sink *k)
{
	FILE *f = fmemopen(t->data, t->size, "rb");
	assert_non_null(f);
	test_sink_init(k);
	struct ingest_error err = {{0}};
	assert_int_equal(etl_ingest(f, &k->sink, &err), INGEST_OK);
	fclose(f);
}

/* file offset of the i-th buffer */
static size_t buffer_at(const struct trace *t, int i)
{
	size_t off = 0;
	while (i-- > 0)
		off += etl_le32(t->data + off);
	return off;
}

static void test_win7_header_buffer_and_cpu_byte(void **state)
{
	(void)state;
	struct trace t;
	make(&t, 0);
	/* Win7: SavedOffset 0 in the header buffer; no PROC_INDEX flag, alignment byte 8 */
	etl_put32(t.data + 0x04, 0);
	for (size_t off = 0; off < t.size; off += etl_le32(t.data + off)) {
		uint8_t *b = t.data + off;
		etl_put16(b + 0x34, etl_le16(b + 0x34) & ~0x20);
		b[0x29] = 8;
	}
	struct test_sink k;
	run(&t, &k);
	assert_int_equal(test_summary_num(&k, "os_build"), 7600);
	assert_int_equal(k.n_dpc, t.e.kind[ETLGEN_DPC].count + t.e.kind[ETLGEN_ISR].count);
	for (unsigned c = 0; c < 3; c++) {
		uint64_t n = 0;
		for (size_t i = 0; i < k.n_dpc; i++)
			n += k.dpc[i].cpu == c;
		assert_int_equal(n, t.e.cpu_dpcisr[c]);
	}
	test_sink_free(&k);
	etlgen_expect_free(&t.e);
	free(t.data);
}

static void test_buffer_size_past_end(void **state)
{
	(void)state;
	struct trace t;
	make(&t, 0);
	size_t b3 = buffer_at(&t, 3);
	etl_put32(t.data + b3, 60u << 20); /* 60 MiB: beyond the file */
	struct test_sink k;
	run(&t, &k);
	assert_int_equal(test_summary_bool(&k, "partial"), 1);
	assert_true(test_sink_has_warning(&k, "truncated"));
	assert_int_equal(test_summary_num(&k, "buffers"), 3);
	test_sink_free(&k);
	etl_put32(t.data + b3, 0x20); /* smaller than a buffer header */
	run(&t, &k);
	assert_int_equal(test_summary_bool(&k, "partial"), 1);
	test_sink_free(&k);
	etlgen_expect_free(&t.e);
	free(t.data);
}

static void test_bad_compressed_buffer_is_skipped(void **state)
{
	(void)state;
	struct trace t;
	make(&t, 1);
	size_t b2 = buffer_at(&t, 2);
	etl_put32(t.data + b2 + 0x30, etl_le32(t.data + b2 + 0x30) + 64); /* size mismatch */
	size_t b4 = buffer_at(&t, 4);
	etl_put32(t.data + b4 + 0x30, 60u << 20); /* claims to expand past the nominal size */
	struct test_sink k;
	run(&t, &k);
	assert_int_equal(test_summary_bool(&k, "partial"), 0);
	assert_int_equal(test_summary_num(&k, "bad_buffers"), 2);
	assert_true(test_sink_has_warning(&k, "bad_buffer"));
	uint64_t all = t.e.kind[ETLGEN_DPC].count + t.e.kind[ETLGEN_ISR].count;
	assert_true(k.n_dpc < all);
	assert_true(k.n_dpc > all / 2);
	test_sink_free(&k);
	etlgen_expect_free(&t.e);
	free(t.data);
}

/* A trace whose first buffer names LZNT1 (2) or XPRESS Huffman (4): its compressed buffers
 * are skipped with a warning naming the format, not reported as damage. */
static void test_unsupported_compression_is_named(void **state)
{
	(void)state;
	const int formats[] = {2, 4};
	for (int i = 0; i < 2; i++) {
		struct trace t;
		make(&t, 1);
		uint32_t st = etl_le32(t.data + 0x2C);
		etl_put32(t.data + 0x2C, (st & 0xFFFF0000u) | (uint32_t)formats[i]);
		struct test_sink k;
		run(&t, &k);
		assert_int_equal(test_summary_num(&k, "compression_format"), formats[i]);
		assert_true(test_summary_num(&k, "bad_buffers") > 0);
		assert_true(test_sink_has_warning(&k, "unsupported_compression"));
		assert_false(test_sink_has_warning(&k, "bad_buffer"));
		assert_int_equal(k.n_dpc, 0); /* every event buffer was compressed */
		test_sink_free(&k);
		etlgen_expect_free(&t.e);
		free(t.data);
	}
}

static void test_event_size_past_buffer(void **state)
{
	(void)state;
	struct trace t;
	make(&t, 0);
	size_t b2 = buffer_at(&t, 2);
	/* third event of buffer 2: give it a size that runs past the used part */
	uint8_t *ev = t.data + b2 + 0x48;
	for (int i = 0; i < 2; i++)
		ev += (etl_le16(ev + 4) + 7) & ~7;
	etl_put16(ev + 4, 0xFFF0);
	struct test_sink k;
	run(&t, &k);
	assert_int_equal(test_summary_num(&k, "malformed_buffers"), 1);
	assert_true(test_summary_num(&k, "unknown") >= 1);
	assert_true(test_sink_has_warning(&k, "unknown_event"));
	uint64_t all = t.e.kind[ETLGEN_DPC].count + t.e.kind[ETLGEN_ISR].count;
	assert_true(k.n_dpc < all);
	assert_true(k.n_dpc > all - 300);
	test_sink_free(&k);
	etlgen_expect_free(&t.e);
	free(t.data);
}

/* A DPC/ISR's InitialTime damaged three ways: after its own timestamp (malformed), 30 s
 * back (longer than the DPC watchdog allows) or at tick 0 (outside the trace). The record
 * is dropped and counted; impossible times also make the run partial. */
static void test_dpc_bad_initial_time(void **state)
{
	(void)state;
	static const struct {
		int64_t delta; /* ticks from the event's timestamp; INT64_MIN: tick 0 */
		const char *count, *warning;
		int partial;
	} cases[] = {
		{1000, "malformed_events", "unknown_event", 0},
		{-300000000ll /* 30 s at 10 MHz */, "damaged_events", "damaged_time", 1},
		{INT64_MIN, "damaged_events", "damaged_time", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct trace t;
		make(&t, 0);
		uint8_t *ev = t.data + buffer_at(&t, 2) + 0x48; /* PERFINFO: ts +8, InitialTime +16 */
		uint64_t ts = etl_le64(ev + 8);
		etl_put64(ev + 16, cases[i].delta == INT64_MIN ? 0 : ts + (uint64_t)cases[i].delta);
		struct test_sink k;
		run(&t, &k);
		assert_int_equal(test_summary_num(&k, cases[i].count), 1);
		assert_true(test_sink_has_warning(&k, cases[i].warning));
		assert_int_equal(test_summary_bool(&k, "partial"), cases[i].partial);
		uint64_t all = t.e.kind[ETLGEN_DPC].count + t.e.kind[ETLGEN_ISR].count;
		assert_int_equal(k.n_dpc, all - 1);
		test_sink_free(&k);
		etlgen_expect_free(&t.e);
		free(t.data);
	}
}

/* Circular logging: a CPU's buffers are not in file order. Sorting by SequenceNumber
 * restores time order; nothing is lost. */
static void test_buffers_out_of_file_order(void **state)
{
	(void)state;
	struct trace t;
	make(&t, 0);
	size_t bs = 8192, n = t.size / bs;
	assert_true(n > 6);
	/* swap the first and last data buffers of CPU 1 */
	size_t first = 0, last = 0;
	for (size_t i = 1; i < n; i++)
		if (t.data[i * bs + 0x28] == 1) {
			if (!first)
				first = i;
			last = i;
		}
	assert_true(first && last > first);
	uint8_t tmp[8192];
	memcpy(tmp, t.data + first * bs, bs);
	memcpy(t.data + first * bs, t.data + last * bs, bs);
	memcpy(t.data + last * bs, tmp, bs);

	FILE *f = fmemopen(t.data, t.size, "rb");
	struct etl_merge m;
	assert_int_equal(etl_merge_open(&m, f), 0);
	struct etl_event ev;
	uint64_t prev = 0, back = 0, events = 0;
	while (etl_merge_next(&m, &ev) == 1) {
		back += ev.timestamp < prev;
		prev = ev.timestamp;
		events++;
	}
	etl_merge_close(&m);
	fclose(f);
	assert_int_equal(back, 0);
	assert_int_equal(events, t.e.events);

	struct test_sink k;
	run(&t, &k);
	assert_int_equal(k.n_dpc, t.e.kind[ETLGEN_DPC].count + t.e.kind[ETLGEN_ISR].count);
	assert_int_equal(test_summary_num(&k, "unknown"), 0);
	test_sink_free(&k);
	etlgen_expect_free(&t.e);
	free(t.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_win7_header_buffer_and_cpu_byte),
		cmocka_unit_test(test_buffer_size_past_end),
		cmocka_unit_test(test_bad_compressed_buffer_is_skipped),
		cmocka_unit_test(test_unsupported_compression_is_named),
		cmocka_unit_test(test_event_size_past_buffer),
		cmocka_unit_test(test_dpc_bad_initial_time),
		cmocka_unit_test(test_buffers_out_of_file_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
