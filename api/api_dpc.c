/* api_dpc.c — DPC/ISR durations: the histogram on the shared log buckets against the
 * guideline, and the WPA-like per-module table (count, time, share of CPU time, average,
 * estimated median/p99, max, above-guideline figures, CPUs). Also the /dpcisr/ dispatcher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_dpc.h"
#include "db_symbols.h"
#include "api_params.h"

static cJSON *u64(uint64_t v)
{
	return api_json_number((double)v);
}

cJSON *api_dpc_stats_json(const struct db_dpc_stats *s, uint32_t guideline_ns, int with_buckets)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "count", u64(s->count));
	cJSON_AddItemToObject(o, "total_ns", u64(s->total_ns));
	cJSON_AddItemToObject(o, "total_ms", api_json_number((double)s->total_ns / 1e6));
	cJSON_AddItemToObject(o, "mean_us",
			      s->count ? api_json_number((double)s->total_ns / (double)s->count / 1e3)
				       : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "max_ns", u64(s->max_ns));
	cJSON_AddItemToObject(o, "max_us", api_json_number((double)s->max_ns / 1e3));
	cJSON_AddItemToObject(o, "guideline_us", api_json_number(guideline_ns / 1e3));
	cJSON_AddItemToObject(o, "above_count", u64(s->above_count));
	cJSON_AddItemToObject(o, "above_share",
			      s->count ? api_json_number((double)s->above_count / (double)s->count)
				       : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "above_total_ms", api_json_number((double)s->above_total_ns / 1e6));
	if (with_buckets) {
		cJSON *c = cJSON_AddArrayToObject(o, "counts");
		for (int b = 0; b < DB_DPC_NBUCKETS; b++)
			cJSON_AddItemToArray(c, u64(s->buckets[b]));
	}
	return o;
}

static int is_isr(int kind)
{
	return (DB_KIND_ISRS >> kind) & 1;
}

/* First bucket whose every duration is above the guideline (edges include 25 and 100 µs). */
static int first_above(uint32_t guideline_ns)
{
	const uint32_t *e = db_dpc_bucket_edges_ns();
	for (int i = 0; i < DB_DPC_NEDGES; i++)
		if (e[i] >= guideline_ns)
			return i + 1;
	return DB_DPC_NBUCKETS - 1;
}

static void add_edges(cJSON *o)
{
	const uint32_t *e = db_dpc_bucket_edges_ns();
	cJSON *a = cJSON_AddArrayToObject(o, "edges_us");
	for (int i = 0; i < DB_DPC_NEDGES; i++)
		cJSON_AddItemToArray(a, api_json_number(e[i] / 1e3));
	cJSON_AddStringToObject(o, "bucket_rule",
				"bucket 0 holds d <= edges_us[0]; bucket i holds edges_us[i-1] < d <= "
				"edges_us[i]; the last bucket holds d > the last edge");
}

int api_run_dpc_histogram(sqlite3 *db, const char *run_id, const struct api_request *rq,
			  cJSON **out)
{
	struct api_dpc_query q;
	struct db_dpc_histogram h;
	char err[256];
	int st = api_dpc_query_parse(db, run_id, rq, &q, out);
	if (st)
		return st;
	if (db_dpc_histogram(db, &q.f, &h, err, sizeof err) < 0) {
		api_dpc_query_clear(&q);
		*out = api_error("%s", err);
		return 500;
	}
	struct db_dpc_stats dpc = {0}, isr = {0};
	for (int k = 0; k < SINK_DPCISR_KINDS; k++)
		db_dpc_stats_add(is_isr(k) ? &isr : &dpc, &h.kind[k]);
	cJSON *o = cJSON_CreateObject();
	api_dpc_add_context(o, &q);
	add_edges(o);
	cJSON *d = api_dpc_stats_json(&dpc, DB_DPC_GUIDELINE_NS, 1);
	cJSON_AddNumberToObject(d, "first_above_bucket", first_above(DB_DPC_GUIDELINE_NS));
	cJSON_AddItemToObject(o, "dpc", d);
	cJSON *i = api_dpc_stats_json(&isr, DB_ISR_GUIDELINE_NS, 1);
	cJSON_AddNumberToObject(i, "first_above_bucket", first_above(DB_ISR_GUIDELINE_NS));
	cJSON_AddItemToObject(o, "isr", i);
	cJSON *kinds = cJSON_AddObjectToObject(o, "kinds");
	for (int k = 0; k < SINK_DPCISR_KINDS; k++)
		cJSON_AddItemToObject(kinds, api_dpc_kind_name(k),
				      api_dpc_stats_json(&h.kind[k], db_dpc_guideline_ns(k), 1));
	api_dpc_query_clear(&q);
	*out = o;
	return 200;
}

