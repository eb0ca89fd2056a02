/* db_agg_spread.c — turning slices into timeline buckets: choose the level to read for n
 * buckets over a window, and spread a slice's value over the buckets it overlaps in
 * proportion to the overlap. */
#include "db_agg.h"

#define SLICES_PER_BUCKET 4
#define SLICE_BUDGET 4096
#define RECORD_BUDGET 300000 /* records decoded per timeline, estimated */

/* whole ms → ns, saturating: t_max_ns is a stored value of a possibly damaged trace */
static int64_t ms_to_ns(int64_t ms)
{
	int64_t r;
	return __builtin_mul_overflow(ms, AGG_MS, &r) ? (ms < 0 ? INT64_MIN : INT64_MAX) : r;
}

void agg_spread_init(struct agg_spread *sp, const struct agg_window *w,
		     const struct db_etw_run *run, const struct db_etw_filter *f, uint32_t n,
		     const int64_t level_recs[AGG_LEVELS])
{
	int64_t from = w->from_ms, to = w->to_ms;
	if (f->to_ns == INT64_MAX && to > run->t_max_ns / AGG_MS + 1)
		to = run->t_max_ns / AGG_MS + 1;
	if (from > to)
		from = to;
	sp->from_ns = ms_to_ns(from);
	sp->to_ns = ms_to_ns(to);
	sp->n = n;
	sp->end_ns = ms_to_ns(run->t_max_ns / AGG_MS + 1);
	sp->bucket_ns = (double)(sp->to_ns - sp->from_ns) / n;
	int64_t budget = (int64_t)n * SLICES_PER_BUCKET;
	if (budget > SLICE_BUDGET)
		budget = SLICE_BUDGET;
	int l = 0;
	for (; l < run->top_level; l++) {
		int64_t wl = agg_width_ms(l);
		int64_t lo = from / wl, hi = (to + wl - 1) / wl;
		/* records per stored slice at this level, on average over the run */
		int64_t stored = run->t_max_ns / AGG_MS / wl + 1;
		double per = level_recs ? (double)level_recs[l] / (double)stored : 0;
		if (hi - lo <= budget && (double)(hi - lo) * per <= RECORD_BUDGET)
			break;
	}
	int64_t wl = agg_width_ms(l);
	sp->level = l;
	sp->lo = from / wl;
	sp->hi = to > from ? (to - 1) / wl : sp->lo - 1;
}

void agg_spread_add(const struct agg_spread *sp, int64_t idx, double value, double *row)
{
	double wl = (double)agg_width_ms(sp->level) * AGG_MS;
	double s0 = (double)idx * wl, s1 = s0 + wl;
	if (s1 > (double)sp->end_ns && (double)sp->end_ns > s0)
		s1 = (double)sp->end_ns; /* the run ended inside this slice */
	double span = s1 - s0;
	double a = s0 > (double)sp->from_ns ? s0 : (double)sp->from_ns;
	double b = s1 < (double)sp->to_ns ? s1 : (double)sp->to_ns;
	if (b <= a || sp->bucket_ns <= 0 || value == 0)
		return;
	double per_ns = value / span;
	int64_t i0 = (int64_t)((a - (double)sp->from_ns) / sp->bucket_ns);
	for (int64_t i = i0 < 0 ? 0 : i0; i < sp->n; i++) {
		double b0 = (double)sp->from_ns + (double)i * sp->bucket_ns, b1 = b0 + sp->bucket_ns;
		if (b0 >= b)
			break;
		double o0 = a > b0 ? a : b0, o1 = b < b1 ? b : b1;
		if (o1 > o0)
			row[i] += per_ns * (o1 - o0);
	}
}
