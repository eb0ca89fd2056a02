/* test_blg_bad.c — damaged and foreign input: powershell_BadCounterSamples.blg (26
 * machines, off-line machines, counters that run backwards after reboots) decodes with
 * warnings; the CSV named .blg and a plain ETW trace are rejected with a clear message;
 * every truncation of the real samples decodes to a prefix of the whole (or is refused with
 * a message), and flipped bytes give numbers, blanks or a refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blg_ingest.h"
#include "blg_test_sink.h"

#define DIR SHARED_DIR "/samples/perfmon/"

static void test_bad_multi_machine(void **state)
{
	struct mem_sink m;
	char err[512];
	size_t blank = 0, vals = 0;
	(void)state;
	mem_sink_init(&m);
	assert_int_equal(mem_sink_ingest_path(&m, DIR "powershell_BadCounterSamples.blg", err,
					      sizeof err), 0);
	assert_int_equal(m.nc, 26);
	assert_int_equal(m.nrows, 275);
	for (size_t i = 0; i < m.nc; i++) {
		assert_string_equal(m.c[i].object, "Processor");
		assert_string_equal(m.c[i].instance, "_Total");
		assert_int_equal(m.c[i].cpu, -1);
		assert_true(strncmp(m.c[i].machine, "s14185", 6) == 0);
	}
	for (size_t r = 0; r < m.nrows; r++)
		for (size_t i = 0; i < m.rows[r].n; i++) {
			double v = m.rows[r].v[i];
			if (isnan(v)) {
				blank++;
				continue;
			}
			vals++;
			assert_true(v >= 0 && v <= 100);
		}
	/* off-line machines and negative intervals are reported, not hidden */
	assert_true(mem_sink_warnings(&m, "counter_error") > 0);
	assert_true(mem_sink_warnings(&m, "negative_value") > 0);
	assert_true(blank > 26 && vals > 6900);
	assert_non_null(strstr(m.summary, "\"machine_count\":26"));
	assert_non_null(strstr(m.summary, "\"time_zone\":\"SA Eastern Standard Time\""));
	assert_non_null(strstr(m.summary, "\"bias_minutes\":180"));
	assert_non_null(strstr(m.summary, "\"utc_offset\":\"UTC-03:00\""));
	/* 2007-07-02 14:20:12.734 local (UTC-3) = 17:20:12.734 UTC */
	assert_int_equal(m.rows[0].t_us, 1183396812734000LL);
	mem_sink_free(&m);
}

static void test_rejects_text_and_plain_etl(void **state)
{
	struct mem_sink m;
	char err[512];
	(void)state;
	mem_sink_init(&m);
	assert_int_equal(mem_sink_ingest_path(&m, DIR "powershell_CorruptBlg.blg", err, sizeof err),
			 INGEST_EFORMAT);
	assert_non_null(strstr(err, "not a perfmon binary log"));
	assert_int_equal(m.nrows, 0);
	mem_sink_free(&m);
	mem_sink_init(&m);
	assert_int_equal(mem_sink_ingest_path(&m, SHARED_DIR "/samples/etl/airbus-lxcore_kernel.etl",
					      err, sizeof err), INGEST_EFORMAT);
	assert_non_null(strstr(err, "PDH"));
	mem_sink_free(&m);
}

/* Run blg_ingest over the bytes into m (caller frees); returns its result. */
static int run_bytes(unsigned char *b, size_t n, struct mem_sink *m, struct ingest_error *e)
{
	FILE *f = fmemopen(b, n, "rb");
	assert_non_null(f);
	mem_sink_init(m);
	e->message[0] = '\0';
	int rc = blg_ingest(f, &m->sink, e);
	fclose(f);
	return rc;
}

static int same_value(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* A prefix of a log decodes to a prefix of the whole log's decode: the same counters in the
 * same order, the same rows (the last one may be cut short), and a "truncated" warning; or
 * it is refused with a message. */
static void check_prefix(unsigned char *b, size_t cut, const struct mem_sink *full)
{
	struct mem_sink m;
	struct ingest_error e;
	int rc = run_bytes(b, cut, &m, &e);
	if (rc != INGEST_OK) {
		assert_int_equal(rc, INGEST_EFORMAT);
		assert_true(e.message[0] != '\0');
		assert_int_equal(m.nrows, 0);
		mem_sink_free(&m);
		return;
	}
	assert_true(m.nc <= full->nc);
	for (size_t i = 0; i < m.nc; i++)
		assert_string_equal(m.c[i].path, full->c[i].path);
	assert_true(m.nrows <= full->nrows);
	for (size_t r = 0; r + 1 < m.nrows; r++) {
		assert_int_equal(m.rows[r].t_us, full->rows[r].t_us);
		for (size_t i = 0; i < m.rows[r].n && i < full->rows[r].n; i++)
			assert_true(same_value(m.rows[r].v[i], full->rows[r].v[i]));
	}
	assert_true(mem_sink_warnings(&m, "truncated") > 0);
	mem_sink_free(&m);
}

/* Flipped bytes: refused with a message, or decoded to values that are numbers or blanks
 * with times that are real instants (no garbage past the file's counters). */
static void check_flipped(unsigned char *b, size_t n)
{
	struct mem_sink m;
	struct ingest_error e;
	int rc = run_bytes(b, n, &m, &e);
	if (rc != INGEST_OK) {
		assert_int_equal(rc, INGEST_EFORMAT);
		assert_true(e.message[0] != '\0');
	}
	for (size_t r = 0; r < m.nrows; r++) {
		assert_true(m.rows[r].n <= m.nc);
		for (size_t i = 0; i < m.rows[r].n; i++)
			assert_false(isinf(m.rows[r].v[i]));
	}
	mem_sink_free(&m);
}

static void test_truncations_and_bit_flips(void **state)
{
	static const char *files[] = { DIR "powershell_CounterSamples.blg", DIR "pal_SampleLog.blg",
				       DIR "powershell_BadCounterSamples.blg" };
	(void)state;
	for (size_t k = 0; k < 3; k++) {
		size_t n;
		unsigned char *b = mem_slurp(files[k], &n);
		assert_non_null(b);
		struct mem_sink full;
		struct ingest_error e;
		assert_int_equal(run_bytes(b, n, &full, &e), INGEST_OK);
		assert_true(full.nrows > 0);
		/* cut everywhere around the first data buffer, then every 4 KiB */
		for (size_t cut = 0x10000; cut < 0x10000 + 4096 && cut < n; cut += 24)
			check_prefix(b, cut, &full);
		for (size_t cut = 4096; cut < n; cut += 4096)
			check_prefix(b, cut, &full);
		mem_sink_free(&full);
		/* flip bytes in the PDH events of the first data buffer */
		unsigned seed = 12345;
		for (int round = 0; round < 200; round++) {
			unsigned char *c = malloc(n);
			memcpy(c, b, n);
			for (int j = 0; j < 8; j++) {
				seed = seed * 1103515245u + 12345u;
				size_t at = 0x10048 + (seed >> 8) % 0x2000;
				if (at < n)
					c[at] ^= (unsigned char)(seed >> 3);
			}
			check_flipped(c, n < 0x20000 ? n : 0x20000);
			free(c);
		}
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_multi_machine),
		cmocka_unit_test(test_rejects_text_and_plain_etl),
		cmocka_unit_test(test_truncations_and_bit_flips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
