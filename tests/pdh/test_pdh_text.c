/* test_pdh_text.c — pdh_text_parse() end to end: golden facts from MANIFEST.md on the real
 * samples, and damaged or hostile input. */
#include <cjson/cJSON.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/pdh/pdh_text.h"
#include "pdh_test_sink.h"

#define SAMPLES SHARED_DIR "/samples/perfmon/"

/* 11/26/2016 13:46:30.874 PST (UTC-8, bias 480) = 2016-11-26 21:46:30.874 UTC.
 * Days 1970-01-01 → 2016-01-01: 46*365 + 11 leap days = 16801; + 305 (Jan..Oct, leap
 * year) + 25 = 17131 days → 17131*86400 = 1480118400 s; + 21:46:30 = 78390 s. */
#define CS_FIRST_UTC_US INT64_C(1480196790874000)
/* 05/29/2008 11:36:51.794 PDT (bias 420) = 18:36:51.794 UTC; 11:45:20.279 the last row. */
#define CB_FIRST_UTC_US INT64_C(1212086211794000)
#define CB_LAST_UTC_US INT64_C(1212086720279000)

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static int same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Both sinks saw the same counters and the same rows, bit for bit. */
static void assert_same_run(const struct test_sink *a, const struct test_sink *b)
{
	assert_int_equal(a->ncounters, b->ncounters);
	for (size_t i = 0; i < a->ncounters; i++) {
		assert_string_equal(a->counters[i].path, b->counters[i].path);
		assert_int_equal(a->counters[i].cpu, b->counters[i].cpu);
	}
	assert_int_equal(a->nsamples, b->nsamples);
	for (size_t r = 0; r < a->nsamples; r++) {
		assert_int_equal(a->times[r], b->times[r]);
		for (size_t i = 0; i < a->width; i++)
			assert_true(same_double(test_sink_value(a, r, i), test_sink_value(b, r, i)));
	}
}

static const char *cs_counters[10] = {
	"\\\\charlieparker\\network interface(intel[r] ethernet connection i218-lm)\\bytes total/sec",
	"\\\\charlieparker\\network interface(intel[r] dual band wireless-ac 7260)\\bytes total/sec",
	("\\\\charlieparker\\network interface(isatap.{ea2a01ef-c879-4737-9677-c2fbbc1b5af4})\\bytes "
	 "total/sec"),
	"\\\\charlieparker\\network interface(isatap.jetsoft.com)\\bytes total/sec",
	"\\\\charlieparker\\network interface(teredo tunneling pseudo-interface)\\bytes total/sec",
	"\\\\charlieparker\\processor(_total)\\% processor time",
	"\\\\charlieparker\\memory\\% committed bytes in use",
	"\\\\charlieparker\\memory\\cache faults/sec",
	"\\\\charlieparker\\physicaldisk(_total)\\% disk time",
	"\\\\charlieparker\\physicaldisk(_total)\\current disk queue length",
};

