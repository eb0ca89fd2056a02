/* api_dpc.h — the DPC/ISR analysis endpoints (/api/runs/{id}/dpcisr/…, /modules) and the
 * filter they share: time window (ms since the epoch → ns since the trace start), module
 * ids, CPU list and kinds. The parsing and conversion helpers are exposed for unit tests. */
#ifndef ETLSCOPE_API_DPC_H
#define ETLSCOPE_API_DPC_H

#include <stddef.h>
#include <stdint.h>
#include "api.h"
#include "db.h"
#include "db_etw.h"

#define API_DPC_MAX_MODULES 256

/* The filter of one DPC/ISR request, parsed and converted. */
struct api_dpc_query {
	struct db_run run;           /* the run (free with api_dpc_query_clear) */
	struct db_etw_run info;      /* the ETW store's facts */
	int64_t start_us;            /* trace start, µs since the epoch */
	unsigned trace_cpus;         /* CPUs of the machine (header), ≥ info.ncpus */
	int dpcisr_enabled;          /* header group masks: -1 unknown */
	struct db_cpu_set cpus;
	int has_cpus;                /* 0: all CPUs */
	unsigned ncpus_selected;     /* CPUs in the set that exist in the trace (or all) */
	int32_t modules[API_DPC_MAX_MODULES];
	size_t nmodules;             /* 0: all modules */
	uint32_t kind_mask;          /* never 0 after parsing */
	struct db_etw_filter f;      /* points into this struct: do not copy the query */
	int64_t win_from_ns, win_to_ns; /* the effective window: ms-aligned, [from, to) */
};

/* "0,2,4-6" → set; 0, or -1 for a malformed list or a CPU ≥ DB_MAX_CPUS. *count gets the
 * number of distinct CPUs. */
int api_parse_cpu_list(const char *s, struct db_cpu_set *set, unsigned *count);
/* "dpc" (DPC kinds), "isr" (ISR kinds) or one of normal_dpc, threaded_dpc, timer_dpc,
 * line_isr, msi_isr; comma-separated lists OR together. 0, or -1 when unknown. */
int api_parse_kinds(const char *s, uint32_t *mask);
/* Name of one kind (enum sink_dpcisr_kind) in the API. */
const char *api_dpc_kind_name(int kind);
/* A bound in µs since the epoch (INT64_MIN/INT64_MAX = open) → ns since the trace start,
 * saturating (an open or out-of-range bound stays open). */
int64_t api_epoch_us_to_trace_ns(int64_t t_us, int64_t start_us);
/* ns since the trace start → ms since the epoch. */
double api_trace_ns_to_epoch_ms(int64_t t_ns, int64_t start_us);

/* Look up the run and parse from/to, module, cpus, kind. 0, or an HTTP status with *out
 * set (404 unknown run or no ETW data, 400 bad filter, 500). */
int api_dpc_query_parse(sqlite3 *db, const char *run_id, const struct api_request *rq,
			struct api_dpc_query *q, cJSON **out);
void api_dpc_query_clear(struct api_dpc_query *q);
/* A CPU set as a JSON array of CPU numbers (null for NULL: every CPU). */
cJSON *api_cpu_set_json(const struct db_cpu_set *set);
/* {"from", "to" (ms since epoch), "from_s", "to_s" (s since trace start), "resolution_ms"} */
cJSON *api_dpc_window_json(const struct api_dpc_query *q);
/* Adds "dpcisr_enabled", "window" and "filter" to o. */
void api_dpc_add_context(cJSON *o, const struct api_dpc_query *q);
/* Module names by id (-1 = unresolved), for labelling rows. */
struct api_module_names {
	size_t n;
	struct api_module_name {
		int32_t id;
		char *name, *path;
		uint64_t base, size;
	} *m;
};
int api_module_names_load(sqlite3 *db, int64_t run_id, struct api_module_names *names,
			  char *err, size_t errlen);
const struct api_module_name *api_module_names_find(const struct api_module_names *names,
						    int32_t id);
void api_module_names_clear(struct api_module_names *names);
/* A DPC/ISR routine's label (api_dpc_events.c): module!function+0xOFF when syms (may be
 * NULL) names it — fn then gets the function, else fn[0] = 0 — module+0xOFF inside the
 * module, else 0xADDRESS. */
struct db_sym_lookup;
void api_dpc_routine_name(const struct api_module_name *nm, int32_t module_id, uint64_t routine,
			  struct db_sym_lookup *syms, char *buf, size_t n, char *fn, size_t fnlen);

/* Endpoints. `what` is the part after /dpcisr/: histogram, modules, timeline, events,
 * inside. */
int api_run_dpcisr(sqlite3 *db, const char *run_id, const char *what,
		   const struct api_request *rq, cJSON **out);
int api_run_dpc_histogram(sqlite3 *db, const char *run_id, const struct api_request *rq,
			  cJSON **out);
int api_run_dpc_modules(sqlite3 *db, const char *run_id, const struct api_request *rq,
			cJSON **out);
int api_run_dpc_timeline(sqlite3 *db, const char *run_id, const struct api_request *rq,
			 cJSON **out);
int api_run_dpc_events(sqlite3 *db, const char *run_id, const struct api_request *rq,
		       cJSON **out);
/* /dpcisr/inside (api_dpc_inside.c): CPU samples inside each module's DPCs/ISRs. */
int api_run_dpc_inside(sqlite3 *db, const char *run_id, const struct api_request *rq,
		       cJSON **out);
/* GET /api/runs/{id}/modules — the loaded modules of an ETW run. */
int api_run_modules(sqlite3 *db, const char *run_id, const struct api_request *rq,
		    cJSON **out);

/* Shared by the histogram and module documents: figures of one stats block. */
cJSON *api_dpc_stats_json(const struct db_dpc_stats *s, uint32_t guideline_ns, int with_buckets);

#endif
