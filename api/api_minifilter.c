/* api_minifilter.c — GET /api/runs/{id}/minifilter: WPA's "Mini-Filter Delays" table of an
 * ETW run — per filter driver (vendor, category from the KB) and major function, pre- and
 * post-operation: count, total, average delay and the counts above 1 and 10 ms; per driver
 * pre + post; per process and driver — under the shared filter (window, CPUs, pid, tid,
 * and module), summed from the per-slice facts of domain SINK_FACT_FLT
 * (ingest/etl/README.md "How the reader uses them"); and "whole_trace": the stored rows
 * (db_io_flt_json) with max delay, the slowest files, processes and delays (module filter
 * only). "layout" repeats the run summary's
 * verdict on the minifilter layout; when the trace did not prove it there is no table;
 * files only where the trace pinned the FileObject slot ("files_identified"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "api_dpc.h"
#include "api_facts.h"
#include "api_params.h"
#include "attr.h"
#include "db.h"
#include "db_io.h"
#include "etl_fltio.h"

#define FLT_KEYS_MAX 4096
#define FLT_PROCS_MAX 1000

/* One (module, major, pre/post) or (pid, module) sum: n, over 10 ms, ns, over 1 ms. */
struct flt_sum { int32_t module; uint32_t pid; uint8_t major, post; uint64_t v[4]; };

struct flt_ctx {
	struct flt_sum keys[FLT_KEYS_MAX];
	size_t n_keys;
	struct flt_sum *procs;
	size_t n_procs;
	int has_module;
	int32_t module;
	int truncated;
};

static void key_split(uint64_t key, struct flt_sum *s)
{
	s->module = (int32_t)(uint32_t)(key >> 16) - 1;
	s->post = (uint8_t)((key >> 8) & 1);
	s->major = (uint8_t)key;
}

static void add_into(struct flt_sum *s, const uint64_t *v)
{
	for (int i = 0; i < 4; i++)
		s->v[i] += v[i];
}

/* The row's key into *s; 0 when the module filter leaves it out. */
static int keep(const struct flt_ctx *c, const struct db_fact_row *r, struct flt_sum *s)
{
	memset(s, 0, sizeof *s);
	key_split(r->key, s);
	return !c->has_module || s->module == c->module;
}

static int on_total(void *ud, const struct db_fact_row *r)
{
	struct flt_ctx *c = ud;
	struct flt_sum s;
	if (!keep(c, r, &s))
		return 0;
	if (c->n_keys == FLT_KEYS_MAX) {
		c->truncated = 1;
		return 0;
	}
	add_into(&s, r->v);
	c->keys[c->n_keys++] = s;
	return 0;
}

static int on_row(void *ud, const struct db_fact_row *r)
{
	struct flt_ctx *c = ud;
	struct flt_sum s;
	if (!keep(c, r, &s))
		return 0;
	for (size_t i = 0; i < c->n_procs; i++)
		if (c->procs[i].pid == r->pid && c->procs[i].module == s.module) {
			add_into(&c->procs[i], r->v);
			return 0;
		}
	if (c->n_procs == FLT_PROCS_MAX) {
		c->truncated = 1;
		return 0;
	}
	s.pid = r->pid;
	s.major = 0;
	s.post = 0;
	add_into(&s, r->v);
	c->procs[c->n_procs++] = s;
	return 0;
}

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
	cJSON_AddItemToObject(o, k, api_json_number((double)v));
}

/* count, total_ns, avg_ns, over_1ms, over_10ms of a sum. */
static void sum_json(cJSON *o, const uint64_t *v)
{
	add_u64(o, "count", v[0]);
	add_u64(o, "total_ns", v[2]);
	if (v[0])
		add_u64(o, "avg_ns", v[2] / v[0]);
	else
		cJSON_AddNullToObject(o, "avg_ns");
	add_u64(o, "over_1ms", v[3]);
	add_u64(o, "over_10ms", v[1]);
}

