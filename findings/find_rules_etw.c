/* find_rules_etw.c — rules over an ETW run: DPC/ISR average or p99 above the guideline per
 * module, CPUs saturated by DPC+ISR time, security/filter drivers with a large inclusive CPU
 * share, code outside any loaded module, tracing gaps (DPC/ISR, stacks, sampling), lost
 * events and buffers, and a kernel session owned by another product. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "db_symbols.h"
#include "find.h"

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static cJSON *module_link(int32_t id)
{
	cJSON *p = cJSON_CreateObject();
	char buf[16];
	snprintf(buf, sizeof buf, "%d", id);
	cJSON_AddStringToObject(p, "module", buf);
	return p;
}

static int overlaps(const struct db_cpu_set *a, const struct db_cpu_set *b)
{
	for (size_t w = 0; w < DB_MAX_CPUS / 64; w++)
		if (a->w[w] & b->w[w])
			return 1;
	return 0;
}

/* Third-party NIC, teaming and network-filter drivers whose DPCs/ISRs run on the CPUs of
 * a Microsoft module's DPCs (other than skip, the module named as running inside them):
 * they share those CPUs, which says nothing about who makes the DPCs long, so they are
 * named as sharing only. Long form: a sentence; short form: a clause. */
static void share_hint(const struct find_ctx *c, const struct attr_row *row, int32_t skip,
		       char *buf, size_t len, int short_form)
{
	size_t n = 0, drivers = 0;
	buf[0] = '\0';
	if (!row->cls.microsoft)
		return;
	for (size_t i = 0; i < c->attr->n && n + 80 < len; i++) {
		const struct attr_row *o = &c->attr->rows[i];
		const char *cat = o->cls.category;
		if (o->module_id == skip || o->cls.microsoft ||
		    !(strcmp(cat, "nic") == 0 || strcmp(cat, "nic-teaming") == 0 ||
		      strcmp(cat, "network-filter") == 0))
			continue;
		if (!(o->dpc.count + o->isr.count) || (!overlaps(&o->dpc.cpus, &row->dpc.cpus) &&
						       !overlaps(&o->isr.cpus, &row->dpc.cpus)))
			continue;
		char d[300];
		find_driver_desc(o, d, sizeof d);
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", d);
		drivers++;
	}
	if (!n)
		return;
	char tmp[700];
	if (short_form)
		snprintf(tmp, sizeof tmp, "; %s only share%s those CPUs", buf,
			 drivers > 1 ? "" : "s");
	else
		snprintf(tmp, sizeof tmp, " Also running on those CPUs, sharing them only: %s.", buf);
	snprintf(buf, len, "%s", tmp);
}

