/* find_core.c — the engine's frame: limits, find_emit, ranking, the verdict sentence, and
 * find_compute, which runs the ETW and perfmon rule sets over one run. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "find.h"

const struct find_limits find_default_limits = {
	.dpc_guideline_us = 100, .isr_guideline_us = 25, .p99_share = 0.01, .min_events = 20,
	.cpu_busy_share = 0.5, .cpu_window_s = 1.0,
	.security_incl_warn = 0.05, .security_incl_crit = 0.25,
	.hidden_dpc_share = 0.01, .hidden_sample_share = 0.01,
	.pm_dpc_warn = 10, .pm_int_warn = 10, .pm_int_crit = 20,
	.pm_priv_warn = 20, .pm_priv_crit = 30, .pm_queue_per_cpu = 10,
	.syscall_security_share = 0.25, .syscall_min_samples = 10, .ready_behind_dpc_ms = 10,
};

const char *find_severity_name(enum find_severity s)
{
	return s == FIND_CRITICAL ? "critical" : s == FIND_WARNING ? "warning" : "info";
}

void find_emit(struct find_ctx *c, const char *id, enum find_severity sev, double score,
	       const char *panel, cJSON *link_params, cJSON *numbers, const char *fmt, ...)
{
	char sentence[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sentence, sizeof sentence, fmt, ap);
	va_end(ap);
	cJSON *f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "id", id);
	cJSON_AddStringToObject(f, "severity", find_severity_name(sev));
	cJSON_AddStringToObject(f, "sentence", sentence);
	cJSON_AddItemToObject(f, "numbers", numbers ? numbers : cJSON_CreateObject());
	cJSON *link = cJSON_AddObjectToObject(f, "link");
	cJSON_AddStringToObject(link, "panel", panel);
	cJSON_AddItemToObject(link, "params", link_params ? link_params : cJSON_CreateObject());
	cJSON_AddNumberToObject(f, "score", score);
	cJSON_AddItemToArray(c->out, f);
}

cJSON *find_cpu_array(const struct db_cpu_set *s)
{
	cJSON *a = cJSON_CreateArray();
	for (unsigned c = 0; c < DB_MAX_CPUS; c++)
		if (db_cpu_set_has(s, c))
			cJSON_AddItemToArray(a, cJSON_CreateNumber(c));
	return a;
}

void find_cpu_list(const struct db_cpu_set *s, char *buf, size_t len)
{
	size_t n = 0, total = 0, seen = 0;
	for (unsigned c = 0; c < DB_MAX_CPUS; c++)
		total += db_cpu_set_has(s, c);
	buf[0] = '\0';
	for (unsigned c = 0; c < DB_MAX_CPUS && n + 16 < len; c++) {
		if (!db_cpu_set_has(s, c))
			continue;
		seen++;
		const char *sep = seen == 1 ? "" : seen == total ? " and " : ", ";
		n += (size_t)snprintf(buf + n, len - n, "%s%u", sep, c);
	}
}

void find_thousands(uint64_t v, char *buf, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), k = 0;
	for (int i = 0; i < n && (size_t)k + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = tmp[i];
	}
	buf[k] = '\0';
}

void find_duration_us(double us, char *buf, size_t len)
{
	double a = fabs(us);
	const char *unit = "µs";
	if (us == 0) {
		snprintf(buf, len, "0 µs");
		return;
	}
	double v = us;
	if (a >= 1e6) {
		v = us / 1e6;
		unit = "s";
	} else if (a >= 1e3) {
		v = us / 1e3;
		unit = "ms";
	}
	/* Rounding may carry into the next unit: 999.96 µs is "1.0 ms". */
	if (fabs(v) >= 999.5 && unit[0] != 's') {
		v /= 1e3;
		unit = unit[0] == 'm' ? "s" : "ms";
	}
	snprintf(buf, len, fabs(v) < 9.95 ? "%.1f %s" : "%.0f %s", v, unit);
}

void find_seconds(double s, char *buf, size_t len)
{
	if (s == 0)
		snprintf(buf, len, "0 s");
	else
		find_duration_us(s * 1e6, buf, len);
}

void find_percent(double pct, char *buf, size_t len)
{
	double a = fabs(pct);
	snprintf(buf, len, a == 0 ? "0 %%" : a < 0.095 ? "%.2f %%" : "%.1f %%", pct);
}

void find_driver_desc(const struct attr_row *row, char *buf, size_t len)
{
	const char *cat = attr_category_label(row->cls.category);
	if (row->cls.vendor[0])
		snprintf(buf, len, "%s (%s, %s)", row->name, row->cls.vendor, cat);
	else
		snprintf(buf, len, "%s (%s)", row->name, cat);
}

static int rank_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	const char *sx = cJSON_GetObjectItem(x, "severity")->valuestring;
	const char *sy = cJSON_GetObjectItem(y, "severity")->valuestring;
	int rx = sx[0] == 'c' ? 0 : sx[0] == 'w' ? 1 : 2, ry = sy[0] == 'c' ? 0 : sy[0] == 'w' ? 1 : 2;
	if (rx != ry)
		return rx - ry;
	double dx = cJSON_GetObjectItem(x, "score")->valuedouble;
	double dy = cJSON_GetObjectItem(y, "score")->valuedouble;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(cJSON_GetObjectItem(x, "id")->valuestring,
		      cJSON_GetObjectItem(y, "id")->valuestring);
}

