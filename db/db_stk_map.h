/* db_stk_map.h — internal: the stack store's bounded hash maps.
 *
 * stk_map: open addressing from a 3 × 64-bit key to a 64-bit value; the write side's per-slice
 * count accumulator and the read side's node cache. The caller decides what to do when it
 * is full (flush or forget); the map never grows past the capacity given at init, except
 * through stk_map_grow / stk_map_put_grow (call trees: sized to their nodes, up to a bound).
 *
 * stk_ids: the write side's id caches (frame id by module + offset, node id by parent +
 * frame), 16 bytes a slot, with a Bloom filter of every key ever put. While the map was never
 * forgotten it holds every id, so a miss means "new" without asking SQLite; once it was
 * forgotten (full), a miss the Bloom filter rules out is new too, and only the rest (hot
 * keys forgotten, or the filter's false positives) need a lookup. Memory is bounded at
 * init (the map may start smaller and double up to its capacity: stk_ids_init_growing). */
#ifndef ETLSCOPE_DB_STK_MAP_H
#define ETLSCOPE_DB_STK_MAP_H

#include <stddef.h>
#include <stdint.h>

struct stk_entry {
	uint64_t k[3];
	int64_t v;
	uint8_t used;
};

struct stk_map {
	struct stk_entry *e;
	size_t cap, n; /* cap a power of two; n ≤ cap × 3 / 4 */
};

/* 0 or -1 (ENOMEM). cap_log2 ≤ 30. */
int stk_map_init(struct stk_map *m, unsigned cap_log2);
void stk_map_free(struct stk_map *m);
void stk_map_reset(struct stk_map *m);
/* 1 if the map is full (no insert until reset). */
static inline int stk_map_full(const struct stk_map *m)
{
	return m->n >= m->cap / 4 * 3;
}
/* The entry for key, or NULL. */
struct stk_entry *stk_map_get(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c);
/* The entry for key, inserted with v = 0 if absent; NULL if absent and the map is full. */
struct stk_entry *stk_map_put(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c);

/* Move the entries to e[0..n) in ascending key order (k[0], then k[1], then k[2]) and return
 * n: a flush writes them in its table's key order, so SQLite appends to the B-tree's pages
 * instead of inserting all over them. The map is no hash map until stk_map_reset. */
size_t stk_map_sorted(struct stk_map *m);
/* The same, but only the entries with k[0] ≤ k0_max sorted: all entries are moved to
 * e[0..*n_all), those with k[0] ≤ k0_max first and in key order (the count returned), the
 * others after them in no order. For a flush of the older part of a map whose newer part
 * is put back: the part kept is not sorted only to be sorted again at the next flush. The
 * map is no hash map until stk_map_reset (or stk_map_reset_sorted with *n_all). */
size_t stk_map_sorted_upto(struct stk_map *m, uint64_t k0_max, size_t *n_all);
/* stk_map_reset after stk_map_sorted returned n: only e[0..n) can be in use (the sort left
 * every other slot empty), so only they are cleared, not the whole capacity. */
void stk_map_reset_sorted(struct stk_map *m, size_t n);

/* m at twice its capacity, every entry kept (pointers into it are stale): 0 or -1 (ENOMEM,
 * m unchanged). */
int stk_map_grow(struct stk_map *m);
/* stk_map_put, the map doubled first when full and below 2^max_log2 slots: a map that
 * starts small holds memory in proportion to its entries up to that bound. NULL when full
 * at the bound, or out of memory. */
struct stk_entry *stk_map_put_grow(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c,
				   unsigned max_log2);

/* A slot of stk_ids: key (a, b), id v; v 0 = empty (ids start at 1). */
struct stk_id {
	uint64_t a;
	uint32_t b, v;
};

struct stk_ids {
	struct stk_id *e;
	uint64_t *bloom;   /* 2^bloom_log2 bits */
	size_t cap, n;     /* cap a power of two; n ≤ cap × 3 / 4 */
	size_t max_cap;    /* cap doubles up to this before the map ever forgets */
	unsigned bloom_log2;
	int forgot;        /* the map was reset at least once: a miss may be an old key */
	uint64_t resets;   /* times it was forgotten (a statistic) */
};

