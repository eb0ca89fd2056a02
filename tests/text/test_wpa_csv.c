/* test_wpa_csv.c — WPA CSV import: the same records exported in en-US and de-DE number
 * formats (and with µs units, a BOM, fragment rows) read back identically; the two real
 * WPA exports (a Disk table) are detected and refused as "not a DPC/ISR table"; grouped,
 * fragment-only and clipboard exports are refused; number reading is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "ingest/ingest.h"
#include "ingest/pdh/pdh_utf8.h"
#include "ingest/wpa/wpa_number.h"
#include "tests/text/text_test_sink.h"
#include "tests/text/wpa_gen.h"

#define NREC 500
#define DISK_EN SHARED_DIR "/samples/wpa/etwanalyzer_Disk_Usage_Utilization_by_Disk.csv"
#define DISK_DE SHARED_DIR "/samples/wpa/etwanalyzer_Disk_Usage_Utilization_by_Disk_DE.csv"

static void check_records(const struct tt_sink *t, const struct wg_rec *r, size_t n, int excl)
{
	assert_int_equal(t->nev, n);
	for (size_t i = 0; i < n; i++) {
		const struct sink_dpcisr *e = &t->ev[i];
		assert_int_equal(e->t_ns, r[i].t_ns);
		assert_int_equal(e->duration_ns, excl ? r[i].excl_ns : r[i].incl_ns);
		assert_int_equal(e->cpu, r[i].cpu);
		assert_int_equal(e->kind, r[i].kind);
		assert_int_equal(e->routine, r[i].routine);
		if (strcmp(r[i].module, "Unknown") == 0) {
			assert_int_equal(e->module_id, -1);
		} else {
			assert_true(e->module_id >= 0 && (size_t)e->module_id < t->nmodules);
			assert_true(strcasecmp(t->modules[e->module_id], r[i].module) == 0);
		}
	}
	/* names compare case-insensitively: ndis.sys and NDIS.SYS are one module */
	assert_int_equal(t->nmodules, 4);
}

static void test_locales_identical(void **state)
{
	struct wg_rec *r = calloc(NREC, sizeof *r);
	size_t frag = 0;
	(void)state;
	wg_records(r, NREC);
	for (size_t i = 0; i < NREC; i++)
		frag += (size_t)r[i].fragments;
	for (int variant = 0; variant < 4; variant++) {
		int de = variant & 1, us = variant >> 1;
		size_t len;
		char *csv = wg_csv(r, NREC, de, /*bom*/ de, us, &len);
		struct tt_sink t;
		tt_init(&t);
		assert_int_equal(tt_parse_mem(&t, TT_WPA, csv, len, 0, 0), INGEST_OK);
		check_records(&t, r, NREC, 0);
		assert_string_equal(tt_str(&t, "locale"), de ? "de-DE" : "en-US");
		assert_string_equal(tt_str(&t, "duration_column"), "Inclusive Duration");
		assert_int_equal((size_t)tt_num(&t, "fragment_rows"), frag);
		assert_int_equal((size_t)tt_num(&t, "dpcisr"), NREC);
		assert_int_equal((int)tt_num(&t, "rows_skipped"), 0);
		assert_int_equal(t.nwarn, 0);
		tt_free(&t);
		/* streaming with tiny blocks gives the same records */
		tt_init(&t);
		assert_int_equal(tt_parse_mem(&t, TT_WPA, csv, len, 400, 7), INGEST_OK);
		check_records(&t, r, NREC, 0);
		tt_free(&t);
		unsigned char head[INGEST_DETECT_BYTES];
		size_t hn = len < sizeof head ? len : sizeof head;
		memcpy(head, csv, hn);
		assert_int_equal(ingest_detect(head, hn), INGEST_FMT_WPA_CSV);
		free(csv);
	}
	free(r);
}

/* Without Inclusive Duration the exclusive one is used, with a warning. */
static void test_exclusive_fallback(void **state)
{
	struct wg_rec r[20];
	size_t len;
	(void)state;
	wg_records(r, 20);
	char *csv = wg_csv(r, 20, 0, 0, 0, &len);
	char *p = strstr(csv, ",Inclusive Duration (ms)");
	memcpy(p, ",Unused Column (ms)     ", 24); /* same length, so rows stay as they are */
	struct tt_sink t;
	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_WPA, csv, len, 0, 0), INGEST_OK);
	check_records(&t, r, 20, 1);
	assert_int_equal(tt_warnings(&t, "exclusive_duration"), 1);
	assert_string_equal(tt_str(&t, "duration_column"), "Exclusive Duration");
	tt_free(&t);
	free(csv);
}

