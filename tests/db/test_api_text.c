/* test_api_text.c — the user-string validator (api/api_text.c), table-driven: UTF-8
 * validity per RFC 3629 (overlongs, surrogates, > U+10FFFF, truncated sequences), control
 * characters per rule, the length limit, the character-boundary cut, NUL in JSON bodies and
 * the upload query parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "api/api_text.h"

struct check_case {
	const char *s;
	size_t len;      /* bytes, NULs included */
	size_t max;
	enum api_text_rule rule;
	int ok;
	const char *why; /* part of the message when refused */
};

#define S(lit) lit, sizeof lit - 1

static const struct check_case check_cases[] = {
	{S(""), 200, API_TEXT_LINE, 1, NULL},
	{S("plain name"), 200, API_TEXT_LINE, 1, NULL},
	{S("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), 200, API_TEXT_LINE, 1, NULL},
	{S("\xEF\xBF\xBF\xF4\x8F\xBF\xBF"), 200, API_TEXT_LINE, 1, NULL},  /* U+FFFF, U+10FFFF */
	{S("\xFF\xFE"), 200, API_TEXT_LINE, 0, "not valid UTF-8"},
	{S("\xC0\xAF"), 200, API_TEXT_LINE, 0, "not valid UTF-8"},          /* overlong '/' */
	{S("\xE0\x80\xAF"), 200, API_TEXT_LINE, 0, "not valid UTF-8"},      /* overlong, 3 bytes */
	{S("\xED\xA0\x80"), 200, API_TEXT_LINE, 0, "not valid UTF-8"},      /* surrogate D800 */
	{S("\xF4\x90\x80\x80"), 200, API_TEXT_LINE, 0, "not valid UTF-8"},  /* U+110000 */
	{S("\xC3"), 200, API_TEXT_LINE, 0, "not valid UTF-8"},              /* cut sequence */
	{S("\xC3\x28"), 200, API_TEXT_LINE, 0, "not valid UTF-8"},          /* bad continuation */
	{S("\x80"), 200, API_TEXT_LINE, 0, "not valid UTF-8"},              /* lone continuation */
	{S("a\0b"), 200, API_TEXT_LINE, 0, "U+0000"},
	{S("a\x01"), 200, API_TEXT_LINE, 0, "U+0001"},
	{S("a\x7F"), 200, API_TEXT_LINE, 0, "U+007F"},
	{S("a\xC2\x85"), 200, API_TEXT_LINE, 0, "U+0085"},                  /* C1 NEL */
	{S("a\tb"), 200, API_TEXT_LINE, 0, "control character"},
	{S("a\nb"), 200, API_TEXT_LINE, 0, "control character"},
	{S("a\tb\nc\r\n"), 200, API_TEXT_NOTES, 1, NULL},
	{S("a\x1B[31m"), 200, API_TEXT_NOTES, 0, "U+001B"},
	{S("a\0"), 200, API_TEXT_NOTES, 0, "U+0000"},
	{S("12345"), 5, API_TEXT_LINE, 1, NULL},
	{S("123456"), 5, API_TEXT_LINE, 0, "at most 5"},
	{S("\xC3\xA9\xC3\xA9\xC3\xA9"), 5, API_TEXT_LINE, 0, "6 bytes long"},
};

static void test_check_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof check_cases / sizeof *check_cases; i++) {
		const struct check_case *c = &check_cases[i];
		char msg[200] = "";
		int rc = api_text_check("name", c->s, c->len, c->max, c->rule, msg, sizeof msg);
		if ((rc == 0) != c->ok)
			fail_msg("case %zu: rc %d, message \"%s\"", i, rc, msg);
		if (!c->ok) {
			if (!strstr(msg, c->why) || !strstr(msg, "'name'"))
				fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, msg, c->why);
		}
	}
}

struct cut_case {
	const char *s;
	size_t max, want;
};

