/* db_agg.h — internal: multi-level time-slice aggregates. Level 0 slices are 1 ms, each
 * level 16× coarser. A slice holds records keyed by (cpu, module, kind) with up to five
 * 64-bit values and an optional sparse histogram; it is stored as one blob per
 * (run, agg, level, slice) in etw_agg. Used by the ETW sink (building) and the queries. */
#ifndef ETLSCOPE_DB_AGG_H
#define ETLSCOPE_DB_AGG_H

#include <stdint.h>
#include <sqlite3.h>
#include "db_etw.h"

#define AGG_LEVELS 11          /* levels 0..10; level 10 slices are 1.1e18 ns */
#define AGG_FANOUT 16
#define AGG_MS 1000000LL
#define AGG_MAX_T_NS 1152921504606846975LL /* 16^10 ms - 1 ns: the last ns level 10 holds */
#define AGG_NVALS 5

/* Aggregate kinds (etw_agg.agg). */
enum agg_kind {
	AGG_DPC = 0,      /* (cpu, module, kind): count, total, max, above, above_total + hist */
	AGG_DPC_BUSY = 1, /* (cpu, module, kind): total (projection of AGG_DPC, for timelines;
			   * levels >= 1 only: level-0 timelines read AGG_DPC, mostly singles) */
	AGG_CPU = 2,      /* (cpu, module, 0): exclusive, inclusive samples */
	AGG_CPU_UTIL = 3, /* (cpu, 0, 1): samples, idle, in_dpc, in_isr, unresolved kernel-space
			   * IPs of non-idle samples (0 in runs stored before it existed) */
	AGG_DPC_BUSY_CPU = 4, /* (cpu, -1, class 0 DPC kinds / 1 ISR kinds): total; levels >= 1 */
	AGG_DPC_BUSY_MOD = 5, /* (0, module, class): total; levels >= 1 */
	AGG_KINDS = 6
};

/* Value slot meaning for AGG_DPC records. */
enum { V_COUNT = 0, V_TOTAL = 1, V_MAX = 2, V_ABOVE = 3, V_ABOVE_TOTAL = 4 };

static inline int64_t agg_width_ms(int level)
{
	return (int64_t)1 << (4 * level);
}

static inline uint64_t agg_key(unsigned cpu, int32_t module, unsigned kind)
{
	return (uint64_t)(uint32_t)(module + 1) << 24 | (uint64_t)cpu << 8 | kind;
}
static inline unsigned agg_key_cpu(uint64_t k) { return (unsigned)(k >> 8 & 0xffff); }
static inline int32_t agg_key_module(uint64_t k) { return (int32_t)(uint32_t)(k >> 24) - 1; }
static inline unsigned agg_key_kind(uint64_t k) { return (unsigned)(k & 0xff); }

struct agg_rec {
	uint64_t key;
	uint64_t v[AGG_NVALS];
	uint64_t hmask; /* non-zero histogram buckets */
	uint64_t hist[DB_DPC_NBUCKETS];
};

/* An in-memory slice: records in insertion order plus an open-addressing index. */
struct agg_slice {
	int level;
	int64_t idx;
	uint32_t n, cap;
	struct agg_rec *recs;
	uint32_t *tab; /* record index + 1, 0 = empty */
	uint32_t tabcap;
	struct agg_slice *next; /* free list / open list link */
};

void agg_slice_reset(struct agg_slice *s, int level, int64_t idx);
void agg_slice_free(struct agg_slice *s);
/* The key's home slot in a table of cap (a power of two, >= 256) slots: Fibonacci hashing,
 * the product's top bits. Keys differ only in their CPU (bits 8..23), module (24..) and
 * kind (0..7) fields; the product's bits 32.. masked, as taken before, put the 128 keys of
 * bench/dpc_25m.json (24 CPUs, 5 drivers' DPCs and ISRs) in long runs: 6.1 probes a lookup
 * on average in a 256-slot table, against 1.1 for the top bits (bench/README.md, "DPC-only
 * trace, third pass"). The table's layout is not stored: records keep insertion order. */
static inline uint32_t agg_slice_home(uint64_t k, uint32_t cap)
{
	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> (64 - __builtin_ctz(cap)));
}

/* The record for key (not yet in s: agg_slice_rec does that check) added, zeroed; NULL
 * when out of memory. slot: the empty slot of s->tab where key's probe ended (unused when
 * s->tabcap is 0 or the table grows first): the lookup's hash and probes not done twice. */
struct agg_rec *agg_slice_rec_new(struct agg_slice *s, uint64_t key, uint32_t slot);
/* Find or add the record for key (zeroed when new); NULL when out of memory. The lookup
 * inline, the addition out of line: it runs for every DPC/ISR event and for every record
 * of a flushed slice, and finds an existing record far more often than not. */
