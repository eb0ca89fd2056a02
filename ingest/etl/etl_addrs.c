/* etl_addrs.c — counting unresolved addresses by 1 MiB region. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "etl_addrs.h"

void etl_addrs_add(struct etl_addrs *a, uint64_t addr)
{
	a->samples++;
	for (size_t i = 0; i < a->n; i++) {
		struct etl_addr_range *r = &a->r[i];
		if (r->lo >> ETL_ADDR_REGION_SHIFT == addr >> ETL_ADDR_REGION_SHIFT) {
			if (addr < r->lo)
				r->lo = addr;
			if (addr > r->hi)
				r->hi = addr;
			r->samples++;
			return;
		}
	}
	if (a->n == ETL_ADDR_RANGES) {
		a->unranged++;
		return;
	}
	a->r[a->n++] = (struct etl_addr_range){addr, addr, 1};
}

static int range_cmp(const void *x, const void *y)
{
	const struct etl_addr_range *a = x, *b = y;
	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return (a->lo > b->lo) - (a->lo < b->lo);
}

cJSON *etl_addrs_json(const struct etl_addrs *a)
{
	struct etl_addr_range r[ETL_ADDR_RANGES];
	char buf[24];
	memcpy(r, a->r, a->n * sizeof *r);
	if (a->n)
		qsort(r, a->n, sizeof *r, range_cmp);
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = o ? cJSON_AddArrayToObject(o, "ranges") : NULL;
	if (!arr) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddNumberToObject(o, "samples", (double)a->samples);
	for (size_t i = 0; i < a->n; i++) {
		cJSON *e = cJSON_CreateObject();
		if (!e) {
			cJSON_Delete(o);
			return NULL;
		}
		snprintf(buf, sizeof buf, "0x%016" PRIx64, r[i].lo);
		cJSON_AddStringToObject(e, "lo", buf);
		snprintf(buf, sizeof buf, "0x%016" PRIx64, r[i].hi);
		cJSON_AddStringToObject(e, "hi", buf);
		cJSON_AddNumberToObject(e, "samples", (double)r[i].samples);
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddNumberToObject(o, "unranged_samples", (double)a->unranged);
	return o;
}
