/* db_sched.h — scheduling and syscall aggregates: the sink half (rows written inside the
 * run's transaction, driven by db_sink.c) and the read half (JSON for the API). Tables:
 * migration 6 in db_schema.c. */
#ifndef ETLSCOPE_DB_SCHED_H
#define ETLSCOPE_DB_SCHED_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "sink.h"
#include "db_etw.h"

struct cJSON;
struct db_sched;

struct db_sched *db_sched_begin(sqlite3 *db, int64_t run_id);
int db_sched_syscall(struct db_sched *s, const struct sink_syscall *r);
int db_sched_syscall_module(struct db_sched *s, const struct sink_syscall_module *r);
int db_sched_thread(struct db_sched *s, const struct sink_sched_thread *r);
int db_sched_ready(struct db_sched *s, const struct sink_sched_ready *r);
int db_sched_slice(struct db_sched *s, const struct sink_sched_slice *r);
/* A batch of per-slice facts (sink.h struct sink_slice_fact), added to what is stored:
 * appended as blobs (db_factblob_store.h), which readers add up. */
int db_sched_facts(struct db_sched *s, const struct sink_slice_fact *f, size_t n);
const char *db_sched_error(const struct db_sched *s);
void db_sched_free(struct db_sched *s);

/* Filters of the read half: has_pid/has_tid say which apply. */
struct db_sched_filter {
	int has_pid, has_tid;
	uint32_t pid, tid;
	uint32_t limit;        /* rows per table */
	int timeline;          /* threads_json: add the per-CPU timeline */
	uint32_t points;       /* ... merged into at most this many slices per CPU (0: as stored) */
	int64_t from_ns, to_ns; /* ... the stored slices overlapping [from, to) (INT64_MIN/MAX open) */
	const struct db_cpu_set *cpus; /* ... of these CPUs (NULL: all) */
};

/* {"recorded", "syscalls": [...], "modules": [...]} / {"recorded", "threads": [...],
 * "readied_by": [...], "timeline" when asked} for run_id; NULL on a database error (err filled). Rows are in
 * db order of cost (total_ns / ready_ns desc); module ids are the run's etw_modules ids. */
struct cJSON *db_sched_syscalls_json(sqlite3 *db, int64_t run_id,
				     const struct db_sched_filter *f, char *err, size_t errlen);
/* The per-CPU timeline (db_sched_timeline.c) appended to arr: [{"cpu", "slice", "t_s",
 * "slice_s", "top": [{"tid", "pid", "ns"}], "other_ns", "idle_ns"}], over f's window and
 * CPUs, merged into at most f->points groups per CPU. 0, or -1 (err). */
int db_sched_timeline_json(sqlite3 *db, int64_t run_id, const struct db_sched_filter *f,
			   struct cJSON *arr, char *err, size_t errlen);
struct cJSON *db_sched_threads_json(sqlite3 *db, int64_t run_id,
				    const struct db_sched_filter *f, char *err, size_t errlen);

#endif
