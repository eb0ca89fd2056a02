/* find_rules_perfmon.c — PAL-style thresholds over a perfmon run, on each instance's mean
 * over the whole log: \Processor(*)\% DPC Time > 10 % warning / > 50 % critical (the ETW
 * rules' saturation limit, so one scale serves both), % Interrupt Time > 10 % / > 20 %,
 * % Privileged Time > 20 % / > 30 %, and \System\Processor Queue Length > 10 per CPU
 * (warning); a CPU whose DPC + interrupt time passes 50 % in any stretch of the log is
 * critical, as in an ETW trace. Processor Information instances count when the log has no
 * Processor object. Counters the log did not record are named as not recorded, with the
 * logman line that records them — never judged normal. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "db.h"
#include "find.h"

#define PM_MAX 4096

struct pm_counter {
	uint32_t idx;
	int cpu;          /* -1: _Total or single instance */
	int rule;         /* index in rules[], -1 queue */
	int proc_info;    /* object is Processor Information */
	double bound;     /* no window's mean of it exceeds this (-INFINITY: no value) */
	double mag;       /* its largest magnitude (0: no value) */
};

struct pm_scan {
	struct pm_counter v[PM_MAX];
	size_t n;
	int has_processor;
	int ncpus;
	int per_cpu[3], total[3]; /* by rule: recorded per CPU / as _Total */
	int has_queue;
};

static const struct {
	const char *counter, *id, *what;
	double warn, crit; /* crit 0 = none */
} rules[] = {
	{"% DPC Time", "perfmon-dpc-time", "time in DPCs", 10, -1 /* lim->cpu_busy_share */},
	{"% Interrupt Time", "perfmon-interrupt-time", "time in interrupts (ISRs)", 10, 20},
	{"% Privileged Time", "perfmon-privileged-time", "privileged (kernel) time", 20, 30},
};
#define NRULES (sizeof rules / sizeof *rules)

static int scan(void *ud, const struct db_counter *c)
{
	struct pm_scan *s = ud;
	int proc = strcasecmp(c->object, "Processor") == 0;
	int info = strcasecmp(c->object, "Processor Information") == 0;
	if (s->n == PM_MAX)
		return 0;
	if (c->cpu + 1 > s->ncpus)
		s->ncpus = c->cpu + 1;
	if (strcasecmp(c->object, "System") == 0 &&
	    strcasecmp(c->counter, "Processor Queue Length") == 0) {
		s->v[s->n++] = (struct pm_counter){c->idx, -1, -1, 0, -INFINITY, 0};
		s->has_queue = 1;
		return 0;
	}
	if (!proc && !info)
		return 0;
	if (c->cpu < 0 && !(c->instance && strcasecmp(c->instance, "_Total") == 0))
		return 0;
	for (int r = 0; r < (int)NRULES; r++)
		if (strcasecmp(c->counter, rules[r].counter) == 0) {
			s->has_processor |= proc;
			s->v[s->n++] = (struct pm_counter){c->idx, c->cpu, r, info, -INFINITY, 0};
			if (c->cpu >= 0)
				s->per_cpu[r] = 1;
			else
				s->total[r] = 1;
		}
	return 0;
}

/* A counter's bound from the sink's chunk summaries: a mean of its values is at most its
 * highest value, plus what rounding can add to a sum of `count` terms (recursive summation:
 * under count · ε · the largest magnitude; four times that, to be safe). */
static int bound(void *ud, const struct db_counter_range *r)
{
	struct pm_scan *s = ud;
	size_t lo = 0, hi = s->n; /* s->v is in idx order (db_counters) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].idx < r->idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	double mag = fmax(fabs(r->vmin), fabs(r->vmax));
	for (; lo < s->n && s->v[lo].idx == r->idx; lo++) {
		s->v[lo].bound = r->vmax + 4 * DBL_EPSILON * (double)r->count * mag;
		s->v[lo].mag = mag;
	}
	return 0;
}

/* Can rule r fire at all: a counter of it whose bound is not below the warning level
 * (NaN bounds count as "can"). Otherwise judge() would emit nothing, so its read is
 * skipped. */
static int may_judge(const struct pm_scan *s, int r)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].rule == r && !(s->v[i].bound < rules[r].warn))
			return 1;
	return 0;
}

