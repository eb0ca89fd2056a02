/* test_etl_merge.c — the time-ordered merge scans buffer headers lazily (as far as it needs
 * the next buffer of some CPU) for sequential files and all first for circular ones; both
 * must hand out the same events in the same order. Oracle: the same file read with the full
 * index (ETL_MERGE_INDEXED, the order of etl-format.md §1: per-CPU SequenceNumber, then
 * timestamps), event by event, on every shared ETL sample and on etlgen traces whose CPUs'
 * buffers interleave unevenly; plus the cases the lazy scan must notice: a circular file
 * (indexed) and a CPU's buffer moved further than the lookahead (counted late, none lost). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_le.h"
#include "ingest/etl/etl_merge.h"
#include "ingest/etl/etl_reader.h"
#include "tools/etlgen/etlgen.h"

#define SAMPLE(name) SHARED_DIR "/samples/etl/" name

/* Both scans of f, event by event; returns the lazy merge's late_buffers. */
static uint64_t check_same(FILE *f, int want_lazy, uint64_t *events)
{
	char path[64]; /* a second open file description: its own offset */
	snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(f));
	FILE *g = fopen(path, "rb");
	assert_non_null(g);
	struct etl_merge a, b;
	assert_int_equal(etl_merge_open_scan(&a, f, ETL_MERGE_AUTO), 0);
	assert_int_equal(etl_merge_open_scan(&b, g, ETL_MERGE_INDEXED), 0);
	assert_int_equal(a.lazy, want_lazy);
	assert_int_equal(b.lazy, 0);
	struct etl_event x, y;
	uint64_t n = 0;
	int ra, rb;
	while ((ra = etl_merge_next(&a, &x)) == 1 && (rb = etl_merge_next(&b, &y)) == 1) {
		assert_true(x.timestamp == y.timestamp);
		assert_int_equal(x.cpu, y.cpu);
		assert_int_equal(x.header_type, y.header_type);
		assert_int_equal(x.payload_len, y.payload_len);
		assert_memory_equal(x.payload, y.payload, x.payload_len);
		n++;
	}
	assert_int_equal(ra, 0);
	assert_int_equal(etl_merge_next(&b, &y), 0);
	assert_true(a.st.events == b.st.events && a.st.buffers == b.st.buffers);
	assert_int_equal(a.st.truncated, b.st.truncated);
	uint64_t late = a.late_buffers;
	etl_merge_close(&a);
	etl_merge_close(&b);
	fclose(g);
	if (events)
		*events = n;
	return late;
}

static void test_samples_same_order(void **state)
{
	(void)state;
	static const char *const files[] = {
		SAMPLE("perfview-net452-x64-compressed.etl"), SAMPLE("airbus-ShutdownPerfDiagLogger.etl"),
		SAMPLE("airbus-AMSITrace.etl"), SAMPLE("airbus-lxcore_kernel.etl"),
		SAMPLE("syzygy-image_data_32_v2.etl"),
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		FILE *f = fopen(files[i], "rb");
		assert_non_null(f);
		uint64_t n;
		assert_int_equal(check_same(f, 1, &n), 0);
		assert_true(n > 0);
		fclose(f);
	}
}

/* CPU 0 busy (a NIC's DPCs and ISRs pinned to it), CPU 5 nearly idle, the rest between:
 * CPU 5's buffers come hundreds of buffers apart in the file. */
static const unsigned cpu0[] = {0}, cpu5[] = {5};
static const struct etlgen_module uneven_modules[] = {
	{.name = "ntoskrnl.exe", .base = 0xfffff80002000000ull, .size = 0x800000, .dpc_rate = 500,
	 .dpc_kind = ETLGEN_TIMER_DPC, .dpc_us = {ETLGEN_FIXED, 5, 0}, .sample_weight = 1},
	{.name = "ndis.sys", .base = 0xfffff88001000000ull, .size = 0x100000, .dpc_rate = 40000,
	 .dpc_kind = ETLGEN_DPC, .dpc_us = {ETLGEN_LOGNORMAL, 20, 0.8}, .isr_rate = 20000,
	 .isr_msi = 1, .isr_us = {ETLGEN_UNIFORM, 1, 6}, .cpus = cpu0, .n_cpus = 1},
	{.name = "storport.sys", .base = 0xfffff88002000000ull, .size = 0x80000, .dpc_rate = 30,
	 .dpc_kind = ETLGEN_THREADED_DPC, .dpc_us = {ETLGEN_FIXED, 120, 0}, .cpus = cpu5,
	 .n_cpus = 1},
};

