/* db_etw.h — the public ETW store API: DPC/ISR histogram bucket edges and guidelines, the
 * query filter, and the read queries over a run's DPC/ISR events, CPU samples and modules.
 *
 * Times are ns since the trace start. Windows are ms-aligned: from_ns rounds down and to_ns
 * up to whole ms, the window is [from, to) and an event belongs to the ms of its entry time
 * (negative times count as 0). INT64_MIN / INT64_MAX leave a side open. Every count, total,
 * maximum and above-guideline figure is exact for any window, CPU set, module set and kind
 * mask; the timeline and utilization are exact per slice and spread evenly inside a slice
 * when a slice straddles two output buckets (see db_dpc_timeline).
 *
 * All functions return 0 on success, 1 when the run has no ETW data, -1 on error (err says
 * why; a corrupted aggregate is an error, never a crash). */
#ifndef ETLSCOPE_DB_ETW_H
#define ETLSCOPE_DB_ETW_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "sink.h"

/* ---- histogram buckets (the same everywhere so runs compare) ----
 * Bucket 0 holds d <= 1 µs; bucket i (1..40) holds edge[i-1] < d <= edge[i]; bucket 41
 * holds d > 10 ms. Edges are the R10 series in ns: 1000, 1250, 1600, 2000, 2500, 3200,
 * 4000, 5000, 6300, 8000, 10000, … 10000000. */
#define DB_DPC_NEDGES 41
#define DB_DPC_NBUCKETS (DB_DPC_NEDGES + 1)
#define DB_DPC_GUIDELINE_NS 100000u /* DPC kinds: above means duration > 100 µs */
#define DB_ISR_GUIDELINE_NS 25000u  /* ISR kinds: above means duration > 25 µs */
#define DB_MAX_CPUS 2048
#define DB_KIND_ALL ((1u << SINK_DPCISR_KINDS) - 1)
#define DB_KIND_DPCS ((1u << SINK_DPC) | (1u << SINK_THREADED_DPC) | (1u << SINK_TIMER_DPC))
#define DB_KIND_ISRS ((1u << SINK_ISR) | (1u << SINK_ISR_MSI))
#define DB_TIMELINE_MAX 2000

/* The DB_DPC_NEDGES upper edges, ascending, ns. */
const uint32_t *db_dpc_bucket_edges_ns(void);
/* Bucket of a duration. */
int db_dpc_bucket(uint64_t duration_ns);
/* Guideline for a kind (100 µs for DPC kinds, 25 µs for ISR kinds). Inline: the DPC/ISR
 * sink asks it for every event. */
static inline uint32_t db_dpc_guideline_ns(int kind)
{
	return kind == SINK_ISR || kind == SINK_ISR_MSI ? DB_ISR_GUIDELINE_NS : DB_DPC_GUIDELINE_NS;
}
/* Lower (exclusive) and upper (inclusive) bound of bucket b, ns; the overflow bucket's
 * upper bound is UINT64_MAX and the underflow bucket's lower bound 0. */
void db_dpc_bucket_range(int b, uint64_t *lo, uint64_t *hi);
/* ESTIMATE of the q-quantile (0..1) from bucket counts: finds the bucket holding the
 * quantile and interpolates linearly inside it, so the answer is only known to within
 * that bucket's width (≈ 25 % with R10 edges). max_ns caps the overflow bucket (pass the
 * exact maximum). Returns 0 for an empty histogram. */
uint64_t db_dpc_quantile_ns(const uint64_t buckets[DB_DPC_NBUCKETS], uint64_t max_ns,
			    double q);

/* ---- filter ---- */
struct db_cpu_set {
	uint64_t w[DB_MAX_CPUS / 64];
};
static inline void db_cpu_set_add(struct db_cpu_set *s, unsigned cpu)
{
	if (cpu < DB_MAX_CPUS)
		s->w[cpu / 64] |= 1ull << (cpu % 64);
}
static inline int db_cpu_set_has(const struct db_cpu_set *s, unsigned cpu)
{
	return cpu < DB_MAX_CPUS && (s->w[cpu / 64] >> (cpu % 64) & 1);
}

struct db_etw_filter {
	int64_t run_id;
	int64_t from_ns, to_ns;        /* INT64_MIN / INT64_MAX = open */
	const struct db_cpu_set *cpus; /* NULL = all CPUs */
	const int32_t *modules;        /* module ids (-1 = unresolved); NULL = all */
	size_t nmodules;
	uint32_t kind_mask;            /* bit per enum sink_dpcisr_kind; 0 = all */
};

/* Figures for one kind (or one module and kind). */
struct db_dpc_stats {
	uint64_t count, total_ns, max_ns;
	uint64_t above_count, above_total_ns; /* duration > the kind's guideline */
	uint64_t buckets[DB_DPC_NBUCKETS];
};

/* a += b: counts, totals and buckets add, the maximum is the larger (for merging kinds,
 * modules of the same name, or runs). */
void db_dpc_stats_add(struct db_dpc_stats *a, const struct db_dpc_stats *b);

/* 1. Histogram per kind. */
struct db_dpc_histogram {
	struct db_dpc_stats kind[SINK_DPCISR_KINDS];
};
int db_dpc_histogram(sqlite3 *db, const struct db_etw_filter *f, struct db_dpc_histogram *out,
		     char *err, size_t errlen);

