/* test_sink_failure.c — a storage error stops every parser and comes back unchanged: for
 * each format (ETL, PDH text, BLG, xperf report, WPA export) the sink refuses its k-th
 * record, for every k up to the number of records the file produces; the parser must
 * return exactly the sink's code and never call the sink again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/blg/blg_ingest.h"
#include "ingest/etl/etl_ingest.h"
#include "ingest/pdh/pdh_text.h"
#include "ingest/wpa/wpa_csv.h"
#include "ingest/xperf/xperf_dpcisr.h"
#include "tests/text/wpa_gen.h"

#define SINK_REFUSED (-77)

/* Counts every callback; refuses the fail_at-th (1-based; 0 = never). */
struct refusing_sink {
	unsigned long calls, fail_at, after_refusal;
	int32_t next_id;
};

static int note(struct refusing_sink *s)
{
	if (s->fail_at && s->calls >= s->fail_at) {
		s->after_refusal++; /* called again after refusing: a parser bug */
		return SINK_REFUSED;
	}
	return ++s->calls == s->fail_at ? SINK_REFUSED : 0;
}

static int on_counter(void *ud, const struct sink_counter *c, uint32_t *idx)
{
	(void)c;
	struct refusing_sink *s = ud;
	*idx = (uint32_t)s->next_id++;
	return note(s);
}
static int on_sample(void *ud, int64_t t, const double *v, size_t n) { (void)t, (void)v, (void)n; return note(ud); }
static int on_module(void *ud, const struct sink_module *m, int32_t *id)
{
	(void)m;
	struct refusing_sink *s = ud;
	*id = s->next_id++;
	return note(s);
}
static int on_dpcisr(void *ud, const struct sink_dpcisr *e) { (void)e; return note(ud); }
static int on_cpu_sample(void *ud, const struct sink_cpu_sample *c) { (void)c; return note(ud); }
static int on_warning(void *ud, const char *code, const char *msg) { (void)code, (void)msg; return note(ud); }
static int on_summary(void *ud, const struct cJSON *j) { (void)j; return note(ud); }
static int on_bucket(void *ud, const struct sink_dpcisr_bucket *b) { (void)b; return note(ud); }
static int on_usage(void *ud, const struct sink_dpcisr_usage *u) { (void)u; return note(ud); }

typedef int (*parse_fn)(FILE *f, const struct ingest_sink *sink, struct ingest_error *err);

static int parse_pdh_csv(FILE *f, const struct ingest_sink *s, struct ingest_error *e)
{
	return pdh_text_parse(f, ',', s, e);
}

/* Run parse over bytes with a sink refusing call fail_at; returns the parser's result. */
static int run(parse_fn parse, const char *bytes, size_t n, struct refusing_sink *s,
	       unsigned long fail_at)
{
	memset(s, 0, sizeof *s);
	s->fail_at = fail_at;
	struct ingest_sink sink = {s, on_counter, on_sample, on_module, on_dpcisr, on_cpu_sample,
				   on_warning, on_summary, on_bucket, on_usage, NULL};
	struct ingest_error err = {{0}};
	FILE *f = fmemopen((void *)bytes, n, "rb");
	assert_non_null(f);
	int rc = parse(f, &sink, &err);
	fclose(f);
	return rc;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	char *b = malloc(*n);
	assert_int_equal(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

/* Every refusal position up to `dense`, then a spread to the end (ETL files make ~10^5). */
static void check_all(const char *what, parse_fn parse, const char *bytes, size_t n)
{
	struct refusing_sink s;
	assert_int_equal(run(parse, bytes, n, &s, 0), INGEST_OK);
	unsigned long total = s.calls;
	print_message("%s: %lu sink calls\n", what, total);
	assert_true(total > 2);
	for (unsigned long k = 1; k <= total; k = k < 200 ? k + 1 : k + total / 53 + 1) {
		int rc = run(parse, bytes, n, &s, k);
		if (rc != SINK_REFUSED || s.after_refusal)
			fail_msg("%s: refusal of call %lu of %lu: parser returned %d, called the sink "
				 "%lu more times", what, k, total, rc, s.after_refusal);
	}
	assert_int_equal(run(parse, bytes, n, &s, total), SINK_REFUSED); /* the summary, last */
}

static void test_every_format(void **state)
{
	(void)state;
	static const struct {
		const char *what, *path;
		parse_fn parse;
	} files[] = {
		{"etl", SHARED_DIR "/samples/etl/airbus-ShutdownPerfDiagLogger.etl", etl_ingest},
		{"pdh-csv", SHARED_DIR "/samples/perfmon/powershell_CounterSamples.csv", parse_pdh_csv},
		{"blg (PS)", SHARED_DIR "/samples/perfmon/powershell_CounterSamples.blg", blg_ingest},
		{"blg (PAL)", SHARED_DIR "/samples/perfmon/pal_SampleLog.blg", blg_ingest},
		{"xperf", SHARED_DIR "/samples/xperf/djdallmann_KeyboardDPCandInterruptLatency-PS2vsUSB.txt",
		 xperf_dpcisr_parse},
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t n;
		char *b = slurp(files[i].path, &n);
		check_all(files[i].what, files[i].parse, b, n);
		free(b);
	}
	/* WPA: a generated DPC/ISR export (the real samples are disk tables, refused) */
	struct wg_rec rec[60];
	size_t n;
	wg_records(rec, 60);
	char *csv = wg_csv(rec, 60, 0, 0, 0, &n);
	check_all("wpa-csv", wpa_csv_parse, csv, n);
	free(csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
