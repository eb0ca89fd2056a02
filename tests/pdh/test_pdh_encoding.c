/* test_pdh_encoding.c — perfmon CSV logs written in each Windows ANSI code page: the bytes
 * are made here with iconv from UTF-8 text written in the test, then parsed. The code page
 * must be recognised (from the localised Processor/Process names), the paths come back as
 * the same UTF-8 text, and localised Processor/Process names map to the English ones so
 * per-CPU columns get their CPU numbers. An explicit encoding wins over detection; a
 * UTF-16 file (BOM) is read whole through ingest_file. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>
#include "ingest/ingest.h"
#include "ingest/pdh/pdh_text.h"
#include "pdh_test_sink.h"

/* One log per case: two per-CPU processor columns and one per-process column. */
struct enc_case {
	const char *charset;   /* what iconv writes the file in */
	const char *expect;    /* the summary's "encoding" */
	const char *language;  /* the summary's "language", NULL if none expected */
	const char *processor; /* the localised Processor object */
	const char *cpu_time;  /* its localised % Processor Time */
	const char *process;   /* the localised Process object */
	const char *proc_time; /* the Process % Processor Time */
};

static const struct enc_case cases[] = {
	{"CP1251", "CP1251", "ru", "Процессор", "% загруженности процессора", "Процесс",
	 "% загруженности процессора"},
	{"CP1252", "CP1252", "fr", "Processeur", "% temps privilégié", "Processus",
	 "% temps processeur"},
	{"CP1252", "CP1252", "es", "Procesador", "% de tiempo de interrupción", "Proceso",
	 "% de tiempo de procesador"},
	{"CP1250", "CP1250", "cs", "Procesor", "% času procesoru", "Process", "% Processor Time"},
	{"CP1254", "CP1254", "tr", "Processor", "% İşlemci Zamanı", "İşlem", "% İşlemci Zamanı"},
	{"CP932", "CP932", "ja", "プロセッサ", "% プロセッサ時間", "プロセス", "% プロセッサ時間"},
	{"CP936", "CP936", "zh-CN", "处理器", "% 处理器时间", "进程", "% 处理器时间"},
	{"CP950", "CP950", "zh-TW", "處理器", "% 處理器時間", "Process", "% 處理器時間"},
	{"CP949", "CP949", "ko", "프로세서", "% 프로세서 시간", "프로세스", "% 프로세서 시간"},
	/* ASCII names (German, Italian): plain UTF-8, still mapped to English */
	{"UTF-8", "UTF-8", NULL, "Prozessor", "Prozessorzeit (%)", "Prozess", "Prozessorzeit (%)"},
	{"UTF-8", "UTF-8", NULL, "Processore", "% Tempo processore", "Processo",
	 "% Tempo processore"},
};

/* English counter each case's cpu_time column must come back as. */
static const char *const cpu_time_en[] = {
	"% Processor Time", "% Privileged Time", "% Interrupt Time", "% Processor Time",
	"% Processor Time", "% Processor Time", "% Processor Time", "% Processor Time",
	"% Processor Time", "% Processor Time", "% Processor Time"};

/* UTF-8 text → bytes in charset (iconv, independent of the parser). */
static char *to_charset(const char *charset, const char *utf8, size_t *n)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t in_left = strlen(utf8), cap = in_left * 2 + 16, out_left = cap;
	char *out = malloc(cap), *in = (char *)utf8, *w = out;
	assert_non_null(out);
	assert_true(iconv(cd, &in, &in_left, &w, &out_left) != (size_t)-1);
	iconv_close(cd);
	*n = cap - out_left;
	return out;
}

static char *make_log(const struct enc_case *c)
{
	char *text = malloc(4096);
	assert_non_null(text);
	snprintf(text, 4096,
		 "\"(PDH-CSV 4.0) (UTC)(0)\",\"\\\\SRV\\%s(0)\\%s\",\"\\\\SRV\\%s(1)\\%s\","
		 "\"\\\\SRV\\%s(svchost)\\%s\"\r\n"
		 "\"03/01/2024 10:00:00.000\",\"12.5\",\"25\",\"3\"\r\n"
		 "\"03/01/2024 10:00:01.000\",\"50\",\"75\",\"4.5\"\r\n",
		 c->processor, c->cpu_time, c->processor, c->cpu_time, c->process, c->proc_time);
	return text;
}

static int parse(const char *bytes, size_t n, const char *encoding, struct test_sink *t,
		 struct ingest_error *err)
{
	struct pdh_text_options opt = {.encoding = encoding};
	FILE *f = fmemopen((void *)bytes, n, "rb");
	assert_non_null(f);
	test_sink_init(t);
	int rc = pdh_text_parse_ex(f, ',', &opt, &t->sink, err);
	fclose(f);
	return rc;
}

