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

static void thresholds(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	cJSON *doc = findings(db, csv_run(db, cols, 8, busy));
	const cJSON *f = ft_finding(doc, "perfmon-dpc-time");
	assert_non_null(f);
	assert_string_equal(sev(f), "warning");
	assert_float_equal(ft_num(f, "mean_pct"), 15, 1e-9);
	cJSON *cpus = cJSON_GetObjectItem(cJSON_GetObjectItem(f, "numbers"), "cpus");
	assert_int_equal(cJSON_GetArraySize(cpus), 1);
	assert_int_equal(cJSON_GetArrayItem(cpus, 0)->valueint, 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(thresholds), cmocka_unit_test(pal_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
