/* test_find_rules.c — every ETW rule: the field story (ndis.sys DPC average and CPUs 0, 2, 4,
 * 6 saturated, the EDR's inclusive share, the teaming driver's p99), a clean trace with no
 * finding at all, ISR average, p99-only, missing DPC/ISR tracing, sampling and stacks, lost
 * events, a kernel session owned by another product, code outside any module; ranking,
 * the verdict, and storage (a second read gives the same document). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db.h"
#include "find.h"
#include "find_test_run.h"
#include "sink.h"

static cJSON *findings(sqlite3 *db, int64_t run)
{
	char err[256];
	cJSON *doc = NULL;
	if (find_get(db, run, &doc, err, sizeof err) != 0)
		fail_msg("findings: %s", err);
	return doc;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void assert_cpus(const cJSON *arr, const unsigned *want, int n)
{
	assert_int_equal(cJSON_GetArraySize(arr), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(cJSON_GetArrayItem(arr, i)->valueint, want[i]);
}

static void field_before(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	char *json = ft_read(SOURCE_DIR "/demo/scenarios/field-before.json");
	struct etlgen_expect exp;
	int64_t run = ft_scenario(db, json, &exp);
	cJSON *doc = findings(db, run);
	static const unsigned even[] = {0, 2, 4, 6};
	/* idsvia64.sys: the IDS filter ndis.sys calls inside its DPCs */
	const struct etlgen_module_expect *ndis = &exp.modules[ft_module_index(json, "ndis.sys")];
	const struct etlgen_module_expect *edr = &exp.modules[ft_module_index(json, "tedrdrv.sys")];
	const uint64_t in_ids = ndis->inside_leaf[ft_module_index(json, "idsvia64.sys")];

	const cJSON *f = ft_finding(doc, "dpc-average");
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "critical");
	assert_string_equal(str(cJSON_GetObjectItem(f, "numbers"), "module"), "ndis.sys");
	assert_int_equal((uint64_t)ft_num(f, "count"), ndis->kind[ETLGEN_DPC].count);
	double avg = (double)ndis->kind[ETLGEN_DPC].total_ns / ndis->kind[ETLGEN_DPC].count / 1e3;
	assert_float_equal(ft_num(f, "avg_us"), (double)(long)(avg * 10 + 0.5) / 10, 1e-9);
	assert_cpus(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "numbers"), "cpus"), even, 4);
	/* the IDS filter inside the DPCs is named; the teaming driver only shares the CPUs */
	char want[200];
	snprintf(want, sizeof want, "; %.1f %% of the ", 100.0 * (double)in_ids / (double)ndis->inside_samples);
	assert_non_null(strstr(str(f, "sentence"), want));
	assert_non_null(strstr(str(f, "sentence"), "CPU samples inside them are in idsvia64.sys "
				"(Symantec / NortonLifeLock (Broadcom), Antivirus), so ndis.sys only dispatches"));
	assert_non_null(strstr(str(f, "sentence"), "Also running on those CPUs, sharing them only: "
				"iansw60e.sys (Intel, NIC teaming)."));
	assert_null(strstr(str(f, "sentence"), "likelier"));
	const cJSON *link = cJSON_GetObjectItem(f, "link");
	assert_string_equal(str(link, "panel"), "dpcisr");
	char id[16];
	snprintf(id, sizeof id, "%d", (int)ft_num(f, "module_id"));
	assert_string_equal(str(cJSON_GetObjectItem(link, "params"), "module"), id);

	f = ft_finding(doc, "cpu-dpcisr-saturated");
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "critical");
	assert_cpus(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "numbers"), "cpus"), even, 4);
	assert_string_equal(str(cJSON_GetObjectItem(f, "numbers"), "module"), "ndis.sys");
	assert_true(ft_num(f, "max_share") > 0.5);
	assert_non_null(strstr(str(f, "sentence"), "mostly in idsvia64.sys (Symantec / NortonLifeLock "
				"(Broadcom), Antivirus) running inside ndis.sys (Microsoft, Microsoft in-box) DPCs"));
	assert_non_null(strstr(str(f, "sentence"), "; iansw60e.sys (Intel, NIC teaming) only shares those CPUs"));
	assert_string_equal(str(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "link"), "params"), "cpus"),
			    "0,2,4,6");

	/* security drivers: the IDS filter (its samples inside ndis.sys's DPCs are busy time,
	 * though they interrupted the idle loop) and the EDR driver under ntoskrnl */
	const cJSON *sec[2] = {NULL, NULL};
	int n_sec = 0;
	for (const cJSON *g = cJSON_GetObjectItem(doc, "findings")->child; g; g = g->next) {
		if (strcmp(str(g, "id"), "security-driver-cpu"))
			continue;
		const char *m = str(cJSON_GetObjectItem(g, "numbers"), "module");
		sec[!strcmp(m, "tedrdrv.sys")] = g;
		n_sec++;
	}
	assert_int_equal(n_sec, 2);
	const struct etlgen_module_expect *ids = &exp.modules[ft_module_index(json, "idsvia64.sys")];
	f = sec[0];
	assert_non_null(f);
	assert_string_equal(str(cJSON_GetObjectItem(f, "numbers"), "module"), "idsvia64.sys");
	assert_int_equal((uint64_t)ft_num(f, "inclusive_samples"), ids->samples_on_stack);
	assert_int_equal((uint64_t)ft_num(f, "exclusive_samples"), ids->samples_ip);
	/* it runs its own code: no "only" */
	assert_non_null(strstr(str(f, "sentence"), "CPU samples and executes "));
	f = sec[1];
	assert_non_null(f);
	assert_int_equal((uint64_t)ft_num(f, "inclusive_samples"), edr->samples_on_stack);
	assert_int_equal((uint64_t)ft_num(f, "exclusive_samples"), edr->samples_ip);
	assert_int_equal((uint64_t)ft_num(f, "samples"), exp.samples);
	/* busy: all samples but the idle loop's, i.e. but the Idle thread's (processes[0])
	 * outside ndis.sys's DPCs, whose samples all interrupted it */
	uint64_t idle = exp.process_samples[0] - ndis->inside_samples;
	assert_int_equal((uint64_t)ft_num(f, "non_idle_samples"), exp.samples - idle);
	assert_float_equal(ft_num(f, "inclusive_share"),
			   (double)edr->samples_on_stack / (double)(exp.samples - idle), 1e-12);
	assert_non_null(strstr(str(f, "sentence"), "Palo Alto Networks, EDR"));

	f = ft_finding(doc, "dpc-p99");
	assert_non_null(f);
	assert_string_equal(str(cJSON_GetObjectItem(f, "numbers"), "module"), "iansw60e.sys");
	assert_string_equal(str(f, "severity"), "warning");

	/* The file service (weight 74 of 444 outside DPCs: about 4 of 24 CPUs) runs with the
	 * EDR on its stacks (issue 13's process finding); System (26 of 444: above one CPU)
	 * with the teaming driver; the Idle process is never such a finding. */
	f = ft_finding(doc, "process-cpu-sustained");
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "warning");
	assert_non_null(strstr(str(f, "sentence"), "app.exe used 3."));
	assert_non_null(strstr(str(f, "sentence"), "tedrdrv.sys (Palo Alto Networks"));
	int n_proc = 0;
	for (const cJSON *g = cJSON_GetObjectItem(doc, "findings")->child; g; g = g->next)
		if (!strcmp(str(g, "id"), "process-cpu-sustained")) {
			n_proc++;
			assert_null(strstr(str(g, "sentence"), "Idle"));
		}
	assert_int_equal(n_proc, 2);

	/* Nothing else: tracing was complete and nothing was lost. */
	assert_int_equal(ft_count(doc), 7);
	/* Ranked: critical first, rank numbers 1..n. */
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "findings"), 0);
	assert_string_equal(str(first, "severity"), "critical");
	assert_int_equal(cJSON_GetObjectItem(first, "rank")->valueint, 1);
	const cJSON *v = cJSON_GetObjectItem(doc, "verdict");
	assert_string_equal(str(v, "severity"), "critical");
	assert_int_equal(strncmp(str(v, "sentence"), "Problem found: ", 15), 0);
	/* the verdict names the driver doing the work first */
	const char *ids_at = strstr(str(v, "sentence"), "idsvia64.sys"), *team_at = strstr(str(v, "sentence"), "iansw60e");
	assert_non_null(ids_at);
	assert_true(!team_at || team_at > ids_at);
	assert_string_equal(str(doc, "kb_version"), kb_version());

	/* Stored: the second read is the same document, one row. */
	cJSON *again = findings(db, run);
	char *a = cJSON_PrintUnformatted(doc), *b = cJSON_PrintUnformatted(again);
	assert_string_equal(a, b);
	free(a);
	free(b);
	cJSON_Delete(again);
	cJSON_Delete(doc);
	etlgen_expect_free(&exp);
	free(json);
	ft_close(db, path);
}

