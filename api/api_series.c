/* api_series.c — counter series over a time window, reduced to the requested number of
 * points: any counters by index, or one processor counter across every CPU (the data
 * behind the per-CPU line chart and the CPU × time heatmap). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api.h"
#include "api_params.h"
#include "db.h"

#define MAX_SERIES 1024
#define MAX_POINTS 10000
#define DEFAULT_POINTS 600

static cJSON *number_array(const double *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, api_json_number(v[i]));
	return a;
}

static cJSON *time_array(const int64_t *t, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, api_json_number((double)t[i] / 1000.0));
	return a;
}

/* Shared tail of the series endpoints: read, then emit t + per-series mean/max. */
int api_series_emit(sqlite3 *db, const struct db_run *r, const uint32_t *idx, size_t n,
		    const struct api_request *rq, cJSON *o, cJSON *series, cJSON **out)
{
	struct db_series s;
	char err[256];
	struct db_series_query q = {.run_id = r->id, .counters = idx, .ncounters = n};
	if (api_param_window(rq, &q.from_us, &q.to_us, out) ||
	    api_param_points(rq, DEFAULT_POINTS, MAX_POINTS, &q.points, out))
		return 400;
	if (db_series_read(db, &q, &s, err, sizeof err) != 0) {
		*out = api_error("%s", err);
		return 500;
	}
	cJSON_AddNumberToObject(o, "raw_samples", (double)s.raw);
	cJSON_AddNumberToObject(o, "points", (double)s.n);
	cJSON_AddItemToObject(o, "t", time_array(s.t, s.n));
	cJSON *it;
	size_t k = 0;
	cJSON_ArrayForEach(it, series)
	{
		cJSON_AddItemToObject(it, "mean", number_array(s.mean + k * s.n, s.n));
		cJSON_AddItemToObject(it, "max", number_array(s.max + k * s.n, s.n));
		k++;
	}
	db_series_clear(&s);
	return 0;
}

struct counter_pick {
	const uint32_t *want;
	size_t nwant;
	cJSON **slots; /* one per wanted index, in request order */
};

static int pick_counter(void *ud, const struct db_counter *c)
{
	struct counter_pick *p = ud;
	for (size_t i = 0; i < p->nwant; i++)
		if (p->want[i] == c->idx && !p->slots[i]) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "idx", c->idx);
			cJSON_AddStringToObject(o, "path", c->path);
			cJSON_AddStringToObject(o, "counter", c->counter);
			if (c->instance)
				cJSON_AddStringToObject(o, "instance", c->instance);
			else
				cJSON_AddNullToObject(o, "instance");
			p->slots[i] = o;
		}
	return 0;
}

int api_run_series(sqlite3 *db, const char *run_id, const struct api_request *rq,
		   cJSON **out)
{
	struct db_run r;
	uint32_t idx[64];
	size_t n = 0;
	char buf[32];
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	for (;; n++) {
		char *end;
		int got = api_param(rq, "c", n, buf, sizeof buf);
		if (got == 0)
			break;
		unsigned long v = got == 1 ? strtoul(buf, &end, 10) : 0;
		if (got < 0 || end == buf || *end || v > UINT32_MAX || n == 64) {
			db_run_clear(&r);
			*out = api_error("'c' takes counter indexes (at most 64)");
			return 400;
		}
		idx[n] = (uint32_t)v;
	}
	if (n == 0) {
		db_run_clear(&r);
		*out = api_error("name at least one counter: ?c=IDX");
		return 400;
	}
	cJSON *slots[64] = {0};
	struct counter_pick pick = {idx, n, slots};
	if (db_counters(db, r.id, pick_counter, &pick) != 0) {
		db_run_clear(&r);
		*out = api_error("cannot read counters: %s", sqlite3_errmsg(db));
		return 500;
	}
	for (size_t i = 0; i < n; i++)
		if (!slots[i]) {
			for (size_t j = 0; j < n; j++)
				cJSON_Delete(slots[j]);
			db_run_clear(&r);
			*out = api_error("run has no counter %u", idx[i]);
			return 404;
		}
	cJSON *o = cJSON_CreateObject();
	cJSON *series = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(series, slots[i]);
	st = api_series_emit(db, &r, idx, n, rq, o, series, out);
	cJSON_AddItemToObject(o, "series", series);
	db_run_clear(&r);
	if (st) {
		cJSON_Delete(o);
		return st;
	}
	*out = o;
	return 200;
}

