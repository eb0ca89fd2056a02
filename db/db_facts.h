/* db_facts.h — reading the per-slice facts of syscalls, scheduling, disk and file I/O
 * (blobs of etw_fact_blobs, migration 15, db_factblob.h; what each domain holds:
 * ingest/etl/etl_slicefacts.h) under the shared filter: a time window that selects whole 100 ms
 * slices, a CPU set, a process and a thread. Sums are exact at that resolution. */
#ifndef ETLSCOPE_DB_FACTS_H
#define ETLSCOPE_DB_FACTS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "db_etw.h"
#include "db_factblob.h"

struct db_facts_filter {
	int64_t from_ns, to_ns;       /* trace-relative [from, to); open = INT64_MIN/MAX */
	const struct db_cpu_set *cpus; /* NULL: every CPU */
	int has_pid, has_tid;
	uint32_t pid, tid;
	uint32_t limit;               /* rows */
};

/* One row of a domain's table. SCHED rows are per (pid, tid) with v[] = running ns,
 * switches, ready ns, ready spells, waiting ns, waits, ready ns behind DPCs/ISRs; other
 * domains per (pid, key) with v[] = n, m, ns, bytes (tid 0). */
#define DB_FACT_VALUES 7
struct db_fact_row {
	uint32_t pid, tid;
	uint64_t key;
	uint64_t v[DB_FACT_VALUES];
};
typedef int (*db_fact_fn)(void *ud, const struct db_fact_row *r);

/* Rows of domain under f, most time first (SCHED: running + ready + waiting), at most
 * f->limit (SCHED: by running + ready + waiting); then one row per key (pid and tid 0) of
 * the totals over every row to totals_cb (SCHED: one row). A callback's non-zero return stops. 0, or -1 with err filled. */
int db_facts_read(sqlite3 *db, int64_t run_id, int domain, const struct db_facts_filter *f,
		  db_fact_fn rows_cb, db_fact_fn totals_cb, void *ud, char *err, size_t errlen);
/* Every fact stored for domain (a SINK_FACT_* value, + SINK_FACT_SECOND / _WHOLE for the
 * rollups) with slice in [lo, hi] and CPU in cpus (NULL: every CPU) to cb with its slice
 * and CPU; a callback's return > 0 stops the scan and is returned. 0, or -1 with err
 * filled (a damaged blob too). */
typedef int (*db_facts_entry_fn)(void *ud, int64_t slice, unsigned cpu,
				 const struct db_factblob_entry *e);
int db_facts_scan(sqlite3 *db, int64_t run_id, int domain, int64_t lo, int64_t hi,
		  const struct db_cpu_set *cpus, db_facts_entry_fn cb, void *ud, char *err,
		  size_t errlen);
/* 1 if the run holds facts of domain, 0 if not, -1 on error. */
int db_facts_present(sqlite3 *db, int64_t run_id, int domain);

#endif
