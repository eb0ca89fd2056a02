/* api_dpc_params.c — the filter shared by every DPC/ISR endpoint: parsing module, cpus and
 * kind, converting the ms-since-epoch window into ns since the trace start, and the run's
 * ETW facts (start, CPUs, whether DPC/ISR tracing was on); plus module names for labels. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_dpc.h"
#include "api_params.h"

#define NS_PER_MS 1000000LL

static const char *const kind_names[SINK_DPCISR_KINDS] = {
	"normal_dpc", "threaded_dpc", "timer_dpc", "line_isr", "msi_isr"};

const char *api_dpc_kind_name(int kind)
{
	return kind >= 0 && kind < SINK_DPCISR_KINDS ? kind_names[kind] : "unknown";
}

static int parse_uint(const char **p, unsigned long *v)
{
	char *end;
	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*v = strtoul(*p, &end, 10);
	if (errno || end - *p > 6)
		return -1;
	*p = end;
	return 0;
}

int api_parse_cpu_list(const char *s, struct db_cpu_set *set, unsigned *count)
{
	memset(set, 0, sizeof *set);
	*count = 0;
	const char *p = s;
	if (!*p)
		return -1;
	for (;;) {
		unsigned long a, b;
		while (*p == ' ')
			p++;
		if (parse_uint(&p, &a))
			return -1;
		b = a;
		if (*p == '-') {
			p++;
			if (parse_uint(&p, &b) || b < a)
				return -1;
		}
		if (b >= DB_MAX_CPUS)
			return -1;
		for (unsigned long c = a; c <= b; c++)
			if (!db_cpu_set_has(set, (unsigned)c)) {
				db_cpu_set_add(set, (unsigned)c);
				(*count)++;
			}
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

int api_parse_kinds(const char *s, uint32_t *mask)
{
	*mask = 0;
	const char *p = s;
	if (!*p)
		return -1;
	while (*p) {
		size_t n = strcspn(p, ",");
		uint32_t m = 0;
		if (n == 3 && !strncmp(p, "dpc", 3))
			m = DB_KIND_DPCS;
		else if (n == 3 && !strncmp(p, "isr", 3))
			m = DB_KIND_ISRS;
		else
			for (int k = 0; k < SINK_DPCISR_KINDS; k++)
				if (strlen(kind_names[k]) == n && !strncmp(p, kind_names[k], n))
					m = 1u << k;
		if (!m)
			return -1;
		*mask |= m;
		p += n;
		if (*p == ',' && !*++p)
			return -1;
	}
	return 0;
}

int64_t api_epoch_us_to_trace_ns(int64_t t_us, int64_t start_us)
{
	if (t_us == INT64_MIN || t_us == INT64_MAX)
		return t_us;
	/* both come from outside (query, stored summary): saturate, never overflow */
	int64_t d;
	if (__builtin_sub_overflow(t_us, start_us, &d))
		return t_us < 0 ? INT64_MIN : INT64_MAX;
	return api_sat_mul(d, 1000);
}

double api_trace_ns_to_epoch_ms(int64_t t_ns, int64_t start_us)
{
	/* Whole µs first so typical values stay exact in a double. */
	int64_t us = t_ns / 1000, rest = t_ns % 1000, sum;
	if (__builtin_add_overflow(start_us, us, &sum))
		return ((double)start_us + (double)us) / 1000.0 + (double)rest / 1e6;
	return (double)sum / 1000.0 + (double)rest / 1e6;
}

