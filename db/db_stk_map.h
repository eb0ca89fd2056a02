/* db_stk_map.h — internal: a bounded open-addressing hash map from a 3 × 64-bit key to a
 * 64-bit value, used by the stack store as its frame/node id caches and its per-slice
 * count accumulator. The caller decides what to do when it is full (flush or forget);
 * the map never grows past the capacity given at init. */
#ifndef ETLSCOPE_DB_STK_MAP_H
#define ETLSCOPE_DB_STK_MAP_H

#include <stddef.h>
#include <stdint.h>

struct stk_entry {
	uint64_t k[3];
	int64_t v;
	uint8_t used;
};

struct stk_map {
	struct stk_entry *e;
	size_t cap, n; /* cap a power of two; n ≤ cap × 3 / 4 */
};

/* 0 or -1 (ENOMEM). cap_log2 ≤ 30. */
int stk_map_init(struct stk_map *m, unsigned cap_log2);
void stk_map_free(struct stk_map *m);
void stk_map_reset(struct stk_map *m);
/* 1 if the map is full (no insert until reset). */
static inline int stk_map_full(const struct stk_map *m)
{
	return m->n >= m->cap / 4 * 3;
}
/* The entry for key, or NULL. */
struct stk_entry *stk_map_get(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c);
/* The entry for key, inserted with v = 0 if absent; NULL if absent and the map is full. */
struct stk_entry *stk_map_put(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c);

#endif
