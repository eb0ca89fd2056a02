/* api_compare.c — before/after comparison of 2 to 4 runs: DPC or ISR histograms on the
 * same bucket edges, a per-module delta table (modules matched by file name), per-CPU
 * DPC/ISR time side by side, and perfmon processor counters aligned on time since each run's
 * start (mean over CPUs, plus each CPU's maximum and the CPUs above a threshold). Runs of
 * different lengths are compared per second, and the document says so.
 *
 * The baseline is ?base= (one of the runs), else the run with the earliest trace start, else
 * the first named; it is runs[0] of the document, the others keep the order named. Deltas
 * are judged by the time that matters — time above the guideline, then total DPC/ISR time —
 * not by count or average, so fewer but longer DPCs are "worse". A run that did not measure
 * something (no DPC/ISR records, no such counter) has null there: "not measured", never 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api.h"
#include "api_params.h"
#include "db.h"
#include "db_etw.h"
#include "api_compare_sched.h"

#define MAX_RUNS 4
#define MAX_MODULES 512
#define COUNTER_POINTS 300

struct side {
	struct db_run run;
	int has_etw, has_counters;
	struct db_etw_run etw;
	double seconds; /* the run's length, for per-second figures */
};

/* One module (by file name) across the compared runs. */
struct mod {
	char name[128];
	struct db_dpc_stats s[MAX_RUNS];
	int present[MAX_RUNS];
};

struct names {
	int32_t n;
	char (*name)[128]; /* by module id */
};

static int name_cb(void *ud, const struct db_etw_module *m)
{
	struct names *nm = ud;
	if (m->id < 0 || m->id >= nm->n)
		return 0;
	snprintf(nm->name[m->id], sizeof nm->name[m->id], "%s", m->name ? m->name : "?");
	return 0;
}

static cJSON *num(double v)
{
	return api_json_number(v);
}

/* count, rate, total, average, p99 (estimate), max, above-guideline figures. */
static cJSON *stats_json(const struct db_dpc_stats *s, double seconds)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "count", num((double)s->count));
	cJSON_AddItemToObject(o, "per_second", num(seconds > 0 ? (double)s->count / seconds : NAN));
	cJSON_AddItemToObject(o, "total_ms", num((double)s->total_ns / 1e6));
	cJSON_AddItemToObject(o, "avg_us", num(s->count ? (double)s->total_ns / (double)s->count / 1e3 : NAN));
	cJSON_AddItemToObject(o, "p99_us", num(s->count ? (double)db_dpc_quantile_ns(s->buckets, s->max_ns, 0.99) / 1e3 : NAN));
	cJSON_AddItemToObject(o, "max_us", num((double)s->max_ns / 1e3));
	cJSON_AddItemToObject(o, "above_count", num((double)s->above_count));
	cJSON_AddItemToObject(o, "above_ms", num((double)s->above_total_ns / 1e6));
	cJSON_AddItemToObject(o, "above_share", num(s->count ? (double)s->above_count / (double)s->count : NAN));
	return o;
}

/* {abs, rel} change of b against the baseline a (rel null when a is 0). */
static cJSON *delta(double a, double b)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "abs", num(b - a));
	cJSON_AddItemToObject(o, "rel", num(a != 0 && isfinite(a) ? (b - a) / a : NAN));
	return o;
}

/* Worse, better or the same, by what a user feels: time above the guideline, total
 * DPC/ISR time (both per second when the runs differ in length) and, above the guideline,
 * the length of each call — so fewer but longer DPCs are worse even when the count fell.
 * A move of 5 % or less is no move. Any worse figure makes the change worse; better needs a
 * better figure and no worse one. The figures that decided are added to `by`. */
struct judged {
	double above, total, avg; /* per run: above-guideline time, total time, average */
};

static const char *judge_change(const struct judged *a, const struct judged *b, double guide_us,
				cJSON *by)
{
	const double tol = 0.05;
	const struct {
		const char *name;
		double x, y;
		int counts; /* average: only when either side is above the guideline */
	} f[] = {
		{"time_above_guideline", a->above, b->above, 1},
		{"total_time", a->total, b->total, 1},
		{"average_above_guideline", a->avg, b->avg, a->avg > guide_us || b->avg > guide_us},
	};
	int worse = 0, better = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
			if (!f[i].counts || !isfinite(f[i].x) || !isfinite(f[i].y))
				continue;
			int w = f[i].y > f[i].x * (1 + tol) && f[i].y > 0;
			int bt = f[i].y < f[i].x * (1 - tol);
			if (pass == 0) {
				worse |= w;
				better |= bt;
			} else if (worse ? w : bt) {
				cJSON_AddItemToArray(by, cJSON_CreateString(f[i].name));
			}
		}
	return worse ? "worse" : better ? "better" : "same";
}

