/* test_find_inside.c — what runs inside DPCs, end to end on etlgen traces: ndis.sys (a
 * Microsoft module) with long DPCs in which an intrusion-detection filter (idsvia64.sys,
 * third party) holds the leaf of most samples. Table-driven over: with stacks; with a NIC
 * teaming driver sharing the CPUs; flag but no stacks; interval but no flag (pre-Win8
 * traces); no sample inside at all; samples flagged inside DPCs whose events were not
 * logged ("flag only"); a run ingested before this was recorded. And DPCs whose samples
 * outlast the parser's window and its per-CPU hold of 64 samples. Every count comes from the
 * generator's expectations or the documented rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <cmocka.h>
#include "db.h"
#include "db_dpc_inside.h"
#include "db_etw.h"
#include "find.h"
#include "find_test_run.h"

enum { M_NTOS, M_NDIS, M_IDS, M_TEAM, M_APP }; /* scenario module order */

struct inside_case {
	const char *name;
	int teaming, inside, flag, stacks, hide_dpc;
	int old_run; /* ingested before samples inside DPCs were recorded */
};

static const struct inside_case cases[] = {
	{"dispatcher, third-party leaf, stacks", 0, 1, 1, 1, 0, 0},
	{"teaming driver on the same CPUs", 1, 1, 1, 1, 0, 0},
	{"flag, no stacks", 1, 1, 1, 0, 0, 0},
	{"interval, no flag (pre-Win8)", 0, 1, 0, 1, 0, 0},
	{"no sample inside", 1, 0, 0, 0, 0, 0},
	{"flag only: DPC events not logged", 0, 1, 1, 1, 1, 0},
	{"a run ingested before this was recorded", 1, 1, 1, 1, 0, 1},
};

/* Make the run look like one ingested by an etlscope that did not record samples inside
 * DPCs: no inside rows, no summary fact. */
static void make_old(sqlite3 *db, int64_t run)
{
	char sql[400];
	snprintf(sql, sizeof sql,
		 "DELETE FROM etw_inside_groups WHERE run_id=%lld;"
		 "DELETE FROM etw_inside_modules WHERE run_id=%lld;"
		 "DELETE FROM etw_inside_chains WHERE run_id=%lld;"
		 "UPDATE runs SET summary=json_remove(summary, '$.cpu_samples_in_dpcisr_interval')"
		 " WHERE id=%lld;", (long long)run, (long long)run, (long long)run, (long long)run);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static char *scenario(const struct inside_case *k)
{
	char inside[700] = "";
	if (k->inside)
		snprintf(inside, sizeof inside,
			 ", \"inside\": {\"every_us\": 100, \"flag\": %s, \"stacks\": %s,"
			 " \"hide_dpc\": %s, \"samples\": ["
			 "{\"leaf\": \"idsvia64.sys\", \"callers\": [\"ndis.sys\", \"ntoskrnl.exe\"], \"weight\": 90},"
			 "{\"leaf\": \"ndis.sys\", \"callers\": [\"ntoskrnl.exe\"], \"weight\": 10}]}",
			 k->flag ? "true" : "false", k->stacks ? "true" : "false",
			 k->hide_dpc ? "true" : "false");
	char *json = malloc(4096);
	assert_non_null(json);
	snprintf(json, 4096,
		 "{\"cpus\": 4, \"duration_s\": 2, \"seed\": 11, \"sample_rate_hz\": 1000, \"modules\": ["
		 "{\"name\": \"ntoskrnl.exe\", \"base\": \"0xfffff80070600000\", \"size\": 11534336,"
		 " \"samples\": {\"weight\": 10}},"
		 "{\"name\": \"ndis.sys\", \"base\": \"0xfffff80072a00000\", \"size\": 1572864,"
		 " \"dpc\": {\"rate\": 3000, \"duration_us\": {\"dist\": \"uniform\", \"min\": 180, \"max\": 260}%s},"
		 " \"cpus\": [0, 1], \"samples\": {\"weight\": 2}},"
		 "{\"name\": \"idsvia64.sys\", \"base\": \"0xfffff80075000000\", \"size\": 393216},"
		 "{\"name\": \"iansw60e.sys\", \"base\": \"0xfffff80073000000\", \"size\": 524288,"
		 " \"dpc\": {\"rate\": %d, \"duration_us\": {\"dist\": \"uniform\", \"min\": 10, \"max\": 40}},"
		 " \"cpus\": [0, 1]},"
		 "{\"name\": \"app.exe\", \"base\": \"0x00007ff600000000\", \"size\": 4194304,"
		 " \"samples\": {\"weight\": 20}}]}",
		 inside, k->teaming ? 600 : 0);
	return json;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static double inum(const cJSON *finding, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(finding, "numbers"), "inside"), k);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static int32_t module_id(sqlite3 *db, int64_t run, const char *name)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM etw_modules WHERE run_id=? AND"
					    " name=?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int32_t id = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return id;
}

