/* find_rules_sched.c — findings from the syscall and scheduling aggregates of an ETW run
 * (db/db_sched.h tables, whole trace):
 * - syscall-security-hooks: a process's syscalls, with the CPU samples taken inside them
 *   passing through an antivirus/EDR/filter driver (knowledge-base category);
 * - syscall-third-party-target: syscalls whose SysCallAddress lies in a module that is not
 *   Microsoft's (system services are Windows' own code: a third-party target means a hook);
 * - thread-ready-behind-dpc: a thread readied by DPCs that then waited ready, not running,
 *   in a trace where DPCs and ISRs took more than the CPU-busy limit of some CPU (the
 *   cpu-dpcisr-saturated evidence). Runs with per-slice facts (find_ready_dpc.c) also say
 *   how much of that ready time DPCs/ISRs held the very CPU it then ran on, which CPUs,
 *   and over which slices (the finding's link selects that window and those CPUs); runs
 *   stored before the facts keep the tie by trace.
 * Thresholds: find_default_limits (find_core.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "find.h"
#include "find_ready_dpc.h"

#define UNKNOWN_PID 4294967295ll

static const char *proc_label(const unsigned char *name, int64_t pid, char *buf, size_t n)
{
	if (pid == UNKNOWN_PID)
		snprintf(buf, n, "an unknown process");
	else if (name && *name)
		snprintf(buf, n, "%s (pid %lld)", (const char *)name, (long long)pid);
	else
		snprintf(buf, n, "pid %lld", (long long)pid);
	return buf;
}

/* The security module with the most samples inside pid's syscalls, if its share of those
 * samples passes the limit: 1 with *row and *samples, 0 none, -1 error. */
