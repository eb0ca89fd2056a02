/* api_processes_etw.c — processes and threads of an ETW run from its stack store:
 * GET /api/runs/{id}/processes (the ETW branch; perfmon runs keep api_processes.c) and
 * GET /api/runs/{id}/threads. Counts are CPU samples under the shared filter (window, CPUs,
 * pid, tid); "total" is every sample of the window and CPUs, Idle included, so shares are
 * of the machine. "cpus_used" = samples × CPUs selected / total: the CPUs' worth the
 * process used, equal to samples × interval / window when every CPU is sampled each
 * interval (the trace does not state the interval). Names, command lines and lifetimes
 * come from the Process/Thread events. */
#include <stdlib.h>
#include <string.h>
#include "api_params.h"
#include "api_stacks.h"
#include "db_stk_map.h"

/* The pseudo-thread of the Idle process's samples taken in DPCs/ISRs (db_stacks.h). */
#define API_STK_INTERRUPTS_NAME "DPCs and ISRs interrupting the idle loop"

#define PROC_MAP_LOG2 18
#define SPARK_BINS 60
#define BUSIEST 5

struct acc {
	struct api_stk_query *q;
	struct stk_map pids, threads, spark; /* (pid) · (pid, tid) · (pid, bin) → samples */
	int64_t total, lo_slice, slices_per_bin;
	unsigned nbins;
	int full;
};

static int wanted_id(const uint32_t *ids, unsigned n, uint32_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i] == v)
			return 1;
	return !n;
}

static int on_count(void *ud, int64_t node, uint32_t pid, uint32_t tid, int64_t slice,
		    int64_t n)
{
	struct acc *a = ud;
	(void)node;
	a->total += n;
	if (!wanted_id(a->q->f.pids, a->q->f.npids, pid) ||
	    !wanted_id(a->q->f.tids, a->q->f.ntids, tid))
		return 0;
	int64_t bin = (slice - a->lo_slice) / a->slices_per_bin;
	if (bin < 0)
		bin = 0;
	if (bin >= a->nbins)
		bin = a->nbins - 1;
	struct stk_entry *p = stk_map_put(&a->pids, pid, 0, 0);
	struct stk_entry *t = stk_map_put(&a->threads, pid, tid, 0);
	struct stk_entry *s = stk_map_put(&a->spark, pid, (uint64_t)bin, 0);
	if (!p || !t || !s) {
		a->full = 1;
		return 1;
	}
	p->v += n;
	t->v += n;
	s->v += n;
	return 0;
}

static double epoch_ms(const struct api_stk_query *q, int64_t ns)
{
	return (double)q->start_us / 1e3 + (double)ns / 1e6;
}

static void add_time(cJSON *o, const char *k, const struct api_stk_query *q, int64_t ns)
{
	if (ns == INT64_MIN || ns == INT64_MAX)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, epoch_ms(q, ns));
}

/* Count samples per pid, thread and spark bin over the query (pid/tid filters applied
 * here, so the total stays the machine's). 0, or an HTTP status with *out set. */
static int accumulate(sqlite3 *db, struct api_stk_query *q, struct acc *a, cJSON **out)
{
	char err[256];
	struct db_stk_filter f = q->f;
	f.npids = f.ntids = 0;
	f.idle = 1;
	a->q = q;
	a->lo_slice = q->win_from_ns / DB_STK_SLICE_NS;
	int64_t hi = q->win_to_ns > q->win_from_ns ? (q->win_to_ns - 1) / DB_STK_SLICE_NS
						    : a->lo_slice;
	int64_t slices = hi - a->lo_slice + 1;
	a->slices_per_bin = (slices + SPARK_BINS - 1) / SPARK_BINS;
	a->nbins = (unsigned)((slices + a->slices_per_bin - 1) / a->slices_per_bin);
	if (stk_map_init(&a->pids, PROC_MAP_LOG2) || stk_map_init(&a->threads, PROC_MAP_LOG2) ||
	    stk_map_init(&a->spark, PROC_MAP_LOG2)) {
		*out = api_error("out of memory");
		return 500;
	}
	/* row by row in key order: on_count only adds up, so nothing needs grouping (a GROUP
	 * BY node, pid, tid, slice had SQLite sort every row of the run: db_stk_rows.c) */
	if (db_stk_rows(db, q->run.id, &f, on_count, a, err, sizeof err)) {
		*out = api_error("%s", err);
		return 500;
	}
	if (a->full) {
		*out = api_error("too many threads in the selection");
		return 413;
	}
	return 0;
}

