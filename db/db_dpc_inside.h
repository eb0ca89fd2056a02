/* db_dpc_inside.h — what runs inside DPCs and ISRs: per (DPC/ISR module, kind), the CPU
 * samples taken inside its intervals, by leaf module (where the CPU was), by module
 * anywhere on the stack, and by module-level caller chain (the most frequent ones).
 *
 * Which samples count (the rule, one place):
 *  - a sample the parser found inside a DPC/ISR interval on its CPU (sink_cpu_sample
 *    .covered: entry <= t <= exit) belongs to that DPC/ISR's module and kind; whether its
 *    ExecutingDPC/ExecutingISR flag was also set is counted ("flagged");
 *  - a sample with the flag set but inside no logged interval is "flag only": it ran in
 *    some DPC (or ISR) whose event was not logged or not matched, so it is kept under the
 *    pseudo module DB_INSIDE_FLAG_ONLY with kind SINK_DPC (flag bit 0) or SINK_ISR (bit 1);
 *  - any other sample is not inside a DPC/ISR.
 * Counts cover the whole run (no window or CPU split is stored). */
#ifndef ETLSCOPE_DB_DPC_INSIDE_H
#define ETLSCOPE_DB_DPC_INSIDE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "sink.h"

#define DB_INSIDE_FLAG_ONLY (-2) /* dpc_module of flag-only samples */
#define DB_INSIDE_TOP_CHAINS 10  /* chains stored per (module, kind) */
#define DB_INSIDE_CHAIN_MAX 16   /* modules per chain (the parser keeps as many) */

/* ---- building, at ingest ---- */
struct db_inside;
struct db_inside *db_inside_new(void);
/* Count one sample (ignored when not inside a DPC/ISR). Module ids outside
 * [-1, nmodules) count as -1. 0, or -1 out of memory. */
int db_inside_add(struct db_inside *x, const struct sink_cpu_sample *s, int32_t nmodules);
/* Write the counts of run_id. 0, or -1 (err says why). */
int db_inside_write(struct db_inside *x, sqlite3 *db, int64_t run_id, char *err, size_t errlen);
void db_inside_free(struct db_inside *x);

/* ---- reading ---- */
struct db_inside_module {
	int32_t module;        /* -1: outside any module */
	uint64_t leaf;         /* samples whose IP is in it */
	uint64_t on_stack;     /* samples with it anywhere on the stack (IP included) */
};
struct db_inside_chain {
	uint32_t n_mods;
	int32_t mods[DB_INSIDE_CHAIN_MAX]; /* leaf first */
	uint64_t samples;
};
struct db_inside_group {
	int32_t dpc_module;    /* module of the DPC/ISR routine; -1 unresolved; DB_INSIDE_FLAG_ONLY */
	uint8_t kind;          /* enum sink_dpcisr_kind */
	uint64_t samples;      /* samples inside */
	uint64_t flagged;      /* of them, with the ExecutingDPC/ISR flag set */
	uint64_t with_stack;   /* of them, with a stack */
	size_t n_mods, n_chains;
	struct db_inside_module *mods;   /* most leaf samples first */
	struct db_inside_chain *chains;  /* most samples first (top DB_INSIDE_TOP_CHAINS) */
};
struct db_inside_result {
	size_t n;
	struct db_inside_group *groups;  /* most samples first */
};
/* Groups of a run; kind_mask limits kinds (DB_KIND_ALL for all), module >= -2 limits to
 * one DPC/ISR module (INT32_MIN: all). 0 ok (possibly no groups), -1 error. */
int db_inside_read(sqlite3 *db, int64_t run_id, unsigned kind_mask, int32_t module,
		   struct db_inside_result *out, char *err, size_t errlen);
void db_inside_result_clear(struct db_inside_result *r);

#endif