static int module_time(struct find_ctx *c, const struct attr_row *row, int isr)
{
	const struct attr_time *t = isr ? &row->isr : &row->dpc;
	const struct find_limits *L = c->lim;
	double guide = isr ? L->isr_guideline_us : L->dpc_guideline_us;
	if (t->count < L->min_events)
		return 0;
	double avg = (double)t->total_ns / (double)t->count / 1000.0;
	double above = (double)t->above_count / (double)t->count;
	int by_avg = avg > guide, by_p99 = above > L->p99_share;
	if (!by_avg && !by_p99)
		return 0;
	char desc[400], cpus[300], hint[800] = "", inside[1000] = "", lead[1010] = ":";
	struct find_inside in = {.leaf = INT32_MIN};
	find_driver_desc(row, desc, sizeof desc);
	find_cpu_list(&t->cpus, cpus, sizeof cpus);
	if (row->cls.microsoft) {
		/* a Microsoft module's DPCs/ISRs may run a third party's code: the samples say */
		if (find_inside_load(c, row->module_id, isr, &in) != 0)
			return -1;
		find_inside_sentence(&in, row, isr, inside, sizeof inside);
		if (!isr)
			share_hint(c, row, in.third_party_leaf ? in.leaf : INT32_MIN, hint,
				   sizeof hint, 0);
	}
	const char *what = isr ? "ISRs" : "DPCs";
	/* samples inside: their sentence right after the average (so in the verdict's
	 * sentence); none: the note on how to record them goes last */
	if (in.samples) {
		snprintf(lead, sizeof lead, "; %s", inside);
		inside[0] = '\0';
	}
	/* the routine of the longest one, when the run's symbols name it (issue 14) */
	char fn[300], in_fn[320] = "";
	int named = db_sym_longest_routine(c->db, c->run_id, row->module_id, isr, fn, sizeof fn,
					   c->err, c->errlen);
	if (named < 0)
		return -1;
	if (named)
		snprintf(in_fn, sizeof in_fn, " in %s!%s", row->name, fn);
	char count[32], avg_s[32], max_s[32], guide_s[32], above_s[32];
	find_thousands(t->count, count, sizeof count);
	find_duration_us(avg, avg_s, sizeof avg_s);
	find_duration_us((double)t->max_ns / 1000.0, max_s, sizeof max_s);
	find_duration_us(guide, guide_s, sizeof guide_s);
	find_percent(above * 100, above_s, sizeof above_s);
	cJSON *n = cJSON_CreateObject();
	cJSON_AddNumberToObject(n, "module_id", row->module_id);
	cJSON_AddStringToObject(n, "module", row->name);
	cJSON_AddNumberToObject(n, "count", (double)t->count);
	cJSON_AddNumberToObject(n, "avg_us", round(avg * 10) / 10);
	cJSON_AddNumberToObject(n, "max_us", (double)t->max_ns / 1000.0);
	cJSON_AddNumberToObject(n, "above_guideline", (double)t->above_count);
	cJSON_AddNumberToObject(n, "above_share", above);
	cJSON_AddNumberToObject(n, "total_ms", (double)t->total_ns / 1e6);
	cJSON_AddNumberToObject(n, "guideline_us", guide);
	cJSON_AddItemToObject(n, "cpus", find_cpu_array(&t->cpus));
	if (named)
		cJSON_AddStringToObject(n, "longest_routine", in_fn + 4);
	if (row->cls.microsoft)
		find_inside_numbers(&in, n);
	double score = (double)t->total_ns / 1e6;
	char id[32];
	snprintf(id, sizeof id, "%s-%s", isr ? "isr" : "dpc", by_avg ? "average" : "p99");
	if (by_avg)
		find_emit(c, id, FIND_CRITICAL, score, "dpcisr", module_link(row->module_id), n,
			  "%s %s average %s, %.1f× Microsoft's %s guideline%s %s %s, "
			  "%s above it, the longest %s%s, on CPU%s %s.%s%s",
			  desc, what, avg_s, avg / guide, guide_s, lead, count, what,
			  above_s, max_s, in_fn, strchr(cpus, ' ') ? "s" : "", cpus, inside, hint);
	else
		find_emit(c, id, FIND_WARNING, score, "dpcisr", module_link(row->module_id), n,
			  "%s %s exceed Microsoft's %s guideline in %s of %s calls "
			  "(p99 above it; average %s, longest %s%s).%s%s%s",
			  desc, what, guide_s, above_s, count, avg_s, max_s, in_fn, in.samples ? " " : "",
			  in.samples ? lead + 2 : inside, hint);
	return 0;
}

/* The module with the most DPC+ISR time on a CPU set. */
static int top_module_on(struct find_ctx *c, const struct db_cpu_set *cpus, int32_t *id,
			 uint64_t *ns)
{
	struct db_etw_filter f = {.run_id = c->run_id, .from_ns = INT64_MIN, .to_ns = INT64_MAX,
				  .cpus = cpus};
	struct db_dpc_modules m = {0};
	if (db_dpc_modules(c->db, &f, &m, c->err, c->errlen) < 0)
		return -1;
	*ns = 0;
	*id = -2;
	for (size_t i = 0; i < m.n;) {
		size_t j = i;
		uint64_t sum = 0;
		for (; j < m.n && m.rows[j].module_id == m.rows[i].module_id; j++)
			sum += m.rows[j].s.total_ns;
		if (sum > *ns) {
			*ns = sum;
			*id = m.rows[i].module_id;
		}
		i = j;
	}
	db_dpc_modules_clear(&m);
	return 0;
}