/* 0 or -1 (ENOMEM). cap_log2 ≤ 30, bloom_log2 in 6..36. */
int stk_ids_init(struct stk_ids *m, unsigned cap_log2, unsigned bloom_log2);
/* The same, the map starting at 2^start_log2 slots (≤ cap_log2) and doubling when full up
 * to 2^cap_log2: it forgets (and stk_ids_full says so) exactly when a map made at 2^cap_log2
 * would, while its slots stay as dense as its keys allow — a cache that holds 12 k ids
 * probes 256 KB, not 2 MiB. */
int stk_ids_init_growing(struct stk_ids *m, unsigned start_log2, unsigned cap_log2,
			 unsigned bloom_log2);
void stk_ids_free(struct stk_ids *m);
/* The id of (a, b) if cached, else 0. */
uint32_t stk_ids_get(const struct stk_ids *m, uint64_t a, uint32_t b);
/* 1 if (a, b) was never put (certain), 0 if it may have been. */
int stk_ids_surely_new(const struct stk_ids *m, uint64_t a, uint32_t b);
/* 1 if the map is full: the next stk_ids_put of a key it lacks forgets every cached id. */
static inline int stk_ids_full(const struct stk_ids *m)
{
	return m->n >= m->max_cap / 4 * 3;
}
/* Cache (a, b) → v (v ≥ 1): 0, or -1 (ENOMEM: the map could not double; nothing changed).
 * A map full below max_cap doubles first; one full at max_cap forgets every cached id. */
int stk_ids_put(struct stk_ids *m, uint64_t a, uint32_t b, uint32_t v);
/* Bytes held (the map and the filter), for the memory accounting of callers and tests. */
size_t stk_ids_bytes(const struct stk_ids *m);

/* How stk_ids_sorted orders its slots: the SQL order of the unique index the rows go into.
 * STK_IDS_BY_B_A: b as a signed 32-bit value, then a as signed 64 (stk_frames_key: module_id,
 * offset); STK_IDS_BY_A_B: a as signed 64, then b unsigned (stk_nodes_key: parent, frame). */
enum stk_ids_order { STK_IDS_BY_B_A, STK_IDS_BY_A_B };
/* Move the slots whose id is ≥ from to e[0..n), sort them by key in `order`, and return n:
 * the rows created since the last flush, for a writer to insert in its index's key order
 * (each index page touched once per batch, not once per row). The map is no hash map until
 * stk_ids_forget, which the caller must call next. */
size_t stk_ids_sorted(struct stk_ids *m, uint32_t from, enum stk_ids_order order);
/* Forget every cached id (the Bloom filter keeps its keys): what stk_ids_put does by itself
 * when full, for a caller that wrote the map's new rows out first (stk_ids_sorted). */
void stk_ids_forget(struct stk_ids *m);

/* stk_dense: (id, k) → a nonzero int32, for ids that are dense from 1 (stored node ids) and
 * k < nk (a few keys per id). Ids 1..dense_n sit in an array of dense_n × nk int32 (0 =
 * absent), dense_n the largest that fits max_bytes (allocated zeroed: pages the ids never
 * reach stay untouched); any other id goes to a stk_map of 2^map_log2 slots that forgets
 * every entry when full (a cache: the caller recomputes a miss). */
struct stk_dense {
	int32_t *v;       /* [(id - 1) × nk + k] for 1 ≤ id ≤ dense_n; NULL when dense_n is 0 */
	int64_t dense_n;
	unsigned nk;
	struct stk_map map; /* the ids past the array */
	uint64_t forgot;    /* times the map was forgotten (a statistic) */
};

/* 0 or -1 (ENOMEM). max_id ≥ 0 is the largest id expected (ids past it go to the map). */
int stk_dense_init(struct stk_dense *d, int64_t max_id, unsigned nk, size_t max_bytes,
		   unsigned map_log2);
void stk_dense_free(struct stk_dense *d);
/* The value of (id, k), or 0 if absent (or forgotten). */
int32_t stk_dense_get(struct stk_dense *d, int64_t id, unsigned k);
/* (id, k) → v (v ≠ 0), the map forgotten first when full. */
void stk_dense_put(struct stk_dense *d, int64_t id, unsigned k, int32_t v);

#endif