static void acc_clear(struct acc *a)
{
	stk_map_free(&a->pids);
	stk_map_free(&a->threads);
	stk_map_free(&a->spark);
}

static unsigned cpus_selected(const struct api_stk_query *q)
{
	if (!q->f.cpu_words)
		return q->trace_cpus;
	unsigned n = 0;
	for (unsigned c = 0; c < q->trace_cpus; c++)
		n += (unsigned)(q->f.cpu_words[c / 64] >> (c % 64) & 1);
	return n ? n : 1;
}

/* most samples first; equal counts by key, so the order does not depend on the map's */
static int by_v_desc(const void *x, const void *y)
{
	const struct stk_entry *p = x, *q = y;
	if (p->v != q->v)
		return p->v < q->v ? 1 : -1;
	for (int i = 0; i < 2; i++)
		if (p->k[i] != q->k[i])
			return p->k[i] < q->k[i] ? -1 : 1;
	return 0;
}

/* The map's entries sorted by samples, most first (malloc'd; *n set). */
static struct stk_entry *sorted(const struct stk_map *m, size_t *n)
{
	struct stk_entry *v = malloc((m->n ? m->n : 1) * sizeof *v);
	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < m->cap; i++)
		if (m->e[i].used)
			v[(*n)++] = m->e[i];
	qsort(v, *n, sizeof *v, by_v_desc);
	return v;
}

struct pinfo {
	struct stk_map *idx; /* pid → row + 1 in rows */
	struct db_stk_process *rows;
	size_t n, cap;
	int64_t win_to;
	int failed;
};

/* Keep, per pid, the last process row that started before the window's end. */
static int on_process(void *ud, const struct db_stk_process *p)
{
	struct pinfo *pi = ud;
	if (p->start_ns != INT64_MIN && p->start_ns >= pi->win_to && stk_map_get(pi->idx, p->pid, 0, 0))
		return 0;
	struct stk_entry *e = stk_map_put(pi->idx, p->pid, 0, 0);
	if (!e)
		return 0;
	if (!e->v) {
		if (api_grow((void **)&pi->rows, pi->n, &pi->cap, sizeof *pi->rows)) {
			pi->failed = 1;
			return 1;
		}
		e->v = (int64_t)++pi->n;
	} else {
		struct db_stk_process *old = &pi->rows[e->v - 1];
		free((char *)old->name);
		free((char *)old->command_line);
	}
	struct db_stk_process *r = &pi->rows[e->v - 1];
	*r = *p;
	r->name = strdup(p->name ? p->name : "");
	r->command_line = strdup(p->command_line ? p->command_line : "");
	if (!r->name || !r->command_line)
		pi->failed = 1;
	return pi->failed;
}

static void pinfo_clear(struct pinfo *pi)
{
	for (size_t i = 0; i < pi->n; i++) {
		free((char *)pi->rows[i].name);
		free((char *)pi->rows[i].command_line);
	}
	free(pi->rows);
}

