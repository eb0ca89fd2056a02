/* db_stk_map.c — the stack store's bounded hash map (see db_stk_map.h). */
#include <stdlib.h>
#include <string.h>
#include "db_stk_map.h"

int stk_map_init(struct stk_map *m, unsigned cap_log2)
{
	m->cap = (size_t)1 << cap_log2;
	m->n = 0;
	m->e = calloc(m->cap, sizeof *m->e);
	return m->e ? 0 : -1;
}

void stk_map_free(struct stk_map *m)
{
	free(m->e);
	m->e = NULL;
	m->cap = m->n = 0;
}

void stk_map_reset(struct stk_map *m)
{
	memset(m->e, 0, m->cap * sizeof *m->e);
	m->n = 0;
}

void stk_map_reset_sorted(struct stk_map *m, size_t n)
{
	memset(m->e, 0, (n < m->cap ? n : m->cap) * sizeof *m->e);
	m->n = 0;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct stk_entry *a = x, *b = y;
	for (int i = 0; i < 3; i++)
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	return 0;
}

/* The used entries moved to e[0..n) (their old slots emptied); n returned. */
static size_t compact(struct stk_map *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->e[i].used)
			continue;
		if (i != n) { /* moved: its old slot is empty, so sorting again finds each once */
			m->e[n] = m->e[i];
			m->e[i].used = 0;
		}
		n++;
	}
	return n;
}

size_t stk_map_sorted(struct stk_map *m)
{
	size_t n = compact(m);
	qsort(m->e, n, sizeof *m->e, entry_cmp);
	return n;
}

size_t stk_map_sorted_upto(struct stk_map *m, uint64_t k0_max, size_t *n_all)
{
	size_t n = compact(m), lo = 0;
	for (size_t i = 0; i < n; i++) /* e[0..lo) have k[0] ≤ k0_max */
		if (m->e[i].k[0] <= k0_max) {
			if (i != lo) {
				struct stk_entry t = m->e[lo];
				m->e[lo] = m->e[i];
				m->e[i] = t;
			}
			lo++;
		}
	qsort(m->e, lo, sizeof *m->e, entry_cmp);
	*n_all = n;
	return lo;
}

static size_t slot(const struct stk_map *m, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full ^
		     (c + 0x165667B19E3779F9ull) * 0x94D049BB133111EBull;
	h ^= h >> 31;
	return (size_t)h & (m->cap - 1);
}

static struct stk_entry *find(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c)
{
	size_t i = slot(m, a, b, c);
	for (;;) {
		struct stk_entry *e = &m->e[i];
		if (!e->used || (e->k[0] == a && e->k[1] == b && e->k[2] == c))
			return e;
		i = (i + 1) & (m->cap - 1);
	}
}

struct stk_entry *stk_map_get(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c)
{
	struct stk_entry *e = find(m, a, b, c);
	return e->used ? e : NULL;
}

struct stk_entry *stk_map_put(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c)
{
	struct stk_entry *e = find(m, a, b, c);
	if (e->used)
		return e;
	if (stk_map_full(m))
		return NULL;
	e->used = 1;
	e->k[0] = a;
	e->k[1] = b;
	e->k[2] = c;
	e->v = 0;
	m->n++;
	return e;
}

int stk_map_grow(struct stk_map *m)
{
	struct stk_map g = {calloc(m->cap * 2, sizeof *m->e), m->cap * 2, 0};
	if (!g.e)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		const struct stk_entry *e = &m->e[i];
		if (e->used)
			*find(&g, e->k[0], e->k[1], e->k[2]) = *e;
	}
	g.n = m->n;
	free(m->e);
	*m = g;
	return 0;
}

struct stk_entry *stk_map_put_grow(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c,
				   unsigned max_log2)
{
	struct stk_entry *e = stk_map_put(m, a, b, c);
	if (!e && m->cap < (size_t)1 << max_log2 && !stk_map_grow(m))
		e = stk_map_put(m, a, b, c);
	return e;
}

