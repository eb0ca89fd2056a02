/* etl_timeguard.c — the plausible-time window of a trace (its per-event checks are inline
 * in etl_timeguard.h). All arithmetic saturates: header fields are untrusted too. */
#include "etl_timeguard.h"

/* ns → ticks of a clock with f ticks per second, saturating. */
static uint64_t ns_to_ticks(uint64_t ns, uint64_t f)
{
	unsigned __int128 v = (unsigned __int128)ns * f / 1000000000u;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

void etl_time_guard_init(struct etl_time_guard *g, const struct etl_logfile *lf)
{
	uint64_t f = etl_logfile_ticks_per_second(lf);
	g->active = f != 0;
	g->lo = 0;
	g->hi = UINT64_MAX;
	g->backstep = UINT64_MAX;
	if (!g->active)
		return;
	uint64_t t0 = lf->header_timestamp, slack = ns_to_ticks(ETL_TIME_SLACK_NS, f);
	uint64_t span_ns = ETL_TIME_OPEN_SPAN_NS;
	/* EndTime and StartTime are FILETIMEs (100 ns); a plausible pair gives the span */
	if (lf->end_time > lf->start_time && lf->start_time &&
	    (lf->end_time - lf->start_time) / 10000000u < 366ull * 86400u)
		span_ns = (lf->end_time - lf->start_time) * 100u;
	/* before T0 as far as after it: a circular (in-memory) session's ring may hold events
	 * older than its header; high-bit flips, the usual damage, go forward anyway */
	uint64_t reach = sat_add(ns_to_ticks(span_ns, f), slack);
	g->lo = t0 > reach ? t0 - reach : 0;
	g->hi = sat_add(t0, reach);
	g->backstep = ns_to_ticks(ETL_TIME_BACKSTEP_NS, f);
}