/* Sort findings by severity then score (stable on id), and number their ranks. */
static cJSON *ranked(cJSON *arr)
{
	int n = cJSON_GetArraySize(arr);
	cJSON **v = calloc((size_t)n + 1, sizeof *v);
	cJSON *out = cJSON_CreateArray();
	if (!v || !out) {
		free(v);
		cJSON_Delete(out);
		return NULL;
	}
	for (int i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(arr, 0);
	qsort(v, (size_t)n, sizeof *v, rank_cmp);
	for (int i = 0; i < n; i++) {
		cJSON_AddNumberToObject(v[i], "rank", i + 1);
		cJSON_AddItemToArray(out, v[i]);
	}
	free(v);
	return out;
}

/* Gap findings say what the run did not record; the verdict must not read them as "no
 * problem" (not recorded is not normal). */
static int is_gap(const cJSON *f)
{
	const char *id = cJSON_GetObjectItem(f, "id")->valuestring;
	return strstr(id, "-not-recorded") || strstr(id, "-not-traced");
}

/* The first sentence of a finding (the rest is evidence below it). */
static void first_sentence(const cJSON *f, char *buf, size_t len)
{
	const char *t = cJSON_GetObjectItem(f, "sentence")->valuestring;
	const char *end = strstr(t, ". ");
	size_t n = end ? (size_t)(end - t) + 1 : strlen(t);
	snprintf(buf, len, "%.*s", (int)n, t);
}

static void verdict(cJSON *doc, const cJSON *findings, int etw, int perfmon)
{
	cJSON *v = cJSON_AddObjectToObject(doc, "verdict");
	const cJSON *top = cJSON_GetArrayItem(findings, 0);
	char s[1400], first[1200];
	const char *sev = top ? cJSON_GetObjectItem(top, "severity")->valuestring : "ok";
	if (!top) {
		snprintf(s, sizeof s, "%s",
			 etw ? "No driver problem found: every module's DPCs and ISRs stayed within "
			       "Microsoft's guideline, no CPU was saturated by them, and no security "
			       "or filter driver took a notable share of the CPU."
			     : perfmon ? "No processor counter crossed a threshold: DPC, interrupt "
					 "and privileged time of every CPU and the processor queue were "
					 "recorded and stayed below PAL's limits."
				       : "Nothing to judge: this run has neither ETW records nor "
					 "processor counters.");
	} else if (strcmp(sev, "info") == 0) {
		first_sentence(top, first, sizeof first);
		snprintf(s, sizeof s, "%s %s",
			 is_gap(top) ? "No problem found in what was recorded, but not everything was:"
				     : "No driver problem found; notes on the trace:",
			 is_gap(top) ? cJSON_GetObjectItem(top, "sentence")->valuestring : first);
	} else {
		first_sentence(top, first, sizeof first);
		int more = cJSON_GetArraySize(findings) - 1;
		char tail[64] = "";
		if (more > 0)
			snprintf(tail, sizeof tail, " (%d more finding%s below)", more, more > 1 ? "s" : "");
		snprintf(s, sizeof s, "%s %s%s",
			 is_gap(top) ? "Cannot judge driver load:"
			 : strcmp(sev, "critical") == 0 ? "Problem found:" : "Worth a look:",
			 first, tail);
	}
	cJSON_AddStringToObject(v, "severity", sev);
	cJSON_AddStringToObject(v, "sentence", s);
}

static int has_counters(sqlite3 *db, int64_t run_id)
{
	sqlite3_stmt *st;
	int has = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM counters WHERE run_id=? LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

static cJSON *read_run(sqlite3 *db, int64_t run_id, int64_t *start_us)
{
	sqlite3_stmt *st;
	cJSON *sum = NULL;
	if (sqlite3_prepare_v2(db, "SELECT summary, start_utc_us FROM runs WHERE id=?", -1, &st,
			       NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		sum = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
		if (!sum)
			sum = cJSON_CreateObject();
		*start_us = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return sum;
}

int find_compute(sqlite3 *db, int64_t run_id, cJSON **doc, char *err, size_t errlen)
{
	struct attr_result attr;
	struct find_ctx c = {.db = db, .run_id = run_id, .lim = &find_default_limits,
			     .err = err, .errlen = errlen};
	cJSON *sum = read_run(db, run_id, &c.start_us);
	if (!sum) {
		snprintf(err, errlen, "no such run");
		return -1;
	}
	c.summary = sum;
	c.out = cJSON_CreateArray();
	struct db_etw_filter f = {.run_id = run_id, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	int etw = attr_run(db, &f, &attr, err, errlen);
	int perfmon = has_counters(db, run_id);
	int rc = etw < 0 || perfmon < 0 ? -1 : 0;
	if (rc == 0 && etw == 0) {
		c.attr = &attr;
		rc = find_rules_etw(&c);
		attr_result_clear(&attr);
	}
	if (rc == 0 && perfmon == 1)
		rc = find_rules_perfmon(&c);
	cJSON *list = rc == 0 ? ranked(c.out) : NULL;
	cJSON_Delete(c.out);
	cJSON_Delete(sum);
	if (!list) {
		if (rc == 0)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "engine", FIND_ENGINE_VERSION);
	cJSON_AddStringToObject(d, "kb_version", kb_version());
	verdict(d, list, etw == 0, perfmon == 1);
	cJSON_AddItemToObject(d, "findings", list);
	*doc = d;
	return 0;
}