/* ---- stk_ids ---- */

static uint64_t ids_hash(uint64_t a, uint32_t b)
{
	uint64_t h = (a ^ (uint64_t)b << 40 ^ (uint64_t)b) * 0x9E3779B97F4A7C15ull;
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	return h ^ h >> 32;
}

int stk_ids_init(struct stk_ids *m, unsigned cap_log2, unsigned bloom_log2)
{
	return stk_ids_init_growing(m, cap_log2, cap_log2, bloom_log2);
}

int stk_ids_init_growing(struct stk_ids *m, unsigned start_log2, unsigned cap_log2,
			 unsigned bloom_log2)
{
	memset(m, 0, sizeof *m);
	m->max_cap = (size_t)1 << cap_log2;
	m->cap = (size_t)1 << (start_log2 < cap_log2 ? start_log2 : cap_log2);
	m->bloom_log2 = bloom_log2;
	m->e = calloc(m->cap, sizeof *m->e);
	m->bloom = calloc(((size_t)1 << bloom_log2) / 64, sizeof *m->bloom);
	if (!m->e || !m->bloom) {
		stk_ids_free(m);
		return -1;
	}
	return 0;
}

void stk_ids_free(struct stk_ids *m)
{
	free(m->e);
	free(m->bloom);
	memset(m, 0, sizeof *m);
}

size_t stk_ids_bytes(const struct stk_ids *m)
{
	return m->cap * sizeof *m->e + ((size_t)1 << m->bloom_log2) / 8;
}

static const struct stk_id *ids_find(const struct stk_ids *m, uint64_t a, uint32_t b, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);
	for (;;) {
		const struct stk_id *e = &m->e[i];
		if (!e->v || (e->a == a && e->b == b))
			return e;
		i = (i + 1) & (m->cap - 1);
	}
}

uint32_t stk_ids_get(const struct stk_ids *m, uint64_t a, uint32_t b)
{
	return ids_find(m, a, b, ids_hash(a, b))->v;
}

/* The filter's 3 bit positions, from the two halves of a second hash (double hashing). */
#define BLOOM_K 3
static void bloom_bits(const struct stk_ids *m, uint64_t a, uint32_t b, uint64_t out[BLOOM_K])
{
	uint64_t h = ids_hash(a ^ 0x5851F42D4C957F2Dull, b ^ 0x2545F491u);
	uint64_t h1 = h & 0xffffffffu, h2 = h >> 32 | 1, mask = ((uint64_t)1 << m->bloom_log2) - 1;
	for (int i = 0; i < BLOOM_K; i++)
		out[i] = (h1 + (uint64_t)i * h2 * 0x9E3779B1u) & mask;
}

int stk_ids_surely_new(const struct stk_ids *m, uint64_t a, uint32_t b)
{
	uint64_t bit[BLOOM_K];
	bloom_bits(m, a, b, bit);
	for (int i = 0; i < BLOOM_K; i++)
		if (!(m->bloom[bit[i] / 64] >> (bit[i] % 64) & 1))
			return 1;
	return 0;
}

/* The map at twice its capacity, every id kept: 0 or -1 (ENOMEM, m unchanged). */
static int ids_grow(struct stk_ids *m)
{
	struct stk_ids g = *m;
	g.cap = m->cap * 2;
	if (!(g.e = calloc(g.cap, sizeof *g.e)))
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		const struct stk_id *o = &m->e[i];
		if (o->v)
			*(struct stk_id *)ids_find(&g, o->a, o->b, ids_hash(o->a, o->b)) = *o;
	}
	free(m->e);
	*m = g;
	return 0;
}

