/* api_drivers.c — GET /api/runs/{id}/drivers: per-module driver attribution (vendor,
 * product, category from the KB; DPC, ISR, exclusive and inclusive sampled CPU, shares of
 * all and of non-idle samples) with roll-ups by vendor and by category, the Idle process,
 * unknown kernel addresses and user code without an image apart, over ?from&to (ms since
 * the epoch) and ?cpus. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "api_dpc.h"
#include "api_params.h"
#include "attr.h"
#include "db.h"
#include "find.h"

/* ?cpus=0,2,4-6 (repeatable) into a set; 0 absent, 1 present, -1 malformed. */
int api_param_cpus(const struct api_request *rq, struct db_cpu_set *set, cJSON **out)
{
	char buf[2048];
	int any = 0;
	memset(set, 0, sizeof *set);
	for (size_t nth = 0;; nth++) {
		int r = api_param(rq, "cpus", nth, buf, sizeof buf);
		if (r == 0)
			break;
		const char *p = buf;
		while (r == 1 && *p) {
			char *end;
			errno = 0;
			unsigned long a = strtoul(p, &end, 10), b = a;
			if (end == p || errno || a >= DB_MAX_CPUS)
				r = -1;
			else if (*end == '-') {
				p = end + 1;
				b = strtoul(p, &end, 10);
				if (end == p || errno || b >= DB_MAX_CPUS || b < a)
					r = -1;
			}
			if (r < 0)
				break;
			for (unsigned long c = a; c <= b; c++)
				db_cpu_set_add(set, (unsigned)c);
			any = 1;
			p = *end == ',' ? end + 1 : end;
			if (*end && *end != ',')
				r = -1;
		}
		if (r < 0) {
			*out = api_error("'cpus' must be CPU numbers below %d, e.g. 0,2,4-6",
					 DB_MAX_CPUS);
			return -1;
		}
	}
	return any;
}

/* ms-since-epoch window → ns since the trace start (open ends stay open, saturating). */
void api_window_ns(int64_t start_us, int64_t from_us, int64_t to_us, int64_t *from_ns,
		   int64_t *to_ns)
{
	*from_ns = api_epoch_us_to_trace_ns(from_us, start_us);
	*to_ns = api_epoch_us_to_trace_ns(to_us, start_us);
}

static cJSON *time_obj(const struct attr_time *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", (double)t->count);
	cJSON_AddItemToObject(o, "total_ms", api_json_number((double)t->total_ns / 1e6));
	cJSON_AddItemToObject(o, "avg_us", t->count ? api_json_number((double)t->total_ns /
								       (double)t->count / 1e3)
						    : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "max_us", api_json_number((double)t->max_ns / 1e3));
	cJSON_AddNumberToObject(o, "above_guideline", (double)t->above_count);
	cJSON_AddItemToObject(o, "cpus", find_cpu_array(&t->cpus));
	return o;
}

