/* test_xperf_dpcisr.c — `xperf -a dpcisr` report import: the real hand-trimmed sample
 * (facts from samples/MANIFEST.md and the file itself), a fuller synthetic report written
 * from the layout in text-formats.md §3.1, the line grammar, and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <string.h>
#include "ingest/ingest.h"
#include "ingest/pdh/pdh_utf8.h"
#include "ingest/xperf/xperf_dpcisr.h"
#include "ingest/xperf/xperf_line.h"
#include "tests/text/text_test_sink.h"

#define SAMPLE SHARED_DIR "/samples/xperf/djdallmann_KeyboardDPCandInterruptLatency-PS2vsUSB.txt"

static uint64_t count_of(const struct tt_sink *t, uint32_t block, uint64_t lo_us)
{
	for (size_t i = 0; i < t->nb; i++)
		if (t->b[i].block == block && t->b[i].lo_ns == lo_us * 1000)
			return t->b[i].count;
	return UINT64_MAX;
}

static size_t block_buckets(const struct tt_sink *t, uint32_t block)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nb; i++)
		n += t->b[i].block == block;
	return n;
}

static const struct tt_bucket *first_of(const struct tt_sink *t, uint32_t block)
{
	for (size_t i = 0; i < t->nb; i++)
		if (t->b[i].block == block)
			return &t->b[i];
	return NULL;
}

static void test_real_sample(void **state)
{
	struct tt_sink t;
	(void)state;
	tt_init(&t);
	assert_int_equal(tt_parse_file(&t, TT_XPERF, SAMPLE), INGEST_OK);
	/* five blocks: kbdhid.sys twice and i8042prt.sys twice under "DPC Latency", then
	 * i8042prt.sys under "Interrupt Latency" */
	static const struct {
		const char *module;
		uint8_t kind;
		uint64_t total;
		size_t nbuckets;
	} want[] = {{"kbdhid.sys", SINK_DPC, 921, 7}, {"kbdhid.sys", SINK_DPC, 920, 6},
		    {"i8042prt.sys", SINK_DPC, 938, 4}, {"i8042prt.sys", SINK_DPC, 937, 6},
		    {"i8042prt.sys", SINK_ISR, 937, 6}};
	for (uint32_t b = 0; b < 5; b++) {
		const struct tt_bucket *f = first_of(&t, b);
		assert_non_null(f);
		assert_string_equal(f->module, want[b].module);
		assert_int_equal(f->kind, want[b].kind);
		assert_int_equal(tt_block_sum(&t, b), want[b].total);
		assert_int_equal(block_buckets(&t, b), want[b].nbuckets);
		assert_int_equal(f->lo_ns, 0);
		assert_int_equal(f->hi_ns, 1000); /* (0, 1] µs */
	}
	assert_null(first_of(&t, 5));
	/* rows as printed, zero-count rows included */
	assert_int_equal(count_of(&t, 0, 2), 411);
	assert_int_equal(count_of(&t, 0, 4), 508);
	assert_int_equal(count_of(&t, 0, 8), 0);
	assert_int_equal(count_of(&t, 0, 32), 1);
	assert_int_equal(count_of(&t, 1, 4), 628);
	assert_int_equal(count_of(&t, 2, 4), 935);
	assert_int_equal(count_of(&t, 3, 2), 21);
	assert_int_equal(count_of(&t, 4, 8), 8);
	assert_int_equal(count_of(&t, 4, 16), 929);
	/* every printed total matches its rows; the bare "Total," line is accepted */
	assert_int_equal(tt_warnings(&t, "total_mismatch"), 0);
	assert_int_equal(t.nwarn, 0);
	assert_int_equal(t.nev, 0); /* no events invented */
	assert_int_equal(t.nu, 0);
	assert_string_equal(tt_str(&t, "report"), "xperf -a dpcisr");
	assert_int_equal((int)tt_num(&t, "histogram_blocks"), 5);
	const cJSON *c = cJSON_GetObjectItem(t.summary, "counted");
	assert_int_equal((int)cJSON_GetObjectItem(c, "dpc")->valuedouble, 921 + 920 + 938 + 937);
	assert_int_equal((int)cJSON_GetObjectItem(c, "isr")->valuedouble, 937);
	tt_free(&t);
}

