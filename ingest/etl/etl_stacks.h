/* etl_stacks.h — the Win8+ stack-key cache: KeyRundown/KeyDelete definitions collected in a
 * first pass (they may come after their references), sorted, then looked up by (key,
 * reference time). Frames stay addresses: one cached user stack is shared by several
 * processes, so each reference resolves them in its own sample's process and time. */
#ifndef ETLSCOPE_ETL_STACKS_H
#define ETLSCOPE_ETL_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include "etl_kernel.h"

struct etl_stack_def {
	uint64_t key;
	uint64_t def_ts;     /* timestamp of the defining event */
	size_t frame_off;    /* into frames[] */
	uint32_t n_frames;
	uint8_t psize;
};

struct etl_stack_cache {
	struct etl_stack_def *defs;
	size_t n, cap;
	uint64_t *frames;
	size_t n_frames, frames_cap;
};

void etl_stack_cache_init(struct etl_stack_cache *c);
void etl_stack_cache_free(struct etl_stack_cache *c);
/* Add a definition (KeyRundown/KeyDelete/KeyCreate). 0 or -1 (ENOMEM). */
int etl_stack_cache_add(struct etl_stack_cache *c, const struct etl_stack *s, uint64_t def_ts);
/* Sort the definitions for lookup (after the last add). */
void etl_stack_cache_sort(struct etl_stack_cache *c);
/* Frame i (0 = innermost) of a definition. */
static inline uint64_t etl_stack_def_frame(const struct etl_stack_cache *c,
					   const struct etl_stack_def *d, uint32_t i)
{
	return c->frames[d->frame_off + i];
}
/* Definition of key valid for a reference at ts (the first definition at or after ts,
 * else the last one). NULL if the key was never defined. */
const struct etl_stack_def *etl_stack_cache_find(const struct etl_stack_cache *c, uint64_t key,
						 uint64_t ts);

#endif