static const struct db_inside_module *mod(const struct db_inside_group *g, int32_t id)
{
	for (size_t i = 0; i < g->n_mods; i++)
		if (g->mods[i].module == id)
			return &g->mods[i];
	fail_msg("module %d not among the samples inside", id);
	return NULL;
}

/* The stored counts equal the scenario's: group totals, leaf and stack modules, chains. */
static void check_store(sqlite3 *db, int64_t run, const struct inside_case *k,
			const struct etlgen_module_expect *x)
{
	char err[256];
	struct db_inside_result r;
	int32_t ntos = module_id(db, run, "ntoskrnl.exe"), ndis = module_id(db, run, "ndis.sys"),
		ids = module_id(db, run, "idsvia64.sys");
	assert_int_equal(db_inside_read(db, run, DB_KIND_ALL, INT32_MIN, &r, err, sizeof err), 0);
	if (!k->inside) {
		assert_int_equal(r.n, 0);
		return;
	}
	assert_int_equal(r.n, 1);
	const struct db_inside_group *g = &r.groups[0];
	assert_int_equal(g->dpc_module, k->hide_dpc ? DB_INSIDE_FLAG_ONLY : ndis);
	assert_int_equal(g->kind, SINK_DPC);
	assert_true(x->inside_samples > 1000);
	assert_int_equal(g->samples, x->inside_samples);
	assert_int_equal(g->flagged, x->inside_flagged);
	assert_int_equal(g->with_stack, x->inside_with_stack);
	assert_int_equal(mod(g, ids)->leaf, x->inside_leaf[M_IDS]);
	assert_int_equal(mod(g, ndis)->leaf, x->inside_leaf[M_NDIS]);
	assert_int_equal(mod(g, ids)->on_stack, x->inside_on_stack[M_IDS]);
	assert_int_equal(mod(g, ndis)->on_stack, x->inside_on_stack[M_NDIS]);
	if (!k->stacks) {
		assert_int_equal(g->n_chains, 0);
	} else {
		/* ids ← ndis ← ntoskrnl and ndis ← ntoskrnl, in that order of frequency */
		assert_int_equal(mod(g, ntos)->on_stack, x->inside_on_stack[M_NTOS]);
		assert_int_equal(g->n_chains, 2);
		const int32_t want0[] = {ids, ndis, ntos}, want1[] = {ndis, ntos};
		assert_int_equal(g->chains[0].n_mods, 3);
		assert_memory_equal(g->chains[0].mods, want0, sizeof want0);
		assert_int_equal(g->chains[0].samples, x->inside_leaf[M_IDS]);
		assert_int_equal(g->chains[1].n_mods, 2);
		assert_memory_equal(g->chains[1].mods, want1, sizeof want1);
		assert_int_equal(g->chains[1].samples, x->inside_leaf[M_NDIS]);
	}
	db_inside_result_clear(&r);
}