static void test_detect_sample(void **state)
{
	unsigned char head[INGEST_DETECT_BYTES];
	FILE *f = fopen(SAMPLE, "rb");
	size_t n;
	(void)state;
	assert_non_null(f);
	n = fread(head, 1, sizeof head, f);
	fclose(f);
	assert_int_equal(ingest_detect(head, n), INGEST_FMT_XPERF_DPCISR);
}

static const char full_report[] =
	"--------------------------\r\n"
	"DPC Info\r\n"
	"--------------------------\r\n"
	"CPU Usage Summing By Module For the Whole Trace\r\n"
	"CPU Usage from 0 us to 90000000 us:\r\n"
	"     CPU 0 Usage,      CPU 1 Usage,\r\n"
	"     usec      %,      usec      %, Module\r\n"
	"      120   0.00,         5   0.00, carddrv.sys\r\n"
	"        1   0.00,         0   0.00, \"Unknown\"\r\n"
	"        0   0.00,      2000   0.00, ndis.sys\r\n"
	"Total = 3261\r\n"
	"Elapsed Time, >        0 usecs AND <=        1 usecs,      1, or   0.03%\r\n"
	"Elapsed Time, >        1 usecs AND <=        2 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        2 usecs AND <=        4 usecs,     20, or   0.61%\r\n"
	"Elapsed Time, >        4 usecs AND <=        8 usecs,    238, or   7.30%\r\n"
	"Elapsed Time, >        8 usecs AND <=       16 usecs,   2990, or  91.69%\r\n"
	"Elapsed Time, >       16 usecs AND <=       32 usecs,     10, or   0.31%\r\n"
	"Elapsed Time, >       32 usecs AND <=       64 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >       64 usecs AND <=      128 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >      128 usecs AND <=      256 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >      256 usecs AND <=      512 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >      512 usecs AND <=     1024 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >     1024 usecs AND <=     2048 usecs,      1, or   0.03%\r\n"
	"Elapsed Time, >     2048 usecs,      1, or   0.03%\r\n"
	"Total,                                                  3261\r\n"
	"Total = 3000 for module carddrv.sys\r\n"
	"Elapsed Time, >        0 usecs AND <=        1 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        1 usecs AND <=        2 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        2 usecs AND <=        4 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        4 usecs AND <=        8 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        8 usecs AND <=       16 usecs,   2990, or  99.67%\r\n"
	"Elapsed Time, >       16 usecs AND <=       32 usecs,     10, or   0.33%\r\n"
	"Total,                                                  3000\r\n"
	"Total = 1 for module \"Unknown\"\r\n"
	"Elapsed Time, >        0 usecs AND <=        1 usecs,      1, or 100.00%\r\n"
	"Total,                                                     1\r\n"
	"Total = 258 for module ndis.sys\r\n"
	"Elapsed Time, >        0 usecs AND <=        1 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        1 usecs AND <=        2 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        2 usecs AND <=        4 usecs,     20, or   7.75%\r\n"
	"Elapsed Time, >        4 usecs AND <=        8 usecs,    238, or  92.25%\r\n"
	"Total,                                                   258\r\n"
	"Total = 2 for module NDIS.SYS\r\n"
	"Elapsed Time, >        0 usecs AND <=        1 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        1 usecs AND <=        2 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        2 usecs AND <=        4 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        4 usecs AND <=        8 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >        8 usecs AND <=       16 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >       16 usecs AND <=       32 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >       32 usecs AND <=       64 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >       64 usecs AND <=      128 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >      128 usecs AND <=      256 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >      256 usecs AND <=      512 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >      512 usecs AND <=     1024 usecs,      0, or   0.00%\r\n"
	"Elapsed Time, >     1024 usecs AND <=     2048 usecs,      1, or  50.00%\r\n"
	"Elapsed Time, >     2048 usecs,      1, or  50.00%\r\n"
	"Total,                                                     2\r\n"
	"All Module = 3261,  Total = 3261,   EQUAL\r\n"
	"--------------------------\r\n"
	"Usage From 0 ms to 90000 ms, Summing In 1 second intervals. Intervals=90\r\n"
	"                       ,      CPU 0 Usage ,      CPU 1 Usage\r\n"
	"Start (ms) End (ms)    ,    (usec)      % ,    (usec)      %\r\n"
	"         0-1000      :,        18   0.00,         0   0.00\r\n"
	"      1000-2000      :,        20   0.00,         5   0.00\r\n"
	"--------------------------\r\n"
	"Interrupt Info\r\n"
	"--------------------------\r\n"
	"CPU Usage Summing By Module For the Whole Trace\r\n"
	"CPU Usage from 0 us to 90000000 us:\r\n"
	"     CPU 0 Usage,      CPU 1 Usage,\r\n"
	"     usec      %,      usec      %, Module\r\n"
	"       40   0.00,        60   0.00, ndis.sys\r\n"
	"Total = 12\r\n"
	"Elapsed Time, >        0 usecs AND <=        1 usecs,      2, or  16.67%\r\n"
	"Elapsed Time, >        1 usecs AND <=        2 usecs,     10, or  83.33%\r\n"
	"Total,                                                    12\r\n"
	"Total = 12 for module ndis.sys\r\n"
	"Elapsed Time, >        0 usecs AND <=        1 usecs,      2, or  16.67%\r\n"
	"Elapsed Time, >        1 usecs AND <=        2 usecs,     10, or  83.33%\r\n"
	"Total,                                                    12\r\n"
	"All Module = 12,  Total = 12,   EQUAL\r\n"
	"Distribution of number of 2000 ms intervals w.r.t. DPC/ISR usage:\r\n"
	"                ,                      CPU 0,                      CPU 1\r\n"
	" DPC/ISR Usage %,      DPC      ISR Combined,      DPC      ISR Combined\r\n"
	">=  0 AND <=   1,       45,       45,       45,       45,       45,       45\r\n"
	"---\r\n"
	"Total:          ,       45,       45,       45,       45,       45,       45\r\n";