static void side_clear(struct side *s)
{
	db_run_clear(&s->run);
}

/* Modules of one run, by name, for the chosen kinds; adds into mods. */
static int collect_modules(sqlite3 *db, const struct side *sd, int k, uint32_t kinds,
			   struct mod *mods, size_t *nmods, char *err, size_t errlen)
{
	struct db_etw_filter f = {.run_id = sd->run.id, .from_ns = INT64_MIN, .to_ns = INT64_MAX,
				  .kind_mask = kinds};
	struct db_dpc_modules m;
	struct names nm = {(int32_t)sd->etw.n_modules + 1, NULL};
	nm.name = calloc((size_t)nm.n, sizeof *nm.name);
	if (!nm.name) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (db_etw_modules(db, sd->run.id, name_cb, &nm, err, errlen) < 0 ||
	    db_dpc_modules(db, &f, &m, err, errlen) < 0) {
		free(nm.name);
		return -1;
	}
	for (size_t i = 0; i < m.n; i++) {
		const struct db_dpc_module_row *r = &m.rows[i];
		const char *name = r->module_id >= 0 && r->module_id < nm.n && nm.name[r->module_id][0]
					   ? nm.name[r->module_id]
					   : "(unresolved address)";
		size_t j;
		for (j = 0; j < *nmods; j++)
			if (strcasecmp(mods[j].name, name) == 0)
				break;
		if (j == *nmods) {
			if (*nmods == MAX_MODULES)
				continue;
			memset(&mods[j], 0, sizeof mods[j]);
			snprintf(mods[j].name, sizeof mods[j].name, "%s", name);
			(*nmods)++;
		}
		db_dpc_stats_add(&mods[j].s[k], &r->s);
		mods[j].present[k] = 1;
	}
	db_dpc_modules_clear(&m);
	free(nm.name);
	return 0;
}

/* Per-CPU DPC and ISR busy time over the whole run. */
static cJSON *cpu_json(sqlite3 *db, const struct side *sd, char *err, size_t errlen)
{
	struct db_etw_filter f = {.run_id = sd->run.id, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	struct db_dpc_timeline t;
	if (db_dpc_timeline(db, &f, 1, &t, err, errlen) != 0)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON *dpc = cJSON_AddArrayToObject(o, "dpc_ms");
	cJSON *isr = cJSON_AddArrayToObject(o, "isr_ms");
	cJSON *share = cJSON_AddArrayToObject(o, "busy_share");
	for (uint32_t c = 0; c < t.ncpus; c++) {
		double d = t.cpu_dpc_ns[c], i = t.cpu_isr_ns[c];
		cJSON_AddItemToArray(dpc, num(d / 1e6));
		cJSON_AddItemToArray(isr, num(i / 1e6));
		cJSON_AddItemToArray(share, num(sd->seconds > 0 ? (d + i) / 1e9 / sd->seconds : NAN));
	}
	db_dpc_timeline_clear(&t);
	return o;
}

/* Processor counters that exist per CPU in a perfmon run, averaged over its CPUs, on time
 * since the run's start. */
struct avg_pick {
	const char *counter;
	uint32_t idx[256];
	int cpu[256];
	size_t n;
};

static int pick_cb(void *ud, const struct db_counter *c)
{
	struct avg_pick *p = ud;
	if (c->cpu >= 0 && strcasecmp(c->counter, p->counter) == 0 && p->n < 256) {
		p->cpu[p->n] = c->cpu;
		p->idx[p->n++] = c->idx;
	}
	return 0;
}

/* Mean over CPUs at each time, the highest CPU at each time, each CPU's highest value and
 * the CPUs whose highest value passes threshold (0: none): four pegged CPUs among 24 show
 * in max and cpus_above, not only as a small rise of the mean. */
static cJSON *counter_json(sqlite3 *db, const struct side *sd, const char *counter,
			   double threshold, char *err, size_t errlen)
{
	struct avg_pick p = {.counter = counter};
	struct db_series s;
	if (db_counters(db, sd->run.id, pick_cb, &p) != 0 || p.n == 0)
		return NULL;
	struct db_series_query q = {sd->run.id, p.idx, p.n, INT64_MIN, INT64_MAX, COUNTER_POINTS};
	if (db_series_read(db, &q, &s, err, errlen) != 0)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON *t = cJSON_AddArrayToObject(o, "t_s");
	cJSON *v = cJSON_AddArrayToObject(o, "mean");
	cJSON *mx = cJSON_AddArrayToObject(o, "max");
	cJSON_AddNumberToObject(o, "cpus", (double)p.n);
	double cpu_max[256];
	for (size_t c = 0; c < p.n; c++)
		cpu_max[c] = NAN;
	for (size_t i = 0; i < s.n; i++) {
		double sum = 0, top = NAN;
		int k = 0;
		for (size_t c = 0; c < p.n; c++) {
			double x = s.mean[c * s.n + i];
			if (!isnan(x)) {
				sum += x;
				k++;
				top = isnan(top) || x > top ? x : top;
				cpu_max[c] = isnan(cpu_max[c]) || x > cpu_max[c] ? x : cpu_max[c];
			}
		}
		cJSON_AddItemToArray(t, num((double)(s.t[i] - s.t[0]) / 1e6));
		cJSON_AddItemToArray(v, num(k ? sum / k : NAN));
		cJSON_AddItemToArray(mx, num(top));
	}
	cJSON *pc = cJSON_AddArrayToObject(o, "per_cpu_max");
	cJSON *hot = cJSON_AddArrayToObject(o, "cpus_above");
	for (size_t c = 0; c < p.n; c++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "cpu", p.cpu[c]);
		cJSON_AddItemToObject(e, "max", num(cpu_max[c]));
		cJSON_AddItemToArray(pc, e);
		if (threshold > 0 && cpu_max[c] > threshold)
			cJSON_AddItemToArray(hot, cJSON_CreateNumber(p.cpu[c]));
	}
	if (threshold > 0)
		cJSON_AddNumberToObject(o, "threshold", threshold);
	db_series_clear(&s);
	return o;
}

