/* etl_fltpin.h — the evidence that pins which pointer slot of a minifilter record is the
 * FileObject (the payload order is not published, ingest/etl/README.md): the bounded set
 * of FileObjects the trace's FileIo events showed so far (each with its FileKey, 0 if its
 * class has none), and the rule that picks a slot from per-slot match counts.
 *
 * Invariants: at most ETL_FLTPIN_MAX_OBJECTS objects; later new ones are counted in
 * `dropped`, never evicted (a dropped object only weakens the evidence, never fakes it);
 * object 0 is never stored; a known object's key is kept unless a later event gives a
 * non-zero one. Memory: etl_u64map.h's slots, so at most 512 Ki slots of 16 bytes (8 MiB)
 * at the cap. */
#ifndef ETLSCOPE_ETL_FLTPIN_H
#define ETLSCOPE_ETL_FLTPIN_H
#include <stddef.h>
#include <stdint.h>
#include "etl_u64map.h"

#define ETL_FLTPIN_MAX_OBJECTS (1u << 18)
/* the rule (etl_fltpin_choose): at least this many matching records … */
#define ETL_FLTPIN_MIN_MATCHES 4

struct etl_fltpin {
	struct etl_u64map seen; /* FileObject → FileKey; seen.n = how many */
	uint64_t dropped;
};

void etl_fltpin_init(struct etl_fltpin *p);
void etl_fltpin_free(struct etl_fltpin *p);
/* A FileObject seen in a FileIo event, with its FileKey (0 if none). 0, or -1 on ENOMEM
 * (nothing stored). */
int etl_fltpin_note(struct etl_fltpin *p, uint64_t object, uint64_t key);
/* 1 if object was seen (*key, if not NULL, receives its FileKey), else 0. */
int etl_fltpin_has(const struct etl_fltpin *p, uint64_t object, uint64_t *key);

/* The slot pinned by match counts: matches[i] = records whose slot i held a seen
 * FileObject, of `records` records. Returns the slot whose count is at least
 * ETL_FLTPIN_MIN_MATCHES and at least half of `records`, with every other slot at most a
 * quarter of it; -1 if none (no evidence, or not a clear majority). */
int etl_fltpin_choose(const uint64_t *matches, size_t n_slots, uint64_t records);

#endif