static void check_counter_samples(const struct test_sink *t, const char *format)
{
	assert_int_equal(t->ncounters, 10);
	for (size_t i = 0; i < 10; i++) {
		assert_string_equal(t->counters[i].path, cs_counters[i]);
		assert_string_equal(t->counters[i].machine, "charlieparker");
		assert_int_equal(t->counters[i].cpu, -1); /* only processor(_total) */
	}
	assert_string_equal(t->counters[5].object, "processor");
	assert_string_equal(t->counters[5].instance, "_total");
	assert_string_equal(t->counters[5].counter, "% processor time");
	assert_string_equal(t->counters[6].object, "memory");
	assert_null(t->counters[6].instance);
	assert_string_equal(t->counters[0].instance, "intel[r] ethernet connection i218-lm");

	assert_int_equal(t->nsamples, 25);
	assert_int_equal(t->times[0], CS_FIRST_UTC_US);
	/* row 1: blanks are NAN, except % committed bytes in use and the queue length */
	for (size_t i = 0; i < 10; i++) {
		double v = test_sink_value(t, 0, i);
		if (i == 6)
			assert_true(same_double(v, strtod("86.93735103284412", NULL)));
		else if (i == 9)
			assert_true(v == 0.0);
		else
			assert_true(isnan(v));
	}
	assert_true(same_double(test_sink_value(t, 1, 5), strtod("20.913042441624498", NULL)));
	assert_true(same_double(test_sink_value(t, 1, 6), strtod("86.918513403953639", NULL)));
	assert_true(same_double(test_sink_value(t, 1, 7), strtod("0.33300142472592542", NULL)));
	for (size_t r = 0; r < t->nsamples; r++)
		assert_int_equal(t->widths[r], 10);
	assert_int_equal(t->times[1] - t->times[0], 3003000); /* 13:46:33.877 */

	assert_non_null(t->summary);
	assert_string_equal(test_summary_str(t, "format"), format);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(t->summary, "signature")));
	assert_string_equal(test_summary_str(t, "time_zone"), "Pacific Standard Time");
	assert_true(test_summary_num(t, "bias_minutes") == 480);
	assert_true(test_summary_num(t, "counters") == 10);
	assert_true(test_summary_num(t, "samples") == 25);
	assert_true(test_summary_num(t, "instances") == 7);
	assert_true(test_summary_num(t, "cpus") == 0);
	assert_true(test_summary_num(t, "first_utc_us") == (double)CS_FIRST_UTC_US);
	assert_true(test_summary_num(t, "start_utc_us") == (double)CS_FIRST_UTC_US);
	assert_true(test_summary_num(t, "last_utc_us") == (double)t->times[24]);
	assert_true(test_summary_num(t, "duration_us") == (double)(t->times[24] - t->times[0]));
	assert_true(test_summary_num(t, "interval_s") == 3.0 ||
		    fabs(test_summary_num(t, "interval_s") - 3.0) < 0.02);
	const cJSON *m = cJSON_GetObjectItem(t->summary, "machines");
	assert_int_equal(cJSON_GetArraySize(m), 1);
	assert_string_equal(cJSON_GetArrayItem(m, 0)->valuestring, "charlieparker");
	const cJSON *o = cJSON_GetObjectItem(t->summary, "objects");
	assert_int_equal(cJSON_GetArraySize(o), 4);
	assert_int_equal(t->nwarnings, 0);
}

static void test_counter_samples_csv(void **state)
{
	struct test_sink t;
	char err[512];
	(void)state;
	test_sink_init(&t);
	assert_int_equal(test_parse_file(&t, SAMPLES "powershell_CounterSamples.csv", ',', err,
					 sizeof err), INGEST_OK);
	check_counter_samples(&t, "pdh-csv");
	test_sink_free(&t);
}

static void test_counter_samples_tsv_equals_csv(void **state)
{
	struct test_sink c, t;
	char err[512];
	(void)state;
	test_sink_init(&c);
	test_sink_init(&t);
	assert_int_equal(test_parse_file(&c, SAMPLES "powershell_CounterSamples.csv", ',', err,
					 sizeof err), INGEST_OK);
	assert_int_equal(test_parse_file(&t, SAMPLES "powershell_CounterSamples.tsv", '\t', err,
					 sizeof err), INGEST_OK);
	check_counter_samples(&t, "pdh-tsv");
	assert_same_run(&c, &t);
	test_sink_free(&c);
	test_sink_free(&t);
}

/* Every block size from 1 byte up gives the same run (lines crossing block edges). */
static void test_block_sizes(void **state)
{
	struct test_sink ref, t;
	size_t len;
	char *data = slurp(SAMPLES "powershell_CounterSamples.csv", &len);
	static const size_t blocks[] = {1, 2, 3, 7, 64, 333, 4096, 100000};
	(void)state;
	test_sink_init(&ref);
	assert_int_equal(test_parse_mem(&ref, data, len, ',', 0, 0, NULL, 0), INGEST_OK);
	for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++) {
		test_sink_init(&t);
		assert_int_equal(test_parse_mem(&t, data, len, ',', 0, blocks[i], NULL, 0), INGEST_OK);
		assert_same_run(&ref, &t);
		test_sink_free(&t);
	}
	test_sink_free(&ref);
	free(data);
}