static int security_module(struct find_ctx *c, int64_t pid, uint64_t inside,
			   const struct attr_row **row, uint64_t *samples)
{
	sqlite3_stmt *st;
	int rc;
	*row = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT module_id, samples FROM etw_syscall_modules"
				      " WHERE run_id = ? AND pid = ? ORDER BY samples DESC, module_id",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(c->err, c->errlen, "findings: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, c->run_id);
	sqlite3_bind_int64(st, 2, pid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct attr_row *r = attr_find(c->attr, sqlite3_column_int(st, 0));
		uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
		if (r && find_is_security(&r->cls) &&
		    (double)n > c->lim->syscall_security_share * (double)inside) {
			*row = r;
			*samples = n;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? *row != NULL : -1;
}

static int syscall_hooks(struct find_ctx *c)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(c->db, "SELECT pid, max(process), sum(count), sum(total_ns),"
				      " sum(samples) FROM etw_syscalls WHERE run_id = ? GROUP BY pid"
				      " ORDER BY sum(total_ns) DESC", -1, &st, NULL) != SQLITE_OK) {
		snprintf(c->err, c->errlen, "findings: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, c->run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(st, 0);
		uint64_t count = (uint64_t)sqlite3_column_int64(st, 2);
		uint64_t total = (uint64_t)sqlite3_column_int64(st, 3);
		uint64_t inside = (uint64_t)sqlite3_column_int64(st, 4);
		const struct attr_row *row;
		uint64_t hits = 0;
		if (count < c->lim->min_events || inside < c->lim->syscall_min_samples)
			continue;
		int got = security_module(c, pid, inside, &row, &hits);
		if (got < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		if (!got)
			continue;
		char proc[300], desc[400], avg[32], calls[32], pct[32];
		proc_label(sqlite3_column_text(st, 1), pid, proc, sizeof proc);
		find_driver_desc(row, desc, sizeof desc);
		double avg_us = (double)total / (double)count / 1e3;
		find_duration_us(avg_us, avg, sizeof avg);
		find_thousands(count, calls, sizeof calls);
		find_percent(100.0 * (double)hits / (double)inside, pct, sizeof pct);
		cJSON *n = cJSON_CreateObject();
		if (pid != UNKNOWN_PID)
			cJSON_AddNumberToObject(n, "pid", (double)pid);
		cJSON_AddNumberToObject(n, "count", (double)count);
		cJSON_AddNumberToObject(n, "avg_us", avg_us);
		cJSON_AddNumberToObject(n, "total_ms", (double)total / 1e6);
		cJSON_AddNumberToObject(n, "module_id", row->module_id);
		cJSON_AddStringToObject(n, "module", row->name);
		cJSON_AddNumberToObject(n, "samples", (double)inside);
		cJSON_AddNumberToObject(n, "module_samples", (double)hits);
		find_emit(c, "syscall-security-hooks", FIND_WARNING, (double)total, "sched", NULL, n,
			  "Syscalls from %s average %s (%s calls); %s of the CPU samples inside them "
			  "pass through %s: its hooks add to the cost of every system call.",
			  proc, avg, calls, pct, desc);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int third_party_targets(struct find_ctx *c)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(c->db, "SELECT s.module_id, s.address - m.base, sum(s.count),"
				      " sum(s.total_ns), count(DISTINCT s.pid) FROM etw_syscalls s"
				      " JOIN etw_modules m ON m.run_id = s.run_id AND m.id = s.module_id"
				      " WHERE s.run_id = ? GROUP BY s.module_id, s.address"
				      " ORDER BY sum(s.count) DESC", -1, &st, NULL) != SQLITE_OK) {
		snprintf(c->err, c->errlen, "findings: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, c->run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct attr_row *row = attr_find(c->attr, sqlite3_column_int(st, 0));
		if (!row || row->cls.microsoft)
			continue;
		uint64_t off = (uint64_t)sqlite3_column_int64(st, 1);
		uint64_t count = (uint64_t)sqlite3_column_int64(st, 2);
		uint64_t total = (uint64_t)sqlite3_column_int64(st, 3);
		int procs = sqlite3_column_int(st, 4);
		char desc[400], calls[32], avg[32];
		find_driver_desc(row, desc, sizeof desc);
		find_thousands(count, calls, sizeof calls);
		find_duration_us(count ? (double)total / (double)count / 1e3 : 0, avg, sizeof avg);
		cJSON *n = cJSON_CreateObject();
		char buf[300];
		snprintf(buf, sizeof buf, "%s+0x%llx", row->name, (unsigned long long)off);
		cJSON_AddNumberToObject(n, "module_id", row->module_id);
		cJSON_AddStringToObject(n, "module", row->name);
		cJSON_AddStringToObject(n, "syscall", buf);
		cJSON_AddNumberToObject(n, "count", (double)count);
		cJSON_AddNumberToObject(n, "avg_us", count ? (double)total / (double)count / 1e3 : 0);
		find_emit(c, "syscall-third-party-target", FIND_WARNING, (double)count, "sched", NULL, n,
			  "%s syscalls from %d process%s entered %s at +0x%llx, not Windows' own "
			  "kernel (average %s): a third-party driver sits where system services are "
			  "dispatched, i.e. it hooks them.",
			  calls, procs, procs == 1 ? "" : "es", desc, (unsigned long long)off, avg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Did DPCs + ISRs take more than the limit of some CPU? (the cpu-dpcisr-saturated finding
 * already emitted by find_rules_etw, which runs first) */
static const cJSON *saturation(const struct find_ctx *c)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, c->out) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
		if (cJSON_IsString(id) && strcmp(id->valuestring, "cpu-dpcisr-saturated") == 0)
			return f;
	}
	return NULL;
}

static int ready_behind_dpc(struct find_ctx *c)
{
	const cJSON *sat = saturation(c);
	if (!sat)
		return 0;
	const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(sat, "numbers"), "cpus");
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(c->db, "SELECT tid, pid, max(process), sum(count), sum(ready_ns)"
				      " FROM etw_sched_ready WHERE run_id = ? AND from_dpc = 1"
				      " GROUP BY tid, pid HAVING sum(ready_ns) >= ?"
				      " ORDER BY sum(ready_ns) DESC LIMIT 5", -1, &st, NULL) != SQLITE_OK) {
		snprintf(c->err, c->errlen, "findings: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, c->run_id);
	sqlite3_bind_int64(st, 2, (int64_t)(c->lim->ready_behind_dpc_ms * 1e6));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t tid = sqlite3_column_int64(st, 0), pid = sqlite3_column_int64(st, 1);
		uint64_t times = (uint64_t)sqlite3_column_int64(st, 3);
		uint64_t ready = (uint64_t)sqlite3_column_int64(st, 4);
		char proc[300], total[32], each[32], ntimes[32], list[400] = "";
		proc_label(sqlite3_column_text(st, 2), pid, proc, sizeof proc);
		find_seconds((double)ready / 1e9, total, sizeof total);
		find_duration_us((double)ready / (double)times / 1e3, each, sizeof each);
		find_thousands(times, ntimes, sizeof ntimes);
		size_t k = 0;
		const cJSON *v;
		cJSON_ArrayForEach(v, cpus)
			if (cJSON_IsNumber(v) && k + 16 < sizeof list)
				k += (size_t)snprintf(list + k, sizeof list - k, "%s%d", k ? ", " : "",
						      v->valueint);
		struct find_ready_dpc tie;
		if (find_ready_dpc_load(c, tid, pid, &tie)) {
			sqlite3_finalize(st);
			return -1;
		}
		cJSON *n = cJSON_CreateObject();
		cJSON_AddNumberToObject(n, "tid", (double)tid);
		if (pid != UNKNOWN_PID)
			cJSON_AddNumberToObject(n, "pid", (double)pid);
		cJSON_AddNumberToObject(n, "count", (double)times);
		cJSON_AddNumberToObject(n, "ready_ms", (double)ready / 1e6);
		if (cpus)
			cJSON_AddItemToObject(n, "cpus", cJSON_Duplicate(cpus, 1));
		cJSON *p = cJSON_CreateObject();
		char buf[24];
		snprintf(buf, sizeof buf, "%lld", (long long)tid);
		cJSON_AddStringToObject(p, "tid", buf);
		if (!tie.ns) { /* stored before the per-slice facts: the tie is by trace */
			find_emit(c, "thread-ready-behind-dpc", FIND_WARNING, (double)ready, "sched", p, n,
				  "Thread %lld of %s waited %s ready but not running after DPCs readied it "
				  "(%s times, %s each on average), in a trace where DPCs and ISRs took more "
				  "than %.0f %% of CPU%s %s.",
				  (long long)tid, proc, total, ntimes, each, c->lim->cpu_busy_share * 100,
				  cJSON_GetArraySize(cpus) > 1 ? "s" : "", list);
			continue;
		}
		char behind[32], pct[32], from[32], to[32], on[DB_MAX_CPUS * 5] = "";
		double from_s, to_s;
		find_ready_dpc_window(c, &tie, &from_s, &to_s);
		find_seconds((double)tie.ns / 1e9, behind, sizeof behind);
		find_percent(100.0 * (double)tie.ns / (double)ready, pct, sizeof pct);
		find_seconds(from_s, from, sizeof from);
		find_seconds(to_s, to, sizeof to);
		find_cpu_list(&tie.cpus, on, sizeof on);
		cJSON_AddNumberToObject(n, "behind_dpc_ms", (double)tie.ns / 1e6);
		cJSON *per = cJSON_AddArrayToObject(n, "behind_dpc_by_cpu");
		for (unsigned i = 0; i < tie.ncpus; i++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "cpu", tie.cpu[i]);
			cJSON_AddNumberToObject(e, "ms", (double)tie.cpu_ns[i] / 1e6);
			cJSON_AddItemToArray(per, e);
		}
		cJSON_AddNumberToObject(n, "from_s", from_s);
		cJSON_AddNumberToObject(n, "to_s", to_s);
		char cpu_param[DB_MAX_CPUS * 5] = "";
		size_t q = 0;
		for (unsigned cpu = 0; cpu < DB_MAX_CPUS && q + 8 < sizeof cpu_param; cpu++)
			if (db_cpu_set_has(&tie.cpus, cpu))
				q += (size_t)snprintf(cpu_param + q, sizeof cpu_param - q, "%s%u", q ? "," : "", cpu);
		cJSON_AddStringToObject(p, "cpus", cpu_param);
		if (c->start_us) {
			cJSON_AddItemToObject(p, "from", cJSON_CreateNumber(floor((double)c->start_us / 1000.0 + from_s * 1000)));
			cJSON_AddItemToObject(p, "to", cJSON_CreateNumber(ceil((double)c->start_us / 1000.0 + to_s * 1000)));
		}
		find_emit(c, "thread-ready-behind-dpc", FIND_WARNING, (double)ready, "sched", p, n,
			  "Thread %lld of %s waited %s ready but not running after DPCs readied it "
			  "(%s times, %s each on average); for %s of it (%s) DPCs and ISRs were running "
			  "on CPU%s %s, the CPU it then ran on, between %s and %s into the trace "
			  "(DPCs and ISRs took more than %.0f %% of CPU%s %s).",
			  (long long)tid, proc, total, ntimes, each, behind, pct,
			  tie.ncpus > 1 ? "s" : "", on, from, to, c->lim->cpu_busy_share * 100,
			  cJSON_GetArraySize(cpus) > 1 ? "s" : "", list);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int find_rules_sched(struct find_ctx *c)
{
	if (syscall_hooks(c) != 0 || third_party_targets(c) != 0 || ready_behind_dpc(c) != 0 ||
	    find_rules_minifilter(c) != 0)
		return -1;
	return 0;
}
