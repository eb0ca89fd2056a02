/* api_compare_sched.h — internal to api/: the syscall and disk I/O parts of the compare
 * document. */
#ifndef ETLSCOPE_API_COMPARE_SCHED_H
#define ETLSCOPE_API_COMPARE_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

#define API_COMPARE_MAX_RUNS 4

/* [{"process", "syscall", "runs": [{count, total_ns, avg_ns, max_ns} | null], "delta":
 * [null | {"avg_ns": {"abs", "rel"}, "judgement"} per later run]}] for runs[0] (baseline) ..
 * runs[n-1]; NULL with err set on a database error. */
cJSON *api_compare_syscalls(sqlite3 *db, const int64_t *run_ids, int n, char *err,
			    size_t errlen);
/* Disk I/O per process: [{"process": "pid N" | "unknown process", "runs": [{count, bytes,
 * total_ns, avg_ns, max_ns} | null], "delta": as above}]; NULL with err set. */
cJSON *api_compare_diskio(sqlite3 *db, const int64_t *run_ids, int n, char *err, size_t errlen);
/* "minifilter": per (filter driver, major function + pre/post) delay per callback; runs
 * whose trace did not prove the minifilter layout are null. NULL with err on failure. */
cJSON *api_compare_minifilter(sqlite3 *db, const int64_t *run_ids, int n, char *err,
			      size_t errlen);

#endif