/* Wrong separator passed in: the signature decides, with a warning. */
static void test_separator_follows_signature(void **state)
{
	struct test_sink c, t;
	(void)state;
	test_sink_init(&c);
	test_sink_init(&t);
	assert_int_equal(test_parse_file(&c, SAMPLES "powershell_CounterSamples.csv", ',', NULL, 0),
			 INGEST_OK);
	assert_int_equal(test_parse_file(&t, SAMPLES "powershell_CounterSamples.tsv", ',', NULL, 0),
			 INGEST_OK);
	assert_same_run(&c, &t);
	assert_int_equal(test_sink_warnings(&t, "separator_mismatch"), 1);
	assert_string_equal(test_summary_str(&t, "format"), "pdh-tsv");
	test_sink_free(&c);
	test_sink_free(&t);
}

/* MANIFEST: a text PDH-CSV from 2008, CHANDSR-X86, Pacific Daylight Time (420), 9 counters
 * incl. a duplicated Processor(_Total)\% Processor Time, first cell without signature.
 * The file itself: 501 lines (`wc -l` says 500: the last line has no line ending) = the
 * header + 500 data rows, 05/29/2008 11:36:51.794 … 11:45:20.279, ~1 s apart. */
static void test_corrupt_blg(void **state)
{
	struct test_sink t;
	char err[512];
	(void)state;
	test_sink_init(&t);
	assert_int_equal(test_parse_file(&t, SAMPLES "powershell_CorruptBlg.blg", ',', err,
					 sizeof err), INGEST_OK);
	assert_int_equal(test_sink_warnings(&t, "signature_missing"), 1);
	assert_int_equal(t.nwarnings, 1);
	assert_int_equal(t.ncounters, 9);
	assert_string_equal(t.counters[1].path, "\\\\CHANDSR-X86\\Processor(_Total)\\% Processor Time");
	assert_string_equal(t.counters[2].path, "\\\\CHANDSR-X86\\Processor(_Total)\\% Processor Time");
	assert_string_equal(t.counters[0].instance, "0");
	assert_int_equal(t.counters[0].cpu, 0);
	assert_int_equal(t.counters[1].cpu, -1);
	assert_string_equal(t.counters[6].object, "Process");
	assert_string_equal(t.counters[6].instance, "LogonUI");
	assert_int_equal(t.nsamples, 500);
	assert_int_equal(t.times[0], CB_FIRST_UTC_US);
	assert_int_equal(t.times[499], CB_LAST_UTC_US);
	/* row 3 (11:36:53.841): both duplicate columns carry their own cells */
	assert_true(same_double(test_sink_value(&t, 2, 1), strtod("4.6153846153846096", NULL)));
	assert_true(same_double(test_sink_value(&t, 2, 2), strtod("4.6153846153846096", NULL)));
	assert_true(isnan(test_sink_value(&t, 0, 1)) && isnan(test_sink_value(&t, 0, 2)));
	assert_true(test_sink_value(&t, 0, 3) == 0.0);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(t.summary, "signature")));
	assert_string_equal(test_summary_str(&t, "time_zone"), "Pacific Daylight Time");
	assert_true(test_summary_num(&t, "bias_minutes") == 420);
	assert_true(test_summary_num(&t, "samples") == 500);
	assert_true(test_summary_num(&t, "counters") == 9);
	assert_true(test_summary_num(&t, "instances") == 4);
	assert_true(test_summary_num(&t, "cpus") == 1);
	assert_true(test_summary_num(&t, "interval_s") >= 1.0 &&
		    test_summary_num(&t, "interval_s") <= 1.05);
	assert_true(test_summary_num(&t, "duration_us") == (double)(CB_LAST_UTC_US - CB_FIRST_UTC_US));
	test_sink_free(&t);
}

