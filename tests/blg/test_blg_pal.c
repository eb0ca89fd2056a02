/* test_blg_pal.c — pal_SampleLog.blg (Vista, 32-bit writer, string table + perflib blocks):
 * per-processor DPC/ISR counters come out as per-CPU series with plausible values, and the
 * August samples are converted to UTC with daylight saving (bias 300 − 60); every value
 * equals a second decoder written here from winperf.h (raw PERF_DATA_BLOCKs + formulas). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blg_test_sink.h"

#define PAL SHARED_DIR "/samples/perfmon/pal_SampleLog.blg"

static struct mem_sink m;

static int setup(void **state)
{
	char err[512];
	(void)state;
	mem_sink_init(&m);
	return mem_sink_ingest_path(&m, PAL, err, sizeof err) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mem_sink_free(&m);
	return 0;
}

static int find(const char *counter, const char *instance)
{
	for (size_t i = 0; i < m.nc; i++)
		if (strcmp(m.c[i].object, "Processor") == 0 && strcmp(m.c[i].counter, counter) == 0 &&
		    m.c[i].instance && strcmp(m.c[i].instance, instance) == 0)
			return (int)i;
	return -1;
}

/* Check one series: first value blank for rates, then all present and within [lo, hi]. */
static void check_series(const char *counter, int rate, double lo, double hi)
{
	int i = find(counter, "0");
	if (i < 0)
		fail_msg("Processor(0)\\%s missing", counter);
	assert_int_equal(m.c[i].cpu, 0);
	assert_string_equal(m.c[i].machine, "ZACH-PC");
	assert_int_equal(m.nrows, 11);
	for (size_t r = 0; r < m.nrows; r++) {
		double v = (size_t)i < m.rows[r].n ? m.rows[r].v[i] : NAN;
		if (r == 0 && rate) {
			assert_true(isnan(v));
			continue;
		}
		if (isnan(v) || v < lo || v > hi)
			fail_msg("%s row %zu = %g outside [%g, %g]", counter, r, v, lo, hi);
	}
	int t = find(counter, "_Total");
	assert_true(t >= 0);
	assert_int_equal(m.c[t].cpu, -1);
}

static void test_pal_dpc_isr_series(void **state)
{
	(void)state;
	check_series("% DPC Time", 1, 0, 100);
	check_series("% Interrupt Time", 1, 0, 100);
	check_series("% Privileged Time", 1, 0, 100);
	check_series("% Processor Time", 1, 0, 100);
	check_series("DPCs Queued/sec", 1, 0, 1e6);
	check_series("Interrupts/sec", 1, 0, 1e6);
	check_series("DPC Rate", 0, 0, 1e6);
}

/* ---- a second, independent decoder for the test: no ETL walking, no PDH records ----
 * Every perflib block in the file is a PERF_DATA_BLOCK as laid out in the public winperf.h:
 * UTF-16 "PERF", LittleEndian 1, Version 1, Revision 1, TotalByteLength, HeaderLength 0x68
 * (32-bit writer), PerfTime at +0x38, PerfFreq +0x40, PerfTime100nSec +0x48; then the
 * PERF_OBJECT_TYPE, its PERF_COUNTER_DEFINITIONs and instances. Found by scanning the raw
 * bytes for that signature; a block that straddles a 64 KiB ETL buffer (the buffer header
 * sits inside it) is counted but not decoded. Counters are picked by their standard perflib
 * title indexes: Processor 238; % Processor Time 6, % Privileged Time 144, Interrupts/sec
 * 148, % DPC Time 696, % Interrupt Time 698, DPCs Queued/sec 1334, DPC Rate 1336. */
#define PAL_MAX_BLOCKS 16
struct pal_block {
	int64_t perf_time, perf_freq, time_100ns;
	uint64_t v[1400]; /* by title index, instance "0" */
};

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Scan the file; returns how many PERF_DATA_BLOCKs it holds, fills the Processor ones. */
static size_t pal_scan(const unsigned char *b, size_t n, struct pal_block *out, size_t *nout)
{
	static const unsigned char sig[8] = {'P', 0, 'E', 0, 'R', 0, 'F', 0};
	size_t blocks = 0;
	*nout = 0;
	for (size_t i = 0; i + 0x68 + 64 <= n; i++) {
		if (memcmp(b + i, sig, 8) != 0 || le32(b + i + 8) != 1 || le32(b + i + 12) != 1 ||
		    le32(b + i + 16) != 1 || le32(b + i + 24) != 0x68)
			continue;
		blocks++;
		size_t total = le32(b + i + 20);
		const unsigned char *o = b + i + 0x68;
		if (i / 65536 != (i + total - 1) / 65536 || le32(o + 12) != 238)
			continue; /* straddles a buffer, or not the Processor object */
		assert_true(*nout < PAL_MAX_BLOCKS);
		struct pal_block *pb = &out[(*nout)++];
		memset(pb, 0, sizeof *pb);
		pb->perf_time = (int64_t)le64(b + i + 0x38);
		pb->perf_freq = (int64_t)le64(b + i + 0x40);
		pb->time_100ns = (int64_t)le64(b + i + 0x48);
		uint32_t ncounters = le32(o + 32), ninst = le32(o + 40);
		const unsigned char *d = o + le32(o + 8), *inst = o + le32(o + 4);
		uint32_t idx[64], size[64], off[64];
		assert_true(ncounters <= 64);
		for (uint32_t k = 0; k < ncounters; k++, d += le32(d)) {
			idx[k] = le32(d + 4);
			size[k] = le32(d + 32);
			off[k] = le32(d + 36);
		}
		for (uint32_t k = 0; k < ninst; k++) {
			const unsigned char *cb = inst + le32(inst);
			const unsigned char *name = inst + le32(inst + 16);
			if (le32(inst + 20) == 4 && name[0] == '0' && name[1] == 0) /* "0" + NUL */
				for (uint32_t c = 0; c < ncounters; c++)
					if (idx[c] < 1400)
						pb->v[idx[c]] = size[c] == 8 ? le64(cb + off[c])
									     : le32(cb + off[c]);
			inst = cb + le32(cb);
		}
	}
	return blocks;
}