static void refuse(const char *text, const char *needle)
{
	struct tt_sink t;
	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_WPA, text, strlen(text), 0, 0), INGEST_EFORMAT);
	if (!strstr(t.err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", t.err, needle);
	assert_null(t.summary);
	assert_int_equal(t.nev, 0);
	tt_free(&t);
}

static void test_refusals(void **state)
{
	(void)state;
	/* WPA Ctrl+C copy (de-DE, from text-formats.md §4.5) */
	refuse("Line #, DPC/ISR, Module, Stack, Count, Process, Weight (in view) (ms), "
	       "TimeStamp (s), % Weight\n"
	       "6, , ,   |    |- ACPI.sys!ACPIWorkerThread, 40246, , 39.992,941063, , 4,13\n",
	       "Ctrl+C");
	/* grouped preset: one row per module/function */
	refuse("Type,Module,Function,Count,Duration (Fragmented) (ms)\n"
	       "DPC,ndis.sys,ndisInterruptDpc,12,\"1,234.500000\"\n",
	       "grouped");
	/* fragments only */
	refuse("DPC/ISR Enter Time (s),Type,Module,CPU,Count (DPCs/ISRs),Duration (Fragmented) (ms)\n"
	       "1.000000000,DPC,ndis.sys,0,1,0.010000\n",
	       "fragments");
	/* count column present but every row grouped */
	refuse("DPC/ISR Enter Time (s),Type,Module,CPU,Count (DPCs/ISRs),Inclusive Duration (ms)\n"
	       "1.000000000,DPC,ndis.sys,0,5,0.010000\n",
	       "grouped");
	refuse("\xFF\xFE" "a\0,\0", "UTF-16");
	refuse("", "empty");
}

static void test_real_disk_exports(void **state)
{
	static const char *const files[] = {DISK_EN, DISK_DE};
	(void)state;
	for (int i = 0; i < 2; i++) {
		unsigned char head[INGEST_DETECT_BYTES];
		FILE *f = fopen(files[i], "rb");
		assert_non_null(f);
		size_t n = fread(head, 1, sizeof head, f);
		fclose(f);
		assert_int_equal(ingest_detect(head, n), INGEST_FMT_WPA_CSV);
		struct tt_sink t;
		tt_init(&t);
		assert_int_equal(tt_parse_file(&t, TT_WPA, files[i]), INGEST_EFORMAT);
		assert_non_null(strstr(t.err, "not a DPC/ISR table"));
		assert_non_null(strstr(t.err, "Disk Service Time (\xC2\xB5s)"));
		assert_int_equal(t.nev, 0);
		tt_free(&t);
	}
}

static void test_numbers(void **state)
{
	int64_t v;
	(void)state;
	assert_int_equal(wpa_number_vote("5,571.225", 9), WPA_LOC_EN);
	assert_int_equal(wpa_number_vote("1,176567818", 11), WPA_LOC_DE);
	assert_int_equal(wpa_number_vote("7.947581146", 11), WPA_LOC_EN);
	assert_int_equal(wpa_number_vote("16,384", 6), WPA_LOC_UNKNOWN);
	assert_int_equal(wpa_number_vote("1.234.567", 9), WPA_LOC_DE);
	assert_int_equal(wpa_number_vote("12", 2), WPA_LOC_UNKNOWN);
	assert_int_equal(wpa_number_vote("abc", 3), WPA_LOC_UNKNOWN);
	assert_int_equal(wpa_number_scaled("5,571.225", 9, WPA_LOC_EN, 3, &v), 0);
	assert_int_equal(v, 5571225);
	assert_int_equal(wpa_number_scaled("1,176567818", 11, WPA_LOC_DE, 9, &v), 0);
	assert_int_equal(v, 1176567818);
	assert_int_equal(wpa_number_scaled("26,420.482528", 13, WPA_LOC_EN, 6, &v), 0);
	assert_int_equal(v, 26420482528);
	assert_int_equal(wpa_number_scaled(" 0.0000015 ", 11, WPA_LOC_EN, 6, &v), 0);
	assert_int_equal(v, 2); /* rounded half away from zero */
	assert_int_equal(wpa_number_scaled("-1.5", 4, WPA_LOC_EN, 0, &v), 0);
	assert_int_equal(v, -2);
	assert_int_equal(wpa_number_scaled("1.2.3", 5, WPA_LOC_EN, 0, &v), -1);
	assert_int_equal(wpa_number_scaled("", 0, WPA_LOC_EN, 0, &v), -1);
	assert_int_equal(wpa_number_scaled(",5", 2, WPA_LOC_EN, 0, &v), -1);
	assert_int_equal(wpa_number_scaled("99999999999999999999", 20, WPA_LOC_EN, 0, &v), -1);
	assert_int_equal(wpa_number_scaled("9999999999", 10, WPA_LOC_EN, 9, &v), -1);
}

/* Regression (fuzz_wpa_csv): a refusal that lists long multi-byte column names was cut
 * inside a character; the error must stay valid UTF-8. */
static void test_long_header_message(void **state)
{
	char text[2000];
	size_t k = 0;
	struct tt_sink t;
	(void)state;
	for (int c = 0; c < 10; c++) {
		for (int i = 0; i < 60; i++)
			k += (size_t)snprintf(text + k, sizeof text - k, "\xC2\xB5");
		k += (size_t)snprintf(text + k, sizeof text - k, " (s)%s", c < 9 ? "," : "\n");
	}
	tt_init(&t);
	assert_int_equal(tt_parse_mem(&t, TT_WPA, text, k, 0, 0), INGEST_EFORMAT);
	assert_non_null(strstr(t.err, "not a DPC/ISR table"));
	assert_true(pdh_utf8_valid(t.err, strlen(t.err)));
	tt_free(&t);
	char cut[8] = "ab\xE2\x80";
	assert_string_equal(ingest_utf8_trim_tail(cut), "ab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locales_identical),
		cmocka_unit_test(test_exclusive_fallback),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_real_disk_exports),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_long_header_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
