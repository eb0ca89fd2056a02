/* find.h — the findings engine: rules (find_rules_etw.c, find_rules_perfmon.c) look at a
 * run's stored data and emit ranked findings — id, severity, one plain sentence, the numbers
 * behind it, and a link (panel + URL parameters) to the view that shows it — plus a
 * one-sentence verdict. The document is computed once per run and stored (find_store.c),
 * so a share link always shows the same verdict. */
#ifndef ETLSCOPE_FIND_H
#define ETLSCOPE_FIND_H

#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "attr.h"

/* Bumped when rules change meaning; stored beside each document. */
/* 2: what runs inside DPCs/ISRs (issue 12 §1), and 'not recorded' verdicts, compare
 * judgement and number wording (issue 12 §3-5) — both changes of the same release.
 * The number is recorded in run_findings and in each document; it does not trigger
 * recomputation (stored documents are kept as computed, see find_store.c). */
#define FIND_ENGINE_VERSION 2

enum find_severity { FIND_CRITICAL = 0, FIND_WARNING = 1, FIND_INFO = 2 };
const char *find_severity_name(enum find_severity s);

/* The thresholds, in one place (sources: WDK guideline, PAL QuickSystemOverview.xml). */
struct find_limits {
	double dpc_guideline_us, isr_guideline_us; /* 100, 25 */
	double p99_share;          /* p99 above the guideline ⇔ more than 1 % above it */
	uint64_t min_events;       /* a module needs this many DPCs/ISRs to be judged */
	double cpu_busy_share;     /* DPC+ISR share of a window on one CPU: 0.5 */
	double cpu_window_s;       /* window length for that: 1 s */
	double security_incl_warn, security_incl_crit; /* inclusive CPU share: 0.05, 0.25 */
	double hidden_dpc_share, hidden_sample_share;  /* outside modules → warning */
	double pm_dpc_warn;                            /* % DPC Time: 10 */
	double pm_int_warn, pm_int_crit;               /* % Interrupt Time: 10, 20 */
	double pm_priv_warn, pm_priv_crit;             /* % Privileged Time: 20, 30 */
	double pm_queue_per_cpu;                       /* Processor Queue Length per CPU: 10 */
	double syscall_security_share;  /* a security module on > this share of the samples
					 * inside a process's syscalls: 0.25 */
	uint64_t syscall_min_samples;   /* ... of at least this many samples: 10 */
	double ready_behind_dpc_ms;     /* ready time after DPC readying worth a finding: 10 */
};
extern const struct find_limits find_default_limits;

/* Everything a rule may read; rules append to `out` with find_emit. */
struct find_ctx {
	sqlite3 *db;
	int64_t run_id;
	int64_t start_us;              /* run start, µs UTC (0 unknown) */
	const cJSON *summary;          /* the run's ingest summary */
	const struct attr_result *attr; /* ETW runs: whole-run attribution; NULL otherwise */
	const struct find_limits *lim;
	cJSON *out;                    /* array of findings */
	char *err;
	size_t errlen;
};

/* Append a finding. numbers: an object (taken over; may be NULL); link_params: an object
 * of URL parameters (taken over; may be NULL); score ranks findings of equal severity
 * (bigger first). The sentence is printf-formatted. */
void find_emit(struct find_ctx *c, const char *id, enum find_severity sev, double score,
	       const char *panel, cJSON *link_params, cJSON *numbers, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* Rules: 0 ok, -1 error (c->err says why). */
int find_rules_etw(struct find_ctx *c);
int find_rules_perfmon(struct find_ctx *c);
int find_rules_sched(struct find_ctx *c); /* after find_rules_etw: reads its findings */
int find_rules_minifilter(struct find_ctx *c); /* "minifilter-delay" (find_minifilter.c) */
/* Is a module's knowledge-base category antivirus/EDR/other security/filter? */
int find_is_security(const struct attr_class *k);
/* Findings from the call-stack store (find_rules_stacks.c); called by find_rules_etw. */
int find_rules_stacks(struct find_ctx *c);
/* "driver-passthrough": on many stacks, rarely running (find_rules_passthrough.c); called by
 * find_rules_stacks. */
int find_rules_passthrough(struct find_ctx *c);

/* Compute the findings document of a run now (nothing stored):
 * {"engine", "kb_version", "verdict": {"severity", "sentence"}, "findings": [...]}.
 * 0 ok, -1 error. */
int find_compute(sqlite3 *db, int64_t run_id, cJSON **doc, char *err, size_t errlen);
/* The stored document (computing and storing it on first use). 0 ok, -1 error. */
/* The stored document only, never computing it: 0 found, 1 not stored yet, -1 error. */
int find_stored(sqlite3 *db, int64_t run_id, cJSON **doc, char *err, size_t errlen);
int find_get(sqlite3 *db, int64_t run_id, cJSON **doc, char *err, size_t errlen);

/* What runs inside a module's DPCs (isr 0) or ISRs (isr 1), whole run (find_inside.c). */
struct find_inside {
	int recorded;                 /* the run was ingested by a version that records them
				       * (its summary has cpu_samples_in_dpcisr_interval) */
	uint64_t samples, flagged, with_stack; /* CPU samples inside them */
	int32_t leaf;                 /* module holding the most leaf samples; INT32_MIN none */
	uint64_t leaf_samples;
	const struct attr_row *row;   /* the leaf module's row (NULL if unknown) */
	int third_party_leaf;         /* leaf is not Microsoft's, not the module, > 50 % */
};
/* 0 ok, -1 error (c->err says why). */
int find_inside_load(struct find_ctx *c, int32_t module, int isr, struct find_inside *out);
/* "96 % of the 15,808 CPU samples inside them are in X.sys (Vendor, Category), so ndis.sys
 * only dispatches and that driver does the work." (plus a no-stacks note); with no sample
 * inside, a sentence saying so and how to record them (starting with a space); "" when
 * the run predates the recording of samples inside DPCs. */
void find_inside_sentence(const struct find_inside *in, const struct attr_row *row, int isr,
			  char *buf, size_t len);
/* numbers.inside = {samples, flagged, with_stack, leaf_module_id, leaf_module, leaf_samples,
 * leaf_share, third_party_leaf}. */
void find_inside_numbers(const struct find_inside *in, cJSON *numbers);
/* Findings dpc-flag-only / isr-flag-only: samples flagged as in a DPC (ISR) in no logged
 * interval, and the module holding most of them (a warning when it is a third party's). */
void find_inside_flag_only(struct find_ctx *c);
/* Small text helpers shared by the rules. */
void find_cpu_list(const struct db_cpu_set *s, char *buf, size_t len); /* "0, 2, 4 and 6" */
cJSON *find_cpu_array(const struct db_cpu_set *s);                      /* [0, 2, 4, 6] */
void find_thousands(uint64_t v, char *buf, size_t len); /* "163,217" */
/* Numbers in sentences, by the rules the web pages' fmt follows (docs/findings.md):
 * durations in the largest unit ≥ 1, one decimal below 10 ("1.0 s", "2.5 ms", "220 µs");
 * percentages with one decimal ("92.0 %", "0.05 %" below 0.1, "0 %"). */
void find_duration_us(double us, char *buf, size_t len);
void find_seconds(double s, char *buf, size_t len);
void find_percent(double pct, char *buf, size_t len); /* pct: 0–100 */
void find_driver_desc(const struct attr_row *row, char *buf, size_t len); /* "x.sys (Vendor, Category)" */

#endif
