/* etl_tidmap.h — thread id → process id, from Thread start/rundown events (open addressing). */
#ifndef ETLSCOPE_ETL_TIDMAP_H
#define ETLSCOPE_ETL_TIDMAP_H

#include <stddef.h>
#include <stdint.h>
#include "etl_keymap.h"

struct etl_tidmap {
	uint32_t *tid; /* 0 = empty slot (tid 0 is the idle thread of pid 0) */
	uint32_t *pid;
	size_t cap, n;
	/* One-pass ingest: when set, every tid looked up and not found is noted there. */
	struct etl_keyset *missed;
};

void etl_tidmap_init(struct etl_tidmap *m);
void etl_tidmap_free(struct etl_tidmap *m);
int etl_tidmap_set(struct etl_tidmap *m, uint32_t tid, uint32_t pid); /* 0 or -1 */
/* pid of tid, or def if unknown. */
uint32_t etl_tidmap_get(const struct etl_tidmap *m, uint32_t tid, uint32_t def);

#endif