/* Microsoft drivers within the guideline, a security driver at 2 % of the CPU, stacks. */
static const char clean_json[] =
	"{\"cpus\": 4, \"duration_s\": 3, \"seed\": 7, \"sample_rate_hz\": 1000, \"modules\": ["
	"{\"name\": \"ntoskrnl.exe\", \"path\": \"\\\\SystemRoot\\\\system32\\\\ntoskrnl.exe\","
	" \"base\": \"0xfffff80070600000\", \"size\": 11534336,"
	" \"dpc\": {\"rate\": 2000, \"kind\": \"timer\", \"duration_us\": {\"dist\": \"lognormal\", \"median\": 4, \"sigma\": 0.4}},"
	" \"samples\": {\"weight\": 30}},"
	"{\"name\": \"ndis.sys\", \"base\": \"0xfffff80072a00000\", \"size\": 1572864,"
	" \"dpc\": {\"rate\": 3000, \"duration_us\": {\"dist\": \"uniform\", \"min\": 5, \"max\": 40}},"
	" \"isr\": {\"rate\": 1000, \"msi\": true, \"duration_us\": {\"dist\": \"uniform\", \"min\": 1, \"max\": 8}},"
	" \"samples\": {\"weight\": 10, \"stack\": [\"ntoskrnl.exe\"]}},"
	"{\"name\": \"tedrdrv.sys\", \"base\": \"0xfffff80074000000\", \"size\": 786432,"
	" \"samples\": {\"weight\": 2}},"
	"{\"name\": \"app.exe\", \"path\": \"\\\\Device\\\\HarddiskVolume2\\\\app.exe\","
	" \"base\": \"0x00007ff600000000\", \"size\": 4194304, \"samples\": {\"weight\": 58}}]}";

