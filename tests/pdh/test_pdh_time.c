/* test_pdh_time.c — civil-date arithmetic, row timestamps, bias, the header cell forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/pdh/pdh_time.h"

static int64_t local_of(const char *s, int *flags)
{
	int64_t t = 0;
	int fl = 0;
	assert_int_equal(pdh_time_parse_local(s, strlen(s), &t, &fl), 0);
	if (flags)
		*flags = fl;
	return t;
}

static void bad_stamp(const char *s)
{
	int64_t t;
	int fl;
	assert_int_equal(pdh_time_parse_local(s, strlen(s), &t, &fl), -1);
}

static void test_days_from_civil(void **state)
{
	(void)state;
	assert_int_equal(pdh_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(pdh_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(pdh_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(pdh_days_from_civil(2016, 1, 1), 16801); /* 46*365 + 11 leap days */
	assert_int_equal(pdh_days_from_civil(2016, 11, 26), 16801 + 305 + 25);
	assert_int_equal(pdh_days_from_civil(1601, 1, 1), -134774); /* FILETIME epoch */
	/* leap years: 2000 yes (÷400), 1900 and 2100 no, 2024 yes */
	assert_int_equal(pdh_days_from_civil(2000, 3, 1) - pdh_days_from_civil(2000, 2, 28), 2);
	assert_int_equal(pdh_days_from_civil(1900, 3, 1) - pdh_days_from_civil(1900, 2, 28), 1);
	assert_int_equal(pdh_days_from_civil(2100, 3, 1) - pdh_days_from_civil(2100, 2, 28), 1);
	assert_int_equal(pdh_days_from_civil(2024, 3, 1) - pdh_days_from_civil(2024, 2, 28), 2);
}

static void test_row_stamp(void **state)
{
	int fl;
	(void)state;
	/* 11/26/2016 13:46:30.874 local = 1480167990.874 s if it were UTC */
	assert_int_equal(local_of("11/26/2016 13:46:30.874", &fl), INT64_C(1480167990874000));
	assert_int_equal(fl, 0);
	assert_int_equal(local_of(" 01/01/1970 00:00:00.000 ", NULL), 0);
	assert_int_equal(local_of("12/31/1969 23:59:59.999", NULL), -1000);
	assert_int_equal(local_of("02/29/2016 00:00:00.000", NULL),
			 pdh_days_from_civil(2016, 2, 29) * 86400 * INT64_C(1000000));
	assert_int_equal(local_of("02/29/2000 12:00:00", NULL),
			 (pdh_days_from_civil(2000, 2, 29) * 86400 + 43200) * INT64_C(1000000));
	assert_int_equal(local_of("1/2/2020 3:04:05.5", NULL),
			 (pdh_days_from_civil(2020, 1, 2) * 86400 + 3 * 3600 + 4 * 60 + 5) *
				 INT64_C(1000000) + 500000);
	assert_int_equal(local_of("01/02/2020 03:04:05.123456789", NULL),
			 (pdh_days_from_civil(2020, 1, 2) * 86400 + 3 * 3600 + 4 * 60 + 5) *
				 INT64_C(1000000) + 123456);
}

static void test_row_stamp_day_month(void **state)
{
	int fl;
	(void)state;
	assert_int_equal(local_of("26/11/2016 13:46:30.874", &fl), INT64_C(1480167990874000));
	assert_int_equal(fl, PDH_TIME_DAY_MONTH_SWAPPED);
}

static void test_row_stamp_bad(void **state)
{
	(void)state;
	bad_stamp("");
	bad_stamp(" ");
	bad_stamp("Time");
	bad_stamp("02/29/2015 00:00:00.000"); /* not a leap year */
	bad_stamp("02/29/1900 00:00:00.000"); /* not a leap year */
	bad_stamp("04/31/2016 00:00:00.000");
	bad_stamp("13/13/2016 00:00:00.000");
	bad_stamp("00/10/2016 00:00:00.000");
	bad_stamp("10/00/2016 00:00:00.000");
	bad_stamp("10/10/2016 24:00:00.000");
	bad_stamp("10/10/2016 23:60:00.000");
	bad_stamp("10/10/2016 23:59:60.000");
	bad_stamp("10/10/16 23:59:59.000");
	bad_stamp("10/10/2016 23:59:59.");
	bad_stamp("10/10/2016 23:59:59.0000000000");
	bad_stamp("10/10/2016 23:59:59.000x");
	bad_stamp("10/10/2016T23:59:59.000");
	bad_stamp("2016-10-10 23:59:59.000");
	bad_stamp("10/10/1600 23:59:59.000");
	bad_stamp("10/10/2016 23:59");
}