static void check_findings(const cJSON *doc, const struct inside_case *k,
			   const struct etlgen_module_expect *x)
{
	const cJSON *f = ft_finding(doc, "dpc-average"), *flag = ft_finding(doc, "dpc-flag-only");
	if (k->hide_dpc) {
		assert_null(f); /* no DPC event, no DPC finding; the flag still names the filter */
		assert_non_null(flag);
		assert_string_equal(str(flag, "severity"), "warning");
		assert_int_equal((uint64_t)inum(flag, "samples"), x->inside_samples);
		assert_int_equal((uint64_t)inum(flag, "leaf_samples"), x->inside_leaf[M_IDS]);
		char want[300];
		snprintf(want, sizeof want, " CPU samples carry the ExecutingDPC flag but lie in no "
			 "logged DPC (the trace did not record or lost those DPCs, or one outlasted "
			 "the parser's hold of its samples); %.1f %% of them are in idsvia64.sys (Symantec / "
			 "NortonLifeLock (Broadcom), Antivirus).",
			 100.0 * (double)x->inside_leaf[M_IDS] / (double)x->inside_samples);
		assert_non_null(strstr(str(flag, "sentence"), want));
		return;
	}
	assert_null(flag);
	if (k->old_run) {
		/* nothing is known about the samples inside: say nothing about them */
		assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "numbers"), "inside"));
		assert_null(strstr(str(f, "sentence"), "samples inside"));
		assert_null(strstr(str(f, "sentence"), "No CPU sample"));
		assert_non_null(strstr(str(f, "sentence"), "sharing them only: iansw60e.sys"));
		return;
	}
	assert_non_null(f);
	assert_string_equal(str(cJSON_GetObjectItem(f, "numbers"), "module"), "ndis.sys");
	const char *s = str(f, "sentence"), *verdict = str(cJSON_GetObjectItem(doc, "verdict"), "sentence");
	/* never the old rule's "the likelier cause" for a driver that shares the CPUs */
	assert_null(strstr(s, "likelier"));
	if (k->teaming)
		assert_non_null(strstr(s, "Also running on those CPUs, sharing them only: "
					  "iansw60e.sys (Intel, NIC teaming)."));
	else
		assert_null(strstr(s, "iansw60e"));
	assert_int_equal((uint64_t)inum(f, "samples"), x->inside_samples);
	assert_int_equal((uint64_t)inum(f, "flagged"), x->inside_flagged);
	assert_int_equal((uint64_t)inum(f, "with_stack"), x->inside_with_stack);
	if (!k->inside) {
		assert_non_null(strstr(s, "No CPU sample fell inside ndis.sys's DPCs"));
		assert_non_null(strstr(s, "-stackwalk Profile"));
		return;
	}
	assert_int_equal((uint64_t)inum(f, "leaf_samples"), x->inside_leaf[M_IDS]);
	assert_string_equal(str(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "numbers"), "inside"),
				"leaf_module"), "idsvia64.sys");
	char want[300];
	snprintf(want, sizeof want, "; %.1f %% of the ",
		 100.0 * (double)x->inside_leaf[M_IDS] / (double)x->inside_samples);
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, " CPU samples inside them are in idsvia64.sys (Symantec / "
				  "NortonLifeLock (Broadcom), Antivirus), so ndis.sys only "
				  "dispatches and that driver does the work."));
	if (k->stacks)
		assert_null(strstr(s, "carry no stacks"));
	else
		assert_non_null(strstr(s, "Those samples carry no stacks"));
	/* the verdict names the filter driver, and not the driver that only shares CPUs */
	assert_non_null(strstr(verdict, "idsvia64.sys"));
	assert_null(strstr(verdict, "iansw60e"));
}