static const struct cut_case cut_cases[] = {
	{"abc", 5, 3},
	{"abcdef", 5, 5},
	{"\xC3\xA9\xC3\xA9\xC3\xA9", 5, 4},                  /* é é | é */
	{"\xC3\xA9\xC3\xA9\xC3\xA9", 4, 4},
	{"a\xE2\x82\xAC\xE2\x82\xAC", 5, 4},                  /* a € | € */
	{"a\xE2\x82\xAC\xE2\x82\xAC", 2, 1},
	{"\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 7, 4},
	{"\xF0\x9F\x98\x80", 3, 0},
};

static void test_cut_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cut_cases / sizeof *cut_cases; i++) {
		const struct cut_case *c = &cut_cases[i];
		size_t n = api_text_cut(c->s, strlen(c->s), c->max);
		if (n != c->want)
			fail_msg("case %zu: cut at %zu, want %zu", i, n, c->want);
		char msg[100];
		assert_int_equal(api_text_check("x", c->s, n, c->max, API_TEXT_LINE, msg, sizeof msg), 0);
	}
}

static void test_json_nul(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t len;
		int nul;
	} cases[] = {
		{S("{\"name\":\"abc\"}"), 0},
		{S("{\"name\":\"a\\u0000b\"}"), 1},
		{S("{\"name\":\"a\\\\u0000b\"}"), 0},     /* an escaped backslash, then text */
		{S("{\"name\":\"a\\\\\\u0000b\"}"), 1},   /* backslash, then a real \u0000 */
		{S("{\"name\":\"a\\u00000\"}"), 1},
		{S("{\"name\":\"a\\u0001\"}"), 0},        /* a control character: the validator's job */
		{S("{\"name\":\"a\0b\"}"), 1},            /* a raw NUL byte */
		{S("{\"n\":\"\\u000"), 0},                /* cut escape */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (api_json_has_nul(cases[i].s, cases[i].len) != cases[i].nul)
			fail_msg("case %zu", i);
}

static void test_upload_params(void **state)
{
	(void)state;
	static const struct {
		const char *query;
		int ok;
		const char *name, *file;
	} cases[] = {
		{NULL, 1, "", "upload"},
		{"file=C%3A%5Clogs%5Ca.etl", 1, "", "a.etl"},
		{"file=%2Ftmp%2Fb.csv&name=my+run", 1, "my run", "b.csv"},
		{"file=dir%2F", 1, "", "upload"},
		{"name=%FF%FE&file=a", 0, NULL, NULL},
		{"name=a%00b&file=a", 0, NULL, NULL},
		{"file=a%01b", 0, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char name[API_TEXT_MAX + 1], file[API_TEXT_MAX + 1], msg[200];
		int rc = api_text_upload_params(cases[i].query, name, file, msg, sizeof msg);
		if ((rc == 0) != cases[i].ok)
			fail_msg("case %zu: rc %d (%s)", i, rc, msg);
		if (cases[i].ok) {
			assert_string_equal(name, cases[i].name);
			assert_string_equal(file, cases[i].file);
		}
	}
	/* 201 ASCII bytes of name: refused; 150 × "é" (300 bytes) of file: cut to 100 × "é" */
	char q[2048] = "name=", name[API_TEXT_MAX + 1], file[API_TEXT_MAX + 1], msg[200];
	memset(q + 5, 'x', 201);
	assert_int_equal(api_text_upload_params(q, name, file, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, "at most 200"));
	strcpy(q, "file=");
	for (int i = 0; i < 150; i++)
		strcat(q, "%C3%A9");
	assert_int_equal(api_text_upload_params(q, name, file, msg, sizeof msg), 0);
	assert_int_equal(strlen(file), 200);
	for (int i = 0; i < 100; i++)
		assert_memory_equal(file + 2 * i, "\xC3\xA9", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_cut_table),
		cmocka_unit_test(test_json_nul),
		cmocka_unit_test(test_upload_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