static void module_json(cJSON *o, const struct api_module_names *names, int32_t id)
{
	const struct api_module_name *nm = api_module_names_find(names, id);
	cJSON_AddNumberToObject(o, "module_id", id);
	cJSON_AddStringToObject(o, "module", nm ? nm->name : "(unknown module)");
	if (!nm)
		return;
	struct attr_class cls;
	attr_classify(nm->name, nm->path, nm->base, &cls);
	if (cls.vendor[0])
		cJSON_AddStringToObject(o, "vendor", cls.vendor);
	else
		cJSON_AddNullToObject(o, "vendor");
	cJSON_AddStringToObject(o, "category", cls.category);
	cJSON_AddStringToObject(o, "category_label", attr_category_label(cls.category));
	cJSON_AddBoolToObject(o, "microsoft", cls.microsoft);
}

static int by_total_desc(const void *a, const void *b)
{
	const struct flt_sum *x = a, *y = b;
	return x->v[2] < y->v[2] ? 1 : x->v[2] > y->v[2] ? -1 : 0;
}

/* The tables of the selection. */
static void tables(cJSON *o, struct flt_ctx *c, const struct api_module_names *names)
{
	qsort(c->keys, c->n_keys, sizeof c->keys[0], by_total_desc);
	cJSON *rows = cJSON_AddArrayToObject(o, "rows");
	for (size_t i = 0; i < c->n_keys; i++) {
		const struct flt_sum *s = &c->keys[i];
		cJSON *r = cJSON_CreateObject();
		module_json(r, names, s->module);
		const char *mj = etl_flt_major_name(s->major);
		cJSON_AddStringToObject(r, "major_function", mj ? mj : "(unknown)");
		cJSON_AddNumberToObject(r, "major_code", s->major);
		cJSON_AddStringToObject(r, "operation", s->post ? "post" : "pre");
		sum_json(r, s->v);
		cJSON_AddItemToArray(rows, r);
	}
	/* per driver: pre, post and their sum */
	cJSON *drv = cJSON_AddArrayToObject(o, "drivers");
	struct flt_sum per[2];
	for (size_t i = 0; i < c->n_keys; i++) {
		int32_t m = c->keys[i].module;
		size_t j = 0;
		while (j < i && c->keys[j].module != m)
			j++;
		if (j < i)
			continue; /* listed with its first key (the keys are by total, descending) */
		memset(per, 0, sizeof per);
		for (size_t k = i; k < c->n_keys; k++)
			if (c->keys[k].module == m)
				add_into(&per[c->keys[k].post], c->keys[k].v);
		cJSON *d = cJSON_CreateObject();
		module_json(d, names, m);
		sum_json(cJSON_AddObjectToObject(d, "pre"), per[0].v);
		sum_json(cJSON_AddObjectToObject(d, "post"), per[1].v);
		add_into(&per[0], per[1].v);
		sum_json(cJSON_AddObjectToObject(d, "total"), per[0].v);
		cJSON_AddItemToArray(drv, d);
	}
	qsort(c->procs, c->n_procs, sizeof c->procs[0], by_total_desc);
	cJSON *procs = cJSON_AddArrayToObject(o, "processes");
	for (size_t i = 0; i < c->n_procs; i++) {
		cJSON *p = cJSON_CreateObject();
		if (c->procs[i].pid == SINK_PID_UNKNOWN)
			cJSON_AddNullToObject(p, "pid");
		else
			add_u64(p, "pid", c->procs[i].pid);
		module_json(p, names, c->procs[i].module);
		sum_json(p, c->procs[i].v);
		cJSON_AddItemToArray(procs, p);
	}
	cJSON_AddBoolToObject(o, "truncated", c->truncated);
}

/* The whole-trace lists (db_io_flt_json): each item's module named and classified, its
 * major function named, post as "operation". */
/* Module names, major function names and pre/post of the stored rows; files_identified 0:
 * every "file" becomes null (the trace did not pin the FileObject slot, or the run was
 * ingested before it was pinned: its names would be a guess). */