/* The real files go through format detection (ingest_file) to this parser. */
static void test_ingest_file_dispatch(void **state)
{
	static const struct {
		const char *file;
		enum ingest_format fmt;
		size_t samples;
	} cases[] = {
		{SAMPLES "powershell_CounterSamples.csv", INGEST_FMT_PDH_CSV, 25},
		{SAMPLES "powershell_CounterSamples.tsv", INGEST_FMT_PDH_TSV, 25},
		{SAMPLES "powershell_CorruptBlg.blg", INGEST_FMT_PDH_CSV, 500},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct test_sink t;
		struct ingest_error err = {{0}};
		enum ingest_format fmt;
		test_sink_init(&t);
		assert_int_equal(ingest_file(cases[i].file, &t.sink, &fmt, &err), INGEST_OK);
		assert_int_equal(fmt, cases[i].fmt);
		assert_int_equal(t.nsamples, cases[i].samples);
		test_sink_free(&t);
	}
}

/* ---- hand-made inputs ---- */

#define HDR "\"(PDH-CSV 4.0) (Pacific Standard Time)(480)\",\"\\\\M\\Processor(0)\\% DPC Time\"," \
	    "\"\\\\M\\Processor(1)\\% DPC Time\"\r\n"
#define ROW1 "\"11/26/2016 13:46:30.874\",\" \",\"\"\r\n"
#define ROW2 "\"11/26/2016 13:46:31.874\",\"1.5\",\"2.5\"\r\n"
#define ROW3 "\"11/26/2016 13:46:32.874\",\"3\",\"4\"\r\n"

static int parse_str(struct test_sink *t, const char *s, char *err, size_t errlen)
{
	test_sink_init(t);
	return test_parse_mem(t, s, strlen(s), ',', 0, 0, err, errlen);
}

static void test_small_log(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t, HDR ROW1 ROW2 ROW3, NULL, 0), INGEST_OK);
	assert_int_equal(t.ncounters, 2);
	assert_int_equal(t.counters[0].cpu, 0);
	assert_int_equal(t.counters[1].cpu, 1);
	assert_int_equal(t.nsamples, 3);
	assert_true(isnan(test_sink_value(&t, 0, 0)) && isnan(test_sink_value(&t, 0, 1)));
	assert_true(test_sink_value(&t, 1, 0) == 1.5 && test_sink_value(&t, 2, 1) == 4.0);
	assert_true(test_summary_num(&t, "cpus") == 2);
	assert_true(test_summary_num(&t, "interval_s") == 1.0);
	assert_int_equal(t.nwarnings, 0);
	test_sink_free(&t);
}

static void replace_all(char *s, const char *from, char to)
{
	char *w = s;
	size_t n = strlen(from);
	for (const char *r = s; *r;) {
		if (strncmp(r, from, n) == 0) {
			*w++ = to;
			r += n;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static void test_crlf_equals_lf(void **state)
{
	struct test_sink a, b;
	char lf[1024] = HDR ROW1 ROW2 ROW3;
	(void)state;
	assert_int_equal(parse_str(&a, HDR ROW1 ROW2 ROW3, NULL, 0), INGEST_OK);
	replace_all(lf, "\r\n", '\n');
	assert_null(strchr(lf, '\r'));
	assert_int_equal(parse_str(&b, lf, NULL, 0), INGEST_OK);
	assert_same_run(&a, &b);
	assert_int_equal(b.nwarnings, 0);
	test_sink_free(&a);
	test_sink_free(&b);
}

static void test_bom_and_typeperf_stdout(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t,
				   "\xEF\xBB\xBF\r\n"
				   "\"(PDH-CSV 4.0)\",\"\\\\runnervmvmocb\\Paging File(_Total)\\% Usage\","
				   "\"\\\\runnervmvmocb\\Memory\\Commit Limit\"\r\n"
				   "\"09/22/2026 21:42:32.824\",\"0.000000\",\"20261367808.000000\"\r\n"
				   "Exiting, please wait...                         \r\n"
				   "The command completed successfully.\r\n",
				   NULL, 0),
			 INGEST_OK);
	assert_int_equal(t.ncounters, 2);
	assert_int_equal(t.nsamples, 1);
	assert_true(test_sink_value(&t, 0, 1) == 20261367808.0);
	assert_int_equal(test_sink_warnings(&t, "no_time_zone"), 1);
	assert_true(test_summary_num(&t, "bias_minutes") == 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(t.summary, "time_zone")));
	assert_true(test_summary_num(&t, "lines_ignored") == 2);
	assert_true(test_summary_num(&t, "interval_s") == 0);
	test_sink_free(&t);
}