static FILE *uneven_trace(int compressed, uint32_t buffer_size)
{
	struct etlgen_scenario s = {
		.cpus = 8, .pointer_size = 8, .compressed = compressed, .buffer_size = buffer_size,
		.duration_s = 2, .seed = 17, .qpc_frequency = 10000000, .build = 19041,
		.sample_rate_hz = 50, .dpc_groups_enabled = 1,
		.modules = uneven_modules, .n_modules = 3,
	};
	FILE *f = tmpfile();
	assert_non_null(f);
	char msg[128];
	assert_int_equal(etlgen_write(&s, f, NULL, msg, sizeof msg), 0);
	rewind(f);
	return f;
}

/* The largest distance in file order between consecutive buffers of one CPU. */
static uint32_t widest_gap(FILE *f)
{
	uint32_t last[2048], gap = 0, index = 0;
	memset(last, 0xFF, sizeof last);
	uint8_t hb[ETL_BUFFER_HEADER_SIZE];
	for (off_t off = 0; fseeko(f, off, SEEK_SET) == 0 && fread(hb, 1, sizeof hb, f) == sizeof hb;
	     index++) {
		struct etl_buffer_header h;
		etl_buffer_header_parse(hb, &h);
		if (last[h.cpu] != UINT32_MAX && index - last[h.cpu] > gap)
			gap = index - last[h.cpu];
		last[h.cpu] = index;
		off += h.buffer_size;
	}
	rewind(f);
	return gap;
}

static void test_uneven_cpus_same_order(void **state)
{
	(void)state;
	for (int compressed = 0; compressed <= 1; compressed++) {
		FILE *f = uneven_trace(compressed, 4096);
		assert_true(widest_gap(f) > 4 * ETL_MERGE_LOOKAHEAD);
		uint64_t n;
		assert_int_equal(check_same(f, 1, &n), 0);
		assert_true(n > 100000);
		fclose(f);
	}
}

/* Set LogFileMode in the header event of an etlgen trace (the TRACE_LOGFILE_HEADER's
 * field at +32, after a 32-byte SYSTEM header at the start of buffer 0's payload). */
static void set_log_file_mode(FILE *f, uint32_t mode)
{
	uint8_t v[4] = {(uint8_t)mode, (uint8_t)(mode >> 8), (uint8_t)(mode >> 16),
			(uint8_t)(mode >> 24)};
	assert_int_equal(fseeko(f, ETL_BUFFER_HEADER_SIZE + 32 + 32, SEEK_SET), 0);
	assert_int_equal(fwrite(v, 1, 4, f), 4);
	assert_int_equal(fflush(f), 0);
	rewind(f);
}

static void test_circular_is_indexed(void **state)
{
	(void)state;
	static const uint32_t modes[] = {0x2, 0x400};
	for (size_t i = 0; i < 2; i++) {
		FILE *f = uneven_trace(0, 4096);
		set_log_file_mode(f, modes[i]);
		assert_int_equal(check_same(f, 0, NULL), 0);
		fclose(f);
	}
}

/* The full index over f and the lazy scan over g (the same trace, or a reordered copy)
 * hand out as many events, at least one; both merges are left open for the caller's
 * checks of their counters. */
static void count_both(FILE *f, FILE *g, struct etl_merge *a, struct etl_merge *b)
{
	assert_int_equal(etl_merge_open_scan(a, f, ETL_MERGE_INDEXED), 0);
	assert_int_equal(etl_merge_open_scan(b, g, ETL_MERGE_AUTO), 0);
	assert_int_equal(b->lazy, 1);
	struct etl_event ev;
	uint64_t na = 0, nb = 0;
	while (etl_merge_next(a, &ev) == 1)
		na++;
	while (etl_merge_next(b, &ev) == 1)
		nb++;
	assert_true(na == nb && na > 0);
}

