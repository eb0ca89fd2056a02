/* blg_cook.h — turning two raw PDH samples into the value perfmon/relog display, for the
 * winperf counter types (formulas from the public counter-type documentation). */
#ifndef ETLSCOPE_BLG_COOK_H
#define ETLSCOPE_BLG_COOK_H

#include <stdint.h>

/* One raw counter value as PDH stores it (PDH_RAW_COUNTER plus the time-base frequency). */
struct blg_raw {
	int64_t first;   /* the counter */
	int64_t second;  /* time base or base value */
	uint32_t multi;  /* MultiCount */
	uint64_t freq;   /* ticks per second of the time base (0 = unknown) */
};

enum blg_cook_status {
	BLG_COOK_OK = 0,
	BLG_COOK_NEED_PREV,     /* first sample of a difference type: no value yet */
	BLG_COOK_NO_BASE,       /* zero/negative denominator or time base (machine off-line) */
	BLG_COOK_NEGATIVE,      /* counter went backwards or the result is negative */
	BLG_COOK_UNSUPPORTED    /* counter type not known */
};

/* Cook cur (and prev, NULL when there is none) for counter type `type`.
 * Returns enum blg_cook_status; *out is set only on BLG_COOK_OK. */
int blg_cook(uint32_t type, const struct blg_raw *prev, const struct blg_raw *cur, double *out);

/* Short stable warning code for a non-OK status ("negative_value", …). */
const char *blg_cook_status_code(int status);

#endif
