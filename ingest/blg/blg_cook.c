/* blg_cook.c — the display formulas of the winperf counter types: N = FirstValue,
 * D = SecondValue (time base or base value), F = time-base frequency, M = MultiCount;
 * 0 = previous sample, 1 = this one. Percentages are not capped at 100 (relog/typeperf
 * style); negative results and counters that went backwards give no value; averages
 * over an interval without operations are 0, as perfmon shows them. */
#include <stddef.h>
#include "blg_cook.h"
#include "blg_types.h"

/* a - b without signed overflow; -1 if it would overflow. */
static int sub64(int64_t a, int64_t b, int64_t *d)
{
	return __builtin_sub_overflow(a, b, d) ? -1 : 0;
}

static int finish(double v, double *out)
{
	if (!(v >= 0.0)) /* negative or NaN */
		return BLG_COOK_NEGATIVE;
	*out = v;
	return BLG_COOK_OK;
}

int blg_cook(uint32_t type, const struct blg_raw *prev, const struct blg_raw *cur, double *out)
{
	int64_t dn, dd;
	double f = (double)cur->freq;

	switch (type) {
	case BLG_PERF_COUNTER_RAWCOUNT:
	case BLG_PERF_COUNTER_RAWCOUNT_HEX:
		/* 32-bit counters: PDH shows the low DWORD as unsigned */
		*out = (double)(uint32_t)((uint64_t)cur->first & 0xFFFFFFFFu);
		return BLG_COOK_OK;
	case BLG_PERF_COUNTER_LARGE_RAWCOUNT:
	case BLG_PERF_COUNTER_LARGE_RAWCOUNT_HEX:
		*out = (double)cur->first;
		return BLG_COOK_OK;
	case BLG_PERF_RAW_FRACTION:
	case BLG_PERF_LARGE_RAW_FRACTION:
		if (cur->second <= 0)
			return BLG_COOK_NO_BASE;
		return finish(100.0 * (double)cur->first / (double)cur->second, out);
	case BLG_PERF_ELAPSED_TIME:
		if (cur->second <= 0 || cur->freq == 0)
			return BLG_COOK_NO_BASE;
		if (sub64(cur->second, cur->first, &dd))
			return BLG_COOK_NEGATIVE;
		return finish((double)dd / f, out);
	default:
		break;
	}
	if (!blg_type_name(type))
		return BLG_COOK_UNSUPPORTED;
	if (blg_type_needs_time(type) && cur->second == 0)
		return BLG_COOK_NO_BASE;
	if (!prev)
		return BLG_COOK_NEED_PREV;
	if (blg_type_needs_time(type) && prev->second == 0)
		return BLG_COOK_NEED_PREV;
	if (sub64(cur->first, prev->first, &dn) || sub64(cur->second, prev->second, &dd))
		return BLG_COOK_NEGATIVE;
	if (dn < 0)
		return BLG_COOK_NEGATIVE;

	switch (type) {
	case BLG_PERF_COUNTER_DELTA:
	case BLG_PERF_COUNTER_LARGE_DELTA:
		*out = (double)dn;
		return BLG_COOK_OK;
	case BLG_PERF_AVERAGE_TIMER:
	case BLG_PERF_AVERAGE_BULK:
	case BLG_PERF_SAMPLE_FRACTION:
		/* no operations (samples) in the interval: perfmon shows 0 */
		if (dd == 0) {
			*out = 0.0;
			return BLG_COOK_OK;
		}
		break;
	default:
		break;
	}
	if (dd <= 0)
		return BLG_COOK_NO_BASE;

	switch (type) {
	case BLG_PERF_COUNTER_COUNTER:
	case BLG_PERF_COUNTER_BULK_COUNT:
	case BLG_PERF_SAMPLE_COUNTER:
		if (cur->freq == 0)
			return BLG_COOK_NO_BASE;
		return finish((double)dn / ((double)dd / f), out);
	case BLG_PERF_COUNTER_TIMER:
	case BLG_PERF_100NSEC_TIMER:
	case BLG_PERF_OBJ_TIME_TIMER:
	case BLG_PERF_PRECISION_SYSTEM_TIMER:
	case BLG_PERF_PRECISION_100NS_TIMER:
	case BLG_PERF_PRECISION_OBJECT_TIMER:
	case BLG_PERF_SAMPLE_FRACTION:
		return finish(100.0 * (double)dn / (double)dd, out);
	case BLG_PERF_COUNTER_TIMER_INV:
	case BLG_PERF_100NSEC_TIMER_INV:
		return finish(100.0 * (1.0 - (double)dn / (double)dd), out);
	case BLG_PERF_COUNTER_MULTI_TIMER:
	case BLG_PERF_100NSEC_MULTI_TIMER:
		if (cur->multi == 0)
			return BLG_COOK_NO_BASE;
		return finish(100.0 * ((double)dn / (double)dd) / (double)cur->multi, out);
	case BLG_PERF_COUNTER_MULTI_TIMER_INV:
	case BLG_PERF_100NSEC_MULTI_TIMER_INV:
		if (cur->multi == 0)
			return BLG_COOK_NO_BASE;
		return finish(100.0 * ((double)cur->multi - (double)dn / (double)dd), out);
	case BLG_PERF_AVERAGE_TIMER:
		if (cur->freq == 0)
			return BLG_COOK_NO_BASE;
		return finish(((double)dn / f) / (double)dd, out);
	case BLG_PERF_AVERAGE_BULK:
	case BLG_PERF_COUNTER_QUEUELEN_TYPE:
	case BLG_PERF_COUNTER_LARGE_QUEUELEN_TYPE:
	case BLG_PERF_COUNTER_100NS_QUEUELEN_TYPE:
	case BLG_PERF_COUNTER_OBJ_TIME_QUEUELEN_TYPE:
		return finish((double)dn / (double)dd, out);
	default:
		return BLG_COOK_UNSUPPORTED;
	}
}

const char *blg_cook_status_code(int status)
{
	switch (status) {
	case BLG_COOK_OK: return "ok";
	case BLG_COOK_NEED_PREV: return "first_sample";
	case BLG_COOK_NO_BASE: return "no_time_base";
	case BLG_COOK_NEGATIVE: return "negative_value";
	case BLG_COOK_UNSUPPORTED: return "unsupported_counter_type";
	default: return "unknown";
	}
}
