/* db_report.h — pre-bucketed DPC/ISR histograms and per-CPU usage from text reports
 * (`xperf -a dpcisr`): storing them during an ingest (db_report_* writers, driven by
 * db_sink.c) and reading them back with the report's own bucket edges. These are counts,
 * not events: they never feed the ETW aggregates, and the R10 histogram queries of
 * db_etw.h do not see them. All functions return 0 or -1 (err says why); readers return 1
 * when the run has no such data. */
#ifndef ETLSCOPE_DB_REPORT_H
#define ETLSCOPE_DB_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "sink.h"

/* ---- writing (inside the run's transaction) ---- */
struct db_report;
struct db_report *db_report_begin(sqlite3 *db, int64_t run_id);
int db_report_bucket(struct db_report *r, const struct sink_dpcisr_bucket *b);
int db_report_usage(struct db_report *r, const struct sink_dpcisr_usage *u);
const char *db_report_error(const struct db_report *r);
void db_report_free(struct db_report *r);

/* ---- reading ---- */
struct db_report_bucket {
	uint64_t lo_ns, hi_ns; /* (lo, hi]; hi_ns = UINT64_MAX: open-ended top bucket */
	uint64_t count;
};
/* One histogram block as printed, buckets ascending. */
struct db_report_block {
	uint32_t block;
	uint8_t kind;          /* SINK_DPC or SINK_ISR */
	const char *module;    /* NULL = the report's all-modules histogram */
	uint64_t total;        /* sum of the bucket counts */
	size_t nbuckets;
	const struct db_report_bucket *buckets;
};
/* Calls cb once per block, in block order; kind_mask as in db_etw.h (0 = all). Strings and
 * arrays are valid during the call only. A non-zero cb result stops and is returned. */
int db_report_blocks(sqlite3 *db, int64_t run_id, uint32_t kind_mask,
		     int (*cb)(void *ud, const struct db_report_block *b), void *ud, char *err,
		     size_t errlen);

struct db_report_usage_row {
	uint8_t kind;
	const char *module;
	uint16_t cpu;
	uint64_t busy_us;
};
/* Per-CPU usage rows ordered by kind, module, cpu. */
int db_report_usage_rows(sqlite3 *db, int64_t run_id,
			 int (*cb)(void *ud, const struct db_report_usage_row *u), void *ud,
			 char *err, size_t errlen);

#endif
