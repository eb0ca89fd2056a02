/* etl_fltpin.c — the FileObject set and the slot rule of etl_fltpin.h. */
#include <stdlib.h>
#include <string.h>
#include "etl_fltpin.h"

void etl_fltpin_init(struct etl_fltpin *p)
{
	memset(p, 0, sizeof *p);
}

void etl_fltpin_free(struct etl_fltpin *p)
{
	free(p->t);
	memset(p, 0, sizeof *p);
}

static size_t slot_of(const struct etl_fltpin_slot *t, size_t cap, uint64_t object)
{
	uint64_t h = object * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h ^ h >> 29) & (cap - 1);
	while (t[i].object && t[i].object != object)
		i = (i + 1) & (cap - 1);
	return i;
}

int etl_fltpin_note(struct etl_fltpin *p, uint64_t object, uint64_t key)
{
	if (!object)
		return 0;
	if (p->cap) {
		struct etl_fltpin_slot *e = &p->t[slot_of(p->t, p->cap, object)];
		if (e->object) {
			if (key)
				e->key = key;
			return 0;
		}
	}
	if (p->n >= ETL_FLTPIN_MAX_OBJECTS) {
		p->dropped++;
		return 0;
	}
	if ((p->n + 1) * 2 > p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 1024;
		struct etl_fltpin_slot *t = calloc(ncap, sizeof *t);
		if (!t)
			return -1;
		for (size_t i = 0; i < p->cap; i++)
			if (p->t[i].object)
				t[slot_of(t, ncap, p->t[i].object)] = p->t[i];
		free(p->t);
		p->t = t;
		p->cap = ncap;
	}
	struct etl_fltpin_slot *e = &p->t[slot_of(p->t, p->cap, object)];
	e->object = object;
	e->key = key;
	p->n++;
	return 0;
}

int etl_fltpin_has(const struct etl_fltpin *p, uint64_t object, uint64_t *key)
{
	if (!object || !p->cap)
		return 0;
	const struct etl_fltpin_slot *e = &p->t[slot_of(p->t, p->cap, object)];
	if (!e->object)
		return 0;
	if (key)
		*key = e->key;
	return 1;
}

int etl_fltpin_choose(const uint64_t *matches, size_t n_slots, uint64_t records)
{
	size_t best = 0;
	for (size_t i = 1; i < n_slots; i++)
		if (matches[i] > matches[best])
			best = i;
	if (!n_slots || matches[best] < ETL_FLTPIN_MIN_MATCHES || matches[best] * 2 < records)
		return -1;
	for (size_t i = 0; i < n_slots; i++)
		if (i != best && matches[i] * 4 > matches[best])
			return -1;
	return (int)best;
}