/* A CPU-5 buffer moved from its place to the end of the file: further than the lookahead,
 * so the lazy merge meets it after it passed its time. It still hands out every event (the
 * moved buffer's late, counted), as many as the full index does. */
static void test_moved_buffer_counted_late(void **state)
{
	(void)state;
	FILE *f = uneven_trace(0, 4096);
	const long bs = 4096;
	assert_int_equal(fseeko(f, 0, SEEK_END), 0);
	long n = ftello(f) / bs, moved = -1;
	uint8_t *all = malloc((size_t)(n * bs));
	assert_non_null(all);
	rewind(f);
	assert_int_equal(fread(all, 1, (size_t)(n * bs), f), (size_t)(n * bs));
	for (long i = 1; i < n - 1 && moved < 0; i++) {
		struct etl_buffer_header h;
		etl_buffer_header_parse(all + i * bs, &h);
		if (h.cpu == 5)
			moved = i;
	}
	assert_true(moved > 0);
	uint8_t *out = malloc((size_t)(n * bs));
	assert_non_null(out);
	memcpy(out, all, (size_t)(moved * bs));
	memcpy(out + moved * bs, all + (moved + 1) * bs, (size_t)((n - moved - 1) * bs));
	memcpy(out + (n - 1) * bs, all + moved * bs, (size_t)bs);
	FILE *g = tmpfile();
	assert_non_null(g);
	assert_int_equal(fwrite(out, 1, (size_t)(n * bs), g), (size_t)(n * bs));
	rewind(g);
	struct etl_merge a, b;
	count_both(f, g, &a, &b);
	assert_true(b.late_buffers >= 1);
	etl_merge_close(&a);
	etl_merge_close(&b);
	free(all);
	free(out);
	fclose(f);
	fclose(g);
}

/* Every buffer of a trace relabelled to its own CPU (index % 600): most CPUs are first seen
 * while the merge runs, so streams are added (and their array grows past its first 256)
 * in the middle of a scan. Every event still comes out once; under ASan nothing is read
 * through a stream moved by the growth. */
static void test_cpus_found_while_merging(void **state)
{
	(void)state;
	FILE *f = uneven_trace(0, 4096);
	const long bs = 4096;
	assert_int_equal(fseeko(f, 0, SEEK_END), 0);
	long n = ftello(f) / bs;
	assert_true(n > 600);
	for (long i = 1; i < n; i++) {
		uint8_t v[2] = {(uint8_t)(i % 600), (uint8_t)((i % 600) >> 8)};
		assert_int_equal(fseeko(f, i * bs + 0x28, SEEK_SET), 0);
		assert_int_equal(fwrite(v, 1, 2, f), 2);
	}
	assert_int_equal(fflush(f), 0);
	rewind(f);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(f));
	FILE *g = fopen(path, "rb");
	assert_non_null(g);
	struct etl_merge a, b;
	count_both(f, g, &a, &b);
	assert_int_equal(a.n_streams, 600);
	assert_int_equal(b.n_streams, 600);
	etl_merge_close(&a);
	etl_merge_close(&b);
	fclose(f);
	fclose(g);
}

/* The merge's order on hand-made files, each expected order worked by hand from the rule
 * (etl_merge.h): a CPU's buffers by SequenceNumber (not file order); across CPUs the least
 * (timestamp, CPU) first, so of events with equal timestamps the lower CPU's come first;
 * within a CPU, the order its buffers hold (equal timestamps keep it). Each buffer is
 * written here from the layouts of the research notes' etl-format.md (WMI_BUFFER_HEADER: BufferSize +0x00,
 * SequenceNumber +0x18, ProcessorIndex +0x28 with the PROC_INDEX flag 0x20 at +0x34,
 * Offset +0x30; PERFINFO_TRACE_HEADER: Version +0, HeaderType 0x11 +2, Flags 0xC0 +3,
 * Size +4, HookId +6, TimeStamp +8), one event = 16-byte header + an 8-byte payload whose
 * first byte is the event's id. No trace header: the merge indexes every buffer first. */