static double summary_num(const cJSON *sum, const char *k, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(sum, k);
	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static int parse_modules(const struct api_request *rq, struct api_dpc_query *q, cJSON **out)
{
	char buf[32];
	for (size_t i = 0;; i++) {
		int got = api_param(rq, "module", i, buf, sizeof buf);
		if (got == 0)
			return 0;
		char *end;
		errno = 0;
		long v = got == 1 ? strtol(buf, &end, 10) : 0;
		if (got < 0 || errno || end == buf || *end || v < -1 || v > INT32_MAX) {
			*out = api_error("'module' takes module ids (whole numbers, -1 = unresolved)");
			return -1;
		}
		if (q->nmodules == API_DPC_MAX_MODULES) {
			*out = api_error("at most %d 'module' filters", API_DPC_MAX_MODULES);
			return -1;
		}
		q->modules[q->nmodules++] = (int32_t)v;
	}
}

static int parse_filter(const struct api_request *rq, struct api_dpc_query *q, cJSON **out)
{
	char buf[4096];
	int64_t from_us, to_us;
	if (api_param_window(rq, &from_us, &to_us, out))
		return -1;
	q->f.from_ns = api_epoch_us_to_trace_ns(from_us, q->start_us);
	q->f.to_ns = api_epoch_us_to_trace_ns(to_us, q->start_us);
	if (parse_modules(rq, q, out))
		return -1;
	int got = api_param(rq, "cpus", 0, buf, sizeof buf);
	if (got < 0 || (got == 1 && api_parse_cpu_list(buf, &q->cpus, &q->ncpus_selected))) {
		*out = api_error("'cpus' takes a list of CPU numbers below %d, e.g. 0,2,4-6",
				 DB_MAX_CPUS);
		return -1;
	}
	q->has_cpus = got == 1;
	if (q->has_cpus) {
		unsigned n = 0;
		for (unsigned c = 0; c < q->trace_cpus; c++)
			n += (unsigned)db_cpu_set_has(&q->cpus, c);
		q->ncpus_selected = n;
	} else {
		q->ncpus_selected = q->trace_cpus;
	}
	q->kind_mask = DB_KIND_ALL;
	for (size_t i = 0;; i++) {
		got = api_param(rq, "kind", i, buf, sizeof buf);
		if (got == 0)
			break;
		uint32_t m;
		if (got < 0 || api_parse_kinds(buf, &m)) {
			*out = api_error("'kind' takes dpc, isr, normal_dpc, threaded_dpc, timer_dpc,"
					 " line_isr or msi_isr");
			return -1;
		}
		q->kind_mask = i == 0 ? m : q->kind_mask | m;
	}
	return 0;
}

/* The window the store really reads: whole ms from the trace start, [from, to). */
static void effective_window(struct api_dpc_query *q, int64_t duration_ns)
{
	int64_t from = q->f.from_ns, to = q->f.to_ns;
	/* stored values may be anything a damaged file produced: saturate */
	int64_t last = api_sat_mul(q->info.t_max_ns / NS_PER_MS + 1, NS_PER_MS);
	int64_t dur = duration_ns <= 0 ? 0
		      : api_sat_mul(duration_ns / NS_PER_MS + (duration_ns % NS_PER_MS != 0),
				    NS_PER_MS);
	int64_t end = last > dur ? last : dur;
	q->win_from_ns = from <= 0 ? 0 : from / NS_PER_MS * NS_PER_MS;
	if (to == INT64_MAX)
		q->win_to_ns = end;
	else if (to <= 0)
		q->win_to_ns = 0;
	else
		q->win_to_ns = api_sat_mul(to / NS_PER_MS + (to % NS_PER_MS != 0), NS_PER_MS);
	if (q->win_from_ns > end)
		q->win_from_ns = end;
	if (q->win_to_ns > end)
		q->win_to_ns = end;
	if (q->win_to_ns < q->win_from_ns)
		q->win_to_ns = q->win_from_ns;
}

int api_dpc_query_parse(sqlite3 *db, const char *run_id, const struct api_request *rq,
			struct api_dpc_query *q, cJSON **out)
{
	char err[256];
	memset(q, 0, sizeof *q);
	int st = api_find_run(db, run_id, &q->run, out);
	if (st)
		return st;
	int rc = db_etw_run_info(db, q->run.id, &q->info, err, sizeof err);
	if (rc) {
		*out = rc > 0 ? api_error("this run has no ETW data (DPC/ISR analysis needs an .etl trace)")
			      : api_error("%s", err);
		db_run_clear(&q->run);
		return rc > 0 ? 404 : 500;
	}
	cJSON *sum = cJSON_Parse(q->run.summary);
	q->start_us = q->run.has_start ? q->run.start_utc_us
				       : (int64_t)summary_num(sum, "start_utc_us", 0);
	double cpus = summary_num(sum, "cpus", 0);
	q->trace_cpus = cpus >= 1 && cpus <= DB_MAX_CPUS ? (unsigned)cpus : 0;
	if (q->trace_cpus < q->info.ncpus)
		q->trace_cpus = q->info.ncpus;
	if (q->trace_cpus == 0)
		q->trace_cpus = 1;
	const cJSON *en = cJSON_GetObjectItemCaseSensitive(sum, "dpcisr_enabled");
	q->dpcisr_enabled = cJSON_IsBool(en) ? cJSON_IsTrue(en) : -1;
	cJSON_Delete(sum);
	if (parse_filter(rq, q, out)) {
		db_run_clear(&q->run);
		return 400;
	}
	q->f.run_id = q->run.id;
	q->f.cpus = q->has_cpus ? &q->cpus : NULL;
	q->f.modules = q->nmodules ? q->modules : NULL;
	q->f.nmodules = q->nmodules;
	q->f.kind_mask = q->kind_mask;
	effective_window(q, api_sat_mul(q->run.duration_us, 1000));
	return 0;
}

void api_dpc_query_clear(struct api_dpc_query *q)
{
	db_run_clear(&q->run);
}

cJSON *api_cpu_set_json(const struct db_cpu_set *set)
{
	if (!set)
		return cJSON_CreateNull();
	cJSON *c = cJSON_CreateArray();
	for (unsigned i = 0; i < DB_MAX_CPUS; i++)
		if (db_cpu_set_has(set, i))
			cJSON_AddItemToArray(c, cJSON_CreateNumber(i));
	return c;
}

cJSON *api_dpc_window_json(const struct api_dpc_query *q)
{
	cJSON *w = cJSON_CreateObject();
	cJSON_AddItemToObject(w, "from", api_json_number(api_trace_ns_to_epoch_ms(q->win_from_ns, q->start_us)));
	cJSON_AddItemToObject(w, "to", api_json_number(api_trace_ns_to_epoch_ms(q->win_to_ns, q->start_us)));
	cJSON_AddItemToObject(w, "from_s", api_json_number((double)q->win_from_ns / 1e9));
	cJSON_AddItemToObject(w, "to_s", api_json_number((double)q->win_to_ns / 1e9));
	cJSON_AddNumberToObject(w, "resolution_ms", 1);
	return w;
}

void api_dpc_add_context(cJSON *o, const struct api_dpc_query *q)
{
	if (q->dpcisr_enabled < 0)
		cJSON_AddNullToObject(o, "dpcisr_enabled");
	else
		cJSON_AddBoolToObject(o, "dpcisr_enabled", q->dpcisr_enabled);
	cJSON_AddItemToObject(o, "window", api_dpc_window_json(q));
	cJSON *f = cJSON_AddObjectToObject(o, "filter");
	cJSON *m = cJSON_AddArrayToObject(f, "modules");
	for (size_t i = 0; i < q->nmodules; i++)
		cJSON_AddItemToArray(m, cJSON_CreateNumber(q->modules[i]));
	cJSON_AddItemToObject(f, "cpus", api_cpu_set_json(q->has_cpus ? &q->cpus : NULL));
	cJSON *k = cJSON_AddArrayToObject(f, "kinds");
	for (int i = 0; i < SINK_DPCISR_KINDS; i++)
		if (q->kind_mask >> i & 1)
			cJSON_AddItemToArray(k, cJSON_CreateString(kind_names[i]));
	cJSON_AddNumberToObject(o, "trace_cpus", q->trace_cpus);
}

/* ---- module names ---- */
struct names_ctx {
	struct api_module_names *names;
	size_t cap;
	int oom;
};

static int add_name(void *ud, const struct db_etw_module *m)
{
	struct names_ctx *c = ud;
	struct api_module_names *n = c->names;
	if (n->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(n->m, cap * sizeof *n->m);
		if (!p) {
			c->oom = 1;
			return 1;
		}
		n->m = p;
		c->cap = cap;
	}
	struct api_module_name *e = &n->m[n->n];
	e->id = m->id;
	e->name = strdup(m->name);
	e->path = strdup(m->path);
	e->base = m->base;
	e->size = m->size;
	if (!e->name || !e->path) {
		free(e->name);
		free(e->path);
		c->oom = 1;
		return 1;
	}
	n->n++;
	return 0;
}

int api_module_names_load(sqlite3 *db, int64_t run_id, struct api_module_names *names,
			  char *err, size_t errlen)
{
	struct names_ctx c = {names, 0, 0};
	memset(names, 0, sizeof *names);
	int rc = db_etw_modules(db, run_id, add_name, &c, err, errlen);
	if (c.oom) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc < 0)
		api_module_names_clear(names);
	return rc < 0 ? -1 : 0;
}

const struct api_module_name *api_module_names_find(const struct api_module_names *names,
						    int32_t id)
{
	size_t lo = 0, hi = names->n; /* ids ascend (db_etw_modules orders by id) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (names->m[mid].id == id)
			return &names->m[mid];
		if (names->m[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void api_module_names_clear(struct api_module_names *names)
{
	for (size_t i = 0; i < names->n; i++) {
		free(names->m[i].name);
		free(names->m[i].path);
	}
	free(names->m);
	memset(names, 0, sizeof *names);
}
