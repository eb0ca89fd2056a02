/* api_compare_sched.c — the "syscalls" and "diskio" parts of GET /api/compare: cost per
 * call of each (process image name, syscall as module+offset), so an EDR that makes every
 * NtDelayExecution dearer shows as avg 0.1 µs → 3.3 µs, and disk I/O per process (count,
 * bytes, latency per I/O), across the compared runs. Runs that did not record the events
 * are null ("not recorded"), never zeros. Both are one keyed table (struct keyed_spec). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_compare_sched.h"
#include "etl_fltio.h"

#define MAX_KEYS 256

#define CHANGE 0.05 /* a per-call average that moves by more than 5 % is judged */

/* One compared table: rows_sql gives (key1, key2, count, total_ns, max_ns, bytes) for run ?,
 * costliest first; recorded_sql one number > 0 when run ? recorded the events. */
struct keyed_spec {
	const char *what, *key1, *key2; /* key2 NULL: a one-key table */
	int bytes;                      /* emit the bytes column */
	const char *recorded_sql, *rows_sql;
};

static const struct keyed_spec syscall_spec = {
	"syscalls", "process", "syscall", 0,
	"SELECT json_extract(summary, '$.counts.SysClEnter') FROM runs"
	" WHERE id = ? AND json_valid(summary)",
	"SELECT CASE WHEN s.process <> '' THEN s.process WHEN s.pid = 4294967295"
	" THEN 'unknown process' ELSE 'pid ' || s.pid END,"
	" CASE WHEN m.name IS NULL THEN printf('0x%x', s.address)"
	" ELSE m.name || '+' || printf('0x%x', s.address - m.base) END,"
	" sum(s.count), sum(s.total_ns), max(s.max_ns), 0 FROM etw_syscalls s"
	" LEFT JOIN etw_modules m ON m.run_id = s.run_id AND m.id = s.module_id"
	" WHERE s.run_id = ? GROUP BY 1, 2 ORDER BY sum(s.total_ns) DESC"};

/* Disk I/O rows carry a pid, not an image name: processes match across runs by pid. */
static const struct keyed_spec diskio_spec = {
	"disk I/O", "process", NULL, 1,
	"SELECT sum(n) FROM etw_io_types WHERE run_id = ? AND grp = 1 AND type IN (10, 11, 14)",
	"SELECT CASE WHEN pid IS NULL OR pid = 4294967295 THEN 'unknown process'"
	" ELSE 'pid ' || pid END, '', sum(n), sum(total_ns), max(max_ns), sum(bytes)"
	" FROM etw_diskio WHERE run_id = ? GROUP BY 1 ORDER BY sum(total_ns) DESC"};

struct key {
	char process[96], syscall[160];
	double count[API_COMPARE_MAX_RUNS], total[API_COMPARE_MAX_RUNS], max[API_COMPARE_MAX_RUNS];
	double bytes[API_COMPARE_MAX_RUNS];
	int present[API_COMPARE_MAX_RUNS];
};