static double share(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

static cJSON *row_obj(const struct attr_row *r, const struct attr_result *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "module_id", r->module_id);
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "path", r->path);
	cJSON_AddBoolToObject(o, "kernel", r->cls.kernel);
	cJSON_AddBoolToObject(o, "in_kb", r->cls.ncand > 0);
	cJSON_AddBoolToObject(o, "microsoft", r->cls.microsoft);
	if (r->cls.vendor[0])
		cJSON_AddStringToObject(o, "vendor", r->cls.vendor);
	else
		cJSON_AddNullToObject(o, "vendor");
	cJSON_AddStringToObject(o, "product", r->cls.product);
	cJSON_AddStringToObject(o, "category", r->cls.category);
	cJSON_AddStringToObject(o, "category_label", attr_category_label(r->cls.category));
	if (r->cls.ncand > 1) {
		cJSON *c = cJSON_AddArrayToObject(o, "candidates");
		for (size_t i = 0; i < r->cls.ncand; i++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "vendor", r->cls.cand[i]->vendor);
			cJSON_AddStringToObject(e, "product", r->cls.cand[i]->product);
			cJSON_AddStringToObject(e, "category", r->cls.cand[i]->category);
			cJSON_AddItemToArray(c, e);
		}
	}
	const char *note = r->module_id < 0
		? "code ran outside any module in the loaded-module list"
		: r->cls.note_wdk_sample
		? "a WDK sample name: third parties ship lightly modified copies under it"
		: r->cls.ncand > 1 ? "several vendors ship a driver of this name; check the signer"
				   : NULL;
	if (note)
		cJSON_AddStringToObject(o, "note", note);
	cJSON_AddItemToObject(o, "dpc", time_obj(&r->dpc));
	cJSON_AddItemToObject(o, "isr", time_obj(&r->isr));
	cJSON *cpu = cJSON_AddObjectToObject(o, "cpu");
	cJSON_AddNumberToObject(cpu, "exclusive", (double)r->excl);
	cJSON_AddNumberToObject(cpu, "inclusive", (double)r->incl);
	cJSON_AddItemToObject(cpu, "exclusive_share", api_json_number(share(r->excl, a->samples)));
	cJSON_AddItemToObject(cpu, "inclusive_share", api_json_number(share(r->incl, a->samples)));
	uint64_t busy = attr_busy_samples(a);
	cJSON_AddItemToObject(cpu, "exclusive_share_non_idle", api_json_number(share(r->excl, busy)));
	cJSON_AddItemToObject(cpu, "inclusive_share_non_idle", api_json_number(share(r->incl, busy)));
	return o;
}

static cJSON *rollup_arr(const struct attr_rollup *v, size_t n, const struct attr_result *a,
			 int by_vendor)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, by_vendor ? "vendor" : "category", v[i].key);
		if (by_vendor)
			cJSON_AddStringToObject(o, "category", v[i].category);
		cJSON_AddStringToObject(o, "category_label", attr_category_label(v[i].category));
		cJSON_AddNumberToObject(o, "modules", (double)v[i].modules);
		cJSON_AddNumberToObject(o, "dpc_count", (double)v[i].dpc_count);
		cJSON_AddItemToObject(o, "dpc_ms", api_json_number((double)v[i].dpc_ns / 1e6));
		cJSON_AddNumberToObject(o, "isr_count", (double)v[i].isr_count);
		cJSON_AddItemToObject(o, "isr_ms", api_json_number((double)v[i].isr_ns / 1e6));
		cJSON_AddNumberToObject(o, "exclusive", (double)v[i].excl);
		cJSON_AddItemToObject(o, "exclusive_share", api_json_number(share(v[i].excl, a->samples)));
		cJSON_AddItemToObject(o, "exclusive_share_non_idle",
				      api_json_number(share(v[i].excl, attr_busy_samples(a))));
		cJSON_AddItemToObject(o, "inclusive_max_share",
				      api_json_number(share(v[i].incl_max, a->samples)));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* {"samples", "share", "share_non_idle"} of a count of samples (share_non_idle omitted for
 * Idle itself). */
static cJSON *sample_part(uint64_t n, const struct attr_result *a, int with_non_idle)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "samples", (double)n);
	cJSON_AddItemToObject(o, "share", api_json_number(share(n, a->samples)));
	if (with_non_idle)
		cJSON_AddItemToObject(o, "share_non_idle",
				      api_json_number(share(n, attr_busy_samples(a))));
	return o;
}

/* The whole-trace address ranges of an unresolved class from the run summary. */
static void add_ranges(cJSON *o, const cJSON *summary, const char *key)
{
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(summary, key);
	const cJSON *ranges = cJSON_GetObjectItemCaseSensitive(src, "ranges");
	cJSON *dup = cJSON_IsArray(ranges) ? cJSON_Duplicate(ranges, 1) : NULL;
	cJSON_AddItemToObject(o, "trace_ranges", dup ? dup : cJSON_CreateArray());
}

