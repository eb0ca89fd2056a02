/* api_runs.c — run documents: the list of runs, one run's metadata with its summary and
 * warnings, and its counter catalogue (incl. which processor counters exist per CPU). */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include "api.h"
#include "api_params.h"
#include "db.h"
#include "db_catalog.h"

cJSON *api_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

static cJSON *run_brief(const struct db_run *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", r->public_id);
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "file_name", r->file_name);
	cJSON_AddNumberToObject(o, "file_size", (double)r->file_size);
	cJSON_AddStringToObject(o, "format", r->format);
	cJSON_AddStringToObject(o, "status", r->status);
	cJSON_AddNumberToObject(o, "created", (double)(r->created_us / 1000));
	if (r->has_start) {
		cJSON_AddNumberToObject(o, "start", (double)r->start_utc_us / 1000.0);
		cJSON_AddNumberToObject(o, "duration_s", (double)r->duration_us / 1e6);
	} else {
		cJSON_AddNullToObject(o, "start");
		cJSON_AddNullToObject(o, "duration_s");
	}
	if (r->has_expiry)
		cJSON_AddNumberToObject(o, "expires", (double)(r->expires_us / 1000));
	/* A few summary facts that the list shows. */
	cJSON *sum = cJSON_Parse(r->summary);
	static const char *const keys[] = {"machines", "cpus", "counters", "samples"};
	for (size_t i = 0; sum && i < sizeof keys / sizeof *keys; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(sum, keys[i]);
		if (v)
			cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, 1));
	}
	cJSON_Delete(sum);
	return o;
}

static int add_run(void *ud, const struct db_run *r)
{
	cJSON_AddItemToArray(ud, run_brief(r));
	return 0;
}

int api_runs_list(struct db_catalog *cat, const struct api_request *rq, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "runs");
	if (cat->ops->run_list(cat, add_run, arr) != 0) {
		cJSON_Delete(o);
		*out = api_error("cannot list runs: %s", db_catalog_errmsg(cat));
		return 500;
	}
	*out = o;
	return 200;
}

static int add_warning(void *ud, const struct db_warning *w)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "code", w->code);
	cJSON_AddStringToObject(o, "message", w->message);
	cJSON_AddNumberToObject(o, "count", (double)w->count);
	cJSON_AddItemToArray(ud, o);
	return 0;
}

/* Per-CPU processor counters: for each counter name, the object that covers the most
 * CPUs (Processor or Processor Information) and how many CPUs it covers. */
struct cpu_counter_scan {
	cJSON *list; /* [{counter, object, cpus}] */
};

static int scan_cpu_counter(void *ud, const struct db_counter *c)
{
	struct cpu_counter_scan *s = ud;
	cJSON *it;
	if (c->cpu < 0)
		return 0;
	cJSON_ArrayForEach(it, s->list)
	{
		const char *name = cJSON_GetObjectItem(it, "counter")->valuestring;
		const char *obj = cJSON_GetObjectItem(it, "object")->valuestring;
		if (strcasecmp(name, c->counter) == 0 && strcasecmp(obj, c->object) == 0) {
			cJSON *n = cJSON_GetObjectItem(it, "cpus");
			cJSON_SetNumberValue(n, n->valuedouble + 1);
			return 0;
		}
	}
	it = cJSON_CreateObject();
	cJSON_AddStringToObject(it, "counter", c->counter);
	cJSON_AddStringToObject(it, "object", c->object);
	cJSON_AddNumberToObject(it, "cpus", 1);
	cJSON_AddItemToArray(s->list, it);
	return 0;
}

int api_run_get(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	struct db_run r;
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	cJSON *o = run_brief(&r);
	cJSON_AddStringToObject(o, "notes", r.notes);
	cJSON *sum = cJSON_Parse(r.summary);
	cJSON_AddItemToObject(o, "summary", sum ? sum : cJSON_CreateObject());
	cJSON *warn = cJSON_AddArrayToObject(o, "warnings");
	struct cpu_counter_scan scan = {cJSON_AddArrayToObject(o, "cpu_counters")};
	if (db_run_warnings(db, r.id, add_warning, warn) != 0 ||
	    db_counters(db, r.id, scan_cpu_counter, &scan) != 0) {
		cJSON_Delete(o);
		db_run_clear(&r);
		*out = api_error("cannot read run: %s", sqlite3_errmsg(db));
		return 500;
	}
	db_run_clear(&r);
	*out = o;
	return 200;
}

static int add_counter(void *ud, const struct db_counter *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "idx", c->idx);
	cJSON_AddStringToObject(o, "path", c->path);
	cJSON_AddStringToObject(o, "machine", c->machine);
	cJSON_AddStringToObject(o, "object", c->object);
	if (c->instance)
		cJSON_AddStringToObject(o, "instance", c->instance);
	else
		cJSON_AddNullToObject(o, "instance");
	cJSON_AddStringToObject(o, "counter", c->counter);
	if (c->cpu >= 0)
		cJSON_AddNumberToObject(o, "cpu", c->cpu);
	else
		cJSON_AddNullToObject(o, "cpu");
	cJSON_AddItemToArray(ud, o);
	return 0;
}

int api_run_counters(sqlite3 *db, const char *run_id, const struct api_request *rq,
		     cJSON **out)
{
	struct db_run r;
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "counters");
	int rc = db_counters(db, r.id, add_counter, arr);
	db_run_clear(&r);
	if (rc != 0) {
		cJSON_Delete(o);
		*out = api_error("cannot read counters: %s", sqlite3_errmsg(db));
		return 500;
	}
	*out = o;
	return 200;
}