#define T_BUF 512u
struct t_ev {
	uint64_t ts;
	uint8_t id;
};
struct t_buf {
	uint16_t cpu;
	int64_t seq;
	size_t n;
	struct t_ev ev[6];
};
struct t_case {
	const char *name;
	size_t n_bufs;
	struct t_buf bufs[12];
	size_t n_want;
	uint8_t want[24]; /* ids in the order the merge must hand them out */
};


/* The case's buffers, in the table's (file) order, into a temporary file. */
static FILE *t_file(const struct t_case *c)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	for (size_t b = 0; b < c->n_bufs; b++) {
		const struct t_buf *tb = &c->bufs[b];
		uint8_t buf[T_BUF];
		memset(buf, 0xFF, sizeof buf);
		memset(buf, 0, ETL_BUFFER_HEADER_SIZE);
		etl_put32(buf + 0x00, T_BUF);
		etl_put64(buf + 0x18, (uint64_t)tb->seq);
		etl_put16(buf + 0x28, tb->cpu);
		etl_put16(buf + 0x34, 0x20);
		uint8_t *e = buf + ETL_BUFFER_HEADER_SIZE;
		for (size_t i = 0; i < tb->n; i++, e += 24) {
			memset(e, 0, 24);
			etl_put16(e, 2);
			e[2] = 0x11;
			e[3] = 0xC0;
			etl_put16(e + 4, 24);
			etl_put16(e + 6, 0x0F42); /* PerfInfo group, an opcode nobody decodes */
			etl_put64(e + 8, tb->ev[i].ts);
			e[16] = tb->ev[i].id;
		}
		etl_put32(buf + 0x30, (uint32_t)(e - buf));
		assert_int_equal(fwrite(buf, 1, sizeof buf, f), sizeof buf);
	}
	assert_int_equal(fflush(f), 0);
	rewind(f);
	return f;
}

static const struct t_case t_cases[] = {
	{"equal timestamps across CPUs: lower CPU first, a CPU's own order kept", 3,
	 {{2, 1, 3, {{10, 1}, {10, 2}, {20, 3}}},
	  {0, 1, 2, {{10, 4}, {20, 5}}},
	  {1, 1, 2, {{5, 6}, {10, 7}}}},
	 7, {6, 4, 7, 1, 2, 5, 3}},
	{"one CPU only, equal timestamps in and across its buffers", 2,
	 {{3, 1, 3, {{1, 1}, {1, 2}, {2, 3}}},
	  {3, 2, 2, {{2, 4}, {2, 5}}}},
	 5, {1, 2, 3, 4, 5}},
	{"empty buffers and an empty CPU", 4,
	 {{0, 1, 0, {{0, 0}}},
	  {1, 1, 2, {{7, 1}, {9, 2}}},
	  {0, 2, 1, {{8, 3}}},
	  {5, 1, 0, {{0, 0}}}},
	 3, {1, 3, 2}},
	{"a CPU whose events end early", 2,
	 {{1, 1, 4, {{3, 1}, {4, 2}, {5, 3}, {6, 4}}},
	  {0, 1, 2, {{1, 5}, {2, 6}}}},
	 6, {5, 6, 1, 2, 3, 4}},
	{"buffers out of file order: SequenceNumber decides, ties across CPUs by CPU", 4,
	 {{0, 7, 2, {{30, 1}, {30, 2}}},
	  {1, 4, 2, {{10, 3}, {30, 4}}},
	  {0, 5, 2, {{10, 5}, {20, 6}}},
	  {1, 6, 1, {{40, 7}}}},
	 7, {5, 3, 6, 1, 2, 4, 7}},
	{"nine CPUs (a tree of uneven depth), three at each of times 0, 1, 2, all at 3", 9,
	 {{8, 1, 2, {{2, 1}, {3, 2}}},
	  {7, 1, 2, {{1, 3}, {3, 4}}},
	  {6, 1, 2, {{0, 5}, {3, 6}}},
	  {5, 1, 2, {{2, 7}, {3, 8}}},
	  {4, 1, 2, {{1, 9}, {3, 10}}},
	  {3, 1, 2, {{0, 11}, {3, 12}}},
	  {2, 1, 2, {{2, 13}, {3, 14}}},
	  {1, 1, 2, {{1, 15}, {3, 16}}},
	  {0, 1, 2, {{0, 17}, {3, 18}}}},
	 18, {17, 11, 5, 15, 9, 3, 13, 7, 1, 18, 16, 14, 12, 10, 8, 6, 4, 2}},
};

