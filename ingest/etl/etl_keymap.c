/* etl_keymap.c — the open-addressing map of etl_keymap.h (linear probing, doubling at half
 * full, never deletes). */
#include <stdlib.h>
#include "etl_keymap.h"

static size_t hash(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
	return (size_t)(h ^ h >> 29);
}

void etl_keymap_init(struct etl_keymap *m)
{
	m->slot = NULL;
	m->cap = m->n = 0;
}

void etl_keymap_free(struct etl_keymap *m)
{
	free(m->slot);
	etl_keymap_init(m);
}

uint32_t etl_keymap_get(const struct etl_keymap *m, uint64_t a, uint64_t b)
{
	if (!m->cap)
		return UINT32_MAX;
	for (size_t i = hash(a, b) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		const struct etl_keymap_slot *s = &m->slot[i];
		if (s->idx == UINT32_MAX)
			return UINT32_MAX;
		if (s->a == a && s->b == b)
			return s->idx;
	}
}

static void place(struct etl_keymap_slot *slot, size_t cap, uint64_t a, uint64_t b, uint32_t idx)
{
	size_t i = hash(a, b) & (cap - 1);
	while (slot[i].idx != UINT32_MAX)
		i = (i + 1) & (cap - 1);
	slot[i] = (struct etl_keymap_slot){a, b, idx};
}

int etl_keymap_put(struct etl_keymap *m, uint64_t a, uint64_t b, uint32_t idx)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		if (ncap > SIZE_MAX / sizeof *m->slot)
			return -1;
		struct etl_keymap_slot *ns = malloc(ncap * sizeof *ns);
		if (!ns)
			return -1;
		for (size_t i = 0; i < ncap; i++)
			ns[i].idx = UINT32_MAX;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slot[i].idx != UINT32_MAX)
				place(ns, ncap, m->slot[i].a, m->slot[i].b, m->slot[i].idx);
		free(m->slot);
		m->slot = ns;
		m->cap = ncap;
	}
	place(m->slot, m->cap, a, b, idx);
	m->n++;
	return 0;
}

void etl_keyset_init(struct etl_keyset *s, size_t max)
{
	etl_keymap_init(&s->m);
	s->max = max;
	s->full = 0;
}

void etl_keyset_free(struct etl_keyset *s)
{
	etl_keymap_free(&s->m);
	s->full = 0;
}

void etl_keyset_note(struct etl_keyset *s, uint64_t a, uint64_t b)
{
	if (s->full || etl_keymap_get(&s->m, a, b) != UINT32_MAX)
		return;
	if (s->m.n >= s->max || etl_keymap_put(&s->m, a, b, 0) != 0)
		s->full = 1;
}

int etl_keyset_has(const struct etl_keyset *s, uint64_t a, uint64_t b)
{
	return s->full || etl_keymap_get(&s->m, a, b) != UINT32_MAX;
}

int etl_keyset_any(const struct etl_keyset *s, uint64_t a, uint64_t lo, uint64_t hi)
{
	if (s->full)
		return 1;
	if (hi - lo < 4096) { /* a module's pages: ask for each */
		for (uint64_t b = lo;; b++) {
			if (etl_keymap_get(&s->m, a, b) != UINT32_MAX)
				return 1;
			if (b == hi)
				return 0;
		}
	}
	for (size_t i = 0; i < s->m.cap; i++) {
		const struct etl_keymap_slot *k = &s->m.slot[i];
		if (k->idx != UINT32_MAX && k->a == a && k->b >= lo && k->b <= hi)
			return 1;
	}
	return 0;
}