static void check_full(struct tt_sink *t)
{
	/* blocks: DPC all-modules, carddrv, Unknown, ndis, NDIS (repeated), ISR all, ndis */
	static const struct {
		const char *module; /* NULL = all modules */
		uint8_t kind;
		uint64_t total;
		size_t nbuckets;
	} want[] = {{NULL, SINK_DPC, 3261, 13},     {"carddrv.sys", SINK_DPC, 3000, 6},
		    {"Unknown", SINK_DPC, 1, 1},     {"ndis.sys", SINK_DPC, 258, 4},
		    {"NDIS.SYS", SINK_DPC, 2, 13},   {NULL, SINK_ISR, 12, 2},
		    {"ndis.sys", SINK_ISR, 12, 2}};
	for (uint32_t b = 0; b < 7; b++) {
		const struct tt_bucket *f = first_of(t, b);
		assert_non_null(f);
		if (want[b].module)
			assert_string_equal(f->module, want[b].module);
		else
			assert_null(f->module);
		assert_int_equal(f->kind, want[b].kind);
		assert_int_equal(tt_block_sum(t, b), want[b].total);
		assert_int_equal(block_buckets(t, b), want[b].nbuckets);
	}
	/* the open-ended top bucket: > 2048 µs */
	for (size_t i = 0; i < t->nb; i++)
		if (t->b[i].block == 4 && t->b[i].lo_ns == 2048000)
			assert_true(t->b[i].hi_ns == UINT64_MAX);
	assert_int_equal(count_of(t, 0, 1024), 1);
	/* per-CPU usage, non-zero cells only */
	static const struct {
		const char *module;
		uint8_t kind;
		uint16_t cpu;
		uint64_t us;
	} u[] = {{"carddrv.sys", SINK_DPC, 0, 120}, {"carddrv.sys", SINK_DPC, 1, 5},
		 {"Unknown", SINK_DPC, 0, 1},       {"ndis.sys", SINK_DPC, 1, 2000},
		 {"ndis.sys", SINK_ISR, 0, 40},     {"ndis.sys", SINK_ISR, 1, 60}};
	assert_int_equal(t->nu, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(t->u[i].module, u[i].module);
		assert_int_equal(t->u[i].kind, u[i].kind);
		assert_int_equal(t->u[i].cpu, u[i].cpu);
		assert_int_equal(t->u[i].busy_us, u[i].us);
	}
	assert_int_equal(t->nwarn, 0);
	assert_int_equal(t->nev, 0);
	assert_int_equal((int)tt_num(t, "cpus"), 2);
	assert_int_equal((int)tt_num(t, "self_checks"), 2);
	assert_int_equal((int)tt_num(t, "self_checks_failed"), 0);
	const cJSON *r = cJSON_GetObjectItem(t->summary, "range_us");
	assert_int_equal(cJSON_GetArraySize(r), 2);
	assert_int_equal((int64_t)cJSON_GetArrayItem(r, 1)->valuedouble, 90000000);
}

