/* etl_stacks.h — the Win8+ stack-key cache: KeyRundown/KeyDelete definitions collected in a
 * first pass (they may come after their references), resolved to distinct module ids once
 * the module map is complete, then looked up by (key, reference time). */
#ifndef ETLSCOPE_ETL_STACKS_H
#define ETLSCOPE_ETL_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include "etl_kernel.h"
#include "etl_modmap.h"

struct etl_stack_def {
	uint64_t key;
	uint64_t def_ts;     /* timestamp of the defining event */
	uint32_t pid;        /* 0 for kernel keys (unknown) */
	size_t frame_off;    /* into frames[] (pass 1), then into mods[] */
	uint32_t n_frames;
	size_t mod_off;
	uint32_t n_mods;
	uint8_t psize;
};

struct etl_stack_cache {
	struct etl_stack_def *defs;
	size_t n, cap;
	uint64_t *frames;
	size_t n_frames, frames_cap;
	int32_t *mods;
	size_t n_mods, mods_cap;
	struct etl_stack_keypid { uint64_t key; uint32_t pid; } *refs; /* user-key owners */
	size_t n_refs, refs_cap;
};

void etl_stack_cache_init(struct etl_stack_cache *c);
void etl_stack_cache_free(struct etl_stack_cache *c);
/* Add a definition (KeyRundown/KeyDelete/KeyCreate). 0 or -1 (ENOMEM). */
int etl_stack_cache_add(struct etl_stack_cache *c, const struct etl_stack *s, uint64_t def_ts);
/* Remember which process referenced a user-mode key (so its frames resolve in that
 * process's images). 0 or -1. */
int etl_stack_cache_note_user_ref(struct etl_stack_cache *c, uint64_t key, uint32_t pid);
/* Resolve every definition's frames to distinct module ids (module ids from m). */
int etl_stack_cache_resolve(struct etl_stack_cache *c, const struct etl_modmap *m);
/* Definition of key valid for a reference at ts (the first definition at or after ts,
 * else the last one). NULL if the key was never defined. */
const struct etl_stack_def *etl_stack_cache_find(const struct etl_stack_cache *c, uint64_t key,
						 uint64_t ts);

#endif
