/* etl_u64map.c — the open-addressing u64 → u64 map of etl_u64map.h (linear probing, the
 * 64-bit finalizer of MurmurHash3 so that aligned pointers spread over the low bits). */
#include <stdlib.h>
#include <string.h>
#include "etl_u64map.h"

void etl_u64map_init(struct etl_u64map *m)
{
	memset(m, 0, sizeof *m);
}

void etl_u64map_clear(struct etl_u64map *m)
{
	free(m->t);
	memset(m, 0, sizeof *m);
}

/* The slot holding key, or the empty slot where it would go; cap > 0, a power of two. */
static struct etl_u64map_slot *slot_of(struct etl_u64map_slot *t, size_t cap, uint64_t key)
{
	uint64_t h = key;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	size_t i = (size_t)h & (cap - 1);
	while (t[i].key && t[i].key != key)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

struct etl_u64map_slot *etl_u64map_find(const struct etl_u64map *m, uint64_t key)
{
	if (!key || !m->cap)
		return NULL;
	struct etl_u64map_slot *e = slot_of(m->t, m->cap, key);
	return e->key ? e : NULL;
}

struct etl_u64map_slot *etl_u64map_add(struct etl_u64map *m, uint64_t key, int *added)
{
	if (added)
		*added = 0;
	if (!key)
		return NULL;
	struct etl_u64map_slot *e = etl_u64map_find(m, key);
	if (e)
		return e;
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : ETL_U64MAP_MIN_CAP;
		if (ncap > SIZE_MAX / sizeof *m->t)
			return NULL;
		struct etl_u64map_slot *t = calloc(ncap, sizeof *t);
		if (!t)
			return NULL;
		for (size_t i = 0; i < m->cap; i++)
			if (m->t[i].key)
				*slot_of(t, ncap, m->t[i].key) = m->t[i];
		free(m->t);
		m->t = t;
		m->cap = ncap;
	}
	e = slot_of(m->t, m->cap, key);
	e->key = key;
	e->val = 0;
	m->n++;
	if (added)
		*added = 1;
	return e;
}