int api_run_drivers(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	struct db_run r;
	struct db_cpu_set cpus;
	int64_t from_us, to_us;
	char err[256];
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	int has_cpus = 0;
	if (api_param_window(rq, &from_us, &to_us, out) != 0 ||
	    (has_cpus = api_param_cpus(rq, &cpus, out)) < 0) {
		db_run_clear(&r);
		return 400;
	}
	struct db_etw_filter f = {.run_id = r.id, .cpus = has_cpus ? &cpus : NULL};
	api_window_ns(r.has_start ? r.start_utc_us : 0, from_us, to_us, &f.from_ns, &f.to_ns);
	cJSON *summary = r.summary ? cJSON_Parse(r.summary) : NULL;
	db_run_clear(&r);
	struct attr_result a;
	int rc = attr_run(db, &f, &a, err, sizeof err);
	if (rc) {
		cJSON_Delete(summary);
		*out = rc > 0 ? api_error("this run has no ETW data (drivers come from .etl traces)")
			      : api_error("%s", err);
		return rc > 0 ? 404 : 500;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kb_version", kb_version());
	cJSON *w = cJSON_AddObjectToObject(o, "window");
	cJSON_AddItemToObject(w, "from", from_us == INT64_MIN ? cJSON_CreateNull()
							     : api_json_number((double)from_us / 1e3));
	cJSON_AddItemToObject(w, "to", to_us == INT64_MAX ? cJSON_CreateNull()
							 : api_json_number((double)to_us / 1e3));
	cJSON_AddItemToObject(w, "duration_ms", api_json_number((double)a.window_ns / 1e6));
	cJSON_AddItemToObject(w, "cpus", has_cpus ? find_cpu_array(&cpus) : cJSON_CreateNull());
	cJSON *t = cJSON_AddObjectToObject(o, "totals");
	cJSON_AddNumberToObject(t, "cpus", a.ncpus);
	cJSON_AddNumberToObject(t, "samples", (double)a.samples);
	cJSON_AddNumberToObject(t, "idle_samples", (double)a.idle);
	cJSON_AddNumberToObject(t, "non_idle_samples", (double)attr_busy_samples(&a));
	cJSON_AddNumberToObject(t, "samples_in_dpc", (double)a.in_dpc);
	cJSON_AddNumberToObject(t, "samples_in_isr", (double)a.in_isr);
	cJSON_AddItemToObject(t, "dpc_ms", api_json_number((double)a.dpc_ns / 1e6));
	cJSON_AddItemToObject(t, "isr_ms", api_json_number((double)a.isr_ns / 1e6));
	cJSON *rows = cJSON_AddArrayToObject(o, "drivers");
	const struct attr_row *hidden = NULL;
	for (size_t i = 0; i < a.n; i++) {
		cJSON_AddItemToArray(rows, row_obj(&a.rows[i], &a));
		if (a.rows[i].module_id < 0)
			hidden = &a.rows[i];
	}
	cJSON_AddItemToObject(o, "vendors", rollup_arr(a.vendors, a.nvendors, &a, 1));
	cJSON_AddItemToObject(o, "categories", rollup_arr(a.categories, a.ncategories, &a, 0));
	cJSON_AddItemToObject(o, "outside_modules", hidden ? row_obj(hidden, &a) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "idle", sample_part(a.idle, &a, 0));
	uint64_t unresolved = hidden ? hidden->excl : 0;
	uint64_t kern = a.unknown_kernel < unresolved ? a.unknown_kernel : unresolved;
	cJSON *uk = sample_part(kern, &a, 1);
	add_ranges(uk, summary, "unknown_kernel_addresses");
	cJSON_AddItemToObject(o, "unknown_kernel", uk);
	cJSON *uu = sample_part(unresolved - kern, &a, 1);
	add_ranges(uu, summary, "user_code_without_image");
	cJSON_AddItemToObject(o, "user_code_without_image", uu);
	cJSON_Delete(summary);
	attr_result_clear(&a);
	*out = o;
	return 200;
}
