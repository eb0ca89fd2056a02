/* etl_u64map.h — a u64 → u64 map by open addressing: the ETL reader's small keyed tables
 * (etl_fltpin.h's FileObject set, etl_ioagg.h's file names) share it instead of each
 * hand-rolling the same slots and grow loop.
 *
 * Invariants: key 0 is never stored (it marks an empty slot), so callers whose key can be 0
 * must treat it themselves; cap is 0 or a power of two ≥ ETL_U64MAP_MIN_CAP, and
 * 2 * n ≤ cap after every add — so n keys take at most 2 * n rounded up to a power of two
 * (and ≥ ETL_U64MAP_MIN_CAP) slots of 16 bytes; nothing is ever removed, and a slot pointer
 * stays valid only until the next add (which may move every slot). */
#ifndef ETLSCOPE_ETL_U64MAP_H
#define ETLSCOPE_ETL_U64MAP_H
#include <stddef.h>
#include <stdint.h>

#define ETL_U64MAP_MIN_CAP 1024u

struct etl_u64map_slot { uint64_t key, val; };

struct etl_u64map {
	struct etl_u64map_slot *t; /* cap slots, key 0 = empty */
	size_t cap, n;
};

void etl_u64map_init(struct etl_u64map *m);
/* Frees the slots and leaves m empty (as after _init). */
void etl_u64map_clear(struct etl_u64map *m);
/* The slot of key, NULL if key is 0 or absent. */
struct etl_u64map_slot *etl_u64map_find(const struct etl_u64map *m, uint64_t key);
/* The slot of key, added with val 0 if absent (*added, if not NULL, is set to 1 then, else
 * 0). NULL if key is 0, or on ENOMEM (nothing added, m unchanged). */
struct etl_u64map_slot *etl_u64map_add(struct etl_u64map *m, uint64_t key, int *added);

#endif
