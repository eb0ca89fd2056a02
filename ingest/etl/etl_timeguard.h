/* etl_timeguard.h — plausibility of event times: a damaged (e.g. bit-flipped) timestamp
 * must not stretch a run to 584,000 years or bend its statistics. An event is accepted
 * when its time lies within T0 ± (the header's EndTime - StartTime + slack), in the trace
 * clock, and does not step back, within its buffer, by more than a small
 * tolerance from the event before it. Rejected events are counted as damaged.
 *
 * Invariants: the header event (time T0) is always accepted; with no usable clock
 * (ticks per second 0) the guard is inactive and accepts everything. */
#ifndef ETLSCOPE_ETL_TIMEGUARD_H
#define ETLSCOPE_ETL_TIMEGUARD_H

#include <stdint.h>
#include "etl_logfile.h"

/* Events may run a little past the header's EndTime (merged/relogged traces do, by 2.5 s
 * in the PerfView sample) or start before T0 (rundown); far beyond is damage. */
#define ETL_TIME_SLACK_NS (300ull * 1000000000ull)
/* A header without EndTime (session not closed): accept this long after T0. */
#define ETL_TIME_OPEN_SPAN_NS (7ull * 86400ull * 1000000000ull)
/* Within one per-CPU buffer events are written in time order; allow this much jitter. */
#define ETL_TIME_BACKSTEP_NS (10ull * 1000000ull)
/* A DPC or ISR longer than this is a damaged InitialTime, not a measurement: the DPC
 * watchdog (bug check 0x133, 0x500 clock ticks ≈ 20 s) stops a real one before. */
#define ETL_DPCISR_MAX_NS (20ull * 1000000000ull)

struct etl_time_guard {
	int active;
	uint64_t lo, hi;    /* accepted timestamps, in trace clock ticks, inclusive */
	uint64_t backstep;  /* tolerated step back within a buffer, in ticks */
};

/* Derive the window from a parsed logfile header. */
void etl_time_guard_init(struct etl_time_guard *g, const struct etl_logfile *lf);
/* 1 if ts lies in the window (always 1 when inactive). Inline, as is the check below:
 * both run for every event (the check) or every DPC/ISR (the window). */
static inline int etl_time_guard_in_window(const struct etl_time_guard *g, uint64_t ts)
{
	return !g->active || (ts >= g->lo && ts <= g->hi);
}
/* Check an event time against the window and against *prev, the time of the buffer's
 * previous event (0 = none yet). Returns 1 (plausible) or 0 (damaged); *prev becomes ts
 * when ts is in the window, so one outlier costs at most one neighbour. */
static inline int etl_time_guard_check(const struct etl_time_guard *g, uint64_t *prev,
				       uint64_t ts)
{
	if (!g->active)
		return 1;
	if (!etl_time_guard_in_window(g, ts))
		return 0;
	uint64_t p = *prev;
	*prev = ts;
	return !(p && ts < p && p - ts > g->backstep);
}

#endif
