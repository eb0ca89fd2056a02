/* db_sched_query.c — reads the scheduling and syscall aggregates of a run as JSON for
 * GET /api/runs/{id}/syscalls and /scheduling (docs/api.md). Numbers are exact integers
 * (ns, counts) except averages; unknown ids (stored as 4294967295) come out as null. */
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "db_sched.h"

#define UNKNOWN_ID 4294967295ll

/* KWAIT_REASON (phnt ntkeapi.h; WDK wdm.h for 0..37), by value. */
static const char *const wait_reasons[] = {
	"Executive", "FreePage", "PageIn", "PoolAllocation", "DelayExecution", "Suspended",
	"UserRequest", "WrExecutive", "WrFreePage", "WrPageIn", "WrPoolAllocation",
	"WrDelayExecution", "WrSuspended", "WrUserRequest", "WrEventPair", "WrQueue",
	"WrLpcReceive", "WrLpcReply", "WrVirtualMemory", "WrPageOut", "WrRendezvous",
	"WrKeyedEvent", "WrTerminated", "WrProcessInSwap", "WrCpuRateControl",
	"WrCalloutStack", "WrKernel", "WrResource", "WrPushLock", "WrMutex", "WrQuantumEnd",
	"WrDispatchInt", "WrPreempted", "WrYieldExecution", "WrFastMutex", "WrGuardedMutex",
	"WrRundown", "WrAlertByThreadId", "WrDeferredPreempt", "WrPhysicalFault", "WrIoRing",
	"WrMdlCache", "WrRcu",
};

static void add_id(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	int64_t v = sqlite3_column_int64(st, col);
	if (v == UNKNOWN_ID || v < 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, (double)v);
}

static void add_u64(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	cJSON_AddNumberToObject(o, key, (double)(uint64_t)sqlite3_column_int64(st, col));
}

static void add_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	cJSON_AddStringToObject(o, key, t ? (const char *)t : "");
}

/* Prepare sql, bind run id, pid filter (?2, NULL = any), tid filter (?3), limit (?4). */
static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, int64_t run_id,
			     const struct db_sched_filter *f, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read scheduling data: %s", sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_int64(st, 1, run_id);
	int n = sqlite3_bind_parameter_count(st);
	if (n >= 2 && f->has_pid)
		sqlite3_bind_int64(st, 2, f->pid);
	if (n >= 3 && f->has_tid)
		sqlite3_bind_int64(st, 3, f->tid);
	if (n >= 4)
		sqlite3_bind_int64(st, 4, f->limit ? f->limit : 1000);
	return st;
}

static int finish(sqlite3 *db, sqlite3_stmt *st, int rc, char *err, size_t errlen)
{
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "cannot read scheduling data: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Upper edge (ns) of the histogram bucket holding the q-quantile, capped at max. */
static uint64_t quantile_ns(const void *blob, int len, uint64_t count, uint64_t max, double q)
{
	const uint8_t *h = blob;
	uint64_t need = (uint64_t)((double)count * q + 0.999999), seen = 0;
	if (!need)
		need = 1;
	for (int b = 0; b < 40 && (b + 1) * 8 <= len; b++) {
		uint64_t c = 0;
		for (int k = 0; k < 8; k++)
			c |= (uint64_t)h[b * 8 + k] << (8 * k);
		seen += c;
		if (seen >= need) {
			uint64_t edge = b == 0 ? 0 : b < 39 ? (1ull << b) : max;
			return edge < max ? edge : max;
		}
	}
	return max;
}

/* One JSON object per row of sql (run id, filters and limit bound by prepare), built by
 * row(), appended to arr; extra is passed on. 0, or -1 with err set. */
typedef int (*row_fn)(sqlite3 *db, sqlite3_stmt *st, cJSON *r, const void *extra, char *err,
		      size_t errlen);

static int rows(sqlite3 *db, const char *sql, int64_t run_id, const struct db_sched_filter *f,
		cJSON *arr, row_fn row, const void *extra, char *err, size_t errlen)
{
	sqlite3_stmt *st = prepare(db, sql, run_id, f, err, errlen);
	int rc;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, r);
		if (row(db, st, r, extra, err, errlen)) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	return finish(db, st, rc, err, errlen);
}

