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

struct agg_rec *agg_slice_rec_new(struct agg_slice *s, uint64_t key)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct agg_rec *r = realloc(s->recs, sizeof *r * cap);
		if (!r)
			return NULL;
		s->recs = r;
		s->cap = cap;
	}
	if ((uint64_t)(s->n + 1) * 2 > s->tabcap && grow_tab(s))
		return NULL;
	struct agg_rec *r = &s->recs[s->n];
	r->key = key;
	memset(r->v, 0, sizeof r->v);
	r->hmask = 0;
	uint32_t h = agg_slice_home(key, s->tabcap);
	while (s->tab[h])
		h = (h + 1) & (s->tabcap - 1);
	s->tab[h] = ++s->n;
	return r;
}

void agg_rec_merge(struct agg_rec *dst, const struct agg_rec *src, unsigned max_mask)
{
	for (int i = 0; i < AGG_NVALS; i++) {
		if (max_mask >> i & 1) {
			if (src->v[i] > dst->v[i])
				dst->v[i] = src->v[i];
		} else {
			dst->v[i] += src->v[i];
		}
	}
	for (uint64_t m = src->hmask; m; m &= m - 1) {
		int b = __builtin_ctzll(m);
		uint64_t held = (uint64_t)0 - (dst->hmask >> b & 1); /* valid only if set */
		dst->hist[b] = (dst->hist[b] & held) + src->hist[b];
	}
	dst->hmask |= src->hmask;
}

int agg_slice_merge(struct agg_slice *dst, const struct agg_slice *src, unsigned max_mask)
{
	for (uint32_t i = 0; i < src->n; i++) {
		struct agg_rec *d = agg_slice_rec(dst, src->recs[i].key);
		if (!d)
			return -1;
		agg_rec_merge(d, &src->recs[i], max_mask);
	}
	return 0;
}