static void test_full_report(void **state)
{
	struct tt_sink t;
	(void)state;
	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_XPERF, full_report, sizeof full_report - 1, 0, 0),
			 INGEST_OK);
	check_full(&t);
	tt_free(&t);
	unsigned char head[INGEST_DETECT_BYTES];
	size_t n = sizeof full_report - 1 < sizeof head ? sizeof full_report - 1 : sizeof head;
	memcpy(head, full_report, n);
	assert_int_equal(ingest_detect(head, n), INGEST_FMT_XPERF_DPCISR);
}

/* Tiny read blocks and the smallest line cap that fits give the same result. */
static void test_full_report_streaming(void **state)
{
	struct tt_sink t;
	(void)state;
	for (size_t block = 1; block <= 7; block += 3) {
		tt_init(&t);
		assert_int_equal(tt_parse_mem(&t, TT_XPERF, full_report, sizeof full_report - 1, 100,
					      block), INGEST_OK);
		check_full(&t);
		tt_free(&t);
	}
	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_XPERF, full_report, sizeof full_report - 1, 40, 16),
			 INGEST_EFORMAT);
	assert_non_null(strstr(t.err, "longer than 40 bytes"));
	assert_null(t.summary);
	tt_free(&t);
}

static void test_bad_inputs(void **state)
{
	struct tt_sink t;
	static const char no_section[] = "Total = 2 for module a.sys\n"
					 "Elapsed Time, > 0 usecs AND <= 1 usecs, 2, or 100.00%\n";
	static const char mismatch[] = "DPC Info\nTotal = 5 for module a.sys\n"
				       "Elapsed Time, > 0 usecs AND <= 1 usecs, 2, or 100.00%\n"
				       "Elapsed Time, > 0 usecs AND <= 1 usecs, 2, or 100.00%\n"
				       "Elapsed Time, > 4 usecs AND <= 2 usecs, 2, or 100.00%\n"
				       "Total, 5\n";
	static const char utf16[] = "\xFF\xFE" "D\0P\0C\0";
	(void)state;
	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_XPERF, no_section, sizeof no_section - 1, 0, 0),
			 INGEST_EFORMAT);
	assert_non_null(strstr(t.err, "Interrupt Info"));
	assert_int_equal(t.nb, 0);
	tt_free(&t);

	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_XPERF, mismatch, sizeof mismatch - 1, 0, 0), INGEST_OK);
	assert_int_equal(t.nb, 1);                       /* the overlapping row is skipped */
	assert_int_equal(tt_warnings(&t, "bucket_order"), 1);
	assert_int_equal(tt_warnings(&t, "bad_row"), 1); /* hi <= lo */
	assert_true(tt_warnings(&t, "total_mismatch") >= 1);
	tt_free(&t);

	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_XPERF, utf16, sizeof utf16 - 1, 0, 0), INGEST_EFORMAT);
	assert_non_null(strstr(t.err, "UTF-16"));
	tt_free(&t);

	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_XPERF, "hello\n", 6, 0, 0), INGEST_EFORMAT);
	assert_non_null(strstr(t.err, "not an xperf"));
	tt_free(&t);

	/* a sink that cannot hold histograms is told so, not crashed */
	struct ingest_sink bare = {0};
	struct ingest_error err = {{0}};
	FILE *f = fmemopen((void *)full_report, sizeof full_report - 1, "rb");
	assert_int_equal(xperf_dpcisr_parse(f, &bare, &err), INGEST_EFORMAT);
	fclose(f);
}

