/* find_rules_perfmon.c — PAL-style thresholds over a perfmon run, on each instance's mean
 * over the whole log: \Processor(*)\% DPC Time > 10 % (warning), % Interrupt Time > 10 %
 * warning / > 20 % critical, % Privileged Time > 20 % / > 30 %, and
 * \System\Processor Queue Length > 10 per CPU (warning). Processor Information instances
 * count when the log has no Processor object. */
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
};

struct pm_scan {
	struct pm_counter v[PM_MAX];
	size_t n;
	int has_processor;
	int ncpus;
};

static const struct {
	const char *counter, *id, *what;
	double warn, crit; /* crit 0 = none */
} rules[] = {
	{"% DPC Time", "perfmon-dpc-time", "time in DPCs", 10, 0},
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
		s->v[s->n++] = (struct pm_counter){c->idx, -1, -1, 0};
		return 0;
	}
	if (!proc && !info)
		return 0;
	if (c->cpu < 0 && !(c->instance && strcasecmp(c->instance, "_Total") == 0))
		return 0;
	for (int r = 0; r < (int)NRULES; r++)
		if (strcasecmp(c->counter, rules[r].counter) == 0) {
			s->has_processor |= proc;
			s->v[s->n++] = (struct pm_counter){c->idx, c->cpu, r, info};
		}
	return 0;
}

static cJSON *counter_link(const char *counter)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "counter", counter);
	return p;
}

static void judge(struct find_ctx *c, const struct pm_scan *s, const double *mean, int r)
{
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
		rules[r].crit > 0 && peak > rules[r].crit ? FIND_CRITICAL : FIND_WARNING;
	cJSON *n = cJSON_CreateObject();
	cJSON_AddStringToObject(n, "counter", rules[r].counter);
	cJSON_AddNumberToObject(n, "mean_pct", round(peak * 100) / 100);
	if (!isnan(total))
		cJSON_AddNumberToObject(n, "total_mean_pct", round(total * 100) / 100);
	cJSON_AddNumberToObject(n, "threshold_pct",
				sev == FIND_CRITICAL ? rules[r].crit : rules[r].warn);
	cJSON *cpus = cJSON_AddArrayToObject(n, "cpus");
	for (unsigned k = 0; k < DB_MAX_CPUS; k++)
		if (db_cpu_set_has(&hot, k))
			cJSON_AddItemToArray(cpus, cJSON_CreateNumber(k));
	char list[400] = "", crit[48] = "";
	find_cpu_list(&hot, list, sizeof list);
	if (rules[r].crit > 0)
		snprintf(crit, sizeof crit, " and calls above %.0f %% critical", rules[r].crit);
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

int find_rules_perfmon(struct find_ctx *c)
{
	struct pm_scan *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	int rc = db_counters(c->db, c->run_id, scan, s);
	if (rc != 0 || s->n == 0) {
		if (rc)
			snprintf(c->err, c->errlen, "cannot read counters: %s", sqlite3_errmsg(c->db));
		free(s);
		return rc ? -1 : 0;
	}
	uint32_t *idx = malloc(s->n * sizeof *idx);
	struct db_series series = {0};
	struct db_series_query q = {.run_id = c->run_id, .counters = idx, .ncounters = s->n,
				    .from_us = INT64_MIN, .to_us = INT64_MAX, .points = 1};
	for (size_t i = 0; idx && i < s->n; i++)
		idx[i] = s->v[i].idx;
	if (!idx || db_series_read(c->db, &q, &series, c->err, c->errlen) != 0) {
		if (!idx)
			snprintf(c->err, c->errlen, "out of memory");
		free(idx);
		free(s);
		return -1;
	}
	double *mean = malloc(s->n * sizeof *mean);
	if (mean) {
		for (size_t i = 0; i < s->n; i++)
			mean[i] = series.n ? series.mean[i * series.n] : NAN;
		for (int r = 0; r < (int)NRULES; r++)
			judge(c, s, mean, r);
		queue(c, s, mean);
	}
	db_series_clear(&series);
	free(mean);
	free(idx);
	free(s);
	if (!mean)
		snprintf(c->err, c->errlen, "out of memory");
	return mean ? 0 : -1;
}
