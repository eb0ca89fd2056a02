/* db_agg_slice.c — one in-memory time slice: records keyed by (cpu, module, kind) in an
 * open-addressing hash, and merging records and slices. Histogram buckets are valid only
 * where the record's hmask bit is set, so a fresh record costs no histogram clearing. */
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"

void agg_slice_reset(struct agg_slice *s, int level, int64_t idx)
{
	s->level = level;
	s->idx = idx;
	s->n = 0;
	if (s->tab)
		memset(s->tab, 0, sizeof *s->tab * s->tabcap);
	s->next = NULL;
}

void agg_slice_free(struct agg_slice *s)
{
	if (!s)
		return;
	free(s->recs);
	free(s->tab);
	free(s);
}

static int grow_tab(struct agg_slice *s)
{
	uint32_t cap = s->tabcap ? s->tabcap * 2 : 256;
	uint32_t *t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t h = agg_slice_home(s->recs[i].key, cap);
		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = i + 1;
	}
	free(s->tab);
	s->tab = t;
	s->tabcap = cap;
	return 0;
}

struct agg_rec *agg_slice_rec_new(struct agg_slice *s, uint64_t key, uint32_t slot)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct agg_rec *r = realloc(s->recs, sizeof *r * cap);
		if (!r)
			return NULL;
		s->recs = r;
		s->cap = cap;
	}
	if ((uint64_t)(s->n + 1) * 2 > s->tabcap) { /* the slot was of the smaller table */
		if (grow_tab(s))
			return NULL;
		slot = agg_slice_home(key, s->tabcap);
		while (s->tab[slot])
			slot = (slot + 1) & (s->tabcap - 1);
	}
	struct agg_rec *r = &s->recs[s->n];
	r->key = key;
	memset(r->v, 0, sizeof r->v);
	r->hmask = 0;
	s->tab[slot] = ++s->n;
	return r;
}

/* src's records into dst; always inlined, so max_mask is a constant in each copy. */
static inline __attribute__((always_inline)) int
slice_merge(struct agg_slice *dst, const struct agg_slice *src, unsigned max_mask)
{
	for (uint32_t i = 0; i < src->n; i++) {
		struct agg_rec *d = agg_slice_rec(dst, src->recs[i].key);
		if (!d)
			return -1;
		agg_rec_merge(d, &src->recs[i], max_mask);
	}
	return 0;
}

/* The two masks the builders use (DPC: the maximum in V_MAX; CPU: sums only) each get
 * a loop of their own, where the select between sum and maximum is decided when compiled. */
int agg_slice_merge(struct agg_slice *dst, const struct agg_slice *src, unsigned max_mask)
{
	if (max_mask == 1u << V_MAX)
		return slice_merge(dst, src, 1u << V_MAX);
	if (max_mask == 0)
		return slice_merge(dst, src, 0);
	return slice_merge(dst, src, max_mask);
}