static void clean(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	int64_t run = ft_scenario(db, clean_json, NULL);
	cJSON *doc = findings(db, run);
	if (ft_count(doc) != 0)
		fail_msg("false finding: %s", cJSON_PrintUnformatted(doc));
	const cJSON *v = cJSON_GetObjectItem(doc, "verdict");
	assert_string_equal(str(v, "severity"), "ok");
	assert_int_equal(strncmp(str(v, "sentence"), "No driver problem found", 23), 0);
	cJSON_Delete(doc);
	ft_close(db, path);
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void isr_average_and_tracing(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	/* An ISR averaging ~40 µs; no samples at all. */
	int64_t run = ft_scenario(db,
		"{\"cpus\": 2, \"duration_s\": 2, \"seed\": 3, \"sample_rate_hz\": 0, \"modules\": ["
		"{\"name\": \"storport.sys\", \"base\": \"0xfffff80071800000\", \"size\": 786432,"
		" \"isr\": {\"rate\": 500, \"duration_us\": {\"dist\": \"uniform\", \"min\": 35, \"max\": 45}}}]}",
		NULL);
	cJSON *doc = findings(db, run);
	const cJSON *f = ft_finding(doc, "isr-average");
	assert_non_null(f);
	assert_float_equal(ft_num(f, "guideline_us"), 25, 0);
	assert_true(ft_num(f, "avg_us") > 35 && ft_num(f, "avg_us") < 45);
	assert_non_null(ft_finding(doc, "profile-not-traced"));
	assert_null(ft_finding(doc, "dpcisr-not-traced"));
	cJSON_Delete(doc);

	/* DPC/ISR groups off and no DPC/ISR events: the trace cannot judge latency. */
	run = ft_scenario(db,
		"{\"cpus\": 2, \"duration_s\": 1, \"seed\": 4, \"sample_rate_hz\": 200,"
		" \"dpc_groups_enabled\": false, \"modules\": ["
		"{\"name\": \"ntoskrnl.exe\", \"base\": \"0xfffff80070600000\", \"size\": 11534336,"
		" \"samples\": {\"weight\": 1}}]}",
		NULL);
	doc = findings(db, run);
	f = ft_finding(doc, "dpcisr-not-traced");
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "warning");
	assert_string_equal(str(cJSON_GetObjectItem(doc, "verdict"), "severity"), "warning");
	/* Not recorded is not normal: the verdict says it cannot judge, and how to record. */
	const char *v = str(cJSON_GetObjectItem(doc, "verdict"), "sentence");
	if (!starts_with(v, "Cannot judge driver load: DPC and ISR tracing was not enabled"))
		fail_msg("verdict: %s", v);
	assert_non_null(strstr(str(f, "sentence"), "xperf -on PROC_THREAD+LOADER+DPC+INTERRUPT"));
	assert_null(strstr(v, "No driver problem"));
	cJSON_Delete(doc);

	/* Healthy DPCs but no CPU sampling: nothing found in what was recorded, and the verdict
	 * says what was not recorded instead of "no driver problem". */
	run = ft_scenario(db,
		"{\"cpus\": 2, \"duration_s\": 1, \"seed\": 5, \"sample_rate_hz\": 0, \"modules\": ["
		"{\"name\": \"ndis.sys\", \"base\": \"0xfffff80072a00000\", \"size\": 1572864,"
		" \"dpc\": {\"rate\": 1000, \"duration_us\": {\"dist\": \"uniform\", \"min\": 5, \"max\": 40}}}]}",
		NULL);
	doc = findings(db, run);
	assert_int_equal(ft_count(doc), 1);
	assert_non_null(ft_finding(doc, "profile-not-traced"));
	v = str(cJSON_GetObjectItem(doc, "verdict"), "sentence");
	if (!starts_with(v, "No problem found in what was recorded, but not everything was: "
			    "CPU sampling (PROFILE) was not recorded"))
		fail_msg("verdict: %s", v);
	assert_non_null(strstr(v, "-stackwalk Profile"));
	cJSON_Delete(doc);
	ft_close(db, path);
}