/* Worth reporting as changed: another severity, or a figure behind it that moved by more
 * than 10 % (so "34.0 % → 33.9 %" is not news, "220 µs → 680 µs" is). */
static int finding_changed(const cJSON *a, const cJSON *b)
{
	const cJSON *sa = cJSON_GetObjectItemCaseSensitive(a, "severity");
	const cJSON *sb = cJSON_GetObjectItemCaseSensitive(b, "severity");
	if (cJSON_IsString(sa) && cJSON_IsString(sb) && strcmp(sa->valuestring, sb->valuestring) != 0)
		return 1;
	const cJSON *na = cJSON_GetObjectItemCaseSensitive(a, "numbers");
	const cJSON *nb = cJSON_GetObjectItemCaseSensitive(b, "numbers");
	const cJSON *x;
	cJSON_ArrayForEach(x, na)
	{
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(nb, x->string);
		if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y) || strcmp(x->string, "module_id") == 0)
			continue;
		double p = x->valuedouble, q = y->valuedouble;
		if (fabs(q - p) > 0.1 * fmax(fabs(p), fabs(q)))
			return 1;
	}
	return 0;
}

/* A finding's identity across runs: its rule and the module it is about. */
static void finding_key(const cJSON *f, char *key, size_t len)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(f, "numbers"), "module");
	snprintf(key, len, "%s|%s", cJSON_IsString(id) ? id->valuestring : "?",
		 cJSON_IsString(m) ? m->valuestring : "");
}

static const cJSON *find_finding(const cJSON *list, const char *key)
{
	const cJSON *f;
	char k[300];
	cJSON_ArrayForEach(f, list)
	{
		finding_key(f, k, sizeof k);
		if (strcmp(k, key) == 0)
			return f;
	}
	return NULL;
}

static cJSON *finding_brief(const cJSON *f)
{
	cJSON *o = cJSON_CreateObject();
	static const char *const keys[] = {"id", "severity", "sentence"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, keys[i]);
		if (v)
			cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, 1));
	}
	return o;
}

static int any_counter(void *ud, const struct db_counter *c)
{
	(void)c;
	*(int *)ud = 1;
	return 1;
}

/* Could run sd have made finding f at all? Perfmon rules need counters, DPC/ISR rules need
 * DPC/ISR records, the other ETW rules an ETW trace. When not, a finding absent there is
 * "not measured", not gone. */
