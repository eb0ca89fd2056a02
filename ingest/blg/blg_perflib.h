/* blg_perflib.h — a raw perflib PERF_DATA_BLOCK (winperf.h layout) as logged in BLG
 * sample records of subtype 5: walks objects, counter definitions and instances, and
 * hands out one PDH-style raw value per (object, counter, instance). */
#ifndef ETLSCOPE_BLG_PERFLIB_H
#define ETLSCOPE_BLG_PERFLIB_H

#include <stddef.h>
#include <stdint.h>
#include "blg_cook.h"

struct blg_perf_item {
	uint32_t object_title;   /* ObjectNameTitleIndex */
	uint32_t counter_title;  /* CounterNameTitleIndex */
	uint32_t counter_type;
	int32_t scale;
	uint32_t detail;
	const char *instance;    /* UTF-8 incl. "parent/" and "#n"; NULL: no instances */
	struct blg_raw raw;
};

/* Return 0 to go on, negative to stop (returned unchanged by blg_perflib_parse). */
typedef int (*blg_perf_item_fn)(void *ud, const struct blg_perf_item *it);

#define BLG_PERFLIB_MALFORMED 1

/* Walk the data block p[0..len). Returns 0 when the whole block was read,
 * BLG_PERFLIB_MALFORMED when it stopped at damage (*why says where; items before it were
 * delivered), INGEST_ENOMEM, or a negative code from fn. Shown counter types only (bases
 * are folded into the counters that use them). */
int blg_perflib_parse(const uint8_t *p, size_t len, blg_perf_item_fn fn, void *ud,
		      const char **why);

#endif
