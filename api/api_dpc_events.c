/* api_dpc_events.c — individual DPC/ISR events: the longest ones (every above-guideline
 * event is stored, topped up with flagged samples from below the guideline), or the events
 * of one histogram bucket; each with its time, CPU, module, kind and routine as
 * module!function+0x… when the run's symbols name it (db_symbols.h), else module+0x…. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_dpc.h"
#include "api_params.h"
#include "db_symbols.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 10000

static int parse_uint_param(const struct api_request *rq, const char *name, unsigned long max,
			    unsigned long *v, int *present)
{
	char buf[24], *end;
	int got = api_param(rq, name, 0, buf, sizeof buf);
	*present = got == 1;
	if (got == 0)
		return 0;
	*v = got == 1 ? strtoul(buf, &end, 10) : 0;
	return got < 0 || end == buf || *end || buf[0] == '-' || *v > max ? -1 : 0;
}

static int by_duration(const void *a, const void *b)
{
	const struct db_dpc_event *x = a, *y = b;
	if (x->duration_ns != y->duration_ns)
		return x->duration_ns < y->duration_ns ? 1 : -1;
	return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

void api_dpc_routine_name(const struct api_module_name *nm, int32_t module_id, uint64_t routine,
			  struct db_sym_lookup *syms, char *buf, size_t n, char *fn, size_t fnlen)
{
	uint32_t off;
	int in = nm && routine >= nm->base && routine - nm->base < (nm->size ? nm->size : 1);
	fn[0] = 0;
	if (in && syms &&
	    db_sym_lookup_find(syms, module_id, (uint32_t)(routine - nm->base), fn, fnlen, &off))
		snprintf(buf, n, "%s!%s+0x%" PRIx32, nm->name, fn, off);
	else if (in)
		snprintf(buf, n, "%s+0x%" PRIx64, nm->name, routine - nm->base);
	else
		snprintf(buf, n, "0x%" PRIx64, routine);
}

static cJSON *event_json(const struct db_dpc_event *e, const struct api_dpc_query *q,
			 const struct api_module_names *names, struct db_sym_lookup *syms)
{
	char buf[640], fn[512];
	const struct api_module_name *nm = api_module_names_find(names, e->module_id);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "t", api_json_number(api_trace_ns_to_epoch_ms(e->t_ns, q->start_us)));
	cJSON_AddItemToObject(o, "t_s", api_json_number((double)e->t_ns / 1e9));
	cJSON_AddNumberToObject(o, "cpu", e->cpu);
	cJSON_AddNumberToObject(o, "module_id", e->module_id);
	cJSON_AddStringToObject(o, "module", nm ? nm->name : "(unresolved)");
	cJSON_AddStringToObject(o, "kind", api_dpc_kind_name(e->kind));
	api_dpc_routine_name(nm, e->module_id, e->routine, syms, buf, sizeof buf, fn, sizeof fn);
	if (fn[0])
		cJSON_AddStringToObject(o, "function", fn);
	cJSON_AddStringToObject(o, "routine", buf);
	snprintf(buf, sizeof buf, "0x%" PRIx64, e->routine);
	cJSON_AddStringToObject(o, "address", buf);
	cJSON_AddItemToObject(o, "duration_us", api_json_number(e->duration_ns / 1e3));
	cJSON_AddBoolToObject(o, "sample", e->sample);
	return o;
}

/* The longest events: every stored above-guideline event first; when fewer than limit,
 * samples from the highest buckets below the guideline, flagged. */