/* ---- per-module table ---- */
struct mod_acc {
	int32_t id;
	struct db_dpc_stats s[2]; /* 0 DPC kinds, 1 ISR kinds */
	struct db_cpu_set cpus[2];
	uint64_t busy_ns;
};

static int by_busy(const void *a, const void *b)
{
	const struct mod_acc *x = a, *y = b;
	if (x->busy_ns != y->busy_ns)
		return x->busy_ns < y->busy_ns ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

static cJSON *module_row(const struct db_dpc_stats *s, const struct db_cpu_set *cpus,
			 uint32_t guideline_ns, double trace_cpu_ns, double window_cpu_ns)
{
	cJSON *o = api_dpc_stats_json(s, guideline_ns, 0);
	cJSON_AddItemToObject(o, "share_of_trace",
			      trace_cpu_ns > 0 ? api_json_number((double)s->total_ns / trace_cpu_ns)
					       : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "share_of_window",
			      window_cpu_ns > 0 ? api_json_number((double)s->total_ns / window_cpu_ns)
						: cJSON_CreateNull());
	cJSON_AddItemToObject(o, "median_us",
			      s->count ? api_json_number(db_dpc_quantile_ns(s->buckets, s->max_ns, 0.5) / 1e3)
				       : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "p99_us",
			      s->count ? api_json_number(db_dpc_quantile_ns(s->buckets, s->max_ns, 0.99) / 1e3)
				       : cJSON_CreateNull());
	cJSON *c = cJSON_AddArrayToObject(o, "cpus");
	for (unsigned i = 0; i < DB_MAX_CPUS; i++)
		if (db_cpu_set_has(cpus, i))
			cJSON_AddItemToArray(c, cJSON_CreateNumber(i));
	return o;
}

/* Adds "longest_routine" (and "longest_function" when symbols name it) to a module's DPC or
 * ISR object: the routine of its longest above-guideline event in the selection (the
 * module's own chunks, longest bucket first, so one event is read); null when none. */
static int add_longest_routine(sqlite3 *db, const struct api_dpc_query *q, cJSON *o, int32_t id,
			       int isr, const struct api_module_name *nm,
			       struct db_sym_lookup *syms, char *err, size_t errlen)
{
	struct db_etw_filter f = q->f;
	struct db_dpc_event *ev = NULL;
	size_t n = 0;
	char buf[640], fn[512];
	uint32_t kinds = DB_SYM_KIND_MASK(isr);
	f.modules = &id;
	f.nmodules = 1;
	f.kind_mask = (f.kind_mask ? f.kind_mask : kinds) & kinds;
	if (db_dpc_events(db, &f, -1, 1, &ev, &n, err, errlen) < 0)
		return -1;
	if (n) {
		api_dpc_routine_name(nm, id, ev[0].routine, syms, buf, sizeof buf, fn, sizeof fn);
		cJSON_AddStringToObject(o, "longest_routine", buf);
		if (fn[0])
			cJSON_AddStringToObject(o, "longest_function", fn);
	} else {
		cJSON_AddNullToObject(o, "longest_routine");
	}
	free(ev);
	return 0;
}

static void cpu_or(struct db_cpu_set *a, const struct db_cpu_set *b)
{
	for (size_t i = 0; i < DB_MAX_CPUS / 64; i++)
		a->w[i] |= b->w[i];
}

int api_run_dpc_modules(sqlite3 *db, const char *run_id, const struct api_request *rq,
			cJSON **out)
{
	struct api_dpc_query q;
	struct db_dpc_modules m;
	struct api_module_names names;
	char err[256];
	int st = api_dpc_query_parse(db, run_id, rq, &q, out);
	if (st)
		return st;
	if (db_dpc_modules(db, &q.f, &m, err, sizeof err) < 0) {
		api_dpc_query_clear(&q);
		*out = api_error("%s", err);
		return 500;
	}
	if (api_module_names_load(db, q.run.id, &names, err, sizeof err)) {
		db_dpc_modules_clear(&m);
		api_dpc_query_clear(&q);
		*out = api_error("%s", err);
		return 500;
	}
	/* Rows come sorted by module id then kind: fold kinds into DPC and ISR per module. */
	struct mod_acc *acc = calloc(m.n ? m.n : 1, sizeof *acc);
	size_t n = 0;
	if (!acc) {
		db_dpc_modules_clear(&m);
		api_module_names_clear(&names);
		api_dpc_query_clear(&q);
		*out = api_error("out of memory");
		return 500;
	}
	for (size_t i = 0; i < m.n; i++) {
		const struct db_dpc_module_row *r = &m.rows[i];
		if (!n || acc[n - 1].id != r->module_id)
			acc[n++].id = r->module_id;
		int g = is_isr(r->kind);
		db_dpc_stats_add(&acc[n - 1].s[g], &r->s);
		cpu_or(&acc[n - 1].cpus[g], &r->cpus);
		acc[n - 1].busy_ns += r->s.total_ns;
	}
	qsort(acc, n, sizeof *acc, by_busy);
	double trace_cpu_ns = (double)q.run.duration_us * 1e3 * q.trace_cpus;
	double window_cpu_ns = (double)(q.win_to_ns - q.win_from_ns) * q.ncpus_selected;
	cJSON *o = cJSON_CreateObject();
	api_dpc_add_context(o, &q);
	cJSON_AddStringToObject(o, "estimates",
				"median_us and p99_us are estimates from the histogram buckets (within "
				"one bucket, about 25 %); counts, totals, averages, maxima and "
				"above-guideline figures are exact");
	cJSON_AddItemToObject(o, "trace_cpu_ms", api_json_number(trace_cpu_ns / 1e6));
	cJSON_AddItemToObject(o, "window_cpu_ms", api_json_number(window_cpu_ns / 1e6));
	cJSON_AddNumberToObject(o, "window_cpus", q.ncpus_selected);
	cJSON *rows = cJSON_AddArrayToObject(o, "modules");
	/* NULL on a database without symbols: routines are then module+offset */
	struct db_sym_lookup *syms = db_sym_lookup_new(db, q.run.id);
	for (size_t i = 0; i < n && !st; i++) {
		const struct api_module_name *nm = api_module_names_find(&names, acc[i].id);
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "id", acc[i].id);
		cJSON_AddStringToObject(r, "name", nm ? nm->name : "(unresolved)");
		if (nm)
			cJSON_AddStringToObject(r, "path", nm->path);
		else
			cJSON_AddNullToObject(r, "path");
		cJSON_AddItemToObject(r, "total_ms", api_json_number((double)acc[i].busy_ns / 1e6));
		cJSON_AddItemToObject(r, "share_of_trace",
				      trace_cpu_ns > 0 ? api_json_number((double)acc[i].busy_ns / trace_cpu_ns)
						       : cJSON_CreateNull());
		/* Of the selection: the chosen CPUs over the chosen window (all when unset). */
		cJSON_AddItemToObject(r, "share_of_window",
				      window_cpu_ns > 0 ? api_json_number((double)acc[i].busy_ns / window_cpu_ns)
							: cJSON_CreateNull());
		cJSON_AddItemToArray(rows, r);
		for (int g = 0; g < 2 && !st; g++) {
			const char *key = g ? "isr" : "dpc";
			if (!acc[i].s[g].count) {
				cJSON_AddNullToObject(r, key);
				continue;
			}
			cJSON *k = module_row(&acc[i].s[g], &acc[i].cpus[g],
					      g ? DB_ISR_GUIDELINE_NS : DB_DPC_GUIDELINE_NS, trace_cpu_ns,
					      window_cpu_ns);
			cJSON_AddItemToObject(r, key, k);
			if (acc[i].s[g].above_count &&
			    add_longest_routine(db, &q, k, acc[i].id, g, nm, syms, err, sizeof err))
				st = 500;
		}
	}
	free(acc);
	db_sym_lookup_free(syms);
	if (st) {
		cJSON_Delete(o);
		db_dpc_modules_clear(&m);
		api_module_names_clear(&names);
		api_dpc_query_clear(&q);
		*out = api_error("%s", err);
		return 500;
	}
	db_dpc_modules_clear(&m);
	api_module_names_clear(&names);
	api_dpc_query_clear(&q);
	*out = o;
	return 200;
}

int api_run_dpcisr(sqlite3 *db, const char *run_id, const char *what,
		   const struct api_request *rq, cJSON **out)
{
	if (!strcmp(what, "histogram"))
		return api_run_dpc_histogram(db, run_id, rq, out);
	if (!strcmp(what, "modules"))
		return api_run_dpc_modules(db, run_id, rq, out);
	if (!strcmp(what, "timeline"))
		return api_run_dpc_timeline(db, run_id, rq, out);
	if (!strcmp(what, "events"))
		return api_run_dpc_events(db, run_id, rq, out);
	if (!strcmp(what, "inside"))
		return api_run_dpc_inside(db, run_id, rq, out);
	*out = api_error("no such DPC/ISR resource (histogram, modules, timeline, events, inside)");
	return 404;
}