static void decorate(cJSON *o, const struct api_module_names *names, int files_identified)
{
	cJSON *arr, *it;
	cJSON_ArrayForEach(arr, o) {
		cJSON_ArrayForEach(it, arr) {
			if (!files_identified && cJSON_HasObjectItem(it, "file"))
				cJSON_ReplaceItemInObjectCaseSensitive(it, "file", cJSON_CreateNull());
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(it, "module_id");
			const cJSON *mj = cJSON_GetObjectItemCaseSensitive(it, "major_code");
			cJSON *post = cJSON_DetachItemFromObjectCaseSensitive(it, "post");
			if (cJSON_IsNumber(m)) {
				int32_t id = (int32_t)m->valuedouble;
				cJSON_DeleteItemFromObjectCaseSensitive(it, "module_id");
				module_json(it, names, id);
			}
			if (cJSON_IsNumber(mj)) {
				const char *name = etl_flt_major_name((uint32_t)mj->valuedouble);
				cJSON_AddStringToObject(it, "major_function", name ? name : "(unknown)");
			}
			if (post)
				cJSON_AddStringToObject(it, "operation", cJSON_IsTrue(post) ||
							(cJSON_IsNumber(post) && post->valuedouble) ? "post" : "pre");
			cJSON_Delete(post);
		}
	}
}

/* ?module=ID: 1 given, 0 absent, -1 with *out set. */
static int module_param(const struct api_request *rq, struct flt_ctx *c, cJSON **out)
{
	uint32_t id;
	int got = api_param_u32(rq, "module", 0, INT32_MAX, &id, out);
	if (got == 1) {
		c->has_module = 1;
		c->module = (int32_t)id;
	}
	return got;
}

int api_run_minifilter(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	struct db_run r;
	struct api_facts_query q;
	char err[256] = "";
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	cJSON *summary = r.summary ? cJSON_Parse(r.summary) : NULL;
	cJSON *layout = cJSON_DetachItemFromObjectCaseSensitive(summary, "minifilter");
	cJSON_Delete(summary);
	struct flt_ctx *c = calloc(1, sizeof *c);
	struct api_module_names names = {0};
	cJSON *o = NULL;
	if (!c || !(c->procs = calloc(FLT_PROCS_MAX, sizeof *c->procs))) {
		*out = api_error("out of memory");
		st = 500;
		goto done;
	}
	if ((st = api_facts_parse(&r, rq, &q, out)) || module_param(rq, c, out) < 0) {
		st = 400;
		goto done;
	}
	if (!layout) {
		*out = api_error("this run holds no minifilter events (record with FLT_IO_INIT+FLT_IO+"
				 "FLT_FASTIO+FLT_IO_FAILURE, see /record)");
		st = 404;
		goto done;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "layout", layout);
	layout = NULL;
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "layout"), "state");
	int decoded = cJSON_IsString(state) && strcmp(state->valuestring, "decoded") == 0;
	cJSON_AddBoolToObject(o, "decoded", decoded);
	/* the FileObject slot pinned by the trace's FileIo evidence (etl_fltpin.h) */
	const cJSON *pin = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(o, "layout"), "file_object"), "pinned");
	int files_identified = decoded && cJSON_IsTrue(pin);
	cJSON_AddBoolToObject(o, "files_identified", files_identified);
	if (!decoded) {
		cJSON_AddStringToObject(o, "note", "the minifilter events of this trace did not fit "
					"the candidate layout: they are counted (see /fileio "
					"event_types), not decoded — no delays are shown");
		st = 200;
		goto done;
	}
	cJSON *whole = NULL, *sel = NULL;
	/* the selection's rows are this endpoint's own tables: the facts are read once, here */
	if (api_module_names_load(db, r.id, &names, err, sizeof err) ||
	    !(sel = api_facts_head(db, &r, &q, SINK_FACT_FLT, o, err, sizeof err)) ||
	    db_facts_read(db, r.id, SINK_FACT_FLT, &q.f, on_row, on_total, c, err, sizeof err) ||
	    !(whole = cJSON_CreateObject()) ||
	    db_io_flt_json(db, r.id, c->has_module ? c->module : -1, whole, err, sizeof err)) {
		cJSON_Delete(whole);
		cJSON_Delete(o);
		o = NULL;
		*out = api_error("cannot read minifilter delays: %s", err);
		st = 500;
		goto done;
	}
	cJSON_AddBoolToObject(cJSON_GetObjectItemCaseSensitive(o, "applies"), "module", 1);
	tables(sel, c, &names);
	decorate(whole, &names, files_identified);
	cJSON_AddItemToObject(o, "whole_trace", whole);
	st = 200;
done:
	if (st == 200)
		*out = o;
	cJSON_Delete(layout);
	api_module_names_clear(&names);
	if (c)
		free(c->procs);
	free(c);
	db_run_clear(&r);
	return st;
}
