/* etl_grow.h — growing a caller-owned array by doubling (the ETL maps and caches). */
#ifndef ETLSCOPE_ETL_GROW_H
#define ETLSCOPE_ETL_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* Make room for need elements of elem bytes in *p (capacity *cap, first growth to 256).
 * 0, or -1 on ENOMEM or size overflow (*p unchanged). */
static inline int etl_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 256;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		return -1;
	void *n = realloc(*p, ncap * elem);
	if (!n)
		return -1;
	*p = n;
	*cap = ncap;
	return 0;
}

#endif
