/* api_report.c — GET /api/runs/{id}/report-histograms: the pre-bucketed DPC/ISR
 * histograms and per-CPU usage of a text-report run (xperf -a dpcisr), on the report's own
 * bucket edges, with what can honestly be said about the guideline from such buckets. */
#include <stdint.h>
#include "api.h"
#include "api_params.h"
#include "db.h"
#include "db_etw.h"
#include "db_report.h"

static const char *kind_name(int k)
{
	return k == SINK_ISR || k == SINK_ISR_MSI ? "isr" : "dpc";
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static int add_block(void *ud, const struct db_report_block *b)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	uint64_t guide = db_dpc_guideline_ns(b->kind), above = 0, straddle = 0;
	if (!o || !cJSON_AddItemToArray(ud, o))
		return cJSON_Delete(o), -1;
	cJSON_AddNumberToObject(o, "block", b->block);
	cJSON_AddStringToObject(o, "kind", kind_name(b->kind));
	if (b->module)
		cJSON_AddStringToObject(o, "module", b->module);
	else
		cJSON_AddNullToObject(o, "module");
	cJSON_AddNumberToObject(o, "total", (double)b->total);
	cJSON_AddNumberToObject(o, "guideline_us", us(guide));
	if (!(arr = cJSON_AddArrayToObject(o, "buckets")))
		return -1;
	for (size_t i = 0; i < b->nbuckets; i++) {
		const struct db_report_bucket *k = &b->buckets[i];
		cJSON *e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e))
			return cJSON_Delete(e), -1;
		cJSON_AddNumberToObject(e, "lo_us", us(k->lo_ns));
		if (k->hi_ns == UINT64_MAX)
			cJSON_AddNullToObject(e, "hi_us");
		else
			cJSON_AddNumberToObject(e, "hi_us", us(k->hi_ns));
		cJSON_AddNumberToObject(e, "count", (double)k->count);
		if (k->lo_ns >= guide)
			above += k->count;
		else if (k->hi_ns > guide)
			straddle += k->count;
	}
	/* buckets wholly above the guideline are surely above; the bucket that contains
	 * the guideline may hold some on either side */
	cJSON *a = cJSON_AddObjectToObject(o, "above_guideline");
	if (!a)
		return -1;
	cJSON_AddNumberToObject(a, "at_least", (double)above);
	cJSON_AddNumberToObject(a, "at_most", (double)(above + straddle));
	return 0;
}

static int add_usage(void *ud, const struct db_report_usage_row *u)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(ud, o))
		return cJSON_Delete(o), -1;
	cJSON_AddStringToObject(o, "kind", kind_name(u->kind));
	cJSON_AddStringToObject(o, "module", u->module ? u->module : "");
	cJSON_AddNumberToObject(o, "cpu", u->cpu);
	cJSON_AddNumberToObject(o, "busy_us", (double)u->busy_us);
	return 0;
}

int api_run_report_histograms(sqlite3 *db, const char *run_id, const struct api_request *rq,
			      cJSON **out)
{
	struct db_run r;
	char err[256];
	int st = api_find_run(db, run_id, &r, out), rb, ru;
	(void)rq;
	if (st)
		return st;
	cJSON *o = cJSON_CreateObject();
	cJSON *blocks = cJSON_AddArrayToObject(o, "blocks");
	cJSON *usage = cJSON_AddArrayToObject(o, "usage");
	cJSON_AddStringToObject(o, "edges", "report");
	cJSON_AddStringToObject(o, "note", "counts per bucket as printed by the report, on its "
			       "own edges (lo, hi] in microseconds; hi null = open-ended. Not "
			       "events: no times, routines or exact maxima, and not comparable "
			       "bucket-by-bucket with the R10 histograms of ETW runs");
	rb = db_report_blocks(db, r.id, 0, add_block, blocks, err, sizeof err);
	ru = rb < 0 ? 0 : db_report_usage_rows(db, r.id, add_usage, usage, err, sizeof err);
	db_run_clear(&r);
	if (rb < 0 || ru < 0) {
		cJSON_Delete(o);
		*out = api_error("cannot read report histograms: %s", err);
		return 500;
	}
	if (rb == 1 && ru == 1) {
		cJSON_Delete(o);
		*out = api_error("this run holds no pre-bucketed histograms (only xperf -a dpcisr "
				 "reports do)");
		return 404;
	}
	*out = o;
	return 200;
}