static void test_quotes_rfc4180(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t,
				   "\"(PDH-CSV 4.0) (UTC)(0)\",\"\\\\M\\Obj(say \"\"hi\"\")\\C\",\"\\\\M\\Memory\\X\"\n"
				   "\"01/01/2020 00:00:00.000\",\"1\"\"2\",\"3\"\n",
				   NULL, 0),
			 INGEST_OK);
	assert_string_equal(t.counters[0].instance, "say \"hi\"");
	assert_int_equal(t.nsamples, 1);
	assert_true(isnan(test_sink_value(&t, 0, 0)));
	assert_true(test_sink_value(&t, 0, 1) == 3.0);
	assert_int_equal(test_sink_warnings(&t, "bad_value"), 1);
	test_sink_free(&t);
}

static void test_empty_input(void **state)
{
	struct test_sink t;
	char err[512];
	(void)state;
	assert_int_equal(parse_str(&t, "", err, sizeof err), INGEST_EFORMAT);
	assert_string_equal(err, "the file is empty");
	assert_int_equal(t.ncounters + t.nsamples, 0);
	assert_null(t.summary);
	test_sink_free(&t);
	assert_int_equal(parse_str(&t, "\r\n\n  \n", err, sizeof err), INGEST_EFORMAT);
	assert_non_null(strstr(err, "blank"));
	test_sink_free(&t);
}

static void test_binary_garbage(void **state)
{
	struct test_sink t;
	char err[512], junk[5000];
	uint32_t x = 12345;
	(void)state;
	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (char)(x >> 16);
	}
	test_sink_init(&t);
	assert_int_equal(test_parse_mem(&t, junk, sizeof junk, ',', 0, 0, err, sizeof err),
			 INGEST_EFORMAT);
	assert_non_null(strstr(err, "not a perfmon log"));
	assert_int_equal(t.ncounters + t.nsamples, 0);
	test_sink_free(&t);
	assert_int_equal(parse_str(&t, "\xFF\xFE\"\0(\0", err, sizeof err), INGEST_EFORMAT);
	test_sink_free(&t);
	test_sink_init(&t);
	assert_int_equal(test_parse_mem(&t, "\xFF\xFE\"\0(\0P\0", 8, ',', 0, 0, err, sizeof err),
			 INGEST_EFORMAT);
	assert_non_null(strstr(err, "UTF-16"));
	test_sink_free(&t);
}

static void test_header_only(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t, HDR, NULL, 0), INGEST_OK);
	assert_int_equal(t.ncounters, 2);
	assert_int_equal(t.nsamples, 0);
	assert_int_equal(test_sink_warnings(&t, "no_samples"), 1);
	assert_true(test_summary_num(&t, "samples") == 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(t.summary, "first_utc_us")));
	test_sink_free(&t);
	/* a header without counter paths is not a perfmon log */
	char err[512];
	assert_int_equal(parse_str(&t, "\"(PDH-CSV 4.0) (UTC)(0)\",\"Comment\"\n", err, sizeof err),
			 INGEST_EFORMAT);
	assert_non_null(strstr(err, "not a perfmon log: the first line has no counter paths"));
	test_sink_free(&t);
}