/* 2. Per (module, kind), sorted by module id then kind, with the CPUs it ran on. */
struct db_dpc_module_row {
	int32_t module_id; /* -1 = unresolved */
	uint8_t kind;
	struct db_dpc_stats s;
	struct db_cpu_set cpus;
};
struct db_dpc_modules {
	size_t n;
	struct db_dpc_module_row *rows;
};
int db_dpc_modules(sqlite3 *db, const struct db_etw_filter *f, struct db_dpc_modules *out,
		   char *err, size_t errlen);
void db_dpc_modules_clear(struct db_dpc_modules *m);

/* 3. Timeline: n equal buckets over the window (n <= DB_TIMELINE_MAX). An open window ends
 * at the run's last ms. Busy ns are summed from the finest stored level with at most
 * ~4 slices per bucket (and a read budget); a slice straddling two buckets is split in
 * proportion to the overlap, so resolution is that level's slice width (`slice_ns`). */
struct db_dpc_timeline {
	uint32_t n;
	int64_t from_ns, slice_ns;
	double bucket_ns;     /* bucket i starts at from_ns + i * bucket_ns */
	uint32_t ncpus;       /* rows of the per-CPU arrays: highest CPU seen + 1 */
	double *cpu_dpc_ns;   /* [ncpus * n]: DPC kinds busy ns on CPU c in bucket i: [c*n+i] */
	double *cpu_isr_ns;   /* [ncpus * n] */
	size_t nmodules;
	int32_t *module_ids;  /* [nmodules], ascending */
	double *module_ns;    /* [nmodules * n] */
};
int db_dpc_timeline(sqlite3 *db, const struct db_etw_filter *f, uint32_t n,
		    struct db_dpc_timeline *out, char *err, size_t errlen);
void db_dpc_timeline_clear(struct db_dpc_timeline *t);

/* 4. Individual events, longest first. bucket = -1: every above-guideline event matching
 * the filter. bucket = b: events in bucket b; for kinds where the bucket lies above the
 * guideline they are all stored events, below it they come from a reservoir of up to 64
 * per (module, kind, bucket) and are flagged `sample`. */
struct db_dpc_event {
	int64_t t_ns;
	uint32_t duration_ns;
	uint16_t cpu;
	uint8_t kind;
	uint8_t sample; /* 1: from a reservoir sample, not the complete set */
	int32_t module_id;
	uint64_t routine;
};
int db_dpc_events(sqlite3 *db, const struct db_etw_filter *f, int bucket, size_t limit,
		  struct db_dpc_event **out, size_t *n, char *err, size_t errlen);

/* 5. CPU samples: per module exclusive (IP in module) and inclusive (module anywhere on
 * the stack, once per sample) counts, and totals; kind_mask is ignored, the module filter
 * selects rows. Samples of the Idle process count in `idle` only, never in a module row;
 * the module -1 row holds non-idle samples whose IP is in no loaded module, of which
 * `unknown_kernel` were kernel-space addresses (the rest: user code without an image). */
struct db_cpu_module_row {
	int32_t module_id;
	uint64_t exclusive, inclusive;
};
struct db_cpu_samples {
	uint64_t total, idle, in_dpc, in_isr, unknown_kernel;
	size_t n;
	struct db_cpu_module_row *rows; /* ascending module id */
};
int db_cpu_samples(sqlite3 *db, const struct db_etw_filter *f, struct db_cpu_samples *out,
		   char *err, size_t errlen);
void db_cpu_samples_clear(struct db_cpu_samples *s);

/* Per-CPU utilization over n buckets: non-idle / all samples (NaN where no samples). */
struct db_cpu_util {
	uint32_t n, ncpus;
	int64_t from_ns, slice_ns;
	double bucket_ns;
	double *samples, *idle; /* [ncpus * n] */
};
int db_cpu_utilization(sqlite3 *db, const struct db_etw_filter *f, uint32_t n,
		       struct db_cpu_util *out, char *err, size_t errlen);
double db_cpu_util_at(const struct db_cpu_util *u, uint32_t cpu, uint32_t i);
void db_cpu_util_clear(struct db_cpu_util *u);

/* 6. Modules of a run, by id. */
struct db_etw_module {
	int32_t id;
	const char *name, *path;
	uint64_t base, size;
	uint32_t pid, timestamp, checksum;
	int64_t load_ns, unload_ns;
	/* Debug identity and symbol state (etw_module_symbols); NULL / 0 when absent. */
	const char *pdb, *guid; /* guid: 32 SymStore hex digits */
	uint32_t age;
	const char *sym_status, *sym_why; /* NULL for runs stored before migration 9 */
};
int db_etw_modules(sqlite3 *db, int64_t run_id,
		   int (*cb)(void *ud, const struct db_etw_module *m), void *ud, char *err,
		   size_t errlen);

/* Facts about a run's ETW data (1 = none). */
struct db_etw_run {
	int64_t t_max_ns;
	int top_level;
	uint64_t n_dpcisr, n_above, n_samples;
	uint32_t n_modules, ncpus;
};
int db_etw_run_info(sqlite3 *db, int64_t run_id, struct db_etw_run *out, char *err,
		    size_t errlen);

#endif