static cJSON *counter_link(const char *counter)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "counter", counter);
	return p;
}

/* The critical limit of rule r (0: none). */
static double crit_of(const struct find_ctx *c, int r)
{
	return rules[r].crit < 0 ? c->lim->cpu_busy_share * 100 : rules[r].crit;
}

static void judge(struct find_ctx *c, const struct pm_scan *s, const double *mean, int r)
{
	double critv = crit_of(c, r);
	struct db_cpu_set hot = {{0}};
	double worst = -1, total = NAN;
	int worst_cpu = -1, nhot = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct pm_counter *p = &s->v[i];
		if (p->rule != r || (p->proc_info && s->has_processor) || isnan(mean[i]))
			continue;
		if (p->cpu < 0) {
			total = mean[i];
			continue;
		}
		if (mean[i] > rules[r].warn) {
			db_cpu_set_add(&hot, (unsigned)p->cpu);
			nhot++;
		}
		if (mean[i] > worst) {
			worst = mean[i];
			worst_cpu = p->cpu;
		}
	}
	double peak = worst >= 0 ? worst : total;
	if (isnan(peak) || !(peak > rules[r].warn))
		return;
	enum find_severity sev =
		critv > 0 && peak > critv ? FIND_CRITICAL : FIND_WARNING;
	cJSON *n = cJSON_CreateObject();
	cJSON_AddStringToObject(n, "counter", rules[r].counter);
	cJSON_AddNumberToObject(n, "mean_pct", round(peak * 100) / 100);
	if (!isnan(total))
		cJSON_AddNumberToObject(n, "total_mean_pct", round(total * 100) / 100);
	cJSON_AddNumberToObject(n, "threshold_pct",
				sev == FIND_CRITICAL ? critv : rules[r].warn);
	cJSON *cpus = cJSON_AddArrayToObject(n, "cpus");
	for (unsigned k = 0; k < DB_MAX_CPUS; k++)
		if (db_cpu_set_has(&hot, k))
			cJSON_AddItemToArray(cpus, cJSON_CreateNumber(k));
	char list[400] = "", crit[48] = "";
	find_cpu_list(&hot, list, sizeof list);
	if (critv > 0)
		snprintf(crit, sizeof crit, "; above %.0f %% is critical", critv);
	if (worst_cpu >= 0 && nhot == 1)
		find_emit(c, rules[r].id, sev, peak, "counters", counter_link(rules[r].counter), n,
			  "CPU %d averaged %.1f %% %s over the log (PAL warns above %.0f %%%s): %s.",
			  worst_cpu, worst, rules[r].what, rules[r].warn, crit,
			  r == 2 ? "the kernel or drivers are busy; an ETW trace names the driver"
				 : "busy or poorly written drivers; an ETW trace with DPC/ISR tracing "
				   "names them");
	else if (worst_cpu >= 0)
		find_emit(c, rules[r].id, sev, peak, "counters", counter_link(rules[r].counter), n,
			  "CPU%s %s averaged more than %.0f %% %s over the log (highest: CPU %d at "
			  "%.1f %%; PAL warns above %.0f %%%s): %s.",
			  nhot > 1 ? "s" : "", list, rules[r].warn, rules[r].what, worst_cpu, worst,
			  rules[r].warn, crit,
			  r == 2 ? "the kernel or drivers are busy; an ETW trace names the driver"
				 : "busy or poorly written drivers; an ETW trace with DPC/ISR tracing "
				   "names them");
	else
		find_emit(c, rules[r].id, sev, peak, "counters", counter_link(rules[r].counter), n,
			  "The processors averaged %.1f %% %s over the log (PAL warns above %.0f %%%s).",
			  total, rules[r].what, rules[r].warn, crit);
}

