/* etl_stacks.c — stack-key definitions: stored frames, sorted by (key, time),
 * binary-searched by reference. */
#include <stdlib.h>
#include <string.h>
#include "etl_grow.h"
#include "etl_stacks.h"

void etl_stack_cache_init(struct etl_stack_cache *c)
{
	memset(c, 0, sizeof *c);
}

void etl_stack_cache_free(struct etl_stack_cache *c)
{
	free(c->defs);
	free(c->frames);
	memset(c, 0, sizeof *c);
}

int etl_stack_cache_add(struct etl_stack_cache *c, const struct etl_stack *s, uint64_t def_ts)
{
	if (etl_grow((void **)&c->defs, &c->cap, c->n + 1, sizeof *c->defs) ||
	    etl_grow((void **)&c->frames, &c->frames_cap, c->n_frames + s->n_frames,
		    sizeof *c->frames))
		return -1;
	struct etl_stack_def *d = &c->defs[c->n++];
	memset(d, 0, sizeof *d);
	d->key = s->key;
	d->def_ts = def_ts;
	d->frame_off = c->n_frames;
	d->n_frames = s->n_frames;
	d->psize = s->psize;
	for (uint32_t i = 0; i < s->n_frames; i++)
		c->frames[c->n_frames++] = etl_stack_frame(s, i);
	return 0;
}

static int def_cmp(const void *a, const void *b)
{
	const struct etl_stack_def *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->def_ts > y->def_ts) - (x->def_ts < y->def_ts);
}

void etl_stack_cache_sort(struct etl_stack_cache *c)
{
	if (c->n)
		qsort(c->defs, c->n, sizeof *c->defs, def_cmp);
}

const struct etl_stack_def *etl_stack_cache_find(const struct etl_stack_cache *c, uint64_t key,
						 uint64_t ts)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) { /* first def with (key, def_ts) >= (key, ts) */
		size_t mid = lo + (hi - lo) / 2;
		const struct etl_stack_def *d = &c->defs[mid];
		if (d->key < key || (d->key == key && d->def_ts < ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && c->defs[lo].key == key)
		return &c->defs[lo];
	if (lo > 0 && c->defs[lo - 1].key == key)
		return &c->defs[lo - 1];
	return NULL;
}
