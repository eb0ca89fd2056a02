/* api_facts.c — the window/CPU/process/thread filter of the syscall, scheduling, disk and
 * file I/O endpoints and their "selection" object (docs/api.md "The selection"): exact
 * counts and sums from the per-slice facts, the window widened to whole 100 ms slices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_dpc.h"
#include "api_facts.h"
#include "api_params.h"
#include "etl_fileio.h"
#include "sink.h"

#define FACTS_LIMIT_MAX 5000

int api_param_u32(const struct api_request *rq, const char *name, uint32_t min, uint32_t max,
		  uint32_t *v, cJSON **out)
{
	char buf[16], *end = NULL;
	int got = api_param(rq, name, 0, buf, sizeof buf);
	if (got == 0)
		return 0;
	unsigned long n = 0;
	if (got > 0 && buf[0] >= '0' && buf[0] <= '9')
		n = strtoul(buf, &end, 10);
	if (!end || *end || n < min || n > max) {
		*out = api_error("%s must be an integer from %u to %u", name, min, max);
		return -1;
	}
	*v = (uint32_t)n;
	return 1;
}

static double summary_start_us(const struct db_run *r)
{
	cJSON *s = r->summary ? cJSON_Parse(r->summary) : NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "start_utc_us");
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
	cJSON_Delete(s);
	return d;
}

int api_facts_parse(const struct db_run *r, const struct api_request *rq,
		    struct api_facts_query *q, cJSON **out)
{
	int64_t from_us, to_us;
	memset(q, 0, sizeof *q);
	q->f.limit = 1000;
	q->start_us = r->has_start ? r->start_utc_us : (int64_t)summary_start_us(r);
	q->duration_ns = r->duration_us > 0 ? api_sat_mul(r->duration_us, 1000) : 0;
	if (api_param_window(rq, &from_us, &to_us, out))
		return 400;
	q->f.from_ns = api_epoch_us_to_trace_ns(from_us, q->start_us);
	q->f.to_ns = api_epoch_us_to_trace_ns(to_us, q->start_us);
	int got = api_param_cpus(rq, &q->cpus, out);
	if (got < 0)
		return 400;
	q->has_cpus = got == 1;
	q->f.cpus = q->has_cpus ? &q->cpus : NULL;
	int p = api_param_u32(rq, "pid", 0, UINT32_MAX - 1, &q->f.pid, out);
	int t = p < 0 ? -1 : api_param_u32(rq, "tid", 0, UINT32_MAX - 1, &q->f.tid, out);
	if (t < 0 || api_param_u32(rq, "limit", 1, FACTS_LIMIT_MAX, &q->f.limit, out) < 0)
		return 400;
	q->f.has_pid = p;
	q->f.has_tid = t;
	return 0;
}

/* ---- the selection's JSON ---- */

struct sel_ctx {
	int domain;
	cJSON *rows, *totals;
	uint64_t sum[DB_FACT_VALUES], op_sum[4][DB_FACT_VALUES];
};

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
	cJSON_AddItemToObject(o, k, api_json_number((double)v));
}

static void add_pid(cJSON *o, uint32_t pid)
{
	if (pid == SINK_PID_UNKNOWN)
		cJSON_AddNullToObject(o, "pid");
	else
		add_u64(o, "pid", pid);
}

static const char *disk_op(uint64_t op)
{
	return op == 10 ? "read" : op == 11 ? "write" : op == 14 ? "flush" : "other";
}

/* The fields of a SCHED row or of the totals. */
static void sched_fields(cJSON *o, const uint64_t *v)
{
	static const char *const k[DB_FACT_VALUES] = {"running_ns", "switches", "ready_ns",
						       "ready_spells", "waiting_ns", "waits",
						       "ready_behind_dpc_ns"};
	for (int i = 0; i < DB_FACT_VALUES; i++)
		add_u64(o, k[i], v[i]);
}

/* count/total_ns/avg_ns (+ bytes, completed) of a non-SCHED row or total. */
static void sum_fields(cJSON *o, int domain, const uint64_t *v)
{
	add_u64(o, "count", v[0]);
	if (domain == SINK_FACT_FILE)
		add_u64(o, "completed", v[1]);
	if (domain != SINK_FACT_SYSCALL)
		add_u64(o, "bytes", v[3]);
	add_u64(o, "total_ns", v[2]);
	uint64_t per = domain == SINK_FACT_FILE ? v[1] : v[0];
	if (per)
		add_u64(o, "avg_ns", v[2] / per);
	else
		cJSON_AddNullToObject(o, "avg_ns");
}

