/* etl_stacks.c — stack-key definitions: stored frames, sorted by (key, time), resolved to
 * module-id sets, binary-searched by reference. */
#include <stdlib.h>
#include <string.h>
#include "etl_stacks.h"

void etl_stack_cache_init(struct etl_stack_cache *c)
{
	memset(c, 0, sizeof *c);
}

void etl_stack_cache_free(struct etl_stack_cache *c)
{
	free(c->defs);
	free(c->frames);
	free(c->mods);
	free(c->refs);
	memset(c, 0, sizeof *c);
}

static int reserve(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 256;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(*p, ncap * elem);
	if (!n)
		return -1;
	*p = n;
	*cap = ncap;
	return 0;
}

int etl_stack_cache_add(struct etl_stack_cache *c, const struct etl_stack *s, uint64_t def_ts)
{
	if (reserve((void **)&c->defs, &c->cap, c->n + 1, sizeof *c->defs) ||
	    reserve((void **)&c->frames, &c->frames_cap, c->n_frames + s->n_frames,
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

int etl_stack_cache_note_user_ref(struct etl_stack_cache *c, uint64_t key, uint32_t pid)
{
	if (c->n_refs && c->refs[c->n_refs - 1].key == key && c->refs[c->n_refs - 1].pid == pid)
		return 0;
	if (reserve((void **)&c->refs, &c->refs_cap, c->n_refs + 1, sizeof *c->refs))
		return -1;
	c->refs[c->n_refs].key = key;
	c->refs[c->n_refs].pid = pid;
	c->n_refs++;
	return 0;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct etl_stack_keypid *x = a, *y = b;
	return (x->key > y->key) - (x->key < y->key);
}

static uint32_t owner_of(const struct etl_stack_cache *c, uint64_t key)
{
	size_t lo = 0, hi = c->n_refs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->refs[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n_refs && c->refs[lo].key == key ? c->refs[lo].pid : 0;
}

static int def_cmp(const void *a, const void *b)
{
	const struct etl_stack_def *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->def_ts > y->def_ts) - (x->def_ts < y->def_ts);
}

int etl_stack_cache_resolve(struct etl_stack_cache *c, const struct etl_modmap *m)
{
	if (c->n)
		qsort(c->defs, c->n, sizeof *c->defs, def_cmp);
	if (c->n_refs)
		qsort(c->refs, c->n_refs, sizeof *c->refs, ref_cmp);
	for (size_t i = 0; i < c->n; i++) {
		struct etl_stack_def *d = &c->defs[i];
		if (!d->pid)
			d->pid = owner_of(c, d->key);
		d->mod_off = c->n_mods;
		d->n_mods = 0;
		for (uint32_t f = 0; f < d->n_frames; f++) {
			const struct etl_module *e =
				etl_modmap_lookup(m, c->frames[d->frame_off + f], d->pid, 0, d->psize);
			if (!e || e->id < 0)
				continue;
			int dup = 0;
			for (uint32_t k = 0; k < d->n_mods && !dup; k++)
				dup = c->mods[d->mod_off + k] == e->id;
			if (dup)
				continue;
			if (reserve((void **)&c->mods, &c->mods_cap, c->n_mods + 1, sizeof *c->mods))
				return -1;
			c->mods[c->n_mods++] = e->id;
			d->n_mods++;
		}
	}
	/* frames are no longer needed */
	free(c->frames);
	c->frames = NULL;
	c->n_frames = c->frames_cap = 0;
	return 0;
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