/* 1000 DPCs of 20 µs and 20 of 150 µs: p99 above, average far below. */
static void feed_p99(const struct ingest_sink *k, void *ud)
{
	(void)ud;
	for (int i = 0; i < 1020; i++) {
		struct sink_dpcisr d = {i * 100000LL, i < 1000 ? 20000 : 150000, 1, SINK_DPC, 0, 0x10};
		assert_int_equal(k->dpcisr(k->ud, &d), 0);
	}
	/* samples without stacks */
	for (int i = 0; i < 50; i++) {
		struct sink_cpu_sample s = {.t_ns = i * 1000000LL, .cpu = 0, .pid = 4, .tid = 8,
					    .ip = 0x5000, .module_id = 0};
		assert_int_equal(k->cpu_sample(k->ud, &s), 0);
	}
}

static cJSON *summary(int lost, const char *logger)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddBoolToObject(s, "dpcisr_enabled", 1);
	cJSON_AddNumberToObject(s, "events_lost", lost);
	cJSON_AddNumberToObject(s, "buffers_lost", lost ? 2 : 0);
	cJSON_AddNumberToObject(s, "buffers_flagged_lost", 0);
	cJSON_AddStringToObject(s, "logger_name", logger);
	cJSON_AddObjectToObject(s, "counts"); /* no StackWalk */
	return s;
}

