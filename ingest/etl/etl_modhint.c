/* etl_modhint.c — the module lookup's per-granule hints: clearing (the rest is inline in
 * etl_modhint.h). */
#include <string.h>
#include "etl_modhint.h"

void etl_modhint_clear(struct etl_modhint *h)
{
	memset(h->slot, 0, sizeof h->slot);
}
