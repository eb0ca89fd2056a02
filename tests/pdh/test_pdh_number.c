/* test_pdh_number.c — value cells: exact agreement with strtod (C locale), blanks, junk,
 * and independence from the process locale. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/pdh/pdh_number.h"

static locale_t c_loc;

static int setup(void **state)
{
	(void)state;
	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	return c_loc == (locale_t)0;
}

static int teardown(void **state)
{
	(void)state;
	freelocale(c_loc);
	return 0;
}

static void same_as_strtod(const char *s)
{
	double v, ref = strtod_l(s, NULL, c_loc);
	assert_int_equal(pdh_number_parse(s, strlen(s), c_loc, &v), 1);
	if (memcmp(&v, &ref, sizeof v) != 0)
		fail_msg("%s: got %.17g, strtod %.17g", s, v, ref);
}

static void test_samples_exact(void **state)
{
	static const char *vals[] = {
		"86.93735103284412", "20.913042441624498", "86.918513403953639",
		"0.33300142472592542", "2345.3290343446924", "0", "4.6153846153846096",
		"1.538461538461533", "16133.284829438608", "20261367808.000000", "0.000000",
		"143.53", "-0", "-12.5", "+7", "1e3", "1.5E-7", "123456789012345678901234567890",
		"0.0000000000000000000000001", "9007199254740993", "9007199254740992",
		"1e22", "1e23", "4.9406564584124654e-324", "1.7976931348623157e308", "1e400",
		"00012.50", ".5", "5.", "0.1", "0.2", "0.30000000000000004",
	};
	(void)state;
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
		same_as_strtod(vals[i]);
}

static void test_random_exact(void **state)
{
	char buf[64];
	uint64_t x = 0x9E3779B97F4A7C15u;
	(void)state;
	for (int i = 0; i < 200000; i++) {
		double d;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&d, &x, sizeof d);
		if (!isfinite(d))
			continue;
		/* the widths PDH writers use: %.17g (relog/Export-Counter), %f (typeperf) */
		snprintf(buf, sizeof buf, i % 3 == 0 ? "%.17g" : i % 3 == 1 ? "%.15g" : "%.6f",
			 fmod(fabs(d), 1e12) * (i & 1 ? 1 : -1));
		same_as_strtod(buf);
		snprintf(buf, sizeof buf, "%.6f", (double)(x % 100000000) / 1000.0);
		same_as_strtod(buf);
		snprintf(buf, sizeof buf, "%.17g", (double)(x % 1000000007) / 7.0);
		same_as_strtod(buf);
	}
}

/* Random digit strings of 1..19 significant digits with exponents across and beyond the
 * fast paths' ranges (Clinger ±22, Eisel-Lemire ±64), incl. halfway-looking patterns. */
static void random_digits(int rounds, uint64_t seed)
{
	char buf[64];
	uint64_t x = seed;
	for (int i = 0; i < rounds; i++) {
		int nd, e, n = 0;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		nd = 1 + (int)(x % 19);
		e = (int)((x >> 8) % 161) - 80;
		if (x & (1u << 20))
			buf[n++] = '-';
		for (int d = 0; d < nd; d++) {
			uint64_t r = x >> (24 + (d % 12) * 3);
			buf[n++] = (char)('0' + (d == 0 ? 1 + r % 9 : (x & (1u << 21)) ? (d % 2 ? 5 : 0)
										  : r % 10));
			if (d == (int)((x >> 5) % (unsigned)nd) && (x & (1u << 22)) && d + 1 < nd)
				buf[n++] = '.';
		}
		n += snprintf(buf + n, sizeof buf - (size_t)n, "e%d", e);
		same_as_strtod(buf);
		x += 0x9E3779B97F4A7C15u;
	}
}

static void test_random_digits_exact(void **state)
{
	(void)state;
	random_digits(300000, 0x1234567887654321u);
}

static void test_blank_and_bad(void **state)
{
	double v = 1;
	(void)state;
	assert_int_equal(pdh_number_parse(" ", 1, c_loc, &v), 0);
	assert_true(isnan(v));
	v = 1;
	assert_int_equal(pdh_number_parse("", 0, c_loc, &v), 0);
	assert_true(isnan(v));
	assert_int_equal(pdh_number_parse("   12.5  ", 9, c_loc, &v), 1);
	assert_true(v == 12.5);
	static const char *bad[] = {"-1.#IND", "1.#INF", "nan", "inf", "0x10", "12,5", "1 2",
				    "-", ".", "e5", "1e", "1e+", "--1", "1.2.3", "\"1\""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		v = 1;
		assert_int_equal(pdh_number_parse(bad[i], strlen(bad[i]), c_loc, &v), -1);
		assert_true(isnan(v));
	}
	/* length is honoured: no NUL needed */
	assert_int_equal(pdh_number_parse("12.5xyz", 4, c_loc, &v), 1);
	assert_true(v == 12.5);
	char longnum[300];
	memset(longnum, '1', sizeof longnum);
	assert_int_equal(pdh_number_parse(longnum, sizeof longnum, c_loc, &v), -1);
}

static void test_process_locale_ignored(void **state)
{
	double v;
	(void)state;
	/* Switching the process to a comma-decimal locale must change nothing. scripts/setup.sh
	 * generates de_DE.UTF-8 (a bare container has none): without it this test fails rather
	 * than skip, so CI cannot pass it silently. */
	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8"))
		fail_msg("locale de_DE.UTF-8 is missing: run scripts/setup.sh --deps");
	assert_true(strtod("86,5", NULL) == 86.5); /* the process locale really is comma-decimal */
	assert_int_equal(pdh_number_parse("86.918513403953639", 18, c_loc, &v), 1);
	assert_true(v == 86.918513403953639);
	assert_int_equal(pdh_number_parse("86,5", 4, c_loc, &v), -1);
	setlocale(LC_NUMERIC, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_exact),
		cmocka_unit_test(test_random_exact),
		cmocka_unit_test(test_random_digits_exact),
		cmocka_unit_test(test_blank_and_bad),
		cmocka_unit_test(test_process_locale_ignored),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
