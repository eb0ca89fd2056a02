/* test_pdh_utf8.c — header text encoding: UTF-8 check, Windows-1252 fallback, and the
 * message snippets that must stay valid UTF-8 whatever bytes a file holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/pdh/pdh_utf8.h"

static void test_valid(void **state)
{
	(void)state;
	assert_true(pdh_utf8_valid("", 0));
	assert_true(pdh_utf8_valid("abc", 3));
	assert_true(pdh_utf8_valid("Mitteleurop\xC3\xA4ische", 14));
	assert_true(pdh_utf8_valid("\xE2\x82\xAC", 3));          /* € */
	assert_true(pdh_utf8_valid("\xF0\x9F\x98\x80", 4));      /* emoji */
	assert_false(pdh_utf8_valid("\xE4", 1));                 /* cp1252 ä */
	assert_false(pdh_utf8_valid("\xC3", 1));                 /* cut */
	assert_false(pdh_utf8_valid("\xC0\xAF", 2));             /* overlong */
	assert_false(pdh_utf8_valid("\xE0\x80\xAF", 3));         /* overlong */
	assert_false(pdh_utf8_valid("\xED\xA0\x80", 3));         /* surrogate */
	assert_false(pdh_utf8_valid("\xF4\x90\x80\x80", 4));     /* > U+10FFFF */
	assert_false(pdh_utf8_valid("a\0b", 3));                 /* NUL */
}

static void test_cp1252(void **state)
{
	char *s;
	(void)state;
	s = pdh_utf8_from_cp1252("Mitteleurop\xE4ische Zeit \x80\x81", 25);
	assert_string_equal(s, "Mitteleurop\xC3\xA4ische Zeit \xE2\x82\xAC\xEF\xBF\xBD");
	assert_true(pdh_utf8_valid(s, strlen(s)));
	free(s);
	s = pdh_utf8_from_cp1252("a\0b", 3);
	assert_string_equal(s, "a\xEF\xBF\xBD" "b");
	free(s);
}

static void test_snippet(void **state)
{
	char out[12];
	(void)state;
	assert_string_equal(pdh_utf8_snippet("abc", 3, out, sizeof out), "abc");
	assert_string_equal(pdh_utf8_snippet("a\xFF\x01z", 4, out, sizeof out), "a??z");
	assert_string_equal(pdh_utf8_snippet("0123456789abcdef", 16, out, sizeof out), "01234567...");
	/* never cut inside a character: 4 × 2-byte ä then "..." */
	assert_string_equal(pdh_utf8_snippet("\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4", 12,
					     out, sizeof out), "\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4...");
	assert_string_equal(pdh_utf8_snippet("\xC3", 1, out, sizeof out), "?");
	assert_string_equal(pdh_utf8_snippet("", 0, out, sizeof out), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_cp1252),
		cmocka_unit_test(test_snippet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
