/* test_find_passthrough.c — the "driver-passthrough" rule (find_rules_passthrough.c) on
 * etlgen traces: a driver X on the stacks above the code doing the work (ntfs.sys leaf
 * frames under X), with a little time of its own. Table-driven over X's kind (third-party
 * backup filter, security driver, Microsoft driver), how much works passes through it and
 * how much it runs itself, and who calls it. Shares and callers come from the generator's
 * exact per-module counts; the rule's thresholds (10 % inclusive, inclusive ≥ 5 ×
 * exclusive, warning from 25 %) are written here as literals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "find.h"
#include "find_test_run.h"

enum { M_NTOS, M_NTFS, M_X, M_TCPIP }; /* scenario module order */

struct pt_case {
	const char *name, *x; /* X's file name */
	double nt, work, self;  /* sample weights: ntoskrnl.exe alone, ntfs.sys under X, X itself */
	int via_tcpip;          /* the ntfs.sys work reaches X from tcpip.sys */
	const char *want;       /* severity, or NULL: no such finding */
};

static const struct pt_case cases[] = {
	{"backup filter with the work below it", "aafilefilter.sys", 2, 8, 0.5, 0, "warning"},
	{"called from tcpip.sys and ntoskrnl.exe", "aafilefilter.sys", 2, 8, 1, 1, "warning"},
	{"on 10-25 % of the stacks: info", "aafilefilter.sys", 20, 4, 0.2, 0, "info"},
	{"runs much itself: not a passthrough", "aafilefilter.sys", 2, 4, 2, 0, NULL},
	{"rarely on the stacks", "aafilefilter.sys", 20, 1, 0.05, 0, NULL},
	{"security driver: security-driver-cpu says it", "tedrdrv.sys", 2, 8, 0.5, 0, NULL},
	{"Microsoft driver", "fltmgr.sys", 2, 8, 0.5, 0, NULL},
};

static char *scenario(const struct pt_case *k)
{
	char *json = malloc(4096);
	assert_non_null(json);
	snprintf(json, 4096,
		 "{\"cpus\": 2, \"duration_s\": 4, \"seed\": 21, \"sample_rate_hz\": 1000, \"modules\": ["
		 "{\"name\": \"ntoskrnl.exe\", \"base\": \"0xfffff80070600000\", \"size\": 8388608,"
		 " \"samples\": {\"weight\": %g}},"
		 "{\"name\": \"ntfs.sys\", \"base\": \"0xfffff80071000000\", \"size\": 2097152,"
		 " \"samples\": {\"weight\": %g, \"stack\": [\"%s\", %s\"ntoskrnl.exe\"]}},"
		 "{\"name\": \"%s\", \"base\": \"0xfffff80073000000\", \"size\": 65536,"
		 " \"samples\": {\"weight\": %g, \"stack\": [\"ntoskrnl.exe\"]}},"
		 "{\"name\": \"tcpip.sys\", \"base\": \"0xfffff80072000000\", \"size\": 2097152}]}",
		 k->nt, k->work, k->x, k->via_tcpip ? "\"tcpip.sys\", " : "", k->x, k->self);
	return json;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void check_case(const struct pt_case *k)
{
	char path[64], err[256];
	sqlite3 *db = ft_open(path, sizeof path);
	char *json = scenario(k);
	struct etlgen_expect exp;
	int64_t run = ft_scenario(db, json, &exp);
	free(json);
	cJSON *doc = NULL;
	if (find_get(db, run, &doc, err, sizeof err) != 0)
		fail_msg("%s: findings: %s", k->name, err);
	const struct etlgen_module_expect *x = &exp.modules[M_X], *ntfs = &exp.modules[M_NTFS];
	double incl = (double)x->samples_on_stack / (double)exp.samples;
	double excl = (double)x->samples_ip / (double)exp.samples;
	/* X is on the stack of its own samples and of the work under it */
	assert_int_equal(x->samples_on_stack, x->samples_ip + ntfs->samples_ip);
	const cJSON *f = ft_finding(doc, "driver-passthrough");
	if (!k->want) {
		if (f)
			fail_msg("%s: unexpected %s", k->name, cJSON_PrintUnformatted(f));
		if (strcmp(k->x, "tedrdrv.sys") == 0)
			assert_non_null(ft_finding(doc, "security-driver-cpu"));
		etlgen_expect_free(&exp);
		cJSON_Delete(doc);
		ft_close(db, path);
		return;
	}
	/* the case is what it says: the rule's conditions hold on the exact counts */
	assert_true(incl >= 0.10 && incl >= 5 * excl);
	assert_true(strcmp(k->want, "warning") == 0 ? incl >= 0.25 : incl < 0.25);
	if (!f)
		fail_msg("%s: no finding in %s", k->name, cJSON_PrintUnformatted(doc));
	assert_string_equal(str(f, "severity"), k->want);
	const cJSON *n = cJSON_GetObjectItem(f, "numbers");
	assert_string_equal(str(n, "module"), k->x);
	assert_int_equal((uint64_t)ft_num(f, "inclusive_samples"), x->samples_on_stack);
	assert_int_equal((uint64_t)ft_num(f, "exclusive_samples"), x->samples_ip);
	assert_int_equal((uint64_t)ft_num(f, "non_idle_samples"), exp.samples);
	assert_float_equal(ft_num(f, "inclusive_share"), incl, 1e-12);
	/* callers: the module just before X, as shares of X's inclusive samples */
	const cJSON *cl = cJSON_GetObjectItem(n, "callers");
	struct { const char *name; uint64_t n; } want[2] = {{"ntoskrnl.exe", x->samples_on_stack}};
	int nwant = 1;
	if (k->via_tcpip) {
		want[0].name = "tcpip.sys", want[0].n = ntfs->samples_ip;
		want[1].name = "ntoskrnl.exe", want[1].n = x->samples_ip;
		nwant = 2;
	}
	assert_int_equal(cJSON_GetArraySize(cl), nwant);
	char sentence[200] = " The calls come from ";
	for (int i = 0; i < nwant; i++) {
		const cJSON *c = cJSON_GetArrayItem(cl, i);
		assert_string_equal(str(c, "module"), want[i].name);
		assert_int_equal((uint64_t)cJSON_GetObjectItem(c, "samples")->valuedouble, want[i].n);
		size_t l = strlen(sentence);
		snprintf(sentence + l, sizeof sentence - l, "%s%s (%.0f %%)", i ? ", " : "", want[i].name,
			 100.0 * (double)want[i].n / (double)x->samples_on_stack);
	}
	char head[200];
	snprintf(head, sizeof head, "is on the stacks of %.1f %% of busy CPU samples but is the "
		 "running code in only %.1f %%: work passes through it", incl * 100, excl * 100);
	assert_non_null(strstr(str(f, "sentence"), head));
	assert_non_null(strstr(str(f, "sentence"), sentence));
	assert_non_null(strstr(str(f, "sentence"), "aafilefilter.sys (Dell Inc., "));
	assert_string_equal(str(cJSON_GetObjectItem(f, "link"), "panel"), "stacks");
	etlgen_expect_free(&exp);
	cJSON_Delete(doc);
	ft_close(db, path);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		check_case(&cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_cases)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