static int can_judge(const struct side *sd, const cJSON *f)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
	const char *s = cJSON_IsString(id) ? id->valuestring : "";
	if (strncmp(s, "perfmon-", 8) == 0)
		return sd->has_counters;
	if (strncmp(s, "dpc-", 4) == 0 || strncmp(s, "isr-", 4) == 0 ||
	    strncmp(s, "cpu-dpcisr", 10) == 0)
		return sd->has_etw && sd->etw.n_dpcisr > 0;
	return sd->has_etw;
}

/* Findings that appeared, disappeared or changed severity or wording in each later run,
 * against the baseline (the runs' stored findings; computed on first use); baseline
 * findings the later run could not have made are listed as not_measured. */
static cJSON *findings_diff(sqlite3 *db, const struct side *sd, int n)
{
	cJSON *docs[MAX_RUNS] = {0}, *res = cJSON_CreateObject();
	cJSON *out = cJSON_AddArrayToObject(res, "changes");
	for (int k = 0; k < n; k++) {
		struct api_request none = {.query = NULL};
		if (api_run_findings(db, sd[k].run.public_id, &none, &docs[k]) != 200) {
			cJSON_Delete(docs[k]);
			docs[k] = NULL;
		}
	}
	const cJSON *base = docs[0] ? cJSON_GetObjectItemCaseSensitive(docs[0], "findings") : NULL;
	for (int k = 1; k < n; k++) {
		const cJSON *cur = docs[k] ? cJSON_GetObjectItemCaseSensitive(docs[k], "findings") : NULL;
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "run", sd[k].run.public_id);
		if (docs[k])
			cJSON_AddItemToObject(d, "verdict", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(docs[k], "verdict"), 1));
		cJSON *app = cJSON_AddArrayToObject(d, "appeared");
		cJSON *gone = cJSON_AddArrayToObject(d, "disappeared");
		cJSON *chg = cJSON_AddArrayToObject(d, "changed");
		cJSON *unmeasured = cJSON_AddArrayToObject(d, "not_measured");
		const cJSON *f;
		char key[300];
		cJSON_ArrayForEach(f, cur)
		{
			finding_key(f, key, sizeof key);
			const cJSON *b = find_finding(base, key);
			if (!b) {
				cJSON_AddItemToArray(app, finding_brief(f));
				continue;
			}
			if (finding_changed(b, f)) {
				cJSON *c = cJSON_CreateObject();
				cJSON_AddItemToObject(c, "before", finding_brief(b));
				cJSON_AddItemToObject(c, "after", finding_brief(f));
				cJSON_AddItemToArray(chg, c);
			}
		}
		cJSON_ArrayForEach(f, base)
		{
			finding_key(f, key, sizeof key);
			if (!find_finding(cur, key))
				cJSON_AddItemToArray(can_judge(&sd[k], f) ? gone : unmeasured, finding_brief(f));
		}
		cJSON_AddItemToArray(out, d);
	}
	if (docs[0])
		cJSON_AddItemToObject(res, "baseline_verdict",
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(docs[0], "verdict"), 1));
	for (int k = 0; k < n; k++)
		cJSON_Delete(docs[k]);
	return res;
}

/* The ?runs= list: 2 to 4 comma-separated ids, no repeats. */
static int parse_runs(const struct api_request *rq, char ids[MAX_RUNS][DB_PUBLIC_ID_LEN + 1],
		      int *n, cJSON **out)
{
	char buf[256];
	*n = 0;
	if (api_param(rq, "runs", 0, buf, sizeof buf) != 1) {
		*out = api_error("name 2 to 4 runs: ?runs=ID,ID");
		return 400;
	}
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_RUNS) {
			*out = api_error("compare at most %d runs", MAX_RUNS);
			return 400;
		}
		if (!api_valid_run_id(tok)) {
			*out = api_error("no such run");
			return 404;
		}
		for (int i = 0; i < *n; i++)
			if (strcmp(ids[i], tok) == 0) {
				*out = api_error("a run is named twice");
				return 400;
			}
		snprintf(ids[(*n)++], DB_PUBLIC_ID_LEN + 1, "%s", tok);
	}
	if (*n < 2) {
		*out = api_error("name 2 to 4 runs: ?runs=ID,ID");
		return 400;
	}
	return 0;
}