static cJSON *process_row(const struct api_stk_query *q, const struct acc *a,
			  const struct stk_entry *p, const struct pinfo *pi, unsigned ncpus)
{
	uint32_t pid = (uint32_t)p->k[0];
	struct stk_entry *e = stk_map_get(pi->idx, pid, 0, 0);
	const struct db_stk_process *info = e ? &pi->rows[e->v - 1] : NULL;
	cJSON *o = cJSON_CreateObject();
	if (pid == SINK_PID_UNKNOWN)
		cJSON_AddNullToObject(o, "pid");
	else
		cJSON_AddNumberToObject(o, "pid", pid);
	const char *name = info && info->name[0] ? info->name : pid == 0 ? "Idle"
							  : pid == SINK_PID_UNKNOWN ? "(unknown process)"
										    : NULL;
	if (name)
		cJSON_AddStringToObject(o, "name", name);
	else
		cJSON_AddNullToObject(o, "name");
	if (info && info->command_line[0])
		cJSON_AddStringToObject(o, "command_line", info->command_line);
	else
		cJSON_AddNullToObject(o, "command_line");
	add_time(o, "start_ms", q, info ? info->start_ns : INT64_MIN);
	add_time(o, "end_ms", q, info ? info->end_ns : INT64_MAX);
	cJSON_AddNumberToObject(o, "samples", (double)p->v);
	cJSON_AddItemToObject(o, "share_of_machine",
			      api_json_number(a->total ? (double)p->v / (double)a->total : 0));
	cJSON_AddItemToObject(o, "cpus_used",
			      api_json_number(a->total ? (double)p->v * ncpus / (double)a->total
						       : 0));
	size_t nt = 0, shown = 0;
	cJSON *busy = cJSON_CreateArray();
	struct stk_entry *th = sorted(&a->threads, &nt);
	int threads = 0;
	for (size_t i = 0; th && i < nt; i++) {
		if (th[i].k[0] != pid)
			continue;
		threads += th[i].k[1] != DB_STK_TID_INTERRUPTS; /* not a thread: DPCs/ISRs on Idle */
		if (shown++ >= BUSIEST)
			continue;
		cJSON *t = cJSON_CreateObject();
		cJSON_AddNumberToObject(t, "tid", (double)th[i].k[1]);
		if (th[i].k[1] == DB_STK_TID_INTERRUPTS)
			cJSON_AddStringToObject(t, "name", API_STK_INTERRUPTS_NAME);
		cJSON_AddNumberToObject(t, "samples", (double)th[i].v);
		cJSON_AddItemToArray(busy, t);
	}
	free(th);
	cJSON_AddNumberToObject(o, "threads", threads);
	cJSON_AddItemToObject(o, "busiest_threads", busy);
	cJSON *spark = cJSON_AddArrayToObject(o, "spark");
	for (unsigned b = 0; b < a->nbins; b++) {
		struct stk_entry *s = stk_map_get((struct stk_map *)&a->spark, pid, b, 0);
		cJSON_AddItemToArray(spark, cJSON_CreateNumber(s ? (double)s->v : 0));
	}
	return o;
}

int api_run_processes_etw(sqlite3 *db, const char *run_id, const struct api_request *rq,
			  cJSON **out)
{
	struct api_stk_query q;
	struct acc a = {0};
	struct stk_map idx = {0};
	struct pinfo pi = {.idx = &idx};
	int st = api_stk_query_parse(db, run_id, rq, 1, &q, out);
	if (st)
		return st;
	pi.win_to = q.win_to_ns;
	st = accumulate(db, &q, &a, out);
	if (!st && (stk_map_init(&idx, PROC_MAP_LOG2) ||
		    db_stk_processes(db, q.run.id, on_process, &pi) || pi.failed)) {
		*out = api_error("cannot read processes: %s", sqlite3_errmsg(db));
		st = 500;
	}
	size_t np = 0;
	struct stk_entry *procs = st ? NULL : sorted(&a.pids, &np);
	if (!st && !procs) {
		*out = api_error("out of memory");
		st = 500;
	}
	if (!st) {
		unsigned ncpus = cpus_selected(&q);
		*out = cJSON_CreateObject();
		cJSON_AddNumberToObject(*out, "total", (double)a.total);
		cJSON_AddNumberToObject(*out, "cpus", ncpus);
		cJSON_AddNumberToObject(*out, "duration_ms",
					(double)(q.win_to_ns - q.win_from_ns) / 1e6);
		cJSON_AddNumberToObject(*out, "slice_ms",
					(double)(a.slices_per_bin * DB_STK_SLICE_NS) / 1e6);
		cJSON *arr = cJSON_AddArrayToObject(*out, "processes");
		for (size_t i = 0; i < np; i++)
			cJSON_AddItemToArray(arr, process_row(&q, &a, &procs[i], &pi, ncpus));
	}
	free(procs);
	pinfo_clear(&pi);
	stk_map_free(&idx);
	acc_clear(&a);
	api_stk_query_clear(&q);
	return st ? st : 200;
}

/* ---- threads ---- */

struct tinfo {
	struct stk_map *idx; /* (tid, pid) → index + 1 */
	struct db_stk_thread *rows;
	size_t n, cap;
	char **names; /* thread names (Thread SetName) */
	size_t nnames, cap_names;
	int failed;
};

