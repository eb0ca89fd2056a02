/* test_api_json_number.c — the JSON text of doubles (api_json_number.c): hand-chosen values
 * with their shortest round-trip text worked out by hand, and a seeded random sweep checked
 * against C's own strtod/printf: reads back exactly, no shorter text reads back, and the same
 * bytes as the earlier printer ("%.15g", else %.16g, else %.17g) wherever that printer
 * already gave the fewest digits. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "api/api_params.h"

static const struct {
	double v;
	const char *text;
} cases[] = {
	{0.0, "0"},
	{-0.0, "-0"},
	{1.0, "1"},
	{-42.0, "-42"},
	{0.1, "0.1"},
	{-0.1, "-0.1"},
	{0.5, "0.5"},
	{1.0 / 3.0, "0.3333333333333333"},
	{2.0 / 3.0, "0.6666666666666666"},
	{86.93735103284412, "86.93735103284412"},
	{123456.789, "123456.789"},
	{0.0001, "0.0001"},                   /* exponent -4: still positional, as %g */
	{0.00001, "1e-05"},                   /* exponent -5: exponent form, two digits */
	{1.5e-7, "1.5e-07"},
	{999999999999999.0, "999999999999999"}, /* the integer fast path's last value */
	{1e15, "1e+15"},                      /* exponent 15 >= 15 */
	{1.5e15, "1.5e+15"},
	{9007199254740991.0, "9007199254740991"}, /* 2^53 - 1: 16 digits, exponent 15 < 16 */
	{9007199254740992.0, "9007199254740992"}, /* 2^53 */
	{1000000000000000.5, "1000000000000000.5"}, /* 17 digits, positional */
	{1e16, "1e+16"},
	{123456789012345678.0, "1.2345678901234568e+17"},
	{1e21, "1e+21"},
	{1e300, "1e+300"},
	{DBL_MAX, "1.7976931348623157e+308"},
	{-DBL_MAX, "-1.7976931348623157e+308"},
	{DBL_MIN, "2.2250738585072014e-308"},           /* smallest normal */
	{4.9406564584124654e-324, "5e-324"},            /* smallest subnormal */
	{2.2250738585072009e-308, "2.225073858507201e-308"}, /* largest subnormal */
	{-2.5e-310, "-2.5e-310"},
	{1480196790874.0, "1480196790874"},
	{1480196790874.123, "1480196790874.123"},
};

static void test_hand_chosen(void **state)
{
	(void)state;
	char buf[API_JSON_NUMBER_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t n = api_json_number_text(cases[i].v, buf);
		assert_string_equal(buf, cases[i].text);
		assert_int_equal(n, strlen(cases[i].text));
		assert_true(strtod(buf, NULL) == cases[i].v);
	}
}

static void test_not_finite(void **state)
{
	(void)state;
	const double v[] = {NAN, -NAN, INFINITY, -INFINITY};
	char buf[API_JSON_NUMBER_MAX];
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		assert_int_equal(api_json_number_text(v[i], buf), 4);
		assert_string_equal(buf, "null");
		cJSON *n = api_json_number(v[i]);
		assert_true(cJSON_IsNull(n));
		cJSON_Delete(n);
	}
}

/* significant digits of a number's text: mantissa digits without leading or trailing zeros */
static int sig_digits(const char *s)
{
	char d[40];
	size_t n = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			d[n++] = *s;
	size_t a = 0;
	while (a < n && d[a] == '0')
		a++;
	while (n > a && d[n - 1] == '0')
		n--;
	return n > a ? (int)(n - a) : 1;
}

static uint64_t next(uint64_t *s) /* xorshift64 */
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_one(double v, int *differ)
{
	char buf[API_JSON_NUMBER_MAX], old[32], shorter[40];
	api_json_number_text(v, buf);
	assert_true(strtod(buf, NULL) == v);
	int n = sig_digits(buf);
	assert_in_range(n, 1, 17);
	/* no text of n - 1 digits reads back as v: the closest one (printf's rounding) does not */
	if (n > 1) {
		snprintf(shorter, sizeof shorter, "%.*e", n - 2, v);
		assert_false(strtod(shorter, NULL) == v);
	}
	/* the earlier printer, where it gave as few digits, gave these bytes */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(old, sizeof old, "%.*g", prec, v);
		if (strtod(old, NULL) == v)
			break;
	}
	if (fabs(v) >= 1e15 || v != (double)(long long)v || (v == 0 && signbit(v))) {
		if (sig_digits(old) == n)
			assert_string_equal(buf, old);
		else
			(*differ)++;
	}
}

static void test_random_round_trip(void **state)
{
	(void)state;
	uint64_t s = 0x9e3779b97f4a7c15u;
	int differ_bits = 0, differ_real = 0;
	for (int i = 0; i < 300000; i++) {
		/* any bit pattern: every exponent, subnormals included */
		uint64_t b = next(&s);
		double v;
		memcpy(&v, &b, sizeof v);
		if (isfinite(v))
			check_one(v, &differ_bits);
		/* values as counters give them: a ratio of two integers, a few thousand at most */
		double r = (double)(next(&s) % 100000000) / (double)(1 + next(&s) % 1000000);
		check_one(r, &differ_real);
		check_one(r * 1e-3, &differ_real);
	}
	print_message("texts shorter than the earlier printer's: %d of 300000 bit patterns, "
		      "%d of 600000 counter-like values\n", differ_bits, differ_real);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_chosen),
		cmocka_unit_test(test_not_finite),
		cmocka_unit_test(test_random_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