static void test_truncated_last_row(void **state)
{
	struct test_sink t;
	(void)state;
	/* cut inside a quoted cell */
	assert_int_equal(parse_str(&t, HDR ROW1 ROW2 "\"11/26/2016 13:46:32.874\",\"3\",\"4", NULL, 0),
			 INGEST_OK);
	assert_int_equal(t.nsamples, 2);
	assert_int_equal(test_sink_warnings(&t, "truncated"), 1);
	assert_true(test_summary_num(&t, "rows_skipped") == 1);
	test_sink_free(&t);
	/* cut between cells */
	assert_int_equal(parse_str(&t, HDR ROW1 ROW2 "\"11/26/2016 13:46:32.874\",\"3\"", NULL, 0),
			 INGEST_OK);
	assert_int_equal(t.nsamples, 2);
	assert_int_equal(test_sink_warnings(&t, "truncated"), 1);
	test_sink_free(&t);
	/* cut inside the time */
	assert_int_equal(parse_str(&t, HDR ROW1 ROW2 "\"11/26/20", NULL, 0), INGEST_OK);
	assert_int_equal(t.nsamples, 2);
	assert_int_equal(test_sink_warnings(&t, "truncated"), 1);
	test_sink_free(&t);
	/* complete last row without a line ending: kept, no warning */
	assert_int_equal(parse_str(&t, HDR ROW1 ROW2 "\"11/26/2016 13:46:32.874\",\"3\",\"4\"", NULL, 0),
			 INGEST_OK);
	assert_int_equal(t.nsamples, 3);
	assert_int_equal(t.nwarnings, 0);
	test_sink_free(&t);
}

static void test_column_count(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t, HDR "\"11/26/2016 13:46:30.874\",\"7\"\n"
					   "\"11/26/2016 13:46:31.874\",\"1\",\"2\",\"99\",\"98\"\n",
				   NULL, 0),
			 INGEST_OK);
	assert_int_equal(t.nsamples, 2);
	assert_true(test_sink_value(&t, 0, 0) == 7.0);
	assert_true(isnan(test_sink_value(&t, 0, 1))); /* padded with NAN, never 0 */
	assert_true(test_sink_value(&t, 1, 1) == 2.0);
	assert_int_equal(test_sink_warnings(&t, "column_count"), 2);
	test_sink_free(&t);
}

static void test_bad_timestamp(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t, HDR ROW1 "\"13/45/2016 99:00:00.000\",\"1\",\"2\"\n" ROW3,
				   NULL, 0),
			 INGEST_OK);
	assert_int_equal(t.nsamples, 2);
	assert_int_equal(test_sink_warnings(&t, "bad_timestamp"), 1);
	assert_true(test_summary_num(&t, "rows_skipped") == 1);
	test_sink_free(&t);
}

static void test_line_cap(void **state)
{
	struct test_sink t;
	char err[512];
	size_t n = 5000;
	char *big = malloc(strlen(HDR ROW1) + n + 64);
	(void)state;
	strcpy(big, HDR ROW1 "\"11/26/2016 13:46:31.874\",\"");
	memset(big + strlen(big), '1', n);
	strcpy(big + strlen(HDR ROW1 "\"11/26/2016 13:46:31.874\",\"") + n, "\",\"2\"\n" );
	test_sink_init(&t);
	assert_int_equal(test_parse_mem(&t, big, strlen(big), ',', 1000, 16, err, sizeof err),
			 INGEST_EFORMAT);
	assert_non_null(strstr(err, "line 3 is longer than 1000 bytes"));
	test_sink_free(&t);
	/* the same file under the default cap: the long cell is just a bad value */
	test_sink_init(&t);
	assert_int_equal(test_parse_mem(&t, big, strlen(big), ',', 0, 16, err, sizeof err), INGEST_OK);
	assert_int_equal(t.nsamples, 2);
	assert_int_equal(test_sink_warnings(&t, "bad_value"), 1);
	test_sink_free(&t);
	/* a header line over the cap */
	test_sink_init(&t);
	assert_int_equal(test_parse_mem(&t, big, strlen(big), ',', 50, 7, err, sizeof err),
			 INGEST_EFORMAT);
	assert_non_null(strstr(err, "line 1 is longer"));
	test_sink_free(&t);
	free(big);
}

