/* pdh_stats.c — sample-time facts; spacings are counted in a small hash of distinct ms
 * values (grown on demand, capped), so the median is exact at a few KiB for real logs. */
#include <stdlib.h>
#include <string.h>
#include "pdh_stats.h"

void pdh_stats_init(struct pdh_stats *s)
{
	memset(s, 0, sizeof *s);
}

void pdh_stats_free(struct pdh_stats *s)
{
	free(s->table);
	s->table = NULL;
	s->table_size = s->table_used = 0;
}

static size_t pdh_slot(const struct pdh_gap *t, size_t size, int64_t ms)
{
	size_t i = (size_t)((uint64_t)ms * UINT64_C(0x9E3779B97F4A7C15) >> 40) & (size - 1);
	while (t[i].count && t[i].ms != ms)
		i = (i + 1) & (size - 1);
	return i;
}

static int pdh_grow(struct pdh_stats *s)
{
	size_t n = s->table_size ? s->table_size * 2 : 64;
	struct pdh_gap *t = calloc(n, sizeof *t);
	if (!t)
		return -1;
	for (size_t i = 0; i < s->table_size; i++)
		if (s->table[i].count)
			t[pdh_slot(t, n, s->table[i].ms)] = s->table[i];
	free(s->table);
	s->table = t;
	s->table_size = n;
	return 0;
}

static int pdh_count_gap(struct pdh_stats *s, int64_t ms)
{
	size_t i;
	if (s->table_used * 2 >= s->table_size) { /* keep the load under one half */
		if (s->table_used >= PDH_GAP_MAX_DISTINCT) {
			i = pdh_slot(s->table, s->table_size, ms);
			if (s->table[i].count)
				s->table[i].count++;
			else
				s->gaps_untracked++;
			return 0;
		}
		if (pdh_grow(s))
			return -1;
	}
	i = pdh_slot(s->table, s->table_size, ms);
	if (!s->table[i].count) {
		s->table[i].ms = ms;
		s->table_used++;
	}
	s->table[i].count++;
	return 0;
}

int pdh_stats_add(struct pdh_stats *s, int64_t t_us)
{
	if (s->samples == 0) {
		s->first_us = s->min_us = s->max_us = t_us;
	} else {
		int64_t d = t_us - s->last_us;
		/* floor to ms so -0.5 ms and +0.5 ms stay apart */
		if (pdh_count_gap(s, d >= 0 ? d / 1000 : -((-d + 999) / 1000)))
			return -1;
		s->gaps++;
		s->backwards += d < 0;
		if (t_us < s->min_us)
			s->min_us = t_us;
		if (t_us > s->max_us)
			s->max_us = t_us;
	}
	s->last_us = t_us;
	s->samples++;
	return 0;
}

static int pdh_cmp_gap(const void *a, const void *b)
{
	int64_t x = ((const struct pdh_gap *)a)->ms, y = ((const struct pdh_gap *)b)->ms;
	return (x > y) - (x < y);
}

double pdh_stats_median_interval_s(const struct pdh_stats *s)
{
	struct pdh_gap *v;
	uint64_t total = 0, rank, seen = 0;
	size_t n = 0;
	double r = 0;

	if (s->table_used == 0)
		return 0;
	v = malloc(s->table_used * sizeof *v);
	if (!v)
		return 0;
	for (size_t i = 0; i < s->table_size; i++)
		if (s->table[i].count) {
			v[n++] = s->table[i];
			total += s->table[i].count;
		}
	qsort(v, n, sizeof *v, pdh_cmp_gap);
	rank = (total - 1) / 2; /* lower median */
	for (size_t i = 0; i < n; i++) {
		seen += v[i].count;
		if (rank < seen) {
			r = v[i].ms > 0 ? (double)v[i].ms / 1000.0 : 0;
			break;
		}
	}
	free(v);
	return r;
}
