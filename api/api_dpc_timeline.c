/* api_dpc_timeline.c — DPC/ISR time over time: per CPU the DPC and ISR share of each time
 * slice (the CPU × time heatmap) and per module the busy time per slice (stacked bars),
 * with the slice width and the stored data's resolution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_dpc.h"
#include "api_params.h"

#define DEFAULT_POINTS 300
#define DEFAULT_TOP 10
#define MAX_TOP 64

/* Arrays of fixed-point numbers with 6 decimals (a share to 1 ppm, ms to the ns), written
 * as one raw JSON node: the timeline has tens of thousands of values, and printf's float
 * formatting plus one cJSON node each dominated its cost. */
static char *put_fixed6(char *p, double v)
{
	if (!(v == v) || v > 9.0e12 || v < -9.0e12) { /* NaN or absurd: never from the store */
		memcpy(p, "null", 4);
		return p + 4;
	}
	long long u = llround(v * 1e6);
	if (u < 0) {
		*p++ = '-';
		u = -u;
	}
	char tmp[24];
	int n = 0;
	long long whole = u / 1000000, frac = u % 1000000;
	do
		tmp[n++] = (char)('0' + whole % 10);
	while ((whole /= 10) > 0);
	while (n)
		*p++ = tmp[--n];
	if (frac) {
		int digits = 6;
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		*p++ = '.';
		for (int i = digits - 1; i >= 0; i--) {
			p[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		p += digits;
	}
	return p;
}

/* [v[0]*scale, v[1]*scale, …] with 6 decimals (zeros when v is NULL). */
static cJSON *fixed6_array(const double *v, uint32_t n, double scale)
{
	char *buf = malloc((size_t)n * 24 + 3), *p = buf;
	if (!buf)
		return cJSON_CreateNull();
	*p++ = '[';
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		p = put_fixed6(p, v ? v[i] * scale : 0);
	}
	*p++ = ']';
	*p = '\0';
	cJSON *a = cJSON_CreateRaw(buf);
	free(buf);
	return a;
}

struct mod_total {
	size_t idx;
	double total;
};

static int by_total(const void *a, const void *b)
{
	const struct mod_total *x = a, *y = b;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int parse_top(const struct api_request *rq, unsigned *top, cJSON **out)
{
	char buf[16], *end;
	int got = api_param(rq, "top", 0, buf, sizeof buf);
	*top = DEFAULT_TOP;
	if (got == 0)
		return 0;
	unsigned long v = got == 1 ? strtoul(buf, &end, 10) : 0;
	if (got < 0 || end == buf || *end || v > MAX_TOP) {
		*out = api_error("'top' must be a whole number from 0 to %d", MAX_TOP);
		return -1;
	}
	*top = (unsigned)v;
	return 0;
}

static void add_modules(cJSON *o, const struct db_dpc_timeline *t,
			const struct api_module_names *names, unsigned top)
{
	struct mod_total *mt = calloc(t->nmodules ? t->nmodules : 1, sizeof *mt);
	cJSON *mods = cJSON_AddArrayToObject(o, "modules");
	if (!mt)
		return;
	for (size_t m = 0; m < t->nmodules; m++) {
		mt[m].idx = m;
		for (uint32_t i = 0; i < t->n; i++)
			mt[m].total += t->module_ns[m * t->n + i];
	}
	qsort(mt, t->nmodules, sizeof *mt, by_total);
	double *other = calloc(t->n ? t->n : 1, sizeof *other);
	size_t nother = 0;
	for (size_t k = 0; k < t->nmodules; k++) {
		const double *row = t->module_ns + mt[k].idx * t->n;
		if (k >= top) {
			for (uint32_t i = 0; other && i < t->n; i++)
				other[i] += row[i];
			nother++;
			continue;
		}
		int32_t id = t->module_ids[mt[k].idx];
		const struct api_module_name *nm = api_module_names_find(names, id);
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "id", id);
		cJSON_AddStringToObject(r, "name", nm ? nm->name : "(unresolved)");
		cJSON_AddItemToObject(r, "total_ms", api_json_number(mt[k].total / 1e6));
		cJSON_AddItemToObject(r, "busy_ms", fixed6_array(row, t->n, 1e-6));
		cJSON_AddItemToArray(mods, r);
	}
	if (nother && other) {
		cJSON *r = cJSON_AddObjectToObject(o, "other");
		cJSON_AddNumberToObject(r, "modules", (double)nother);
		cJSON_AddItemToObject(r, "busy_ms", fixed6_array(other, t->n, 1e-6));
	} else {
		cJSON_AddNullToObject(o, "other");
	}
	free(other);
	free(mt);
}

int api_run_dpc_timeline(sqlite3 *db, const char *run_id, const struct api_request *rq,
			 cJSON **out)
{
	struct api_dpc_query q;
	struct db_dpc_timeline t;
	struct api_module_names names;
	char err[256];
	uint32_t points;
	unsigned top;
	int st = api_dpc_query_parse(db, run_id, rq, &q, out);
	if (st)
		return st;
	if (api_param_points(rq, DEFAULT_POINTS, DB_TIMELINE_MAX, &points, out) ||
	    parse_top(rq, &top, out)) {
		api_dpc_query_clear(&q);
		return 400;
	}
	if (db_dpc_timeline(db, &q.f, points, &t, err, sizeof err) < 0) {
		api_dpc_query_clear(&q);
		*out = api_error("%s", err);
		return 500;
	}
	if (api_module_names_load(db, q.run.id, &names, err, sizeof err)) {
		db_dpc_timeline_clear(&t);
		api_dpc_query_clear(&q);
		*out = api_error("%s", err);
		return 500;
	}
	cJSON *o = cJSON_CreateObject();
	api_dpc_add_context(o, &q);
	cJSON_AddNumberToObject(o, "points", t.n);
	cJSON_AddItemToObject(o, "slice_ms", api_json_number(t.bucket_ns / 1e6));
	cJSON_AddItemToObject(o, "resolution_ms", api_json_number((double)t.slice_ns / 1e6));
	cJSON *ta = cJSON_AddArrayToObject(o, "t");
	for (uint32_t i = 0; i < t.n; i++)
		cJSON_AddItemToArray(ta, api_json_number(api_trace_ns_to_epoch_ms(
						 t.from_ns + (int64_t)(i * t.bucket_ns), q.start_us)));
	cJSON *cpus = cJSON_AddArrayToObject(o, "cpus");
	for (unsigned c = 0; c < q.trace_cpus; c++) {
		if (q.has_cpus && !db_cpu_set_has(&q.cpus, c))
			continue;
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "cpu", c);
		int have = c < t.ncpus && t.bucket_ns > 0;
		const double *dpc = have ? t.cpu_dpc_ns + (size_t)c * t.n : NULL;
		const double *isr = have ? t.cpu_isr_ns + (size_t)c * t.n : NULL;
		cJSON_AddItemToObject(r, "dpc", fixed6_array(dpc, t.n, have ? 1 / t.bucket_ns : 0));
		cJSON_AddItemToObject(r, "isr", fixed6_array(isr, t.n, have ? 1 / t.bucket_ns : 0));
		cJSON_AddItemToArray(cpus, r);
	}
	add_modules(o, &t, &names, top);
	db_dpc_timeline_clear(&t);
	api_module_names_clear(&names);
	api_dpc_query_clear(&q);
	*out = o;
	return 200;
}