static int syscall_row(sqlite3 *db, sqlite3_stmt *st, cJSON *r, const void *extra, char *err,
		       size_t errlen)
{
	char buf[40];
	(void)db, (void)extra, (void)err, (void)errlen;
	uint64_t addr = (uint64_t)sqlite3_column_int64(st, 2);
	uint64_t count = (uint64_t)sqlite3_column_int64(st, 6);
	uint64_t total = (uint64_t)sqlite3_column_int64(st, 7);
	uint64_t max = (uint64_t)sqlite3_column_int64(st, 8);
	add_id(r, "pid", st, 0);
	add_text(r, "process", st, 1);
	snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)addr);
	cJSON_AddStringToObject(r, "address", buf);
	if (sqlite3_column_type(st, 4) == SQLITE_NULL) {
		cJSON_AddNullToObject(r, "module_id");
		cJSON_AddNullToObject(r, "module");
		cJSON_AddNullToObject(r, "offset");
	} else {
		cJSON_AddNumberToObject(r, "module_id", sqlite3_column_int(st, 3));
		add_text(r, "module", st, 4);
		snprintf(buf, sizeof buf, "0x%llx",
			 (unsigned long long)(addr - (uint64_t)sqlite3_column_int64(st, 5)));
		cJSON_AddStringToObject(r, "offset", buf);
	}
	/* the service's name once the run's symbols have it (issue 14: etw_symbols) */
	if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
		char name[640];
		add_text(r, "function", st, 11);
		snprintf(name, sizeof name, "%s!%s+0x%llx", (const char *)sqlite3_column_text(st, 4),
			 (const char *)sqlite3_column_text(st, 11),
			 (unsigned long long)sqlite3_column_int64(st, 12));
		cJSON_AddStringToObject(r, "name", name);
	}
	cJSON_AddNumberToObject(r, "count", (double)count);
	cJSON_AddNumberToObject(r, "total_ns", (double)total);
	cJSON_AddNumberToObject(r, "avg_ns", count ? (double)total / (double)count : 0);
	cJSON_AddNumberToObject(r, "p99_ns", (double)quantile_ns(sqlite3_column_blob(st, 10),
		sqlite3_column_bytes(st, 10), count, max, 0.99));
	cJSON_AddNumberToObject(r, "max_ns", (double)max);
	add_u64(r, "samples", st, 9);
	return 0;
}

static int stack_module_row(sqlite3 *db, sqlite3_stmt *st, cJSON *r, const void *extra,
			    char *err, size_t errlen)
{
	(void)db, (void)extra, (void)err, (void)errlen;
	add_id(r, "pid", st, 0);
	add_text(r, "module", st, 1);
	cJSON_AddNumberToObject(r, "module_id", sqlite3_column_int(st, 2));
	add_u64(r, "samples", st, 3);
	add_text(r, "path", st, 4);
	return 0;
}