static void test_line_grammar(void **state)
{
	struct xperf_hist h;
	uint64_t total;
	const char *name;
	size_t nl;
	int has;
	(void)state;
	assert_int_equal(xperf_hist_line("Elapsed Time, > 0 usecs AND <= 1 usecs, 0, or 0.00%",
					 51, &h), 1);
	assert_int_equal(h.hi_us, 1);
	assert_int_equal(xperf_hist_line("Elapsed Time, > 2048 usecs, 2, or 100.00%", 41, &h), 1);
	assert_true(h.open);
	assert_int_equal(h.count, 2);
	assert_int_equal(xperf_hist_line("Elapsed Time, > x usecs", 23, &h), -1);
	assert_int_equal(xperf_hist_line("Elapsed Time, > 1 usecs AND <= 2 usecs, 3 junk", 46, &h),
			 -1);
	assert_int_equal(xperf_hist_line("Elapsed Time, > 99999999999999999999 usecs, 1", 46, &h),
			 -1);
	assert_int_equal(xperf_hist_line("Total, 3", 8, &h), 0);
	assert_int_equal(xperf_block_header("Total = 7 for module \"Unknown\"", 30, &total, &name,
					    &nl), 1);
	assert_int_equal(total, 7);
	assert_int_equal(nl, 9);
	assert_int_equal(xperf_block_header("Total = 7", 9, &total, &name, &nl), 1);
	assert_null(name);
	assert_int_equal(xperf_block_header("Total = 7 for modulex", 21, &total, &name, &nl), -1);
	assert_int_equal(xperf_block_footer("Total,", 6, &total, &has), 1);
	assert_int_equal(has, 0);
	assert_int_equal(xperf_block_footer("Total,   12", 11, &total, &has), 1);
	assert_int_equal(total, 12);
	assert_int_equal(xperf_block_footer("Total:  , 45", 12, &total, &has), 0);
	assert_int_equal(xperf_usage_header("  CPU 0 Usage,  CPU 1 Usage, CPU 2 Usage", 40), 3);
	assert_int_equal(xperf_usage_header("  CPU 1 Usage", 13), 0);
	assert_int_equal(xperf_usage_header("CPU 0 Usage, CPU 1 Usage, Module", 32), 2);
	assert_int_equal(xperf_usage_header("CPU 0 Usage, CPU 2 Usage", 24), 0);
	assert_int_equal(xperf_section_heading("  Interrupt Info ", 17), XPERF_SEC_ISR);
	assert_int_equal(xperf_section_heading("DPC Info", 8), XPERF_SEC_DPC);
	assert_int_equal(xperf_section_heading("USB Keyboard with PS2 adapter, PS/2 Interrupt "
					       "Latency", 53), XPERF_SEC_NONE);
}

/* Regression (fuzz_xperf_text): a Windows-1252 module name that grows to 765 bytes of
 * UTF-8 made a warning cut inside a character; every message must stay valid UTF-8. */
static void test_long_ansi_name(void **state)
{
	char text[1200];
	struct tt_sink t;
	size_t k = (size_t)snprintf(text, sizeof text, "DPC Info\nTotal = 5 for module ");
	(void)state;
	memset(text + k, 0x87, 300); /* '‡' in Windows-1252: three bytes in UTF-8 */
	k += 300;
	k += (size_t)snprintf(text + k, sizeof text - k,
			      "\nElapsed Time, > 0 usecs AND <= 1 usecs, 1, or 100.00%%\n");
	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_XPERF, text, k, 0, 0), INGEST_OK);
	assert_int_equal(tt_warnings(&t, "total_mismatch"), 1);
	for (size_t i = 0; i < t.nwarn; i++)
		assert_true(pdh_utf8_valid(t.warn_msgs[i], strlen(t.warn_msgs[i])));
	assert_true(pdh_utf8_valid(t.b[0].module, strlen(t.b[0].module)));
	assert_int_equal(strncmp(t.b[0].module, "\xE2\x80\xA1", 3), 0);
	tt_free(&t);

	/* a long UTF-8 name is cut on a character boundary, not re-read as Windows-1252 */
	k = (size_t)snprintf(text, sizeof text, "ISRs\nTotal = 1 for module ");
	for (int i = 0; i < 200; i++)
		k += (size_t)snprintf(text + k, sizeof text - k, "\xC3\xA9"); /* é */
	k += (size_t)snprintf(text + k, sizeof text - k,
			      "\nElapsed Time, > 0 usecs AND <= 1 usecs, 1, or 100.00%%\n");
	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_XPERF, text, k, 0, 0), INGEST_OK);
	assert_int_equal(strlen(t.b[0].module), 254);
	for (size_t i = 0; i < 254; i += 2)
		assert_int_equal(memcmp(t.b[0].module + i, "\xC3\xA9", 2), 0);
	assert_int_equal(t.b[0].kind, SINK_ISR);
	assert_int_equal(tt_warnings(&t, "long_module_name"), 1);
	tt_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_sample),
		cmocka_unit_test(test_detect_sample),
		cmocka_unit_test(test_full_report),
		cmocka_unit_test(test_full_report_streaming),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_line_grammar),
		cmocka_unit_test(test_long_ansi_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