static int cpu_saturation(struct find_ctx *c)
{
	const struct find_limits *L = c->lim;
	struct db_etw_filter f = {.run_id = c->run_id, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	struct db_dpc_timeline t = {0};
	double win_ns = L->cpu_window_s * 1e9;
	double buckets = floor((double)c->attr->window_ns / win_ns); /* windows >= 1 s */
	uint32_t n = buckets < 1 ? 1 : buckets > DB_TIMELINE_MAX ? DB_TIMELINE_MAX : (uint32_t)buckets;
	int rc = db_dpc_timeline(c->db, &f, n, &t, c->err, c->errlen);
	if (rc)
		return rc < 0 ? -1 : 0;
	struct db_cpu_set hot = {{0}};
	double worst = 0;
	uint32_t worst_i = 0, nhot = 0;
	for (uint32_t cpu = 0; cpu < t.ncpus; cpu++)
		for (uint32_t i = 0; i < t.n; i++) {
			double share = (t.cpu_dpc_ns[cpu * t.n + i] + t.cpu_isr_ns[cpu * t.n + i]) /
				       t.bucket_ns;
			if (share > L->cpu_busy_share && !db_cpu_set_has(&hot, cpu)) {
				db_cpu_set_add(&hot, cpu);
				nhot++;
			}
			if (share > worst) {
				worst = share;
				worst_i = i;
			}
		}
	double bucket_ns = t.bucket_ns;
	int64_t from_ns = t.from_ns;
	db_dpc_timeline_clear(&t);
	if (!nhot)
		return 0;
	int32_t top;
	uint64_t top_ns;
	if (top_module_on(c, &hot, &top, &top_ns) != 0)
		return -1;
	char cpus[400], desc[1200] = "unresolved code";
	find_cpu_list(&hot, cpus, sizeof cpus);
	const struct attr_row *row = attr_find(c->attr, top);
	char hint[800] = "";
	struct find_inside in = {.leaf = INT32_MIN};
	if (row) {
		find_driver_desc(row, desc, sizeof desc);
		if (row->cls.microsoft && find_inside_load(c, top, 0, &in) != 0)
			return -1;
		if (in.third_party_leaf && in.row) {
			/* name the driver doing the work first */
			char ms[400], leaf[400], share[32];
			find_driver_desc(row, ms, sizeof ms);
			find_driver_desc(in.row, leaf, sizeof leaf);
			find_percent(100.0 * (double)in.leaf_samples / (double)in.samples, share,
				     sizeof share);
			snprintf(desc, sizeof desc, "%s running inside %s DPCs (%s of the CPU "
				 "samples inside them)", leaf, ms, share);
		}
		share_hint(c, row, in.third_party_leaf ? in.leaf : INT32_MIN, hint, sizeof hint, 1);
	}
	cJSON *n_ = cJSON_CreateObject();
	cJSON_AddItemToObject(n_, "cpus", find_cpu_array(&hot));
	cJSON_AddNumberToObject(n_, "max_share", round(worst * 1000) / 1000);
	cJSON_AddNumberToObject(n_, "window_s", bucket_ns / 1e9);
	cJSON_AddNumberToObject(n_, "module_id", top);
	if (row)
		cJSON_AddStringToObject(n_, "module", row->name);
	if (in.third_party_leaf)
		find_inside_numbers(&in, n_);
	cJSON *p = cJSON_CreateObject();
	char buf[64], list[DB_MAX_CPUS * 5] = "";
	size_t k = 0;
	for (unsigned cpu = 0; cpu < DB_MAX_CPUS && k + 8 < sizeof list; cpu++)
		if (db_cpu_set_has(&hot, cpu))
			k += (size_t)snprintf(list + k, sizeof list - k, "%s%u", k ? "," : "", cpu);
	cJSON_AddStringToObject(p, "cpus", list);
	if (top >= 0) {
		snprintf(buf, sizeof buf, "%d", top);
		cJSON_AddStringToObject(p, "module", buf);
	}
	if (c->start_us) {
		double from_ms = (double)c->start_us / 1000.0 +
				 ((double)from_ns + worst_i * bucket_ns) / 1e6;
		cJSON_AddItemToObject(p, "from", cJSON_CreateNumber(floor(from_ms)));
		cJSON_AddItemToObject(p, "to", cJSON_CreateNumber(ceil(from_ms + bucket_ns / 1e6)));
	}
	char pct[32], win[32];
	find_percent(worst * 100, pct, sizeof pct);
	find_seconds(bucket_ns / 1e9, win, sizeof win);
	find_emit(c, "cpu-dpcisr-saturated", FIND_CRITICAL, 1e9 * worst, "dpcisr", p, n_,
		  "DPCs and ISRs took more than %.0f %% of CPU%s %s (up to %s of a %s window), "
		  "mostly in %s%s: threads scheduled there starve, which looks like a freeze.",
		  L->cpu_busy_share * 100, nhot > 1 ? "s" : "", cpus, pct, win, desc, hint);
	return 0;
}

int find_is_security(const struct attr_class *k)
{
	static const char *const cats[] = {"antivirus", "edr", "security-other",
					   "activity-monitor", "network-filter"};
	size_t n = k->ncand ? k->ncand : 1;
	for (size_t j = 0; j < n; j++) {
		const char *cat = k->ncand ? k->cand[j]->category : k->category;
		for (size_t i = 0; cat && i < sizeof cats / sizeof *cats; i++)
			if (strcmp(cat, cats[i]) == 0)
				return 1;
	}
	return 0;
}

static void security_inclusive(struct find_ctx *c)
{
	const struct attr_result *a = c->attr;
	uint64_t busy = attr_busy_samples(a); /* Idle is nobody's CPU time */
	if (!busy)
		return;
	for (size_t i = 0; i < a->n; i++) {
		const struct attr_row *row = &a->rows[i];
		double incl = (double)row->incl / (double)busy;
		double excl = (double)row->excl / (double)busy;
		if (!find_is_security(&row->cls) || incl <= c->lim->security_incl_warn)
			continue;
		char desc[400], extra[200] = "";
		find_driver_desc(row, desc, sizeof desc);
		if (incl > 2 * excl)
			snprintf(extra, sizeof extra,
				 ", so time that looks like Windows kernel time runs under its hooks");
		cJSON *n = cJSON_CreateObject();
		cJSON_AddNumberToObject(n, "module_id", row->module_id);
		cJSON_AddStringToObject(n, "module", row->name);
		cJSON_AddNumberToObject(n, "inclusive_samples", (double)row->incl);
		cJSON_AddNumberToObject(n, "exclusive_samples", (double)row->excl);
		cJSON_AddNumberToObject(n, "samples", (double)a->samples);
		cJSON_AddNumberToObject(n, "non_idle_samples", (double)busy);
		cJSON_AddNumberToObject(n, "inclusive_share", incl);
		cJSON_AddNumberToObject(n, "exclusive_share", excl);
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "dq", row->name);
		/* "but only" when the hooks carry more than the driver's own code */
		find_emit(c, "security-driver-cpu",
			  incl > c->lim->security_incl_crit ? FIND_CRITICAL : FIND_WARNING, incl * 100,
			  "drivers", p, n,
			  "%s is on the stack of %.1f %% of busy (non-idle) CPU samples and executes "
			  "%s%.1f %% itself%s.",
			  desc, incl * 100, incl > 2 * excl ? "only " : "", excl * 100, extra);
	}
}