static void key_fields(cJSON *o, int domain, uint64_t key)
{
	char hex[24];
	if (domain == SINK_FACT_SYSCALL) {
		snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)key);
		cJSON_AddStringToObject(o, "address", hex);
	} else if (domain == SINK_FACT_DISK) {
		add_u64(o, "disk", key >> 8);
		cJSON_AddStringToObject(o, "op", disk_op(key & 0xff));
	} else {
		add_u64(o, "type", key);
		cJSON_AddStringToObject(o, "op", etl_fileio_type_name((uint8_t)key));
	}
}

static int on_row(void *ud, const struct db_fact_row *r)
{
	struct sel_ctx *c = ud;
	cJSON *o = cJSON_CreateObject();
	add_pid(o, r->pid);
	if (c->domain == SINK_FACT_SCHED) {
		add_u64(o, "tid", r->tid);
		sched_fields(o, r->v);
	} else {
		key_fields(o, c->domain, r->key);
		sum_fields(o, c->domain, r->v);
	}
	cJSON_AddItemToArray(c->rows, o);
	return 0;
}

/* Totals: SCHED gives one row; others one per key, summed here and, for disks, per
 * operation too (read, write, flush, other). */
static const char *const disk_ops[4] = {"read", "write", "flush", "other"};

static int on_total(void *ud, const struct db_fact_row *r)
{
	struct sel_ctx *c = ud;
	const char *op = disk_op(r->key & 0xff);
	int k = 0;
	while (k < 3 && strcmp(disk_ops[k], op))
		k++;
	for (int i = 0; i < DB_FACT_VALUES; i++) {
		c->sum[i] += r->v[i];
		c->op_sum[k][i] += r->v[i];
	}
	return 0;
}

static cJSON *window_json(const struct api_facts_query *q)
{
	const struct db_facts_filter *f = &q->f;
	int64_t end = q->duration_ns;
	int64_t from = f->from_ns <= 0 ? 0 : f->from_ns / SINK_FACT_SLICE_NS * SINK_FACT_SLICE_NS;
	int64_t to = f->to_ns == INT64_MAX ? end
		     : f->to_ns <= 0 ? 0
		     : api_sat_mul((f->to_ns - 1) / SINK_FACT_SLICE_NS + 1, SINK_FACT_SLICE_NS);
	if (to > end && end > 0)
		to = end;
	if (from > to)
		from = to;
	cJSON *w = cJSON_CreateObject();
	cJSON_AddItemToObject(w, "from", api_json_number(api_trace_ns_to_epoch_ms(from, q->start_us)));
	cJSON_AddItemToObject(w, "to", api_json_number(api_trace_ns_to_epoch_ms(to, q->start_us)));
	cJSON_AddItemToObject(w, "from_s", api_json_number((double)from / 1e9));
	cJSON_AddItemToObject(w, "to_s", api_json_number((double)to / 1e9));
	cJSON_AddNumberToObject(w, "resolution_ms", (double)(SINK_FACT_SLICE_NS / 1000000));
	return w;
}

cJSON *api_facts_head(sqlite3 *db, const struct db_run *r, const struct api_facts_query *q,
		      int domain, cJSON *o, char *err, size_t errlen)
{
	cJSON *ap = cJSON_AddObjectToObject(o, "applies");
	for (size_t i = 0; i < 4; i++)
		cJSON_AddBoolToObject(ap, (const char *const[]){"window", "cpus", "pid", "tid"}[i], 1);
	cJSON_AddStringToObject(ap, "to", "selection");
	cJSON *s = cJSON_AddObjectToObject(o, "selection");
	cJSON_AddItemToObject(s, "window", window_json(q));
	cJSON_AddItemToObject(s, "cpus", api_cpu_set_json(q->has_cpus ? &q->cpus : NULL));
	int present = db_facts_present(db, r->id, domain);
	if (present < 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return NULL;
	}
	/* runs ingested before the facts existed have none: never a made-up zero */
	cJSON_AddBoolToObject(s, "stored", present);
	return s;
}

int api_facts_add(sqlite3 *db, const struct db_run *r, const struct api_facts_query *q,
		  int domain, cJSON *o, char *err, size_t errlen)
{
	cJSON *s = api_facts_head(db, r, q, domain, o, err, errlen);
	if (!s)
		return -1;
	struct sel_ctx c = {domain, cJSON_AddArrayToObject(s, "rows"),
			    cJSON_AddObjectToObject(s, "totals"), {0}, {{0}}};
	if (db_facts_read(db, r->id, domain, &q->f, on_row, on_total, &c, err, errlen))
		return -1;
	if (domain == SINK_FACT_SCHED)
		sched_fields(c.totals, c.sum);
	else
		sum_fields(c.totals, domain, c.sum);
	if (domain == SINK_FACT_DISK) {
		cJSON *by = cJSON_AddObjectToObject(c.totals, "by_op");
		for (int k = 0; k < 4; k++)
			if (c.op_sum[k][0])
				sum_fields(cJSON_AddObjectToObject(by, disk_ops[k]), domain, c.op_sum[k]);
	}
	return 0;
}