static void test_too_many_columns(void **state)
{
	struct test_sink t;
	char err[512];
	size_t n = 1000001, len = strlen("\"(PDH-CSV 4.0)\"") + 3 * n + 1;
	char *s = malloc(len + 1), *w = s;
	(void)state;
	w += sprintf(w, "\"(PDH-CSV 4.0)\"");
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, ",\"\"");
	*w++ = '\n';
	test_sink_init(&t);
	assert_int_equal(test_parse_mem(&t, s, (size_t)(w - s), ',', 0, 0, err, sizeof err),
			 INGEST_EFORMAT);
	assert_non_null(strstr(err, "more than 1000000 columns"));
	assert_int_equal(t.ncounters, 0);
	test_sink_free(&t);
	free(s);
}

static void test_script_path_verbatim(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t, "\"(PDH-CSV 4.0) (UTC)(0)\",\"\\\\<script>alert(1)</script>\\"
				       "Process(<script>alert(1)</script>)\\<b>x</b>\"\n"
				       "\"01/01/2020 00:00:00.000\",\"1\"\n", NULL, 0),
			 INGEST_OK);
	assert_string_equal(t.counters[0].machine, "<script>alert(1)</script>");
	assert_string_equal(t.counters[0].instance, "<script>alert(1)</script>");
	assert_string_equal(t.counters[0].counter, "<b>x</b>");
	const cJSON *m = cJSON_GetObjectItem(t.summary, "machines");
	assert_string_equal(cJSON_GetArrayItem(m, 0)->valuestring, "<script>alert(1)</script>");
	test_sink_free(&t);
}

static void test_non_path_column_and_cp1252(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t, "\"(PDH-CSV 4.0) (Mitteleurop\xE4ische Zeit)(-60)\","
				       "\"\\\\M\\Prozessor(_Total)\\Prozessorzeit (%)\",\"My DCS comment\"\n"
				       "\"01/01/2020 01:00:00.000\",\"1\",\"x\"\n", NULL, 0),
			 INGEST_OK);
	assert_int_equal(t.ncounters, 1);
	assert_int_equal(test_sink_warnings(&t, "non_path_column"), 1);
	assert_int_equal(test_sink_warnings(&t, "encoding"), 1);
	assert_string_equal(test_summary_str(&t, "time_zone"), "Mitteleuropäische Zeit");
	assert_int_equal(t.times[0], INT64_C(1577836800000000)); /* 01:00 CET = 00:00 UTC */
	assert_true(test_summary_num(&t, "columns_ignored") == 1);
	test_sink_free(&t);
}

static void test_path_without_machine(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t, "\"(PDH-CSV 4.0) (UTC)(0)\",\"\\Memory\\Available MBytes\","
				       "\"\\\\PROCESSOR\\Processor(2)\\% DPC Time\"\n"
				       "\"01/01/2020 00:00:00.000\",\"1\",\"2\"\n", NULL, 0),
			 INGEST_OK);
	assert_string_equal(t.counters[0].machine, "");
	assert_string_equal(t.counters[0].object, "Memory");
	assert_int_equal(t.counters[1].cpu, 2);
	const cJSON *m = cJSON_GetObjectItem(t.summary, "machines");
	assert_int_equal(cJSON_GetArraySize(m), 1); /* no "" entry */
	assert_string_equal(cJSON_GetArrayItem(m, 0)->valuestring, "PROCESSOR");
	const cJSON *o = cJSON_GetObjectItem(t.summary, "objects");
	assert_int_equal(cJSON_GetArraySize(o), 2);
	test_sink_free(&t);
}