static void test_bias(void **state)
{
	int64_t local = local_of("11/26/2016 13:46:30.874", NULL);
	(void)state;
	/* UTC = local + bias: PST 480 → 21:46:30.874 UTC, CET -60 → 12:46:30.874 UTC */
	assert_int_equal(pdh_time_to_utc(local, 480), INT64_C(1480196790874000));
	assert_int_equal(pdh_time_to_utc(local, -60), INT64_C(1480164390874000));
	assert_int_equal(pdh_time_to_utc(local, 0), local);
	assert_int_equal(pdh_time_to_utc(local, 330), local + INT64_C(330) * 60 * 1000000);
}

static void header(const char *s, int sig, char sep, const char *zone, int bias)
{
	struct pdh_header_time h;
	assert_int_equal(pdh_time_parse_header(s, strlen(s), &h), 0);
	assert_int_equal(h.signature, sig);
	assert_int_equal(h.sig_sep, sep);
	if (zone) {
		assert_int_equal(h.has_zone, 1);
		assert_string_equal(h.zone, zone);
		assert_int_equal(h.bias_minutes, bias);
	} else {
		assert_int_equal(h.has_zone, 0);
		assert_int_equal(h.bias_minutes, 0);
	}
}

static void test_header_forms(void **state)
{
	struct pdh_header_time h;
	(void)state;
	header("(PDH-CSV 4.0) (Pacific Standard Time)(480)", 1, ',', "Pacific Standard Time", 480);
	header("(PDH-TSV 4.0) (Pacific Standard Time)(480)", 1, '\t', "Pacific Standard Time", 480);
	header("(PDH-CSV 4.0) (W. Europe Standard Time)(-60)", 1, ',', "W. Europe Standard Time",
	       -60);
	header("(PDH-CSV 4.0) (India Standard Time)(-330)", 1, ',', "India Standard Time", -330);
	header("(PDH-CSV 4.0)", 1, ',', NULL, 0);                    /* typeperf stdout */
	header("(Pacific Daylight Time)(420)", 0, 0, "Pacific Daylight Time", 420); /* no sig */
	header("(UTC)(0)", 0, 0, "UTC", 0);
	header("(PDH-CSV 4.0) (Zone (with) parens)(120)", 1, ',', "Zone (with) parens", 120);
	header("(PDH-CSV 4.0) (Mitteleuropäische Zeit)(-60)", 1, ',', "Mitteleuropäische Zeit", -60);
	assert_int_equal(pdh_time_parse_header("(PDH-CSV 4.0) (x)(480)", 22, &h), 0);
	assert_string_equal(h.version, "4.0");
}

static void test_header_bad(void **state)
{
	struct pdh_header_time h;
	static const char *bad[] = {"", "Time", "(Pacific Standard Time)", "(x)(abc)", "(x)(99999)",
				    "\\\\M\\Memory\\x", "PDH-CSV 4.0", "(x)(480) trailing"};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(pdh_time_parse_header(bad[i], strlen(bad[i]), &h), -1);
		assert_int_equal(h.signature, 0);
		assert_int_equal(h.has_zone, 0);
	}
}

static void test_header_long_zone_truncated(void **state)
{
	char s[400];
	struct pdh_header_time h;
	(void)state;
	strcpy(s, "(PDH-CSV 4.0) (");
	for (int i = 0; i < 100; i++)
		strcat(s, "é"); /* 200 bytes of 2-byte characters */
	strcat(s, ")(60)");
	assert_int_equal(pdh_time_parse_header(s, strlen(s), &h), 0);
	assert_true(strlen(h.zone) < sizeof h.zone);
	assert_int_equal(strlen(h.zone) % 2, 0); /* cut on a character boundary */
	assert_int_equal(h.bias_minutes, 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_from_civil),
		cmocka_unit_test(test_row_stamp),
		cmocka_unit_test(test_row_stamp_day_month),
		cmocka_unit_test(test_row_stamp_bad),
		cmocka_unit_test(test_bias),
		cmocka_unit_test(test_header_forms),
		cmocka_unit_test(test_header_bad),
		cmocka_unit_test(test_header_long_zone_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