static inline struct agg_rec *agg_slice_rec(struct agg_slice *s, uint64_t key)
{
	uint32_t h = 0;
	if (s->tabcap) {
		h = agg_slice_home(key, s->tabcap);
		for (;;) {
			uint32_t e = s->tab[h];
			if (!e)
				break;
			if (s->recs[e - 1].key == key)
				return &s->recs[e - 1];
			h = (h + 1) & (s->tabcap - 1);
		}
	}
	return agg_slice_rec_new(s, key, h);
}
/* Value i of src into dst: the larger of the two when bit i of max_mask is set, else
 * their sum; by mask and select, not a branch on the mask per value. */
static inline void agg_val_merge(struct agg_rec *dst, const struct agg_rec *src, int i,
				 unsigned max_mask)
{
	uint64_t s = src->v[i], d = dst->v[i];
	uint64_t take_max = (uint64_t)0 - (max_mask >> i & 1);
	uint64_t mx = s > d ? s : d;
	dst->v[i] = (mx & take_max) | ((d + s) & ~take_max);
}
/* Add rec into dst (values summed, except those in max_mask which take the maximum).
 * Inline, the five values written out: it runs for every record of every flushed slice
 * (362 k times on the 4 s DPC cut), and where max_mask is a constant (agg_slice_merge) the
 * selects fold away: ~93 -> ~55 instructions a call (bench/README.md, "2026-12-07 dpcstore6"). */
static inline void agg_rec_merge(struct agg_rec *dst, const struct agg_rec *src,
				 unsigned max_mask)
{
	_Static_assert(AGG_NVALS == 5, "agg_rec_merge writes the five values out");
	agg_val_merge(dst, src, 0, max_mask);
	agg_val_merge(dst, src, 1, max_mask);
	agg_val_merge(dst, src, 2, max_mask);
	agg_val_merge(dst, src, 3, max_mask);
	agg_val_merge(dst, src, 4, max_mask);
	for (uint64_t m = src->hmask; m; m &= m - 1) {
		int b = __builtin_ctzll(m);
		uint64_t held = (uint64_t)0 - (dst->hmask >> b & 1); /* valid only if set */
		dst->hist[b] = (dst->hist[b] & held) + src->hist[b];
	}
	dst->hmask |= src->hmask;
}
int agg_slice_merge(struct agg_slice *dst, const struct agg_slice *src, unsigned max_mask);

/* ---- blob codec ----
 * byte 0 version (1), byte 1 nvals (1..5), byte 2 flags (1 = histogram, 2 = DPC singles
 * allowed), varint nrec, then per record: varint cpu, varint module+1, byte kind|tag where
 * tag 0x80 = a DPC single (one event: varint duration, everything else derived), else
 * varint body length and body = nvals varints [+ byte nb + nb × (byte bucket, varint n)]. */
struct agg_out {
	int agg;
	int kind_only;            /* -1 = every record, else only records of this kind */
	uint8_t nvals;
	uint8_t val_idx[AGG_NVALS]; /* slot of the in-memory record each stored value comes from */
	uint8_t hist, singles;
	uint8_t primary;          /* holds everything for its records: read back to merge */
	uint8_t group;            /* AGG_GROUP_*: records summed under a coarser key first */
	uint8_t min_level;        /* written only for slices of this level and above */
};
enum { AGG_GROUP_NONE = 0, AGG_GROUP_CPU_CLASS = 1, AGG_GROUP_MODULE_CLASS = 2 };
struct agg_buf {
	uint8_t *p;
	size_t n, cap;
	uint32_t nrec; /* records in the last encoded blob */
};
int agg_encode(const struct agg_slice *s, const struct agg_out *o, struct agg_buf *b);

/* Decoded record handed to a visitor; v[] holds the stored values (zeros beyond nvals);
 * hist valid only when has_hist. */
struct agg_view {
	uint64_t key;
	uint64_t v[AGG_NVALS];
	int has_hist;
	uint64_t hist[DB_DPC_NBUCKETS];
	uint64_t hmask;
};
/* Record filter applied before the body is decoded (NULL pass = accept all). */
struct agg_pass {
	const struct db_cpu_set *cpus;
	const uint8_t *modules; /* bitset over module+1, nmod_bits bits; NULL = all */
	uint32_t nmod_bits;
	uint32_t kind_mask;     /* over the stored kind byte */
};
static inline int agg_pass_key(const struct agg_pass *p, unsigned cpu, uint32_t mod1,
			       unsigned kind)
{
	if (!p)
		return 1;
	if (!(p->kind_mask >> kind & 1))
		return 0;
	if (p->cpus && !db_cpu_set_has(p->cpus, cpu))
		return 0;
	if (p->modules && (mod1 >= p->nmod_bits || !(p->modules[mod1 / 8] >> (mod1 % 8) & 1)))
		return 0;
	return 1;
}
/* Calls visit for each passing record; returns -1 on a malformed blob, else 0 (or the
 * visitor's non-zero return). */
int agg_decode(const uint8_t *p, size_t n, const struct agg_pass *pass,
	       int (*visit)(void *ud, const struct agg_view *r), void *ud);

