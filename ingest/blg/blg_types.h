/* blg_types.h — winperf counter-type numbers (public winperf.h values, written out here)
 * and the questions the decoder asks about a type: is it shown, what is its time base,
 * does it take a base value from the next counter definition. */
#ifndef ETLSCOPE_BLG_TYPES_H
#define ETLSCOPE_BLG_TYPES_H

#include <stdint.h>

/* field masks */
#define BLG_PERF_SIZE_MASK 0x00000300u
#define BLG_PERF_SIZE_LARGE 0x00000100u
#define BLG_PERF_SIZE_ZERO 0x00000200u
#define BLG_PERF_SIZE_VARIABLE 0x00000300u
#define BLG_PERF_TYPE_MASK 0x00000C00u
#define BLG_PERF_TYPE_NUMBER 0x00000000u
#define BLG_PERF_TYPE_COUNTER 0x00000400u
#define BLG_PERF_TYPE_TEXT 0x00000800u
#define BLG_PERF_SUBTYPE_MASK 0x000F0000u
#define BLG_PERF_COUNTER_VALUE 0x00000000u
#define BLG_PERF_COUNTER_RATE 0x00010000u
#define BLG_PERF_COUNTER_FRACTION 0x00020000u
#define BLG_PERF_COUNTER_BASE 0x00030000u
#define BLG_PERF_COUNTER_ELAPSED 0x00040000u
#define BLG_PERF_COUNTER_QUEUELEN 0x00050000u
#define BLG_PERF_COUNTER_HISTOGRAM 0x00060000u
#define BLG_PERF_COUNTER_PRECISION 0x00070000u
#define BLG_PERF_TIMER_MASK 0x00300000u
#define BLG_PERF_TIMER_TICK 0x00000000u
#define BLG_PERF_TIMER_100NS 0x00100000u
#define BLG_PERF_OBJECT_TIMER 0x00200000u
#define BLG_PERF_MULTI_COUNTER 0x02000000u
#define BLG_PERF_DISPLAY_NOSHOW 0x40000000u
#define BLG_PERF_HISTOGRAM_TYPE 0x80000000u

/* the counter types perfmon cooks */
#define BLG_PERF_COUNTER_COUNTER 0x10410400u
#define BLG_PERF_COUNTER_TIMER 0x20410500u
#define BLG_PERF_COUNTER_QUEUELEN_TYPE 0x00450400u
#define BLG_PERF_COUNTER_LARGE_QUEUELEN_TYPE 0x00450500u
#define BLG_PERF_COUNTER_100NS_QUEUELEN_TYPE 0x00550500u
#define BLG_PERF_COUNTER_OBJ_TIME_QUEUELEN_TYPE 0x00650500u
#define BLG_PERF_COUNTER_BULK_COUNT 0x10410500u
#define BLG_PERF_COUNTER_RAWCOUNT 0x00010000u
#define BLG_PERF_COUNTER_LARGE_RAWCOUNT 0x00010100u
#define BLG_PERF_COUNTER_RAWCOUNT_HEX 0x00000000u
#define BLG_PERF_COUNTER_LARGE_RAWCOUNT_HEX 0x00000100u
#define BLG_PERF_SAMPLE_FRACTION 0x20C20400u
#define BLG_PERF_SAMPLE_COUNTER 0x00410400u
#define BLG_PERF_COUNTER_TIMER_INV 0x21410500u
#define BLG_PERF_AVERAGE_TIMER 0x30020400u
#define BLG_PERF_AVERAGE_BULK 0x40020500u
#define BLG_PERF_OBJ_TIME_TIMER 0x20610500u
#define BLG_PERF_100NSEC_TIMER 0x20510500u
#define BLG_PERF_100NSEC_TIMER_INV 0x21510500u
#define BLG_PERF_COUNTER_MULTI_TIMER 0x22410500u
#define BLG_PERF_COUNTER_MULTI_TIMER_INV 0x23410500u
#define BLG_PERF_100NSEC_MULTI_TIMER 0x22510500u
#define BLG_PERF_100NSEC_MULTI_TIMER_INV 0x23510500u
#define BLG_PERF_RAW_FRACTION 0x20020400u
#define BLG_PERF_LARGE_RAW_FRACTION 0x20020500u
#define BLG_PERF_ELAPSED_TIME 0x30240500u
#define BLG_PERF_COUNTER_DELTA 0x00400400u
#define BLG_PERF_COUNTER_LARGE_DELTA 0x00400500u
#define BLG_PERF_PRECISION_SYSTEM_TIMER 0x20470500u
#define BLG_PERF_PRECISION_100NS_TIMER 0x20570500u
#define BLG_PERF_PRECISION_OBJECT_TIMER 0x20670500u

/* Is this a value perfmon shows (not a base, text, histogram or zero-size counter)? */
static inline int blg_type_shown(uint32_t t)
{
	if (t & BLG_PERF_HISTOGRAM_TYPE)
		return 0;
	if ((t & BLG_PERF_TYPE_MASK) == BLG_PERF_TYPE_TEXT ||
	    (t & BLG_PERF_TYPE_MASK) == 0xC00u)
		return 0;
	if ((t & BLG_PERF_SIZE_MASK) == BLG_PERF_SIZE_ZERO ||
	    (t & BLG_PERF_SIZE_MASK) == BLG_PERF_SIZE_VARIABLE)
		return 0;
	if ((t & BLG_PERF_TYPE_MASK) == BLG_PERF_TYPE_COUNTER &&
	    (t & BLG_PERF_SUBTYPE_MASK) == BLG_PERF_COUNTER_BASE)
		return 0;
	return 1;
}

/* Does the cooked value of this type need two samples? */
int blg_type_is_delta(uint32_t t);
/* Does this type need a time base in SecondValue (so a zero SecondValue means "no data")? */
int blg_type_needs_time(uint32_t t);
/* Perflib blocks: does SecondValue come from the next counter definition? */
int blg_type_base_from_next(uint32_t t);
/* Short name like "PERF_100NSEC_TIMER", or NULL when unknown. */
const char *blg_type_name(uint32_t t);

#endif