static int recorded(sqlite3 *db, const struct keyed_spec *sp, int64_t run_id)
{
	sqlite3_stmt *st;
	int on = 0;
	if (sqlite3_prepare_v2(db, sp->recorded_sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		on = sqlite3_column_double(st, 0) > 0;
	sqlite3_finalize(st);
	return on;
}

static int collect(sqlite3 *db, const struct keyed_spec *sp, int64_t run_id, int k,
		   struct key *keys, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db, sp->rows_sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot compare %s: %s", sp->what, sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		const char *s = (const char *)sqlite3_column_text(st, 1);
		size_t i;
		for (i = 0; i < *n; i++)
			if (!strcmp(keys[i].process, p ? p : "") && !strcmp(keys[i].syscall, s ? s : ""))
				break;
		if (i == *n) {
			if (*n == MAX_KEYS)
				continue; /* the baseline's costliest come first */
			memset(&keys[i], 0, sizeof keys[i]);
			snprintf(keys[i].process, sizeof keys[i].process, "%s", p ? p : "");
			snprintf(keys[i].syscall, sizeof keys[i].syscall, "%s", s ? s : "");
			(*n)++;
		}
		keys[i].present[k] = 1;
		keys[i].count[k] = (double)(uint64_t)sqlite3_column_int64(st, 2);
		keys[i].total[k] = (double)(uint64_t)sqlite3_column_int64(st, 3);
		keys[i].max[k] = (double)(uint64_t)sqlite3_column_int64(st, 4);
		keys[i].bytes[k] = (double)(uint64_t)sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot compare %s: %s", sp->what, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static cJSON *compare_keyed(sqlite3 *db, const struct keyed_spec *sp, const int64_t *run_ids,
			    int n, char *err, size_t errlen)
{
	struct key *kv = calloc(MAX_KEYS, sizeof *kv);
	int on[API_COMPARE_MAX_RUNS] = {0};
	size_t nk = 0;
	if (!kv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int k = 0; k < n && k < API_COMPARE_MAX_RUNS; k++) {
		on[k] = recorded(db, sp, run_ids[k]);
		if (on[k] && collect(db, sp, run_ids[k], k, kv, &nk, err, errlen)) {
			free(kv);
			return NULL;
		}
	}
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < nk; i++) {
		cJSON *o = cJSON_CreateObject(), *runs = cJSON_AddArrayToObject(o, "runs");
		cJSON *delta = cJSON_AddArrayToObject(o, "delta");
		cJSON_AddStringToObject(o, sp->key1, kv[i].process);
		if (sp->key2)
			cJSON_AddStringToObject(o, sp->key2, kv[i].syscall);
		for (int k = 0; k < n; k++) {
			if (!on[k]) {
				cJSON_AddItemToArray(runs, cJSON_CreateNull());
				continue;
			}
			cJSON *r = cJSON_CreateObject();
			double avg = kv[i].count[k] ? kv[i].total[k] / kv[i].count[k] : 0;
			cJSON_AddNumberToObject(r, "count", kv[i].count[k]);
			if (sp->bytes)
				cJSON_AddNumberToObject(r, "bytes", kv[i].bytes[k]);
			cJSON_AddNumberToObject(r, "total_ns", kv[i].total[k]);
			cJSON_AddNumberToObject(r, "avg_ns", avg);
			cJSON_AddNumberToObject(r, "max_ns", kv[i].max[k]);
			cJSON_AddItemToArray(runs, r);
		}
		for (int k = 1; k < n; k++) {
			if (!on[0] || !on[k] || !kv[i].count[0] || !kv[i].count[k]) {
				cJSON_AddItemToArray(delta, cJSON_CreateNull());
				continue;
			}
			double a = kv[i].total[0] / kv[i].count[0], b = kv[i].total[k] / kv[i].count[k];
			cJSON *d = cJSON_CreateObject(), *x = cJSON_AddObjectToObject(d, "avg_ns");
			cJSON_AddNumberToObject(x, "abs", b - a);
			cJSON_AddNumberToObject(x, "rel", b / a - 1);
			cJSON_AddStringToObject(d, "judgement", b > a * (1 + CHANGE) ? "worse"
							       : b < a * (1 - CHANGE) ? "better" : "same");
			cJSON_AddItemToArray(delta, d);
		}
		cJSON_AddItemToArray(arr, o);
	}
	free(kv);
	return arr;
}

cJSON *api_compare_syscalls(sqlite3 *db, const int64_t *run_ids, int n, char *err,
			    size_t errlen)
{
	return compare_keyed(db, &syscall_spec, run_ids, n, err, errlen);
}

cJSON *api_compare_diskio(sqlite3 *db, const int64_t *run_ids, int n, char *err, size_t errlen)
{
	return compare_keyed(db, &diskio_spec, run_ids, n, err, errlen);
}

/* Minifilter delays per (filter driver, "IRP_MJ_… pre|post"): delay per callback across the
 * runs whose trace proved the minifilter layout (the others are null). The major function
 * names come from etl_fltio.c, spelled into the SQL as a CASE. */
cJSON *api_compare_minifilter(sqlite3 *db, const int64_t *run_ids, int n, char *err,
			      size_t errlen)
{
	char sql[6144];
	size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT coalesce(m.name, 'unknown module'),"
				       " CASE f.major");
	for (unsigned code = 0; code < 256 && used < sizeof sql; code++) {
		const char *name = etl_flt_major_name(code);
		if (name)
			used += (size_t)snprintf(sql + used, sizeof sql - used, " WHEN %u THEN '%s'",
						 code, name);
	}
	if (used < sizeof sql)
		snprintf(sql + used, sizeof sql - used, " ELSE printf('major 0x%%02x', f.major) END"
			 " || CASE f.post WHEN 1 THEN ' post' ELSE ' pre' END,"
			 " sum(f.n), sum(f.total_ns), max(f.max_ns), 0 FROM etw_flt f"
			 " LEFT JOIN etw_modules m ON m.run_id = f.run_id AND m.id = f.module_id"
			 " WHERE f.run_id = ? GROUP BY 1, 2 HAVING sum(f.n) > 0"
			 " ORDER BY sum(f.total_ns) DESC");
	const struct keyed_spec spec = {
		"minifilter delays", "driver", "function", 0,
		"SELECT json_extract(summary, '$.minifilter.state') = 'decoded' FROM runs"
		" WHERE id = ? AND json_valid(summary)", sql};
	return compare_keyed(db, &spec, run_ids, n, err, errlen);
}