/* ---- streaming builder ---- */
struct agg_builder;
struct agg_builder *agg_builder_new(sqlite3 *db, int64_t run_id, const struct agg_out *outs,
				    int nouts, unsigned max_mask, char *err, size_t errlen);
/* How far behind the newest record a level-0 slice stays open (default 32 ms): records
 * arriving later than that still count exactly, at the cost of a read-modify-write. */
void agg_builder_set_lookahead(struct agg_builder *b, int64_t ns);
/* The level-0 record for (t_ns >= 0, key); NULL on failure (err set). */
struct agg_rec *agg_builder_rec(struct agg_builder *b, int64_t t_ns, uint64_t key);
/* Flush slices time has moved past (call after each record; cheap unless a ms passed). */
int agg_builder_advance(struct agg_builder *b, int64_t t_ns);
/* Where the builder keeps the least record time at which agg_builder_advance has work
 * (the pointer is valid for the builder's life; the value changes in agg_builder_rec and
 * agg_builder_advance): a caller may skip advance for a record with t_ns < *due, and must
 * read *due after agg_builder_rec for that record. Skipping is exact: the flushes and
 * their order are those of calling advance for every record (test_agg_due). */
const int64_t *agg_builder_due(const struct agg_builder *b);
/* Flush everything for levels <= top_level; discard the rest. */
int agg_builder_finish(struct agg_builder *b, int top_level);
const char *agg_builder_error(const struct agg_builder *b);
uint64_t agg_builder_rmw_count(const struct agg_builder *b);
/* Bytes of record arrays held by the pool of free slices (each at most POOL_KEEP_RECS
 * records, db_agg_build.c), and how many slices it holds (nslices may be NULL). */
size_t agg_builder_pool_bytes(const struct agg_builder *b, size_t *nslices);
/* Bytes of the insert queues' data arrays (at most QUEUE_TOTAL_BYTES, db_agg_build.c, but
 * for one blob larger than that alone). */
size_t agg_builder_queue_bytes(const struct agg_builder *b);
/* Records written per (agg, level) so far: queries size their reads with it. */
void agg_builder_add_counts(const struct agg_builder *b, int64_t counts[AGG_KINDS][AGG_LEVELS]);
void agg_builder_free(struct agg_builder *b);

/* Smallest level whose slice 0 covers [0, t_max_ns]. */
int agg_top_level(int64_t t_max_ns);

/* ---- reading a window ---- */
/* Window [from_ms, to_ms) in level-0 slices decomposed segment-tree style; visits every
 * stored slice blob of agg inside it. */
struct agg_window {
	int64_t from_ms, to_ms;
};
/* Reads run facts and turns a filter's [from_ns, to_ns] into ms (clamped to the run).
 * Returns 1 when the run has no ETW data. */
int agg_run_window(sqlite3 *db, const struct db_etw_filter *f, struct db_etw_run *run,
		   struct agg_window *w, char *err, size_t errlen);
int agg_read_window(sqlite3 *db, int64_t run_id, int agg, int top_level,
		    const struct agg_window *w, const struct agg_pass *pass,
		    int (*visit)(void *ud, const struct agg_view *r), void *ud, char *err,
		    size_t errlen);
/* Reads slices [lo, hi] of one level, calling slice_cb(ud, idx) before each slice's
 * records. */
int agg_read_level(sqlite3 *db, int64_t run_id, int agg, int level, int64_t lo, int64_t hi,
		   const struct agg_pass *pass, void (*slice_cb)(void *ud, int64_t idx),
		   int (*visit)(void *ud, const struct agg_view *r), void *ud, char *err,
		   size_t errlen);

/* ---- timelines: n equal buckets over a window, filled from one level ---- */
struct agg_spread {
	int64_t from_ns, to_ns; /* the window, ms-aligned */
	uint32_t n;
	double bucket_ns;
	int level;
	int64_t lo, hi;         /* slices of that level to read */
	int64_t end_ns;         /* the run's end (last ms + 1): no slice spreads past it */
};
/* Records stored per level for one aggregate (from etw_runs.level_recs), to size reads;
 * all zero when unknown. */
int agg_level_recs(sqlite3 *db, int64_t run_id, int agg, int64_t out[AGG_LEVELS]);
/* Window for a timeline: an open end stops at the run's last ms. Picks the finest level
 * with at most ~4 slices per bucket, within a budget of records read (estimated from
 * level_recs). */
void agg_spread_init(struct agg_spread *sp, const struct agg_window *w,
		     const struct db_etw_run *run, const struct db_etw_filter *f, uint32_t n,
		     const int64_t level_recs[AGG_LEVELS]);
/* Add value, spread evenly over slice idx, into row[0..n) (only the part inside the
 * window). */
void agg_spread_add(const struct agg_spread *sp, int64_t idx, double value, double *row);

/* Builds the pass from a filter (allocates the module bitset; free with agg_pass_clear). */
int agg_pass_from_filter(const struct db_etw_filter *f, uint32_t kind_mask,
			 struct agg_pass *p);
void agg_pass_clear(struct agg_pass *p);

#endif