static void queue(struct find_ctx *c, const struct pm_scan *s, const double *mean)
{
	int ncpus = s->ncpus;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->summary, "cpus");
	if (cJSON_IsNumber(v) && v->valueint > ncpus)
		ncpus = v->valueint;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].rule != -1 || isnan(mean[i]) || ncpus <= 0)
			continue;
		double per = mean[i] / ncpus;
		if (!(per > c->lim->pm_queue_per_cpu))
			continue;
		cJSON *n = cJSON_CreateObject();
		cJSON_AddNumberToObject(n, "mean", mean[i]);
		cJSON_AddNumberToObject(n, "cpus", ncpus);
		cJSON_AddNumberToObject(n, "per_cpu", per);
		find_emit(c, "perfmon-queue-length", FIND_WARNING, per,
			  "counters", counter_link("Processor Queue Length"), n,
			  "On average %.1f threads per CPU waited for a processor (queue %.1f on %d "
			  "CPUs; PAL flags more than %.0f per CPU): the CPUs are saturated.",
			  per, mean[i], ncpus, c->lim->pm_queue_per_cpu);
	}
}

/* Counters the log lacks: named as not recorded, with the logman line that records them.
 * Without DPC or interrupt time, driver load cannot be judged at all (a warning, as for an
 * ETW trace without DPC/ISR tracing); with them only as _Total, one pegged CPU is averaged
 * away among the others (a note). */
static void gaps(struct find_ctx *c, const struct pm_scan *s)
{
	static const char *const paths[] = {"\\Processor(*)\\% DPC Time",
					    "\\Processor(*)\\% Interrupt Time",
					    "\\Processor(*)\\% Privileged Time"};
	char missing[200] = "", total_only[200] = "";
	size_t nm = 0, nt = 0;
	cJSON *n = cJSON_CreateObject();
	cJSON *mis = cJSON_AddArrayToObject(n, "not_recorded");
	cJSON *tot = cJSON_AddArrayToObject(n, "total_only");
	for (int r = 0; r < (int)NRULES; r++) {
		if (!s->per_cpu[r] && !s->total[r]) {
			nm += (size_t)snprintf(missing + nm, sizeof missing - nm, "%s%s",
					       nm ? ", " : "", rules[r].counter);
			cJSON_AddItemToArray(mis, cJSON_CreateString(rules[r].counter));
		} else if (!s->per_cpu[r]) {
			nt += (size_t)snprintf(total_only + nt, sizeof total_only - nt, "%s%s",
					       nt ? ", " : "", rules[r].counter);
			cJSON_AddItemToArray(tot, cJSON_CreateString(rules[r].counter));
		}
	}
	if (!s->has_queue) {
		nm += (size_t)snprintf(missing + nm, sizeof missing - nm, "%sProcessor Queue Length",
				       nm ? ", " : "");
		cJSON_AddItemToArray(mis, cJSON_CreateString("Processor Queue Length"));
	}
	if (!nm && !nt) {
		cJSON_Delete(n);
		return;
	}
	int blind = !(s->per_cpu[0] || s->total[0]) || !(s->per_cpu[1] || s->total[1]);
	char how[600];
	snprintf(how, sizeof how,
		 "record them with: logman create counter etlscope -c \"%s\" \"%s\" \"%s\" "
		 "\"\\Processor(*)\\%% Processor Time\" \"\\System\\Processor Queue Length\" "
		 "-si 1 -f bin -o C:\\PerfLogs\\etlscope.blg, then logman start etlscope (or add "
		 "these counters to a Data Collector Set in Performance Monitor)",
		 paths[0], paths[1], paths[2]);
	if (nm && nt)
		find_emit(c, "perfmon-not-recorded", blind ? FIND_WARNING : FIND_INFO, 0, "summary",
			  NULL, n,
			  "This log did not record %s, and %s only for all CPUs together (_Total), "
			  "so %s cannot be judged from it (not recorded is not normal); %s.",
			  missing, total_only,
			  blind ? "DPC and interrupt load" : "load on single CPUs", how);
	else if (nm)
		find_emit(c, "perfmon-not-recorded", blind ? FIND_WARNING : FIND_INFO, 0, "summary",
			  NULL, n,
			  "This log did not record %s, so %s cannot be judged from it (not recorded "
			  "is not normal); %s.",
			  missing, blind ? "DPC and interrupt load" : "that part of the load", how);
	else
		find_emit(c, "perfmon-not-recorded", FIND_INFO, 0, "summary", NULL, n,
			  "This log recorded %s only for all CPUs together (_Total), so a few CPUs "
			  "pegged among many are averaged away; %s.",
			  total_only, how);
}