static int on_thread(void *ud, const struct db_stk_thread *t)
{
	struct tinfo *ti = ud;
	struct stk_entry *e = stk_map_put(ti->idx, t->tid, t->pid, 0);
	if (!e)
		return 0;
	if (!e->v) {
		if (api_grow((void **)&ti->rows, ti->n, &ti->cap, sizeof *ti->rows)) {
			ti->failed = 1;
			return 1;
		}
		e->v = (int64_t)++ti->n;
		ti->rows[e->v - 1] = *t;
		return 0;
	}
	/* the same tid in the same process again: one thread from its first start */
	struct db_stk_thread *r = &ti->rows[e->v - 1];
	r->end_ns = t->end_ns;
	return 0;
}

/* A thread's name, kept in ti->names and found through ti->idx at (tid, pid, 1). */
static int on_thread_name(void *ud, uint32_t tid, uint32_t pid, const char *name)
{
	struct tinfo *ti = ud;
	struct stk_entry *e = stk_map_put(ti->idx, tid, pid, 1);
	if (!e || e->v || !name || !name[0])
		return 0;
	char *copy = strdup(name);
	if (!copy || api_grow((void **)&ti->names, ti->nnames, &ti->cap_names, sizeof *ti->names)) {
		free(copy);
		ti->failed = 1;
		return 1;
	}
	ti->names[ti->nnames++] = copy;
	e->v = (int64_t)ti->nnames;
	return 0;
}

int api_run_threads(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	struct api_stk_query q;
	struct acc a = {0};
	struct stk_map idx = {0};
	struct tinfo ti = {.idx = &idx};
	int st = api_stk_query_parse(db, run_id, rq, 1, &q, out);
	if (st)
		return st;
	st = accumulate(db, &q, &a, out);
	if (!st && (stk_map_init(&idx, PROC_MAP_LOG2) ||
		    db_stk_threads(db, q.run.id, on_thread, &ti) || ti.failed ||
		    db_stk_thread_names(db, q.run.id, on_thread_name, &ti) || ti.failed)) {
		*out = api_error("cannot read threads: %s", sqlite3_errmsg(db));
		st = 500;
	}
	size_t nt = 0;
	struct stk_entry *th = st ? NULL : sorted(&a.threads, &nt);
	if (!st && !th) {
		*out = api_error("out of memory");
		st = 500;
	}
	if (!st) {
		*out = cJSON_CreateObject();
		cJSON_AddNumberToObject(*out, "total", (double)a.total);
		cJSON *arr = cJSON_AddArrayToObject(*out, "threads");
		for (size_t i = 0; i < nt; i++) {
			uint32_t pid = (uint32_t)th[i].k[0], tid = (uint32_t)th[i].k[1];
			struct stk_entry *e = stk_map_get(&idx, tid, pid, 0);
			const struct db_stk_thread *info = e ? &ti.rows[e->v - 1] : NULL;
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "tid", tid);
			if (pid == SINK_PID_UNKNOWN)
				cJSON_AddNullToObject(o, "pid");
			else
				cJSON_AddNumberToObject(o, "pid", pid);
			struct stk_entry *ne = stk_map_get(&idx, tid, pid, 1);
			if (tid == DB_STK_TID_INTERRUPTS)
				cJSON_AddStringToObject(o, "name", API_STK_INTERRUPTS_NAME);
			else if (ne)
				cJSON_AddStringToObject(o, "name", ti.names[ne->v - 1]);
			else
				cJSON_AddNullToObject(o, "name");
			cJSON_AddNumberToObject(o, "samples", (double)th[i].v);
			cJSON_AddItemToObject(o, "share", api_json_number(
				a.total ? (double)th[i].v / (double)a.total : 0));
			add_time(o, "start_ms", &q, info ? info->start_ns : INT64_MIN);
			add_time(o, "end_ms", &q, info ? info->end_ns : INT64_MAX);
			cJSON_AddItemToArray(arr, o);
		}
	}
	free(th);
	free(ti.rows);
	for (size_t i = 0; i < ti.nnames; i++)
		free(ti.names[i]);
	free(ti.names);
	stk_map_free(&idx);
	acc_clear(&a);
	api_stk_query_clear(&q);
	return st ? st : 200;
}
