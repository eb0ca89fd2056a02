/* test_find_perfmon.c — PAL-style perfmon rules: a generated PDH-CSV log crossing each
 * threshold (DPC 10 %, interrupt 10/20 %, privileged 20/30 %, queue 10 per CPU) and one that
 * crosses none; the PAL sample .blg, with its mean recomputed here from the raw samples. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "db.h"
#include "find.h"
#include "find_test_run.h"

/* cols: counter paths after \\HOST\ ; val(col, t) gives the value. */
static int64_t csv_run(sqlite3 *db, const char *const *cols, int ncols,
		       double (*val)(int col, int t))
{
	char path[] = "/tmp/etlscope-test-find-csv-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "\"(PDH-CSV 4.0) (Coordinated Universal Time)(0)\"");
	for (int c = 0; c < ncols; c++)
		fprintf(f, ",\"\\\\HOST\\%s\"", cols[c]);
	fprintf(f, "\r\n");
	for (int t = 0; t < 60; t++) {
		fprintf(f, "\"01/15/2026 10:00:%02d.000\"", t);
		for (int c = 0; c < ncols; c++)
			fprintf(f, ",\"%.6f\"", val(c, t));
		fprintf(f, "\r\n");
	}
	fclose(f);
	int64_t run = ft_import(db, path);
	unlink(path);
	return run;
}

static const char *const cols[] = {
	"Processor(0)\\% DPC Time", "Processor(1)\\% DPC Time", "Processor(_Total)\\% DPC Time",
	"Processor(0)\\% Interrupt Time", "Processor(1)\\% Interrupt Time",
	"Processor(0)\\% Privileged Time", "Processor(1)\\% Privileged Time",
	"System\\Processor Queue Length",
};

/* CPU 1 DPC 14-16 % (mean 15), CPU 0 interrupt 25 %, privileged 22 % on CPU 1, queue 30. */
static double busy(int c, int t)
{
	static const double base[] = {2, 15, 8.5, 25, 3, 12, 22, 30};
	return base[c] + (c == 1 ? (t % 2 ? 1 : -1) : 0);
}

static double quiet(int c, int t)
{
	static const double base[] = {2, 9.5, 5.75, 4, 3, 15, 19, 3};
	(void)t;
	return base[c];
}

static cJSON *findings(sqlite3 *db, int64_t run)
{
	char err[256];
	cJSON *doc = NULL;
	if (find_get(db, run, &doc, err, sizeof err) != 0)
		fail_msg("%s", err);
	return doc;
}

static const char *sev(const cJSON *f)
{
	return cJSON_GetObjectItem(f, "severity")->valuestring;
}

/* The finding id must be there with this severity and numbers[key] == value. */
static const cJSON *expect(const cJSON *doc, const char *id, const char *severity,
			   const char *key, double value)
{
	const cJSON *f = ft_finding(doc, id);
	if (!f)
		fail_msg("no %s", id);
	assert_string_equal(sev(f), severity);
	assert_float_equal(ft_num(f, key), value, 1e-9);
	return f;
}

/* numbers.cpus must be exactly want[0..n). */
static void expect_cpus(const cJSON *f, const int *want, int n)
{
	const cJSON *cpus = cJSON_GetObjectItem(cJSON_GetObjectItem(f, "numbers"), "cpus");
	assert_int_equal(cJSON_GetArraySize(cpus), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(cJSON_GetArrayItem(cpus, i)->valueint, want[i]);
}

static void thresholds(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	cJSON *doc = findings(db, csv_run(db, cols, 8, busy));
	const cJSON *f = expect(doc, "perfmon-dpc-time", "warning", "mean_pct", 15);
	expect_cpus(f, (const int[]){1}, 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "link"),
				"params"), "counter")->valuestring, "% DPC Time");
	f = ft_finding(doc, "perfmon-interrupt-time");
	assert_non_null(f);
	assert_string_equal(sev(f), "critical");
	assert_float_equal(ft_num(f, "mean_pct"), 25, 1e-9);
	f = ft_finding(doc, "perfmon-privileged-time");
	assert_non_null(f);
	assert_string_equal(sev(f), "warning");
	f = ft_finding(doc, "perfmon-queue-length");
	assert_non_null(f);
	assert_float_equal(ft_num(f, "per_cpu"), 15, 1e-9);
	assert_int_equal(ft_count(doc), 4);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "verdict"), "severity")->valuestring,
			    "critical");
	cJSON_Delete(doc);

	doc = findings(db, csv_run(db, cols, 8, quiet));
	assert_int_equal(ft_count(doc), 0);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "verdict"), "severity")->valuestring,
			    "ok");
	cJSON_Delete(doc);
	ft_close(db, path);
}