/* Unresolved code. Kernel-space addresses outside every module (and unresolved DPC/ISR
 * routines, always kernel code) may be a hidden driver; user-space ones are user code
 * without an image (JIT-compiled or unpacked code), never a driver. Shares are of non-idle
 * samples: Idle is no one's CPU time. */
static void hidden_code(struct find_ctx *c)
{
	const struct attr_row *row = attr_find(c->attr, -1);
	const struct attr_result *a = c->attr;
	if (!row || !(row->dpc.count + row->isr.count + row->excl))
		return;
	uint64_t busy = attr_busy_samples(a);
	uint64_t kern = a->unknown_kernel < row->excl ? a->unknown_kernel : row->excl;
	uint64_t user = row->excl - kern;
	double dpc_share = a->dpc_ns + a->isr_ns
				   ? (double)(row->dpc.total_ns + row->isr.total_ns) /
					     (double)(a->dpc_ns + a->isr_ns)
				   : 0;
	double k_share = busy ? (double)kern / (double)busy : 0;
	double u_share = busy ? (double)user / (double)busy : 0;
	if (user) {
		cJSON *n = cJSON_CreateObject();
		cJSON_AddNumberToObject(n, "samples", (double)user);
		cJSON_AddNumberToObject(n, "non_idle_share", u_share);
		find_emit(c, "user-code-without-image", FIND_INFO, u_share, "drivers", NULL, n,
			  "%.1f %% of busy (non-idle) CPU samples ran in user-mode code without an "
			  "image (JIT-compiled or unpacked code); that is application code, not a "
			  "driver.", u_share * 100);
	}
	if (!(row->dpc.count + row->isr.count + kern))
		return;
	char count[32];
	find_thousands(row->dpc.count + row->isr.count, count, sizeof count);
	int warn = dpc_share > c->lim->hidden_dpc_share || k_share > c->lim->hidden_sample_share;
	cJSON *n = cJSON_CreateObject();
	cJSON_AddNumberToObject(n, "dpc_count", (double)row->dpc.count);
	cJSON_AddNumberToObject(n, "isr_count", (double)row->isr.count);
	cJSON_AddNumberToObject(n, "dpcisr_ms", (double)(row->dpc.total_ns + row->isr.total_ns) / 1e6);
	cJSON_AddNumberToObject(n, "dpcisr_share", dpc_share);
	cJSON_AddNumberToObject(n, "samples", (double)kern);
	cJSON_AddNumberToObject(n, "sample_share", k_share);
	find_emit(c, "code-outside-modules", warn ? FIND_WARNING : FIND_INFO,
		  dpc_share + k_share, row->dpc.count + row->isr.count ? "dpcisr" : "drivers",
		  row->dpc.count + row->isr.count ? module_link(-1) : NULL, n,
		  "Kernel code ran outside any module in the loaded-module list: %s DPCs/ISRs "
		  "(%.1f %% of DPC/ISR time) and %.1f %% of busy (non-idle) CPU samples at "
		  "kernel addresses. Either the trace lacks the image rundown or a driver hides "
		  "itself (unlinked or mapped manually).",
		  count, dpc_share * 100, k_share * 100);
}