static void inside_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct inside_case *k = &cases[i];
		print_message("case: %s\n", k->name);
		char path[64], err[256];
		sqlite3 *db = ft_open(path, sizeof path);
		char *json = scenario(k);
		struct etlgen_expect exp;
		int64_t run = ft_scenario(db, json, &exp);
		const struct etlgen_module_expect *x = &exp.modules[M_NDIS];
		assert_int_equal(x->inside_samples > 0, k->inside);
		if (k->old_run)
			make_old(db, run);
		else
			check_store(db, run, k, x);
		cJSON *doc = NULL;
		if (find_get(db, run, &doc, err, sizeof err) != 0)
			fail_msg("findings: %s", err);
		check_findings(doc, k, x);
		cJSON_Delete(doc);
		etlgen_expect_free(&exp);
		free(json);
		ft_close(db, path);
	}
}

/* DPCs on one CPU with a sample every 1 ms inside (etlgen: n = floor(duration / 1 ms)
 * samples at entry + duration × k / (n + 1), k = 1..n, flagged). A DPC event arrives after
 * all of its samples; a sample is still open to marking while it is in the parser's window
 * (it left when a sample more than 1 s newer entered) or among the 64 newest samples of its
 * CPU that left the window (ingest/etl/README.md):
 * - 100 ms: 100 samples, all within 1 s of the last one: 100 inside, none flag only (under
 *   the earlier 64-sample-per-CPU hold alone it was 64 and 36);
 * - 1.5 s: 1,500 samples 1.5 s / 1,501 = 0.99933 ms apart; when the last (k = 1500) enters,
 *   k >= 500 are within 1 s of it (1000 × 0.99933 ms = 999.3 ms; 1001 × = 1000.3 ms), so
 *   1,001 in the window, k = 436..499 in the hold (64), k = 1..435 emitted: 1,065 inside and
 *   435 flag only. */
static void longer_than_the_hold(void **state)
{
	(void)state;
	static const struct {
		unsigned duration_us;
		uint64_t per_dpc, inside, flag_only;
	} holds[] = {
		{100000, 100, 100, 0},
		{1500000, 1500, 1065, 435},
	};
	for (size_t i = 0; i < sizeof holds / sizeof holds[0]; i++) {
		char path[64], err[256], json[1024];
		sqlite3 *db = ft_open(path, sizeof path);
		struct etlgen_expect exp;
		snprintf(json, sizeof json,
			 "{\"cpus\": 1, \"duration_s\": 2, \"seed\": 5, \"modules\": ["
			 "{\"name\": \"ndis.sys\", \"base\": \"0xfffff80072a00000\", \"size\": 1572864,"
			 " \"dpc\": {\"rate\": 4, \"duration_us\": {\"dist\": \"fixed\", \"value\": %u},"
			 " \"inside\": {\"every_us\": 1000, \"flag\": true, \"samples\": [{\"leaf\": \"idsvia64.sys\"}]}}},"
			 "{\"name\": \"idsvia64.sys\", \"base\": \"0xfffff80075000000\", \"size\": 393216}]}",
			 holds[i].duration_us);
		int64_t run = ft_scenario(db, json, &exp);
		uint64_t dpcs = exp.modules[0].kind[ETLGEN_DPC].count;
		assert_true(dpcs > 2);
		assert_int_equal(exp.modules[0].inside_samples, holds[i].per_dpc * dpcs);
		struct db_inside_result r;
		assert_int_equal(db_inside_read(db, run, DB_KIND_ALL, INT32_MIN, &r, err, sizeof err),
				 0);
		assert_int_equal(r.n, holds[i].flag_only ? 2 : 1);
		assert_int_equal(r.groups[0].dpc_module, module_id(db, run, "ndis.sys"));
		assert_int_equal(r.groups[0].samples, holds[i].inside * dpcs);
		if (holds[i].flag_only) {
			assert_int_equal(r.groups[1].dpc_module, DB_INSIDE_FLAG_ONLY);
			assert_int_equal(r.groups[1].samples, holds[i].flag_only * dpcs);
		}
		db_inside_result_clear(&r);
		etlgen_expect_free(&exp);
		ft_close(db, path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inside_cases),
		cmocka_unit_test(longer_than_the_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
