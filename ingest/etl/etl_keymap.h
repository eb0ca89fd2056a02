/* etl_keymap.h — (u64, u64) key → u32 index, open addressing; the scheduling tracker's maps
 * (threads, syscall aggregates, readied-by pairs) index their own arrays through it. */
#ifndef ETLSCOPE_ETL_KEYMAP_H
#define ETLSCOPE_ETL_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

struct etl_keymap_slot {
	uint64_t a, b;
	uint32_t idx; /* UINT32_MAX = empty */
};

struct etl_keymap {
	struct etl_keymap_slot *slot;
	size_t cap, n; /* cap is 0 or a power of two; n <= cap / 2 */
};

void etl_keymap_init(struct etl_keymap *m);
void etl_keymap_free(struct etl_keymap *m);
/* Index stored for (a, b), or UINT32_MAX if absent. */
uint32_t etl_keymap_get(const struct etl_keymap *m, uint64_t a, uint64_t b);
/* Store idx for a new key (a, b) (the caller checked it is absent). 0, or -1 on ENOMEM. */
int etl_keymap_put(struct etl_keymap *m, uint64_t a, uint64_t b, uint32_t idx);

/* A bounded set of (u64, u64) keys (the one-pass ingest's records of what its lookups
 * missed): past max keys, or out of memory, it is `full` and answers yes to every key. */
struct etl_keyset {
	struct etl_keymap m;
	size_t max;
	int full;
};

void etl_keyset_init(struct etl_keyset *s, size_t max);
void etl_keyset_free(struct etl_keyset *s);
void etl_keyset_note(struct etl_keyset *s, uint64_t a, uint64_t b);
/* 1 if (a, b) was noted or the set is full. */
int etl_keyset_has(const struct etl_keyset *s, uint64_t a, uint64_t b);
/* 1 if some noted (a, b) has lo <= b <= hi, or the set is full. */
int etl_keyset_any(const struct etl_keyset *s, uint64_t a, uint64_t lo, uint64_t hi);

#endif