int stk_ids_put(struct stk_ids *m, uint64_t a, uint32_t b, uint32_t v)
{
	uint64_t h = ids_hash(a, b);
	struct stk_id *e = (struct stk_id *)ids_find(m, a, b, h);
	if (!e->v && m->n >= m->cap / 4 * 3) { /* full at its capacity */
		if (m->cap < m->max_cap) {
			if (ids_grow(m))
				return -1;
		} else { /* forget every id (SQLite keeps them all) */
			stk_ids_forget(m);
		}
		e = (struct stk_id *)ids_find(m, a, b, h);
	}
	uint64_t bit[BLOOM_K];
	bloom_bits(m, a, b, bit);
	for (int i = 0; i < BLOOM_K; i++)
		m->bloom[bit[i] / 64] |= (uint64_t)1 << (bit[i] % 64);
	if (!e->v)
		m->n++;
	e->a = a;
	e->b = b;
	e->v = v;
	return 0;
}

static int ids_cmp_b_a(const void *x, const void *y)
{
	const struct stk_id *p = x, *q = y;
	int32_t pb = (int32_t)p->b, qb = (int32_t)q->b;
	if (pb != qb)
		return pb < qb ? -1 : 1;
	int64_t pa = (int64_t)p->a, qa = (int64_t)q->a;
	return pa < qa ? -1 : pa > qa;
}

static int ids_cmp_a_b(const void *x, const void *y)
{
	const struct stk_id *p = x, *q = y;
	int64_t pa = (int64_t)p->a, qa = (int64_t)q->a;
	if (pa != qa)
		return pa < qa ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

size_t stk_ids_sorted(struct stk_ids *m, uint32_t from, enum stk_ids_order order)
{
	size_t n = 0;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->e[i].v || m->e[i].v < from)
			continue;
		if (i != n) /* n ≤ i: slot n was read already (kept, moved or passed over) */
			m->e[n] = m->e[i];
		n++;
	}
	qsort(m->e, n, sizeof *m->e, order == STK_IDS_BY_B_A ? ids_cmp_b_a : ids_cmp_a_b);
	return n;
}

void stk_ids_forget(struct stk_ids *m)
{
	memset(m->e, 0, m->cap * sizeof *m->e);
	m->n = 0;
	m->forgot = 1;
	m->resets++;
}

/* ---- stk_dense ---- */

int stk_dense_init(struct stk_dense *d, int64_t max_id, unsigned nk, size_t max_bytes,
		   unsigned map_log2)
{
	memset(d, 0, sizeof *d);
	d->nk = nk ? nk : 1;
	int64_t fit = (int64_t)(max_bytes / (d->nk * sizeof *d->v));
	d->dense_n = max_id < 0 ? 0 : max_id < fit ? max_id : fit;
	if (d->dense_n && !(d->v = calloc((size_t)d->dense_n * d->nk, sizeof *d->v)))
		return -1;
	if (stk_map_init(&d->map, map_log2)) {
		free(d->v);
		d->v = NULL;
		return -1;
	}
	return 0;
}

void stk_dense_free(struct stk_dense *d)
{
	free(d->v);
	stk_map_free(&d->map);
	memset(d, 0, sizeof *d);
}

int32_t stk_dense_get(struct stk_dense *d, int64_t id, unsigned k)
{
	if (id >= 1 && id <= d->dense_n)
		return d->v[(size_t)(id - 1) * d->nk + k];
	const struct stk_entry *e = stk_map_get(&d->map, (uint64_t)id, k, 0);
	return e ? (int32_t)e->v : 0;
}

void stk_dense_put(struct stk_dense *d, int64_t id, unsigned k, int32_t v)
{
	if (id >= 1 && id <= d->dense_n) {
		d->v[(size_t)(id - 1) * d->nk + k] = v;
		return;
	}
	struct stk_entry *e = stk_map_get(&d->map, (uint64_t)id, k, 0);
	if (!e) {
		if (stk_map_full(&d->map)) {
			stk_map_reset(&d->map);
			d->forgot++;
		}
		e = stk_map_put(&d->map, (uint64_t)id, k, 0);
	}
	e->v = v;
}