int api_compare(sqlite3 *db, const struct api_request *rq, cJSON **out)
{
	char ids[MAX_RUNS][DB_PUBLIC_ID_LEN + 1], kind[16] = "dpc", err[256];
	struct side sd[MAX_RUNS];
	struct mod *mods = NULL;
	size_t nmods = 0;
	int n, st;
	cJSON *o = NULL;

	memset(sd, 0, sizeof sd);
	if ((st = parse_runs(rq, ids, &n, out)))
		return st;
	int kr = api_param(rq, "kind", 0, kind, sizeof kind);
	if (kr == 0)
		snprintf(kind, sizeof kind, "dpc");
	if (kr < 0 || (strcmp(kind, "dpc") != 0 && strcmp(kind, "isr") != 0)) {
		*out = api_error("'kind' is dpc or isr");
		return 400;
	}
	int is_dpc = strcmp(kind, "dpc") == 0;
	uint32_t kinds = is_dpc ? DB_KIND_DPCS : DB_KIND_ISRS;
	for (int k = 0; k < n; k++) {
		if ((st = api_find_run(db, ids[k], &sd[k].run, out)))
			goto done;
		int rc = db_etw_run_info(db, sd[k].run.id, &sd[k].etw, err, sizeof err);
		if (rc < 0) {
			*out = api_error("%s", err);
			st = 500;
			goto done;
		}
		sd[k].has_etw = rc == 0;
		if (db_counters(db, sd[k].run.id, any_counter, &sd[k].has_counters) != 0) {
			*out = api_error("cannot read counters");
			st = 500;
			goto done;
		}
		sd[k].seconds = (double)sd[k].run.duration_us / 1e6;
	}
	/* The baseline first; the others keep the order named. */
	char base[DB_PUBLIC_ID_LEN + 1] = "";
	const char *base_rule = "the run chosen as baseline";
	int bi = 0, br = api_param(rq, "base", 0, base, sizeof base);
	if (br == 1) {
		for (bi = 0; bi < n && strcmp(sd[bi].run.public_id, base) != 0; bi++)
			;
		if (bi == n) {
			*out = api_error("'base' must be one of the compared runs");
			st = 400;
			goto done;
		}
	} else if (br < 0) {
		*out = api_error("'base' must be one of the compared runs");
		st = 400;
		goto done;
	} else {
		base_rule = "the earliest trace start";
		for (int k = 1; k < n; k++)
			if (sd[k].run.has_start &&
			    (!sd[bi].run.has_start || sd[k].run.start_utc_us < sd[bi].run.start_utc_us))
				bi = k;
		int ties = 0;
		for (int k = 0; k < n; k++)
			ties += sd[k].run.has_start && sd[bi].run.has_start &&
				sd[k].run.start_utc_us == sd[bi].run.start_utc_us;
		if (!sd[bi].run.has_start)
			base_rule = "the first run named";
		else if (ties > 1)
			base_rule = "the first run named of those that start earliest";
	}
	struct side first = sd[bi];
	memmove(&sd[1], &sd[0], (size_t)bi * sizeof *sd);
	sd[0] = first;
	/* Per second when the runs' lengths differ by more than 5 %. */
	double shortest = INFINITY, longest = 0;
	for (int k = 0; k < n; k++) {
		shortest = fmin(shortest, sd[k].seconds);
		longest = fmax(longest, sd[k].seconds);
	}
	int per_second = shortest > 0 && longest / shortest > 1.05;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "baseline", sd[0].run.public_id);
	cJSON_AddStringToObject(o, "baseline_rule", base_rule);
	cJSON_AddItemToObject(o, "guideline_us", num(is_dpc ? DB_DPC_GUIDELINE_NS / 1e3 : DB_ISR_GUIDELINE_NS / 1e3));
	cJSON_AddBoolToObject(o, "per_second", per_second);
	cJSON_AddStringToObject(o, "normalisation",
				per_second ? "the runs differ in length, so counts are compared per second of trace"
					   : "the runs are the same length, so counts are compared as they are");
	cJSON *edges = cJSON_AddArrayToObject(o, "edges_us");
	for (int i = 0; i < DB_DPC_NEDGES; i++)
		cJSON_AddItemToArray(edges, num(db_dpc_bucket_edges_ns()[i] / 1e3));
	cJSON *runs = cJSON_AddArrayToObject(o, "runs");
	mods = calloc(MAX_MODULES, sizeof *mods);
	if (!mods) {
		*out = api_error("out of memory");
		st = 500;
		goto done;
	}
	struct db_dpc_stats total[MAX_RUNS];
	memset(total, 0, sizeof total);
	for (int k = 0; k < n; k++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "id", sd[k].run.public_id);
		cJSON_AddStringToObject(r, "name", sd[k].run.name);
		cJSON_AddStringToObject(r, "format", sd[k].run.format);
		cJSON_AddItemToObject(r, "duration_s", num(sd[k].seconds));
		if (sd[k].run.has_start)
			cJSON_AddItemToObject(r, "start", num((double)sd[k].run.start_utc_us / 1000.0));
		cJSON_AddBoolToObject(r, "has_dpcisr", sd[k].has_etw && sd[k].etw.n_dpcisr > 0);
		cJSON_AddBoolToObject(r, "baseline", k == 0);
		cJSON_AddItemToArray(runs, r);
		if (!sd[k].has_etw)
			continue;
		struct db_etw_filter f = {.run_id = sd[k].run.id, .from_ns = INT64_MIN,
					  .to_ns = INT64_MAX, .kind_mask = kinds};
		struct db_dpc_histogram h;
		if (db_dpc_histogram(db, &f, &h, err, sizeof err) < 0 ||
		    collect_modules(db, &sd[k], k, kinds, mods, &nmods, err, sizeof err) < 0) {
			*out = api_error("%s", err);
			st = 500;
			goto done;
		}
		for (int j = 0; j < SINK_DPCISR_KINDS; j++)
			if (kinds & (1u << j))
				db_dpc_stats_add(&total[k], &h.kind[j]);
		cJSON *hist = stats_json(&total[k], sd[k].seconds);
		cJSON *b = cJSON_AddArrayToObject(hist, "buckets");
		for (int i = 0; i < DB_DPC_NBUCKETS; i++)
			cJSON_AddItemToArray(b, num(per_second ? (double)total[k].buckets[i] / sd[k].seconds
							       : (double)total[k].buckets[i]));
		cJSON_AddItemToObject(r, "histogram", hist);
		cJSON *cpus = cpu_json(db, &sd[k], err, sizeof err);
		if (cpus)
			cJSON_AddItemToObject(r, "cpus", cpus);
	}
	/* Module deltas against the first run, largest total time first. */
	for (size_t i = 1; i < nmods; i++)
		for (size_t j = i; j > 0; j--) {
			uint64_t a = 0, b = 0;
			for (int k = 0; k < n; k++) {
				a = a > mods[j - 1].s[k].total_ns ? a : mods[j - 1].s[k].total_ns;
				b = b > mods[j].s[k].total_ns ? b : mods[j].s[k].total_ns;
			}
			if (a >= b)
				break;
			struct mod t = mods[j];
			mods[j] = mods[j - 1];
			mods[j - 1] = t;
		}
	/* A run without DPC/ISR records did not measure any module: null, "not measured". A
	 * module absent from a run that did measure had no DPCs/ISRs there: zeros. */
	int measured[MAX_RUNS];
	for (int k = 0; k < n; k++)
		measured[k] = sd[k].has_etw && sd[k].etw.n_dpcisr > 0;
	cJSON *mt = cJSON_AddArrayToObject(o, "modules");
	for (size_t i = 0; i < nmods; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "module", mods[i].name);
		cJSON *per = cJSON_AddArrayToObject(m, "runs");
		cJSON *dl = cJSON_AddArrayToObject(m, "delta");
		const struct db_dpc_stats *a = &mods[i].s[0];
		for (int k = 0; k < n; k++) {
			const struct db_dpc_stats *b = &mods[i].s[k];
			cJSON_AddItemToArray(per, measured[k] ? stats_json(b, sd[k].seconds) : cJSON_CreateNull());
			if (k == 0)
				continue;
			if (!measured[0] || !measured[k]) {
				cJSON_AddItemToArray(dl, cJSON_CreateNull());
				continue;
			}
			cJSON *d = cJSON_CreateObject();
			double na = per_second ? sd[0].seconds : 1, nb = per_second ? sd[k].seconds : 1;
			cJSON_AddItemToObject(d, per_second ? "per_second" : "count",
					      delta((double)a->count / na, (double)b->count / nb));
			cJSON_AddItemToObject(d, "avg_us", delta(a->count ? (double)a->total_ns / (double)a->count / 1e3 : 0,
								 b->count ? (double)b->total_ns / (double)b->count / 1e3 : 0));
			cJSON_AddItemToObject(d, "p99_us", delta((double)db_dpc_quantile_ns(a->buckets, a->max_ns, 0.99) / 1e3,
								 (double)db_dpc_quantile_ns(b->buckets, b->max_ns, 0.99) / 1e3));
			double ta = (double)a->total_ns / 1e6 / na, tb = (double)b->total_ns / 1e6 / nb;
			double aa = (double)a->above_total_ns / 1e6 / na, ab = (double)b->above_total_ns / 1e6 / nb;
			cJSON_AddItemToObject(d, per_second ? "total_ms_per_second" : "total_ms", delta(ta, tb));
			cJSON_AddItemToObject(d, per_second ? "above_ms_per_second" : "above_ms", delta(aa, ab));
			/* Share of one CPU-second spent above the guideline, per second of trace. */
			cJSON_AddItemToObject(d, "above_share_of_time",
					      delta(sd[0].seconds > 0 ? (double)a->above_total_ns / 1e9 / sd[0].seconds : NAN,
						    sd[k].seconds > 0 ? (double)b->above_total_ns / 1e9 / sd[k].seconds : NAN));
			struct judged ja = {aa, ta, a->count ? (double)a->total_ns / (double)a->count / 1e3 : NAN};
			struct judged jb = {ab, tb, b->count ? (double)b->total_ns / (double)b->count / 1e3 : NAN};
			cJSON *by = cJSON_CreateArray();
			cJSON_AddStringToObject(d, "judgement",
						judge_change(&ja, &jb, is_dpc ? DB_DPC_GUIDELINE_NS / 1e3
									     : DB_ISR_GUIDELINE_NS / 1e3, by));
			cJSON_AddItemToObject(d, "judged_by", by);
			cJSON_AddItemToArray(dl, d);
		}
		cJSON_AddItemToArray(mt, m);
	}
	cJSON_AddItemToObject(o, "findings", findings_diff(db, sd, n));
	int64_t rids[MAX_RUNS];
	for (int k = 0; k < n; k++)
		rids[k] = sd[k].run.id;
	cJSON *sys = api_compare_syscalls(db, rids, n, err, sizeof err);
	if (!sys) { /* o is freed at done */
		*out = api_error("%s", err);
		st = 500;
		goto done;
	}
	cJSON_AddItemToObject(o, "syscalls", sys);
	cJSON *dio = api_compare_diskio(db, rids, n, err, sizeof err);
	if (!dio) {
		*out = api_error("%s", err);
		st = 500;
		goto done;
	}
	cJSON_AddItemToObject(o, "diskio", dio);
	cJSON *flt = api_compare_minifilter(db, rids, n, err, sizeof err);
	if (!flt) {
		*out = api_error("%s", err);
		st = 500;
		goto done;
	}
	cJSON_AddItemToObject(o, "minifilter", flt);
	/* Perfmon: processor counters averaged over CPUs, on time since start. */
	static const char *const cnames[] = {"% Processor Time", "% DPC Time", "% Interrupt Time",
					     "% Privileged Time", "DPCs Queued/sec", "Interrupts/sec"};
	/* A CPU is hot above PAL's warning (findings/find_rules_perfmon.c) or, for processor
	 * time, above 90 %; rates have no threshold. */
	static const double cthresh[] = {90, 10, 10, 20, 0, 0};
	cJSON *counters = cJSON_AddArrayToObject(o, "counters");
	for (size_t c = 0; c < sizeof cnames / sizeof *cnames; c++) {
		cJSON *co = cJSON_CreateObject();
		cJSON *per = cJSON_AddArrayToObject(co, "runs");
		int any = 0;
		for (int k = 0; k < n; k++) {
			cJSON *s = counter_json(db, &sd[k], cnames[c], cthresh[c], err, sizeof err);
			any |= s != NULL;
			cJSON_AddItemToArray(per, s ? s : cJSON_CreateNull());
		}
		if (!any) {
			cJSON_Delete(co);
			continue;
		}
		cJSON_AddStringToObject(co, "counter", cnames[c]);
		cJSON_AddItemToArray(counters, co);
	}
	st = 200;
	*out = o;
	o = NULL;
done:
	cJSON_Delete(o);
	free(mods);
	for (int k = 0; k < n; k++)
		side_clear(&sd[k]); /* zeroed sides clear safely */
	return st;
}
