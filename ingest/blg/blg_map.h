/* blg_map.h — a string-keyed hash map to uint32 ids (series lookup by counter path parts).
 * Keys are copied; memory grows with the number of keys only. */
#ifndef ETLSCOPE_BLG_MAP_H
#define ETLSCOPE_BLG_MAP_H

#include <stddef.h>
#include <stdint.h>

struct blg_map {
	char **keys;
	uint32_t *vals;
	size_t cap;   /* power of two, 0 when empty */
	size_t count;
};

void blg_map_init(struct blg_map *m);
void blg_map_free(struct blg_map *m);
/* 1 and *val if found, 0 if not. */
int blg_map_get(const struct blg_map *m, const char *key, uint32_t *val);
/* Insert (key must be absent). 0 or -1 on allocation failure. */
int blg_map_put(struct blg_map *m, const char *key, uint32_t val);
/* The map's own copy of a present key (stable until blg_map_free), NULL if absent. */
const char *blg_map_key(const struct blg_map *m, const char *key);
/* Update the value of a present key. 1 if it was present, 0 if not. */
int blg_map_set(struct blg_map *m, const char *key, uint32_t val);

#endif
