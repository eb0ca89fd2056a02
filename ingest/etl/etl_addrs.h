/* etl_addrs.h — where unresolved sample addresses fall: a count plus up to
 * ETL_ADDR_RANGES address ranges (one per 1 MiB region, lowest and highest address seen in
 * it), for the "unknown kernel addresses" and "user code without an image" summaries. */
#ifndef ETLSCOPE_ETL_ADDRS_H
#define ETLSCOPE_ETL_ADDRS_H

#include <stddef.h>
#include <stdint.h>

#define ETL_ADDR_RANGES 32
#define ETL_ADDR_REGION_SHIFT 20

struct etl_addr_range {
	uint64_t lo, hi, samples;
};

struct etl_addrs {
	uint64_t samples;        /* every address added */
	uint64_t unranged;       /* addresses in regions beyond the first ETL_ADDR_RANGES */
	size_t n;
	struct etl_addr_range r[ETL_ADDR_RANGES];
};

void etl_addrs_add(struct etl_addrs *a, uint64_t addr);
/* {"samples", "ranges": [{"lo": "0x…", "hi": "0x…", "samples"}…] (most samples first),
 * "unranged_samples"}; NULL on ENOMEM. */
struct cJSON *etl_addrs_json(const struct etl_addrs *a);

#endif
