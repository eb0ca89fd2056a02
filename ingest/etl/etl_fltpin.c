/* etl_fltpin.c — the FileObject set and the slot rule of etl_fltpin.h. */
#include <string.h>
#include "etl_fltpin.h"

void etl_fltpin_init(struct etl_fltpin *p)
{
	memset(p, 0, sizeof *p);
}

void etl_fltpin_free(struct etl_fltpin *p)
{
	etl_u64map_clear(&p->seen);
	memset(p, 0, sizeof *p);
}

int etl_fltpin_note(struct etl_fltpin *p, uint64_t object, uint64_t key)
{
	if (!object)
		return 0;
	struct etl_u64map_slot *e = etl_u64map_find(&p->seen, object);
	if (!e) {
		if (p->seen.n >= ETL_FLTPIN_MAX_OBJECTS) {
			p->dropped++;
			return 0;
		}
		if (!(e = etl_u64map_add(&p->seen, object, NULL)))
			return -1;
		e->val = key;
	} else if (key)
		e->val = key;
	return 0;
}

int etl_fltpin_has(const struct etl_fltpin *p, uint64_t object, uint64_t *key)
{
	const struct etl_u64map_slot *e = etl_u64map_find(&p->seen, object);
	if (!e)
		return 0;
	if (key)
		*key = e->val;
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
