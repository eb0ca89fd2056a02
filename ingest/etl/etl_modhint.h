/* etl_modhint.h — the module lookup's first try (etl_ingest.c, module_of): for each 64 KiB
 * granule of addresses (addr >> 16, by a multiplicative hash into 1,024 slots), the module
 * the lookup answered last for an address of that granule. A hint answers only when its
 * module holds the address, in the address's space, at the event's time; else the caller
 * looks further and sets the hint to what it found. Slots point into the module map's
 * array: clear them whenever the map may move (an image added). */
#ifndef ETLSCOPE_ETL_MODHINT_H
#define ETLSCOPE_ETL_MODHINT_H

#include <stdint.h>
#include "etl_modmap.h"

#define ETL_MODHINT_BITS 10

struct etl_modhint {
	const struct etl_module *slot[1u << ETL_MODHINT_BITS];
};

/* m holds addr, in space (0 the kernel's, pid + 1 a process's), at t_ns. */
static inline int etl_module_holds(const struct etl_module *m, uint64_t addr, uint64_t space,
				   int64_t t_ns)
{
	return m && addr - m->base < m->size && t_ns >= m->load_ns && t_ns <= m->unload_ns &&
	       m->space == space;
}

/* The slot of addr's granule: read it with etl_modhint_get, write the answer found into it. */
static inline const struct etl_module **etl_modhint_slot(struct etl_modhint *h, uint64_t addr)
{
	/* hashed: drivers' bases share their low granule bits (0xfffff800'7x000000) */
	return &h->slot[((addr >> 16) * 0x9E3779B97F4A7C15ull) >> (64 - ETL_MODHINT_BITS)];
}

/* The module in slot if it holds addr in space at t_ns; NULL otherwise. */
static inline const struct etl_module *etl_modhint_get(const struct etl_module *const *slot,
						       uint64_t addr, uint64_t space, int64_t t_ns)
{
	return etl_module_holds(*slot, addr, space, t_ns) ? *slot : NULL;
}

/* Forget every hint (the map's array may move). */
void etl_modhint_clear(struct etl_modhint *h);

#endif