static void test_order_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof t_cases / sizeof t_cases[0]; k++) {
		const struct t_case *c = &t_cases[k];
		FILE *f = t_file(c);
		struct etl_merge m;
		assert_int_equal(etl_merge_open(&m, f), 0);
		struct etl_event ev;
		uint8_t got[64];
		size_t n = 0;
		int rc;
		while ((rc = etl_merge_next(&m, &ev)) == 1 && n < sizeof got) {
			assert_true(ev.payload_len >= 1);
			got[n++] = ev.payload[0];
		}
		if (n != c->n_want || memcmp(got, c->want, n) != 0) {
			fprintf(stderr, "case \"%s\": got", c->name);
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, " %u", got[i]);
			fprintf(stderr, "\n");
		}
		assert_int_equal(rc, 0);
		assert_int_equal(n, c->n_want);
		assert_memory_equal(got, c->want, n);
		etl_merge_close(&m);
		fclose(f);
	}
}

/* Damaged times inside a buffer, past its first event (the merge's inline step decodes
 * those): in buffers 2, 4, 6, … of an etlgen trace (3 CPUs, 8 KiB buffers, a trace header, so
 * the time guard is on) the second event's time is made implausible — bit 63 flipped in half
 * of them, 1 s before the first event's (a step back past the 10 ms tolerance) in the other
 * half. Each such event is dropped and counted once (st.damaged_times), no other: etlgen's
 * own event count less those, handed out in time order. Offsets by etl-format.md: BufferSize
 * +0x00, Offset (end of data) +0x30, events from 0x48, 8-aligned; a PERFINFO header (0x10,
 * 0x11) has its Size at +4 and TimeStamp at +8. */
static void test_damaged_times_inside_buffers(void **state)
{
	(void)state;
	static const struct etlgen_module mod = {
		.name = "net.sys", .base = 0xfffff88001000000ull, .size = 0x100000,
		.dpc_rate = 20000, .dpc_us = {ETLGEN_UNIFORM, 2, 40}, .isr_rate = 5000,
		.isr_us = {ETLGEN_FIXED, 3, 0}};
	struct etlgen_scenario sc = {.cpus = 3, .pointer_size = 8, .buffer_size = 8192,
				     .duration_s = 0.5, .seed = 77, .qpc_frequency = 10000000,
				     .build = 7600, .dpc_groups_enabled = 1, .modules = &mod,
				     .n_modules = 1};
	struct etlgen_expect e;
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(etlgen_write(&sc, f, &e, NULL, 0), 0);
	fseek(f, 0, SEEK_END);
	size_t size = (size_t)ftell(f);
	uint8_t *d = malloc(size);
	assert_non_null(d);
	rewind(f);
	assert_int_equal(fread(d, 1, size, f), size);
	fclose(f);
	uint64_t flipped = 0, stepped = 0;
	size_t index = 0;
	for (size_t off = 0; off + 0x48 <= size; index++) {
		size_t bsize = etl_le32(d + off), end = off + etl_le32(d + off + 0x30);
		assert_true(bsize >= 0x48 && off + bsize <= size);
		uint8_t *a = d + off + 0x48, *b = a + ((etl_le16(a + 4) + 7u) & ~7u);
		off += bsize;
		if (index < 2 || index % 2 || (size_t)(b + 16 - d) > end ||
		    (a[2] != 0x10 && a[2] != 0x11) || (b[2] != 0x10 && b[2] != 0x11))
			continue;
		if (index % 4) {
			b[15] ^= 0x80;
			flipped++;
		} else {
			etl_put64(b + 8, etl_le64(a + 8) - 10000000u);
			stepped++;
		}
	}
	assert_true(flipped >= 3 && stepped >= 3);
	f = fmemopen(d, size, "rb");
	assert_non_null(f);
	struct etl_merge m;
	assert_int_equal(etl_merge_open(&m, f), 0);
	assert_true(m.guard.active);
	const struct etl_event *ev;
	uint64_t n = 0, prev = 0, back = 0;
	while (etl_merge_next_ref(&m, &ev) == 1) {
		back += ev->timestamp < prev;
		prev = ev->timestamp;
		n++;
	}
	assert_int_equal(back, 0);
	assert_int_equal(m.st.damaged_times, flipped + stepped);
	assert_int_equal(n, e.events - flipped - stepped);
	assert_int_equal(m.st.events, n);
	etl_merge_close(&m);
	fclose(f);
	etlgen_expect_free(&e);
	free(d);
}

