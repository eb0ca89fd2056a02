/* api_processes.c — per-process CPU of a perfmon run, as PAL shows it: among the
 * Process(*)\% Processor Time columns (localised names arrive in English, pdh_names.def),
 * the processes with the highest mean over the window, each as a series over time. Values
 * are perfmon's: 100 = one CPU fully busy, so a process can exceed 100 on several CPUs.
 * _Total and Idle are not processes and are left out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api.h"
#include "api_params.h"
#include "db.h"
#include "api_stacks.h"

#define MAX_CANDIDATES 4096 /* Process(*) columns considered (a big server has ~1000) */
#define DEFAULT_TOP 10
#define MAX_TOP 50
#define RANK_POINTS 1 /* one bucket: its mean is the mean over the whole window */

struct proc_col {
	uint32_t idx;
	char *instance, *path;
	double mean;
};

struct proc_scan {
	struct proc_col *c;
	size_t n;
	int more; /* candidates beyond MAX_CANDIDATES */
};

static int scan_process(void *ud, const struct db_counter *c)
{
	struct proc_scan *s = ud;
	if (!c->instance || strcasecmp(c->object, "Process") != 0 ||
	    strcasecmp(c->counter, "% Processor Time") != 0 ||
	    strcasecmp(c->instance, "_Total") == 0 || strcasecmp(c->instance, "Idle") == 0)
		return 0;
	if (s->n == MAX_CANDIDATES) {
		s->more = 1;
		return 0;
	}
	struct proc_col *p = &s->c[s->n];
	p->idx = c->idx;
	p->instance = strdup(c->instance);
	p->path = strdup(c->path);
	if (!p->instance || !p->path) {
		free(p->instance);
		free(p->path);
		return -1;
	}
	s->n++;
	return 0;
}

/* Highest mean first; a process with no value in the window last. */
static int by_mean(const void *a, const void *b)
{
	double x = ((const struct proc_col *)a)->mean, y = ((const struct proc_col *)b)->mean;
	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return x < y ? 1 : x > y ? -1 : 0;
}

static void scan_clear(struct proc_scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->c[i].instance);
		free(s->c[i].path);
	}
	free(s->c);
}

/* Mean of every candidate over the request's window (one bucket). */
static int rank(sqlite3 *db, const struct db_run *r, const struct api_request *rq,
		struct proc_scan *s, cJSON **out)
{
	uint32_t *idx = malloc(s->n * sizeof *idx);
	struct db_series ser;
	char err[256];
	if (!idx) {
		*out = api_error("out of memory");
		return 500;
	}
	for (size_t i = 0; i < s->n; i++)
		idx[i] = s->c[i].idx;
	struct db_series_query q = {.run_id = r->id, .counters = idx, .ncounters = s->n,
				    .points = RANK_POINTS};
	if (api_param_window(rq, &q.from_us, &q.to_us, out)) {
		free(idx);
		return 400;
	}
	int rc = db_series_read(db, &q, &ser, err, sizeof err);
	free(idx);
	if (rc != 0) {
		*out = api_error("%s", err);
		return 500;
	}
	for (size_t i = 0; i < s->n; i++)
		s->c[i].mean = ser.n ? ser.mean[i * ser.n] : NAN;
	db_series_clear(&ser);
	qsort(s->c, s->n, sizeof *s->c, by_mean);
	return 0;
}

static int top_param(const struct api_request *rq, size_t *top, cJSON **out)
{
	char buf[16], *end;
	int got = api_param(rq, "top", 0, buf, sizeof buf);
	*top = DEFAULT_TOP;
	if (got == 0)
		return 0;
	long v = got == 1 ? strtol(buf, &end, 10) : 0;
	if (got < 0 || end == buf || *end || v < 1 || v > MAX_TOP) {
		*out = api_error("'top' takes 1 to %d", MAX_TOP);
		return -1;
	}
	*top = (size_t)v;
	return 0;
}

int api_run_processes(sqlite3 *db, const char *run_id, const struct api_request *rq,
		      cJSON **out)
{
	struct db_run r;
	struct proc_scan s = {0};
	size_t top;
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	if (db_stk_present(db, r.id) == 1) { /* an ETW run: processes from its samples */
		db_run_clear(&r);
		return api_run_processes_etw(db, run_id, rq, out);
	}
	if (top_param(rq, &top, out)) {
		db_run_clear(&r);
		return 400;
	}
	s.c = calloc(MAX_CANDIDATES, sizeof *s.c);
	if (!s.c || db_counters(db, r.id, scan_process, &s) != 0) {
		scan_clear(&s);
		db_run_clear(&r);
		*out = api_error("cannot read counters: %s", sqlite3_errmsg(db));
		return 500;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "Process");
	cJSON_AddStringToObject(o, "counter", "% Processor Time");
	cJSON_AddNumberToObject(o, "processes", (double)s.n);
	cJSON_AddBoolToObject(o, "processes_capped", s.more);
	cJSON *series = cJSON_CreateArray();
	if (s.n && (st = rank(db, &r, rq, &s, out)) != 0)
		goto fail;
	size_t n = s.n < top ? s.n : top;
	uint32_t idx[MAX_TOP];
	for (size_t i = 0; i < n; i++) {
		cJSON *it = cJSON_CreateObject();
		cJSON_AddNumberToObject(it, "idx", s.c[i].idx);
		cJSON_AddStringToObject(it, "instance", s.c[i].instance);
		cJSON_AddStringToObject(it, "path", s.c[i].path);
		cJSON_AddItemToObject(it, "window_mean", api_json_number(s.c[i].mean));
		cJSON_AddItemToArray(series, it);
		idx[i] = s.c[i].idx;
	}
	if (n && (st = api_series_emit(db, &r, idx, n, rq, o, series, out)) != 0)
		goto fail;
	if (!n) { /* no Process columns: an empty answer the page can hide */
		cJSON_AddNumberToObject(o, "raw_samples", 0);
		cJSON_AddNumberToObject(o, "points", 0);
		cJSON_AddItemToObject(o, "t", cJSON_CreateArray());
	}
	cJSON_AddItemToObject(o, "series", series);
	scan_clear(&s);
	db_run_clear(&r);
	*out = o;
	return 200;
fail:
	cJSON_Delete(series);
	cJSON_Delete(o);
	scan_clear(&s);
	db_run_clear(&r);
	return st;
}