static void test_processor_information_nodes(void **state)
{
	struct test_sink t;
	(void)state;
	assert_int_equal(parse_str(&t, "\"(PDH-CSV 4.0) (UTC)(0)\","
				       "\"\\\\M\\Processor Information(0,0)\\% DPC Time\","
				       "\"\\\\M\\Processor Information(0,1)\\% DPC Time\","
				       "\"\\\\M\\Processor Information(1,0)\\% DPC Time\","
				       "\"\\\\M\\Processor Information(1,_Total)\\% DPC Time\","
				       "\"\\\\M\\Processor Information(_Total)\\% DPC Time\","
				       "\"\\\\M\\Processor Information(3,0)\\% DPC Time\"\n"
				       "\"01/01/2020 00:00:00.000\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\"\n",
				   NULL, 0),
			 INGEST_OK);
	assert_int_equal(t.counters[0].cpu, 0);
	assert_int_equal(t.counters[1].cpu, 1);
	assert_int_equal(t.counters[2].cpu, 2);
	assert_int_equal(t.counters[3].cpu, -1);
	assert_int_equal(t.counters[4].cpu, -1);
	assert_int_equal(t.counters[5].cpu, -1); /* node 2 has no columns */
	assert_int_equal(test_sink_warnings(&t, "cpu_mapping"), 1);
	assert_true(test_summary_num(&t, "cpus") == 3);
	test_sink_free(&t);
}

static void test_warnings_rate_limited(void **state)
{
	struct test_sink t;
	size_t cap = 100000, n;
	char *s = malloc(cap);
	(void)state;
	n = (size_t)snprintf(s, cap, "%s", HDR);
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(s + n, cap - n, "\"11/26/2016 13:46:30.874\",\"bad\",\"1\"\n");
	assert_int_equal(parse_str(&t, s, NULL, 0), INGEST_OK);
	assert_int_equal(t.nsamples, 1000);
	assert_int_equal(test_sink_warnings(&t, "bad_value"), 6); /* 5 detailed + 1 total */
	assert_non_null(strstr(t.warn_msgs[t.nwarnings - 1], "1000 warnings"));
	const cJSON *w = cJSON_GetObjectItem(t.summary, "warnings");
	assert_true(cJSON_GetObjectItem(w, "bad_value")->valuedouble == 1000);
	test_sink_free(&t);
	free(s);
}

static void test_sink_abort_passes_through(void **state)
{
	struct test_sink t;
	(void)state;
	test_sink_init(&t);
	t.fail_after = 2;
	const char *s = HDR ROW1 ROW2 ROW3;
	assert_int_equal(test_parse_mem(&t, s, strlen(s), ',', 0, 0, NULL, 0), -99);
	assert_int_equal(t.nsamples, 1);
	assert_null(t.summary);
	test_sink_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_samples_csv),
		cmocka_unit_test(test_counter_samples_tsv_equals_csv),
		cmocka_unit_test(test_block_sizes),
		cmocka_unit_test(test_separator_follows_signature),
		cmocka_unit_test(test_corrupt_blg),
		cmocka_unit_test(test_ingest_file_dispatch),
		cmocka_unit_test(test_small_log),
		cmocka_unit_test(test_crlf_equals_lf),
		cmocka_unit_test(test_bom_and_typeperf_stdout),
		cmocka_unit_test(test_quotes_rfc4180),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_binary_garbage),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_truncated_last_row),
		cmocka_unit_test(test_column_count),
		cmocka_unit_test(test_bad_timestamp),
		cmocka_unit_test(test_line_cap),
		cmocka_unit_test(test_too_many_columns),
		cmocka_unit_test(test_script_path_verbatim),
		cmocka_unit_test(test_non_path_column_and_cp1252),
		cmocka_unit_test(test_path_without_machine),
		cmocka_unit_test(test_processor_information_nodes),
		cmocka_unit_test(test_warnings_rate_limited),
		cmocka_unit_test(test_sink_abort_passes_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