cJSON *db_sched_syscalls_json(sqlite3 *db, int64_t run_id, const struct db_sched_filter *f,
			      char *err, size_t errlen)
{
	cJSON *o = cJSON_CreateObject();
	if (rows(db, "SELECT s.pid, s.process, s.address, s.module_id, m.name, m.base, s.count,"
		 " s.total_ns, s.max_ns, s.samples, s.hist, y.name, y.offset FROM etw_syscalls s"
		 " LEFT JOIN etw_modules m ON m.run_id = s.run_id AND m.id = s.module_id"
		 " LEFT JOIN etw_symbols y ON y.run_id = s.run_id AND y.module_id = s.module_id"
		 "  AND y.rva = s.address - m.base"
		 " WHERE s.run_id = ?1 AND (?2 IS NULL OR s.pid = ?2)"
		 " ORDER BY s.total_ns DESC, s.pid, s.address LIMIT ?4", run_id, f,
		 cJSON_AddArrayToObject(o, "syscalls"), syscall_row, NULL, err, errlen) ||
	    rows(db, "SELECT s.pid, m.name, s.module_id, s.samples, m.path"
		 " FROM etw_syscall_modules s"
		 " JOIN etw_modules m ON m.run_id = s.run_id AND m.id = s.module_id"
		 " WHERE s.run_id = ?1 AND (?2 IS NULL OR s.pid = ?2)"
		 " ORDER BY s.samples DESC, s.pid, s.module_id LIMIT ?4", run_id, f,
		 cJSON_AddArrayToObject(o, "stack_modules"), stack_module_row, NULL, err, errlen)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int wait_row(sqlite3 *db, sqlite3_stmt *st, cJSON *r, const void *extra, char *err,
		    size_t errlen)
{
	(void)db, (void)extra, (void)err, (void)errlen;
	int reason = sqlite3_column_int(st, 0);
	cJSON_AddNumberToObject(r, "reason", reason);
	if (reason >= 0 && reason < (int)(sizeof wait_reasons / sizeof wait_reasons[0]))
		cJSON_AddStringToObject(r, "name", wait_reasons[reason]);
	else
		cJSON_AddNullToObject(r, "name");
	add_u64(r, "count", st, 1);
	add_u64(r, "wait_ns", st, 2);
	return 0;
}

static int thread_row(sqlite3 *db, sqlite3_stmt *st, cJSON *r, const void *extra, char *err,
		      size_t errlen)
{
	const int64_t *run_id = extra;
	struct db_sched_filter one = {.has_tid = 1, .tid = (uint32_t)sqlite3_column_int64(st, 0),
				      .limit = 5};
	add_id(r, "tid", st, 0);
	add_id(r, "pid", st, 1);
	add_text(r, "process", st, 2);
	add_u64(r, "running_ns", st, 3);
	add_u64(r, "ready_ns", st, 4);
	add_u64(r, "waiting_ns", st, 5);
	add_u64(r, "switches", st, 6);
	return rows(db, "SELECT reason, count, wait_ns FROM etw_sched_waits WHERE run_id = ?1"
		    " AND ?2 IS NULL AND tid = ?3 ORDER BY wait_ns DESC, count DESC, reason LIMIT ?4",
		    *run_id, &one, cJSON_AddArrayToObject(r, "wait_reasons"), wait_row, NULL, err,
		    errlen);
}

static int ready_row(sqlite3 *db, sqlite3_stmt *st, cJSON *r, const void *extra, char *err,
		     size_t errlen)
{
	(void)db, (void)extra, (void)err, (void)errlen;
	add_id(r, "tid", st, 0);
	add_id(r, "pid", st, 1);
	add_text(r, "process", st, 2);
	add_id(r, "by_tid", st, 3);
	add_id(r, "by_pid", st, 4);
	add_text(r, "by_process", st, 5);
	cJSON_AddBoolToObject(r, "from_dpc", sqlite3_column_int(st, 6) != 0);
	add_u64(r, "count", st, 7);
	add_u64(r, "ready_ns", st, 8);
	return 0;
}

cJSON *db_sched_threads_json(sqlite3 *db, int64_t run_id, const struct db_sched_filter *f,
			     char *err, size_t errlen)
{
	cJSON *o = cJSON_CreateObject();
	if (rows(db, "SELECT tid, pid, process, running_ns, ready_ns, waiting_ns, switches"
		 " FROM etw_sched_threads WHERE run_id = ?1 AND (?2 IS NULL OR pid = ?2)"
		 " AND (?3 IS NULL OR tid = ?3)"
		 " ORDER BY ready_ns DESC, running_ns DESC, tid LIMIT ?4", run_id, f,
		 cJSON_AddArrayToObject(o, "threads"), thread_row, &run_id, err, errlen) ||
	    rows(db, "SELECT tid, pid, process, by_tid, by_pid, by_process, from_dpc, count,"
		 " ready_ns FROM etw_sched_ready WHERE run_id = ?1 AND (?2 IS NULL OR pid = ?2)"
		 " AND (?3 IS NULL OR tid = ?3)"
		 " ORDER BY ready_ns DESC, count DESC, tid, by_tid LIMIT ?4", run_id, f,
		 cJSON_AddArrayToObject(o, "readied_by"), ready_row, NULL, err, errlen) ||
	    (f->timeline && db_sched_timeline_json(db, run_id, f,
						    cJSON_AddArrayToObject(o, "timeline"), err,
						    errlen))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