static void tracing_gaps(struct find_ctx *c)
{
	const cJSON *s = c->summary;
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(s, "counts");
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "dpcisr_enabled")))
		find_emit(c, "dpcisr-not-traced", FIND_WARNING, 0, "summary", NULL, NULL,
			  "DPC and ISR tracing was not enabled, so this trace cannot show driver "
			  "latency; record with xperf -on PROC_THREAD+LOADER+DPC+INTERRUPT+PROFILE "
			  "-stackwalk Profile (or WPR -start GeneralProfile -start CPU); the dashboard's "
			  "Record a trace page (/record) has a profile that captures all of it.");
	if (!c->attr->samples)
		find_emit(c, "profile-not-traced", FIND_INFO, 0, "summary", NULL, NULL,
			  "CPU sampling (PROFILE) was not recorded, so exclusive and inclusive CPU "
			  "time per driver are unknown (not zero); record with xperf -on "
			  "PROC_THREAD+LOADER+DPC+INTERRUPT+PROFILE -stackwalk Profile (see /record).");
	else if (num(s, "stackwalk_events") == 0 && num(counts, "StackWalk") == 0)
		find_emit(c, "stacks-not-traced", FIND_WARNING, 0, "summary", NULL, NULL,
			  "CPU samples carry no stacks, so a filter or EDR driver that runs under "
			  "Windows kernel frames cannot be seen; add -stackwalk Profile.");
	double ev = num(s, "events_lost"), bl = num(s, "buffers_lost"),
	       fl = num(s, "buffers_flagged_lost");
	if (ev > 0 || bl > 0 || fl > 0) {
		cJSON *n = cJSON_CreateObject();
		cJSON_AddNumberToObject(n, "events_lost", ev);
		cJSON_AddNumberToObject(n, "buffers_lost", bl);
		cJSON_AddNumberToObject(n, "buffers_flagged_lost", fl);
		find_emit(c, "events-lost", FIND_WARNING, ev + bl, "summary", NULL, n,
			  "The trace lost %.0f events and %.0f buffers (%.0f buffers flagged), so "
			  "counts and totals are lower bounds; record with larger or more buffers "
			  "(xperf -BufferSize 1024 -MinBuffers 256).",
			  ev, bl, fl);
	}
}

/* Sessions of products known to take the kernel logger (the logger name is in the header). */
static void logger_owner(struct find_ctx *c)
{
	static const struct {
		const char *needle, *product;
	} owners[] = {
		{"procmon", "Sysinternals Process Monitor"},
		{"sysmon", "Sysinternals Sysmon"},
	};
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->summary, "logger_name");
	if (!cJSON_IsString(v))
		return;
	for (size_t i = 0; i < sizeof owners / sizeof *owners; i++) {
		char low[256];
		size_t k = 0;
		for (; v->valuestring[k] && k + 1 < sizeof low; k++)
			low[k] = (char)((v->valuestring[k] >= 'A' && v->valuestring[k] <= 'Z')
						? v->valuestring[k] + 32 : v->valuestring[k]);
		low[k] = '\0';
		if (!strstr(low, owners[i].needle))
			continue;
		cJSON *n = cJSON_CreateObject();
		cJSON_AddStringToObject(n, "logger_name", v->valuestring);
		cJSON_AddStringToObject(n, "product", owners[i].product);
		find_emit(c, "kernel-logger-owner", FIND_WARNING, 0, "summary", NULL, n,
			  "The kernel session was owned by %s (logger \"%s\"), not by xperf or WPR: "
			  "the kernel flags are that product's, so DPC/ISR and stack events may be "
			  "missing; stop it before tracing.",
			  owners[i].product, v->valuestring);
		return;
	}
}

int find_rules_etw(struct find_ctx *c)
{
	for (size_t i = 0; i < c->attr->n; i++)
		if (module_time(c, &c->attr->rows[i], 0) || module_time(c, &c->attr->rows[i], 1))
			return -1;
	if (cpu_saturation(c) != 0)
		return -1;
	security_inclusive(c);
	find_inside_flag_only(c);
	hidden_code(c);
	tracing_gaps(c);
	logger_owner(c);
	int rc = find_rules_sched(c);
	return rc ? rc : find_rules_stacks(c);
}
