/* test_blg_pal.c — pal_SampleLog.blg (Vista, 32-bit writer, string table + perflib blocks):
 * per-processor DPC/ISR counters come out as per-CPU series with plausible values, and the
 * August samples are converted to UTC with daylight saving (bias 300 − 60). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
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

static void test_pal_known_values(void **state)
{
	(void)state;
	/* second sample, cross-checked with an independent decode of the same bytes */
	int dpc = find("% DPC Time", "0"), intr = find("Interrupts/sec", "0");
	int rate = find("DPC Rate", "0"), q = find("DPCs Queued/sec", "0");
	assert_true(dpc >= 0 && intr >= 0 && rate >= 0 && q >= 0);
	assert_float_equal(m.rows[1].v[dpc], 0.495, 0.001);
	assert_float_equal(m.rows[1].v[intr], 1228.38, 0.01);
	assert_float_equal(m.rows[2].v[q], 140.38, 0.01);
	assert_float_equal(m.rows[2].v[rate], 13, 0);
	/* Interrupts/sec is a PERF_COUNTER_COUNTER, DPC Rate a PERF_COUNTER_RAWCOUNT */
	assert_int_equal(m.c[intr].type, 0x10410400);
	assert_int_equal(m.c[rate].type, 0x00010000);
	assert_int_equal(m.c[dpc].type, 0x20510500);
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
	assert_non_null(strstr(m.summary, "\"perflib_blocks\":88"));
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
		cmocka_unit_test(test_pal_known_values),
		cmocka_unit_test(test_pal_times_and_summary),
		cmocka_unit_test(test_pal_instances_named),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