/* Gather the per-CPU columns of one processor counter. When both Processor and
 * Processor Information carry it, the object covering more CPUs wins. */
#define MAX_OBJECTS 8
struct cpu_pick {
	const char *counter;
	char objects[MAX_OBJECTS][128];
	size_t per_object[MAX_OBJECTS], nobjects;
	const char *best_object;
	uint32_t idx[MAX_SERIES];
	int cpu[MAX_SERIES];
	size_t n;
};

static int count_objects(void *ud, const struct db_counter *c)
{
	struct cpu_pick *p = ud;
	size_t i;
	if (c->cpu < 0 || strcasecmp(c->counter, p->counter) != 0)
		return 0;
	for (i = 0; i < p->nobjects; i++)
		if (strcasecmp(p->objects[i], c->object) == 0)
			break;
	if (i == p->nobjects) {
		if (p->nobjects == MAX_OBJECTS)
			return 0;
		snprintf(p->objects[i], sizeof p->objects[i], "%s", c->object);
		p->nobjects++;
	}
	p->per_object[i]++;
	return 0;
}

static int collect_cpus(void *ud, const struct db_counter *c)
{
	struct cpu_pick *p = ud;
	if (c->cpu < 0 || strcasecmp(c->counter, p->counter) != 0 ||
	    strcasecmp(c->object, p->best_object) != 0)
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->cpu[i] == c->cpu)
			return 0; /* duplicated column: the first one wins */
	if (p->n == MAX_SERIES)
		return 1;
	p->idx[p->n] = c->idx;
	p->cpu[p->n] = c->cpu;
	p->n++;
	return 0;
}

int api_run_cpu(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	struct db_run r;
	char name[256];
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	if (api_param(rq, "counter", 0, name, sizeof name) != 1) {
		db_run_clear(&r);
		*out = api_error("name a processor counter: ?counter=%% Processor Time");
		return 400;
	}
	struct cpu_pick *p = calloc(1, sizeof *p);
	if (!p) {
		db_run_clear(&r);
		*out = api_error("out of memory");
		return 500;
	}
	p->counter = name;
	int rc = db_counters(db, r.id, count_objects, p);
	size_t best = 0;
	for (size_t i = 1; i < p->nobjects; i++)
		if (p->per_object[i] > p->per_object[best])
			best = i;
	p->best_object = p->objects[best];
	if (rc == 0 && p->nobjects)
		rc = db_counters(db, r.id, collect_cpus, p);
	if (rc != 0) {
		free(p);
		db_run_clear(&r);
		*out = api_error("cannot read counters: %s", sqlite3_errmsg(db));
		return 500;
	}
	if (p->n == 0) {
		free(p);
		db_run_clear(&r);
		*out = api_error("this run has no per-CPU counter named '%s'", name);
		return 404;
	}
	/* Sort by CPU number (insertion sort: n is small). */
	for (size_t i = 1; i < p->n; i++)
		for (size_t j = i; j > 0 && p->cpu[j - 1] > p->cpu[j]; j--) {
			int c = p->cpu[j];
			uint32_t x = p->idx[j];
			p->cpu[j] = p->cpu[j - 1];
			p->idx[j] = p->idx[j - 1];
			p->cpu[j - 1] = c;
			p->idx[j - 1] = x;
		}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "counter", name);
	cJSON_AddStringToObject(o, "object", p->best_object);
	cJSON *series = cJSON_CreateArray();
	for (size_t i = 0; i < p->n; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "cpu", p->cpu[i]);
		cJSON_AddNumberToObject(s, "idx", p->idx[i]);
		cJSON_AddItemToArray(series, s);
	}
	st = api_series_emit(db, &r, p->idx, p->n, rq, o, series, out);
	cJSON_AddItemToObject(o, "series", series);
	free(p);
	db_run_clear(&r);
	if (st) {
		cJSON_Delete(o);
		return st;
	}
	*out = o;
	return 200;
}