/* Narrow keys (a trace header, so the time guard's window, etl_merge.c) order as (timestamp,
 * CPU) does. Oracle, not the merge: the events read in file order (etl_reader; etlgen writes
 * each CPU's buffers in sequence order) sorted by (timestamp, CPU, file order). A 100 kHz
 * clock makes many events of different CPUs share a tick. */
struct o_ev {
	uint64_t ts, hash;
	uint32_t cpu, index;
};

static uint64_t o_hash(const struct etl_event *ev)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < ev->size; i++)
		h = (h ^ ev->raw[i]) * 1099511628211ull;
	return h;
}

static int o_cmp(const void *a, const void *b)
{
	const struct o_ev *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void test_narrow_keys_tie_order(void **state)
{
	(void)state;
	struct etlgen_scenario sc = {
		.cpus = 8, .pointer_size = 8, .buffer_size = 8192, .duration_s = 0.5, .seed = 5,
		.qpc_frequency = 100000, .build = 19041, .sample_rate_hz = 1000,
		.dpc_groups_enabled = 1, .modules = uneven_modules, .n_modules = 3};
	FILE *f = tmpfile();
	assert_non_null(f);
	char msg[128];
	assert_int_equal(etlgen_write(&sc, f, NULL, msg, sizeof msg), 0);
	rewind(f);
	struct etl_reader r;
	assert_int_equal(etl_reader_open(&r, f), 0);
	etl_reader_check_times(&r);
	struct etl_event ev;
	struct o_ev *o = NULL;
	size_t n = 0, cap = 0;
	while (etl_reader_next(&r, &ev) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			o = realloc(o, cap * sizeof *o);
			assert_non_null(o);
		}
		o[n] = (struct o_ev){ev.timestamp, o_hash(&ev), ev.cpu, (uint32_t)n};
		n++;
	}
	etl_reader_close(&r);
	qsort(o, n, sizeof *o, o_cmp);
	size_t ties = 0;
	for (size_t i = 1; i < n; i++)
		ties += o[i].ts == o[i - 1].ts && o[i].cpu != o[i - 1].cpu;
	assert_true(ties > 1000);
	rewind(f);
	struct etl_merge m;
	assert_int_equal(etl_merge_open(&m, f), 0);
	assert_true(m.narrow);
	const struct etl_event *e;
	size_t i = 0;
	while (etl_merge_next_ref(&m, &e) == 1) {
		assert_true(i < n);
		if (e->timestamp != o[i].ts || e->cpu != o[i].cpu || o_hash(e) != o[i].hash)
			fail_msg("event %zu: got (%llu, CPU %u), want (%llu, CPU %u)", i,
				 (unsigned long long)e->timestamp, e->cpu,
				 (unsigned long long)o[i].ts, o[i].cpu);
		i++;
	}
	assert_int_equal(i, n);
	etl_merge_close(&m);
	fclose(f);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_same_order),
		cmocka_unit_test(test_uneven_cpus_same_order),
		cmocka_unit_test(test_circular_is_indexed),
		cmocka_unit_test(test_moved_buffer_counted_late),
		cmocka_unit_test(test_cpus_found_while_merging),
		cmocka_unit_test(test_order_table),
		cmocka_unit_test(test_damaged_times_inside_buffers),
		cmocka_unit_test(test_narrow_keys_tie_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