static void test_code_pages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct enc_case *c = &cases[i];
		char *text = make_log(c), path[512];
		size_t n;
		char *bytes = to_charset(c->charset, text, &n);
		struct test_sink t;
		struct ingest_error err = {{0}};
		print_message("case %zu: %s %s\n", i, c->charset, c->processor);
		assert_int_equal(parse(bytes, n, NULL, &t, &err), INGEST_OK);
		assert_string_equal(test_summary_str(&t, "encoding"), c->expect);
		if (c->language)
			assert_string_equal(test_summary_str(&t, "language"), c->language);
		assert_int_equal(t.ncounters, 3);
		/* the path is the UTF-8 text the test wrote */
		snprintf(path, sizeof path, "\\\\SRV\\%s(1)\\%s", c->processor, c->cpu_time);
		assert_string_equal(t.counters[1].path, path);
		for (int k = 0; k < 2; k++) {
			assert_string_equal(t.counters[k].object, "Processor");
			assert_string_equal(t.counters[k].counter, cpu_time_en[i]);
			assert_int_equal(t.counters[k].cpu, k);
		}
		assert_string_equal(t.counters[2].object, "Process");
		assert_string_equal(t.counters[2].counter, "% Processor Time");
		assert_string_equal(t.counters[2].instance, "svchost");
		assert_int_equal(t.nsamples, 2);
		assert_true(test_sink_value(&t, 1, 1) == 75);
		test_sink_free(&t);
		free(bytes);
		free(text);
	}
}

/* A Windows-1251 log read as the user says: the user's encoding wins, a wrong one fails
 * with a message, an unknown one too. */
static void test_explicit_encoding(void **state)
{
	(void)state;
	char *text = make_log(&cases[0]);
	size_t n;
	char *bytes = to_charset("CP1251", text, &n);
	struct test_sink t;
	struct ingest_error err = {{0}};

	assert_int_equal(parse(bytes, n, "windows-1251", &t, &err), INGEST_OK);
	assert_string_equal(test_summary_str(&t, "encoding"), "windows-1251");
	assert_string_equal(test_summary_str(&t, "encoding_detected_by"), "explicit");
	assert_int_equal(t.counters[0].cpu, 0);
	test_sink_free(&t);

	/* KOI8-R decodes every byte, but to other letters: not Processor any more */
	assert_int_equal(parse(bytes, n, "KOI8-R", &t, &err), INGEST_OK);
	assert_int_equal(t.counters[0].cpu, -1);
	test_sink_free(&t);

	assert_int_equal(parse(bytes, n, "UTF-8", &t, &err), INGEST_EFORMAT);
	assert_non_null(strstr(err.message, "not valid UTF-8"));
	test_sink_free(&t);

	assert_int_equal(parse(bytes, n, "no-such-charset", &t, &err), INGEST_EFORMAT);
	assert_non_null(strstr(err.message, "unknown text encoding"));
	test_sink_free(&t);
	assert_int_equal(parse(bytes, n, "../../etc", &t, &err), INGEST_EFORMAT);
	test_sink_free(&t);
	free(bytes);
	free(text);
}

/* Non-UTF-8 text that names no known counter: read as Windows-1252, and said so. */
static void test_fallback(void **state)
{
	(void)state;
	static const char log[] = "\"(PDH-CSV 4.0) (UTC)(0)\",\"\\\\SRV\\Datentr\xE4ger(C:)\\Zeit (%)\"\r\n"
				  "\"03/01/2024 10:00:00.000\",\"1\"\r\n";
	struct test_sink t;
	struct ingest_error err = {{0}};
	assert_int_equal(parse(log, sizeof log - 1, NULL, &t, &err), INGEST_OK);
	assert_string_equal(test_summary_str(&t, "encoding"), "CP1252");
	assert_string_equal(test_summary_str(&t, "encoding_detected_by"), "fallback");
	assert_string_equal(t.counters[0].object, "Datentr\xC3\xA4ger");
	assert_true(test_sink_warnings(&t, "encoding") == 1);
	test_sink_free(&t);
}

/* bytes (a BOM, then the text in charset) written to a temporary file; returns its path */
static void write_utf16(const char *charset, const char *bom, const char *utf8, char *path)
{
	size_t n;
	char *bytes = to_charset(charset, utf8, &n);
	strcpy(path, "/tmp/etlscope-utf16-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bom, 1, 2, f), 2);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	fclose(f);
	free(bytes);
}

/* A log saved as UTF-16 (typeperf redirected by PowerShell 5.1, Excel "Unicode text"):
 * detected through its BOM and read as the same text, in both byte orders. */
static void test_utf16_files(void **state)
{
	(void)state;
	static const struct {
		const char *charset, *bom;
	} orders[] = {{"UTF-16LE", "\xFF\xFE"}, {"UTF-16BE", "\xFE\xFF"}};
	char *text = make_log(&cases[0]); /* Russian names: non-ASCII survives the trip */
	for (size_t i = 0; i < 2; i++) {
		char path[64];
		write_utf16(orders[i].charset, orders[i].bom, text, path);
		struct test_sink t;
		struct ingest_error err = {{0}};
		enum ingest_format fmt;
		test_sink_init(&t);
		assert_int_equal(ingest_file(path, &t.sink, &fmt, &err), INGEST_OK);
		assert_int_equal(fmt, INGEST_FMT_PDH_CSV);
		assert_string_equal(test_summary_str(&t, "encoding"), orders[i].charset);
		assert_string_equal(test_summary_str(&t, "encoding_detected_by"), "bom");
		assert_string_equal(t.counters[0].path, "\\\\SRV\\Процессор(0)\\% загруженности процессора");
		assert_int_equal(t.counters[1].cpu, 1);
		assert_true(test_sink_value(&t, 1, 2) == 4.5);
		test_sink_free(&t);
		unlink(path);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_pages),
		cmocka_unit_test(test_explicit_encoding),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_utf16_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