static void p99_stacks_lost_logger(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	const char *names[] = {"acmenic.sys"};
	int64_t run = ft_fed(db, names, 1, summary(1234, "PROCMON TRACE"), feed_p99, NULL);
	cJSON *doc = findings(db, run);
	const cJSON *f = ft_finding(doc, "dpc-p99");
	assert_non_null(f);
	assert_int_equal((int)ft_num(f, "count"), 1020);
	assert_int_equal((int)ft_num(f, "above_guideline"), 20);
	assert_float_equal(ft_num(f, "above_share"), 20.0 / 1020.0, 1e-12);
	assert_non_null(strstr(str(f, "sentence"), "acmenic.sys (Unknown third party)"));
	assert_null(ft_finding(doc, "dpc-average"));
	assert_non_null(ft_finding(doc, "stacks-not-traced"));
	f = ft_finding(doc, "events-lost");
	assert_non_null(f);
	assert_float_equal(ft_num(f, "events_lost"), 1234, 0);
	assert_float_equal(ft_num(f, "buffers_lost"), 2, 0);
	f = ft_finding(doc, "kernel-logger-owner");
	assert_non_null(f);
	assert_non_null(strstr(str(f, "sentence"), "Process Monitor"));
	cJSON_Delete(doc);

	/* The same run without loss and with xperf's logger name: those two go away. */
	run = ft_fed(db, names, 1, summary(0, "NT Kernel Logger"), feed_p99, NULL);
	doc = findings(db, run);
	assert_null(ft_finding(doc, "events-lost"));
	assert_null(ft_finding(doc, "kernel-logger-owner"));
	cJSON_Delete(doc);
	ft_close(db, path);
}

static void feed_hidden(const struct ingest_sink *k, void *ud)
{
	(void)ud;
	int32_t stack[] = {0};
	for (int i = 0; i < 200; i++) {
		struct sink_dpcisr d = {i * 1000000LL, 30000, 2, SINK_DPC, i % 4 ? 0 : -1, 0x20};
		assert_int_equal(k->dpcisr(k->ud, &d), 0);
		struct sink_cpu_sample s = {.t_ns = i * 1000000LL, .cpu = 2, .pid = 4, .tid = 8,
					    .ip = 0x5000, .module_id = 0,
					    .stack_modules = stack, .n_stack_modules = 1};
		assert_int_equal(k->cpu_sample(k->ud, &s), 0);
	}
}

static void outside_modules(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	const char *names[] = {"ndis.sys"};
	cJSON *s = summary(0, "NT Kernel Logger");
	cJSON_AddNumberToObject(s, "stackwalk_events", 200);
	int64_t run = ft_fed(db, names, 1, s, feed_hidden, NULL);
	cJSON *doc = findings(db, run);
	const cJSON *f = ft_finding(doc, "code-outside-modules");
	assert_non_null(f);
	assert_string_equal(str(f, "severity"), "warning");
	assert_int_equal((int)ft_num(f, "dpc_count"), 50);
	assert_float_equal(ft_num(f, "dpcisr_share"), 0.25, 1e-12);
	assert_int_equal(ft_count(doc), 1);
	cJSON_Delete(doc);
	ft_close(db, path);
}

/* The sentences' number texts, written out by hand (the rules of docs/findings.md, the same
 * as web/common.js fmt; tests/integration/fmt.test.mjs checks that side). */