struct pick {
	uint32_t idx[64];
	int cpu[64];
	int n;
	const char *counter;
};

static int pick(void *ud, const struct db_counter *c)
{
	struct pick *p = ud;
	if (strcmp(c->object, "Processor") == 0 && strcmp(c->counter, p->counter) == 0 &&
	    c->cpu >= 0 && p->n < 64) {
		p->idx[p->n] = c->idx;
		p->cpu[p->n++] = c->cpu;
	}
	return 0;
}

/* Mean of every raw sample of each CPU's counter, computed here. */
static double raw_max_mean(sqlite3 *db, int64_t run, const char *counter)
{
	struct pick p = {.counter = counter};
	char err[256];
	assert_int_equal(db_counters(db, run, pick, &p), 0);
	double best = -1;
	for (int i = 0; i < p.n; i++) {
		struct db_series s;
		struct db_series_query q = {run, &p.idx[i], 1, INT64_MIN, INT64_MAX, 0};
		assert_int_equal(db_series_read(db, &q, &s, err, sizeof err), 0);
		double sum = 0;
		size_t n = 0;
		for (size_t k = 0; k < s.n; k++)
			if (!isnan(s.mean[k]))
				sum += s.mean[k], n++;
		if (n && sum / n > best)
			best = sum / n;
		db_series_clear(&s);
	}
	return best;
}

static void pal_sample(void **state)
{
	(void)state;
	const char *file = SHARED_DIR "/samples/perfmon/pal_SampleLog.blg";
	if (access(file, R_OK) != 0)
		skip();
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	int64_t run = ft_import(db, file);
	cJSON *doc = findings(db, run);
	static const struct {
		const char *counter, *id;
		double warn;
	} rules[] = {{"% DPC Time", "perfmon-dpc-time", 10},
		     {"% Interrupt Time", "perfmon-interrupt-time", 10},
		     {"% Privileged Time", "perfmon-privileged-time", 20}};
	int checked = 0;
	for (size_t r = 0; r < 3; r++) {
		double m = raw_max_mean(db, run, rules[r].counter);
		const cJSON *f = ft_finding(doc, rules[r].id);
		if (m < 0)
			continue;
		checked++;
		if (m > rules[r].warn) {
			assert_non_null(f);
			assert_float_equal(ft_num(f, "mean_pct"), round(m * 100) / 100, 1e-9);
		} else {
			assert_null(f);
		}
	}
	assert_int_equal(checked, 3); /* MANIFEST: the log has all three */
	cJSON_Delete(doc);
	ft_close(db, path);
}

static const cJSON *verdict_of(const cJSON *doc)
{
	return cJSON_GetObjectItem(doc, "verdict");
}

static int array_has(const cJSON *a, const char *s)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, a)
	if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0)
		return 1;
	return 0;
}

/* MANIFEST: the PowerShell sample has processor(_total) only — no DPC, interrupt or
 * privileged time and no queue. Its verdict names them as not recorded and says how to
 * record them; it never calls the log normal. Same for the CSV, TSV and BLG copies. */
static void powershell_not_recorded(void **state)
{
	(void)state;
	static const char *const files[] = {"powershell_CounterSamples.csv",
					    "powershell_CounterSamples.tsv",
					    "powershell_CounterSamples.blg"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char file[512];
		snprintf(file, sizeof file, "%s/samples/perfmon/%s", SHARED_DIR, files[i]);
		if (access(file, R_OK) != 0)
			skip();
		char path[64];
		sqlite3 *db = ft_open(path, sizeof path);
		cJSON *doc = findings(db, ft_import(db, file));
		const cJSON *f = ft_finding(doc, "perfmon-not-recorded");
		assert_non_null(f);
		assert_string_equal(sev(f), "warning");
		const cJSON *mis = cJSON_GetObjectItem(cJSON_GetObjectItem(f, "numbers"), "not_recorded");
		assert_true(array_has(mis, "% DPC Time"));
		assert_true(array_has(mis, "% Interrupt Time"));
		assert_true(array_has(mis, "% Privileged Time"));
		assert_true(array_has(mis, "Processor Queue Length"));
		const char *v = cJSON_GetObjectItem(verdict_of(doc), "sentence")->valuestring;
		assert_non_null(strstr(v, "did not record % DPC Time"));
		assert_non_null(strstr(v, "logman create counter"));
		assert_null(strstr(v, "look normal"));
		assert_null(strstr(v, "No processor counter crossed"));
		assert_string_equal(cJSON_GetObjectItem(verdict_of(doc), "severity")->valuestring,
				    "warning");
		assert_int_equal(ft_count(doc), 1);
		cJSON_Delete(doc);
		ft_close(db, path);
	}
}