/* Any stretch of the log where one CPU's DPC + interrupt time passes the ETW rules'
 * saturation limit (50 %): critical, as cpu-dpcisr-saturated is for an ETW trace. Buckets
 * of at most SAT_POINTS over the log (ser: every counter of s, in its order); the mean of a
 * sum is the sum of the means. */
#define SAT_POINTS 600
struct sat_buf {
	size_t row[2 * DB_MAX_CPUS]; /* index in s->v */
	int cpu[2 * DB_MAX_CPUS];
	double sum[DB_MAX_CPUS], mag[DB_MAX_CPUS];
};

/* The per-CPU DPC and interrupt counters the rule adds up; returns how many. */
static size_t sat_pick(const struct pm_scan *s, struct sat_buf *b)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n && k < 2 * DB_MAX_CPUS; i++) {
		const struct pm_counter *p = &s->v[i];
		if ((p->rule == 0 || p->rule == 1) && p->cpu >= 0 && p->cpu < DB_MAX_CPUS &&
		    !(p->proc_info && s->has_processor)) {
			b->row[k] = i;
			b->cpu[k++] = p->cpu;
		}
	}
	return k;
}

/* Can any CPU's sum pass the limit: a bucket's mean of a counter is at most its bound (or
 * absent), and adding k of them rounds by under k · ε · their magnitudes. 1 can, 0 cannot,
 * -1 out of memory. */
static int may_saturate(struct find_ctx *c, const struct pm_scan *s)
{
	struct sat_buf *b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	size_t k = sat_pick(s, b);
	int can = 0;
	for (size_t j = 0; j < k && !can; j++) {
		double bd = s->v[b->row[j]].bound;
		can = isnan(bd);
		b->sum[b->cpu[j]] += fmax(bd, 0);
		b->mag[b->cpu[j]] += s->v[b->row[j]].mag;
	}
	for (size_t j = 0; j < k && !can; j++) {
		int u = b->cpu[j];
		can = !(b->sum[u] + 4 * DBL_EPSILON * (double)(k + 1) * b->mag[u] <
			c->lim->cpu_busy_share * 100);
	}
	free(b);
	return can;
}

/* ser: the counters of s at rows pos[i] (SIZE_MAX: not read; the picked ones all are). */
static int saturation(struct find_ctx *c, const struct pm_scan *s, const struct db_series *sr,
		      const size_t *pos)
{
	struct sat_buf *b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	size_t k = sat_pick(s, b);
	for (size_t j = 0; j < k; j++)
		b->row[j] = pos[b->row[j]];
	const struct db_series ser = *sr;
	const int *cpu = b->cpu;
	double *sum = b->sum;
	double limit = c->lim->cpu_busy_share * 100, worst = 0;
	size_t worst_i = 0;
	struct db_cpu_set hot = {{0}};
	int nhot = 0;
	for (size_t i = 0; i < ser.n; i++) {
		for (size_t j = 0; j < k; j++)
			sum[cpu[j]] = 0;
		for (size_t j = 0; j < k; j++) {
			double v = ser.mean[b->row[j] * ser.n + i];
			if (!isnan(v))
				sum[cpu[j]] += v;
		}
		for (size_t j = 0; j < k; j++) {
			double v = sum[cpu[j]];
			if (v > limit && !db_cpu_set_has(&hot, (unsigned)cpu[j])) {
				db_cpu_set_add(&hot, (unsigned)cpu[j]);
				nhot++;
			}
			if (v > worst) {
				worst = v;
				worst_i = i;
			}
		}
	}
	double step_s = ser.n > 1 ? (double)(ser.t[1] - ser.t[0]) / 1e6 : 0;
	int64_t from_us = ser.n ? ser.t[worst_i] : 0;
	free(b);
	if (!nhot)
		return 0;
	char list[400], pct[32], win[32];
	find_cpu_list(&hot, list, sizeof list);
	find_percent(worst, pct, sizeof pct);
	find_seconds(step_s, win, sizeof win);
	cJSON *n = cJSON_CreateObject();
	cJSON_AddItemToObject(n, "cpus", find_cpu_array(&hot));
	cJSON_AddNumberToObject(n, "max_pct", round(worst * 10) / 10);
	cJSON_AddNumberToObject(n, "window_s", step_s);
	cJSON_AddNumberToObject(n, "threshold_pct", limit);
	cJSON *p = counter_link("% DPC Time");
	if (step_s > 0) {
		cJSON_AddNumberToObject(p, "from", floor((double)from_us / 1000.0));
		cJSON_AddNumberToObject(p, "to", ceil((double)from_us / 1000.0 + step_s * 1000.0));
	}
	find_emit(c, "perfmon-cpu-dpcisr-saturated", FIND_CRITICAL, 1e9 * worst / 100, "counters",
		  p, n,
		  "DPCs and interrupts took more than %.0f %% of CPU%s %s (up to %s over %s of the "
		  "log): threads scheduled there starve, which looks like a freeze; an ETW trace "
		  "with DPC/ISR tracing names the driver.",
		  limit, nhot > 1 ? "s" : "", list, pct, step_s > 0 ? win : "a sample");
	return 0;
}