static void near(double got, double want, const char *what, size_t row)
{
	if (!(fabs(got - want) <= 1e-9 * fmax(1, fabs(want))))
		fail_msg("%s row %zu: reader %.12g, second decoder %.12g", what, row, got, want);
}

/* Every processor value of every row equals the winperf formulas applied to the raw
 * perflib counters found by the second decoder. */
static void test_pal_matches_second_decoder(void **state)
{
	(void)state;
	size_t n, np;
	unsigned char *b = mem_slurp(PAL, &n);
	assert_non_null(b);
	struct pal_block *pb = calloc(PAL_MAX_BLOCKS, sizeof *pb);
	assert_non_null(pb);
	size_t blocks = pal_scan(b, n, pb, &np);
	assert_int_equal(blocks, 88); /* the summary's perflib_blocks (11 samples x 8 objects) */
	assert_non_null(strstr(m.summary, "\"perflib_blocks\":88"));
	assert_int_equal(np, m.nrows);
	int dpc = find("% DPC Time", "0"), intr = find("% Interrupt Time", "0");
	int priv = find("% Privileged Time", "0"), proc = find("% Processor Time", "0");
	int ints = find("Interrupts/sec", "0"), q = find("DPCs Queued/sec", "0");
	int rate = find("DPC Rate", "0");
	assert_true(dpc >= 0 && intr >= 0 && priv >= 0 && proc >= 0 && ints >= 0 && q >= 0 &&
		    rate >= 0);
	for (size_t r = 1; r < np; r++) {
		const struct pal_block *a = &pb[r - 1], *c = &pb[r];
		double dt100 = (double)(c->time_100ns - a->time_100ns);
		double dts = (double)(c->perf_time - a->perf_time) / (double)c->perf_freq;
#define D(i) ((double)(c->v[i] - a->v[i]))
		near(m.rows[r].v[dpc], 100 * D(696) / dt100, "% DPC Time", r);       /* 100NSEC_TIMER */
		near(m.rows[r].v[intr], 100 * D(698) / dt100, "% Interrupt Time", r);
		near(m.rows[r].v[priv], 100 * D(144) / dt100, "% Privileged Time", r);
		near(m.rows[r].v[proc], 100 * (1 - D(6) / dt100), "% Processor Time", r); /* _INV */
		near(m.rows[r].v[ints], D(148) / dts, "Interrupts/sec", r);          /* COUNTER_COUNTER */
		near(m.rows[r].v[q], D(1334) / dts, "DPCs Queued/sec", r);
		near(m.rows[r].v[rate], (double)c->v[1336], "DPC Rate", r);          /* RAWCOUNT */
#undef D
	}
	/* Interrupts/sec is a PERF_COUNTER_COUNTER, DPC Rate a PERF_COUNTER_RAWCOUNT */
	assert_int_equal(m.c[ints].type, 0x10410400);
	assert_int_equal(m.c[rate].type, 0x00010000);
	assert_int_equal(m.c[dpc].type, 0x20510500);
	free(pb);
	free(b);
}

static void test_pal_times_and_summary(void **state)
{
	(void)state;
	/* 2007-08-14 15:40:38.659 EDT = 19:40:38.659 UTC */
	assert_int_equal(m.rows[0].t_us, 1187120438659000LL);
	assert_int_equal(m.rows[10].t_us - m.rows[0].t_us, 599940000LL);
	assert_non_null(strstr(m.summary, "\"pointer_size\":4"));
	assert_non_null(strstr(m.summary, "\"bias_minutes\":300"));
	assert_non_null(strstr(m.summary, "\"daylight_bias_minutes\":-60"));
	assert_non_null(strstr(m.summary, "\"cpus\":1"));
	assert_non_null(strstr(m.summary, "\"machines\":[\"ZACH-PC\"]"));
	/* no percentage anywhere outside 0..100 for Processor counters */
	for (size_t i = 0; i < m.nc; i++) {
		if (strcmp(m.c[i].object, "Processor") != 0 || m.c[i].counter[0] != '%')
			continue;
		for (size_t r = 0; r < m.nrows; r++)
			if (i < m.rows[r].n && !isnan(m.rows[r].v[i]))
				assert_true(m.rows[r].v[i] >= 0 && m.rows[r].v[i] <= 100);
	}
}

static void test_pal_instances_named(void **state)
{
	(void)state;
	/* perflib names resolved through the 0x24 string table; duplicates get #n */
	int svchost = 0, svchost1 = 0;
	for (size_t i = 0; i < m.nc; i++) {
		assert_true(m.c[i].object[0] != '#');
		assert_true(m.c[i].counter[0] != '#');
		if (strcmp(m.c[i].object, "Process") == 0 && m.c[i].instance) {
			svchost |= strcmp(m.c[i].instance, "svchost") == 0;
			svchost1 |= strcmp(m.c[i].instance, "svchost#1") == 0;
		}
	}
	assert_true(svchost && svchost1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pal_dpc_isr_series),
		cmocka_unit_test(test_pal_matches_second_decoder),
		cmocka_unit_test(test_pal_times_and_summary),
		cmocka_unit_test(test_pal_instances_named),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