/* 8 CPUs; CPUs 2, 3, 5 and 6 spend 90 % in DPCs and 2 % in interrupts during seconds
 * 20–39 of a 60-second log, 1 % otherwise: 92 % is critical as in an ETW trace (the ETW
 * rule's 50 % limit), while the whole-log mean (92·20 + 1·40)/60 ≈ 31.3 % alone would only
 * warn. Pegged for the whole log, the mean rule is critical too. */
static const char *const pegged_cols[] = {
	"Processor(0)\\% DPC Time", "Processor(1)\\% DPC Time", "Processor(2)\\% DPC Time",
	"Processor(3)\\% DPC Time", "Processor(4)\\% DPC Time", "Processor(5)\\% DPC Time",
	"Processor(6)\\% DPC Time", "Processor(7)\\% DPC Time",
	"Processor(0)\\% Interrupt Time", "Processor(1)\\% Interrupt Time",
	"Processor(2)\\% Interrupt Time", "Processor(3)\\% Interrupt Time",
	"Processor(4)\\% Interrupt Time", "Processor(5)\\% Interrupt Time",
	"Processor(6)\\% Interrupt Time", "Processor(7)\\% Interrupt Time",
	"Processor(0)\\% Privileged Time", "System\\Processor Queue Length",
};

static int pegged_cpu(int col)
{
	int cpu = col % 8;
	return col < 16 && (cpu == 2 || cpu == 3 || cpu == 5 || cpu == 6);
}

static double pegged_stretch(int col, int t)
{
	if (col >= 16)
		return 1;
	if (!pegged_cpu(col) || t < 20 || t >= 40)
		return col < 8 ? 1 : 0;
	return col < 8 ? 90 : 2;
}

static double pegged_always(int col, int t)
{
	(void)t;
	return pegged_stretch(col, 25);
}

static void pegged_is_critical(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	cJSON *doc = findings(db, csv_run(db, pegged_cols, 18, pegged_stretch));
	const cJSON *f = expect(doc, "perfmon-cpu-dpcisr-saturated", "critical", "max_pct", 92);
	expect_cpus(f, (const int[]){2, 3, 5, 6}, 4);
	const char *text = cJSON_GetObjectItem(f, "sentence")->valuestring;
	assert_non_null(strstr(text, "CPUs 2, 3, 5 and 6 (up to 92.0 %"));
	expect(doc, "perfmon-dpc-time", "warning", "mean_pct",
	       round((90 * 20 + 1 * 40) / 60.0 * 100) / 100);
	assert_null(ft_finding(doc, "perfmon-not-recorded"));
	assert_string_equal(cJSON_GetObjectItem(verdict_of(doc), "severity")->valuestring, "critical");
	cJSON_Delete(doc);

	doc = findings(db, csv_run(db, pegged_cols, 18, pegged_always));
	expect(doc, "perfmon-dpc-time", "critical", "mean_pct", 90);
	assert_string_equal(sev(ft_finding(doc, "perfmon-cpu-dpcisr-saturated")), "critical");
	cJSON_Delete(doc);
	ft_close(db, path);
}

/* Only _Total: the per-CPU view is missing, which is a note, not "normal". */
static double total_only_val(int c, int t)
{
	(void)c;
	(void)t;
	return 3;
}

static void total_only(void **state)
{
	(void)state;
	static const char *const tcols[] = {
		"Processor(_Total)\\% DPC Time", "Processor(_Total)\\% Interrupt Time",
		"Processor(_Total)\\% Privileged Time", "System\\Processor Queue Length"};
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	cJSON *doc = findings(db, csv_run(db, tcols, 4, total_only_val));
	const cJSON *f = ft_finding(doc, "perfmon-not-recorded");
	assert_non_null(f);
	assert_string_equal(sev(f), "info");
	const cJSON *tot = cJSON_GetObjectItem(cJSON_GetObjectItem(f, "numbers"), "total_only");
	assert_int_equal(cJSON_GetArraySize(tot), 3);
	const char *v = cJSON_GetObjectItem(verdict_of(doc), "sentence")->valuestring;
	assert_non_null(strstr(v, "not everything was"));
	assert_non_null(strstr(v, "only for all CPUs together"));
	cJSON_Delete(doc);
	ft_close(db, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(thresholds), cmocka_unit_test(pal_sample),
		cmocka_unit_test(powershell_not_recorded), cmocka_unit_test(pegged_is_critical),
		cmocka_unit_test(total_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