int find_rules_perfmon(struct find_ctx *c)
{
	struct pm_scan *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	int rc = db_counters(c->db, c->run_id, scan, s);
	if (rc == 0)
		gaps(c, s);
	if (rc != 0 || s->n == 0) {
		if (rc)
			snprintf(c->err, c->errlen, "cannot read counters: %s", sqlite3_errmsg(c->db));
		free(s);
		return rc ? -1 : 0;
	}
	/* One read serves both: each counter's mean over the whole log (summed in sample
	 * order) for the thresholds, and SAT_POINTS buckets for the saturation windows. Rules
	 * the sink's chunk maxima prove silent read nothing. */
	int judged[NRULES], sat = 0;
	size_t *pos = malloc(s->n * sizeof *pos);
	uint32_t *idx = malloc(s->n * sizeof *idx);
	double *mean = malloc(s->n * sizeof *mean);
	size_t nread = 0;
	if (!pos || !idx || !mean ||
	    db_counter_ranges(c->db, c->run_id, bound, s) != 0 || (sat = may_saturate(c, s)) < 0) {
		if (!pos || !idx || !mean)
			snprintf(c->err, c->errlen, "out of memory");
		else if (sat >= 0)
			snprintf(c->err, c->errlen, "cannot read counters: %s", sqlite3_errmsg(c->db));
		free(pos);
		free(idx);
		free(mean);
		free(s);
		return -1;
	}
	for (int r = 0; r < (int)NRULES; r++)
		judged[r] = may_judge(s, r);
	for (size_t i = 0; i < s->n; i++) {
		const struct pm_counter *p = &s->v[i];
		int need = p->rule < 0 || judged[p->rule] || (sat && p->rule <= 1);
		pos[i] = need ? nread : SIZE_MAX;
		if (need)
			idx[nread++] = p->idx;
	}
	struct db_series series = {0};
	struct db_series_query q = {.run_id = c->run_id, .counters = idx, .ncounters = nread,
				    .from_us = INT64_MIN, .to_us = INT64_MAX,
				    .points = sat ? SAT_POINTS : 1};
	int rc2 = nread ? db_series_read(c->db, &q, &series, c->err, c->errlen) : 0;
	if (rc2 == 0) {
		for (size_t i = 0; i < s->n; i++)
			mean[i] = pos[i] == SIZE_MAX ? NAN : series.whole[pos[i]];
		for (int r = 0; r < (int)NRULES; r++)
			if (judged[r])
				judge(c, s, mean, r);
		queue(c, s, mean);
		if (sat)
			rc2 = saturation(c, s, &series, pos);
	}
	db_series_clear(&series);
	free(pos);
	free(idx);
	free(mean);
	free(s);
	return rc2 == 0 ? 0 : -1;
}