static void number_texts(void **state)
{
	(void)state;
	static const struct {
		char what; /* u: µs, s: seconds, p: percent */
		double v;
		const char *text;
	} cases[] = {
		{'s', 0.9999933333333333, "1.0 s"}, {'s', 2.4, "2.4 s"}, {'s', 0, "0 s"},
		{'u', 220, "220 µs"}, {'u', 2.46, "2.5 µs"}, {'u', 999.96, "1.0 ms"},
		{'u', 682.4, "682 µs"}, {'u', 12000, "12 ms"}, {'u', 0, "0 µs"},
		{'p', 92, "92.0 %"}, {'p', 0.05, "0.05 %"}, {'p', 0, "0 %"}, {'p', 90.74, "90.7 %"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char buf[32];
		if (cases[i].what == 'u')
			find_duration_us(cases[i].v, buf, sizeof buf);
		else if (cases[i].what == 's')
			find_seconds(cases[i].v, buf, sizeof buf);
		else
			find_percent(cases[i].v, buf, sizeof buf);
		assert_string_equal(buf, cases[i].text);
	}
	char n[32];
	find_thousands(163217, n, sizeof n);
	assert_string_equal(n, "163,217");
}

/* Issue 12 section 2: 800 Idle-process samples in ntoskrnl.exe (module 0) and 200 busy
 * ones: 100 in ntoskrnl.exe, 60 at unmapped kernel addresses, 40 in user code without an
 * image. */
static void feed_idle(const struct ingest_sink *k, void *ud)
{
	(void)ud;
	for (int i = 0; i < 1000; i++) {
		struct sink_cpu_sample s = {.t_ns = i * 1000000LL, .cpu = (uint16_t)(i % 4),
					    .pid = i < 800 ? 0 : 4, .tid = i < 800 ? 0 : 8,
					    .ip = 0xfffff80000001000ull, .module_id = 0, .ip_kernel = 1};
		if (i >= 900 && i < 960) {
			s.module_id = -1;
		} else if (i >= 960) {
			s.module_id = -1;
			s.ip = 0x12340000;
			s.ip_kernel = 0;
		}
		assert_int_equal(k->cpu_sample(k->ud, &s), 0);
	}
}

static void idle_is_not_kernel_time(void **state)
{
	(void)state;
	char path[64], err[256];
	sqlite3 *db = ft_open(path, sizeof path);
	const char *names[] = {"ntoskrnl.exe"};
	cJSON *s = summary(0, "NT Kernel Logger");
	cJSON_AddNumberToObject(cJSON_GetObjectItem(s, "counts"), "StackWalk", 200);
	int64_t run = ft_fed(db, names, 1, s, feed_idle, NULL);
	struct attr_result a;
	struct db_etw_filter f = {.run_id = run, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	assert_int_equal(attr_run(db, &f, &a, err, sizeof err), 0);
	assert_int_equal(a.samples, 1000);
	assert_int_equal(a.idle, 800);
	assert_int_equal(attr_busy_samples(&a), 200);
	assert_int_equal(attr_find(&a, 0)->excl, 100); /* not 900: Idle is nobody's time */
	assert_int_equal(attr_find(&a, -1)->excl, 100);
	assert_int_equal(a.unknown_kernel, 60);
	for (size_t i = 0; i < a.nvendors; i++)
		assert_int_equal(a.vendors[i].excl, 100); /* Microsoft: ntoskrnl's busy samples */
	attr_result_clear(&a);
	cJSON *doc = findings(db, run);
	const cJSON *hidden = ft_finding(doc, "code-outside-modules");
	assert_non_null(hidden);
	assert_int_equal((int)ft_num(hidden, "samples"), 60);
	assert_float_equal(ft_num(hidden, "sample_share"), 60.0 / 200.0, 1e-12);
	const cJSON *user = ft_finding(doc, "user-code-without-image");
	assert_non_null(user);
	assert_int_equal((int)ft_num(user, "samples"), 40);
	assert_float_equal(ft_num(user, "non_idle_share"), 40.0 / 200.0, 1e-12);
	char *text = cJSON_PrintUnformatted(doc);
	assert_null(strstr(text, "ntoskrnl")); /* no verdict calls Idle kernel CPU time */
	free(text);
	cJSON_Delete(doc);
	ft_close(db, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(field_before), cmocka_unit_test(clean),
		cmocka_unit_test(idle_is_not_kernel_time),
		cmocka_unit_test(isr_average_and_tracing), cmocka_unit_test(p99_stacks_lost_logger),
		cmocka_unit_test(outside_modules), cmocka_unit_test(number_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
