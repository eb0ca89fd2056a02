/* test_api_tags.c — the .stacktags reader and matcher (api/api_tags.c): wildcard patterns,
 * tag paths and priorities, the rule WPA documents (highest priority, then the frame nearest
 * the leaf, applied by the caller), what needs function names, and malformed or hostile
 * files refused with a line number. Tables of cases; expected values written by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "api/api_tags.h"

static void test_glob(void **state)
{
	(void)state;
	static const struct { const char *pat, *s; int want; } cases[] = {
		{"*", "", 1}, {"*", "anything", 1}, {"Wfp*", "WfpAleClassify", 1},
		{"wfp*", "WFPALE", 1}, {"Wfp*", "KfdCheck", 0}, {"*clr.dll", "coreclr.dll", 1},
		{"*clr.dll", "clr.dll", 1}, {"*clr.dll", "clr.dll.mui", 0}, {"umppc*.dll", "umppc1234.dll", 1},
		{"*AiProcessNotifyRoutine*", "xAiProcessNotifyRoutineEx", 1}, {"a?c", "abc", 1},
		{"a?c", "ac", 0}, {"WSPSelect", "WSPSelect", 1}, {"WSPSelect", "WSPSelectX", 0},
		{"*a*b*c", "xaybzc", 1}, {"*a*b*c", "xaybzcd", 0}, {"", "", 1}, {"", "x", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (api_tags_glob(cases[i].pat, cases[i].s) != cases[i].want)
			fail_msg("glob(%s, %s) != %d", cases[i].pat, cases[i].s, cases[i].want);
}

static const char SET[] =
	"<?xml version=\"1.0\"?>\n<Tag Name=\"\">\n"
	" <Tag Name=\"Network\">\n"
	"  <Tag Name=\"Windows Firewall\" Priority=\"10\">\n"
	"   <Entrypoint Module=\"NETIO.SYS\" Method=\"Wfp*\"/>\n"
	"  </Tag>\n"
	"  <Tag Name=\"TCP/IP\"><Entrypoint Module=\"tcpip.sys\" Method=\"*\"/></Tag>\n"
	" </Tag>\n"
	" <Tag Name=\"Antivirus\" Priority=\"100\">\n"
	"  <Tag Name=\"Vendor\"><Entrypoint Module=\"edr*.sys\"/></Tag>\n" /* no Priority: 0 */
	"  <Entrypoint Module=\"av.sys\" Method=\"*\"/>\n"
	"  <HintTag HintOperator=\"Callee\"/>\n"
	" </Tag>\n"
	"</Tag>\n";

static void test_parse_and_match(void **state)
{
	(void)state;
	struct api_tag_set s;
	char err[256];
	assert_int_equal(api_tags_parse(SET, strlen(SET), &s, err, sizeof err), 0);
	static const char *const paths[] = {"", "Network", "Network\\Windows Firewall",
					    "Network\\TCP/IP", "Antivirus", "Antivirus\\Vendor"};
	static const int prio[] = {0, 0, 10, 0, 100, 0};
	assert_int_equal(s.ntags, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(s.tags[i].path, paths[i]);
		assert_int_equal(s.tags[i].priority, prio[i]);
	}
	assert_int_equal(s.nrules, 4);
	assert_int_equal(s.method_rules, 1); /* only Wfp* needs function names */
	assert_int_equal(s.hint_tags, 1);
	static const struct { const char *module, *method; int32_t want; } cases[] = {
		{"netio.sys", "WfpAleClassify", 2}, /* case-insensitive module, method pattern */
		{"netio.sys", NULL, -1},            /* module+0xOFF: a Method pattern cannot match */
		{"netio.sys", "NsiGet", -1},
		{"TCPIP.SYS", NULL, 3}, {"tcpip.sys", "TcpReceive", 3}, /* Method "*" matches both */
		{"edrx.sys", NULL, 5}, {"av.sys", NULL, 4}, {"other.sys", NULL, -1}, {NULL, NULL, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (api_tags_match(&s, cases[i].module, cases[i].method) != cases[i].want)
			fail_msg("match(%s, %s) != %d", cases[i].module ? cases[i].module : "NULL",
				 cases[i].method ? cases[i].method : "NULL", cases[i].want);
	api_tags_clear(&s);
}

/* One frame matching two rules: the higher priority, else the first in the file. */
static void test_match_priority_in_frame(void **state)
{
	(void)state;
	static const char x[] = "<Tag><Tag Name=\"A\"><Entrypoint Module=\"m.sys\"/></Tag>"
				"<Tag Name=\"B\" Priority=\"5\"><Entrypoint Module=\"m*\"/></Tag>"
				"<Tag Name=\"C\" Priority=\"5\"><Entrypoint Module=\"*.sys\"/></Tag></Tag>";
	struct api_tag_set s;
	char err[256];
	assert_int_equal(api_tags_parse(x, strlen(x), &s, err, sizeof err), 0);
	assert_string_equal(s.tags[api_tags_match(&s, "m.sys", NULL)].path, "B");
	assert_string_equal(s.tags[api_tags_match(&s, "n.sys", NULL)].path, "C");
	api_tags_clear(&s);
}

static void test_refused(void **state)
{
	(void)state;
	char deep[2048] = "";
	for (int i = 0; i < API_TAGS_MAX_DEPTH + 1; i++)
		strcat(deep, "<Tag>");
	static const struct { const char *xml, *why; } cases[] = {
		{"", "no element"},
		{"not xml", "syntax error"},
		{"<Tags></Tags>", "root element must be <Tag>"},
		{"<Tag><Entrypoint Method=\"*\"/></Tag>", "without a Module"},
		{"<Tag Priority=\"high\"/>", "Priority takes a whole number"},
		{"<Tag><Tag Name=\"x\"></Tag>", "line 1"},
		{"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<Tag Name=\"&lol;\"/>",
		 "DOCTYPE is not accepted"},
		{NULL, "nested too deep"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *x = cases[i].xml ? cases[i].xml : deep;
		struct api_tag_set s;
		char err[256] = "";
		if (api_tags_parse(x, strlen(x), &s, err, sizeof err) != -1)
			fail_msg("case %zu parsed", i);
		if (!strstr(err, cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].why);
		assert_null(s.tags);
	}
	struct api_tag_set s;
	char err[256];
	assert_int_equal(api_tags_parse("<Tag/>", API_TAGS_MAX_BYTES + 1, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "larger than"));
}

/* The reference file (Siemens-Healthineers/ETWAnalyzer, MIT): its element counts by grep
 * (418 <Tag, 562 <Entrypoint, 2 <HintTag; one Name is 370 characters long). */
static void test_reference_file(void **state)
{
	(void)state;
	FILE *f = fopen(SHARED_DIR "/research/stacktags/etwanalyzer-default.stacktags", "rb");
	if (!f)
		skip();
	static char buf[API_TAGS_MAX_BYTES];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	struct api_tag_set s;
	char err[256];
	if (api_tags_parse(buf, n, &s, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(s.ntags, 418);
	assert_int_equal(s.nrules, 562);
	assert_int_equal(s.hint_tags, 2);
	int32_t t = api_tags_match(&s, "SophosED.sys", NULL);
	assert_true(t >= 0);
	assert_string_equal(s.tags[t].path, "Antivirus - Sophos\\Driver SophosED.sys");
	api_tags_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_parse_and_match),
		cmocka_unit_test(test_match_priority_in_frame),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_reference_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