static int longest(sqlite3 *db, const struct api_dpc_query *q, size_t limit,
		   struct db_dpc_event **out, size_t *n, int *topped_up, char *err, size_t errlen)
{
	struct db_dpc_event *ev = NULL;
	*topped_up = 0;
	if (db_dpc_events(db, &q->f, -1, limit, &ev, n, err, errlen) < 0)
		return -1;
	if (*n >= limit) {
		*out = ev;
		return 0;
	}
	struct db_dpc_event *all = realloc(ev, limit * sizeof *all);
	if (!all) {
		free(ev);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int b = DB_DPC_NBUCKETS - 1; b >= 0 && *n < limit; b--) {
		struct db_dpc_event *s = NULL;
		size_t k = 0;
		if (db_dpc_events(db, &q->f, b, limit, &s, &k, err, errlen) < 0) {
			free(all);
			return -1;
		}
		for (size_t i = 0; i < k && *n < limit; i++)
			if (s[i].sample) {
				all[(*n)++] = s[i];
				*topped_up = 1;
			}
		free(s);
	}
	qsort(all, *n, sizeof *all, by_duration);
	*out = all;
	return 0;
}

int api_run_dpc_events(sqlite3 *db, const char *run_id, const struct api_request *rq,
		       cJSON **out)
{
	struct api_dpc_query q;
	struct api_module_names names;
	struct db_dpc_event *ev = NULL;
	size_t n = 0;
	unsigned long limit = DEFAULT_LIMIT, bucket = 0;
	int has_limit, has_bucket, topped_up = 0;
	char err[256];
	int st = api_dpc_query_parse(db, run_id, rq, &q, out);
	if (st)
		return st;
	if (parse_uint_param(rq, "limit", MAX_LIMIT, &limit, &has_limit) || limit == 0) {
		api_dpc_query_clear(&q);
		*out = api_error("'limit' must be a whole number from 1 to %d", MAX_LIMIT);
		return 400;
	}
	if (parse_uint_param(rq, "bucket", DB_DPC_NBUCKETS - 1, &bucket, &has_bucket)) {
		api_dpc_query_clear(&q);
		*out = api_error("'bucket' must be a bucket index from 0 to %d", DB_DPC_NBUCKETS - 1);
		return 400;
	}
	int rc = has_bucket ? db_dpc_events(db, &q.f, (int)bucket, limit, &ev, &n, err, sizeof err)
			    : longest(db, &q, limit, &ev, &n, &topped_up, err, sizeof err);
	if (rc < 0 || api_module_names_load(db, q.run.id, &names, err, sizeof err)) {
		free(ev);
		api_dpc_query_clear(&q);
		*out = api_error("%s", err);
		return 500;
	}
	cJSON *o = cJSON_CreateObject();
	api_dpc_add_context(o, &q);
	size_t nsample = 0;
	for (size_t i = 0; i < n; i++)
		nsample += ev[i].sample;
	if (has_bucket) {
		uint64_t lo, hi;
		db_dpc_bucket_range((int)bucket, &lo, &hi);
		cJSON *b = cJSON_AddObjectToObject(o, "bucket");
		cJSON_AddNumberToObject(b, "index", (double)bucket);
		cJSON_AddItemToObject(b, "lo_us", api_json_number(lo / 1e3));
		cJSON_AddItemToObject(b, "hi_us", hi == UINT64_MAX ? cJSON_CreateNull()
								   : api_json_number(hi / 1e3));
		cJSON_AddStringToObject(o, "note",
					nsample ? "below the guideline only a sample of events is stored "
						  "(up to 64 per module, kind and bucket): events marked "
						  "sample are examples, not the complete list"
						: "every event of this bucket is stored: the list is complete "
						  "up to the limit");
	} else {
		cJSON_AddNullToObject(o, "bucket");
		cJSON_AddStringToObject(o, "note",
					topped_up ? "every event above the guideline is listed; the rest are "
						    "samples from below the guideline (marked sample)"
						  : "the longest events above the guideline (every such event "
						    "is stored), longest first");
	}
	cJSON_AddNumberToObject(o, "limit", (double)limit);
	cJSON_AddNumberToObject(o, "samples", (double)nsample);
	cJSON *arr = cJSON_AddArrayToObject(o, "events");
	struct db_sym_lookup *syms = db_sym_lookup_new(db, q.run.id); /* NULL: names only */
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, event_json(&ev[i], &q, &names, syms));
	db_sym_lookup_free(syms);
	free(ev);
	api_module_names_clear(&names);
	api_dpc_query_clear(&q);
	*out = o;
	return 200;
}
