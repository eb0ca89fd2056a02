/* pdh_stats.c — sample-time facts with a fixed-size spacing histogram (see pdh_stats.h). */
#include <stdlib.h>
#include <string.h>
#include "pdh_stats.h"

int pdh_stats_init(struct pdh_stats *s)
{
	memset(s, 0, sizeof *s);
	s->gap_ms = calloc(PDH_GAP_BUCKETS, sizeof *s->gap_ms);
	s->gap_s = calloc(PDH_GAP_BUCKETS, sizeof *s->gap_s);
	if (!s->gap_ms || !s->gap_s) {
		pdh_stats_free(s);
		return -1;
	}
	return 0;
}

void pdh_stats_free(struct pdh_stats *s)
{
	free(s->gap_ms);
	free(s->gap_s);
	s->gap_ms = s->gap_s = NULL;
}

static void pdh_bump(uint32_t *c)
{
	if (*c != UINT32_MAX)
		(*c)++;
}

void pdh_stats_add(struct pdh_stats *s, int64_t t_us)
{
	if (s->samples == 0) {
		s->first_us = s->min_us = s->max_us = t_us;
	} else {
		int64_t d = t_us - s->last_us;
		s->gaps++;
		if (d < 0)
			s->gaps_negative++;
		else if (d / 1000 < PDH_GAP_BUCKETS)
			pdh_bump(&s->gap_ms[d / 1000]);
		else if (d / 1000000 < PDH_GAP_BUCKETS)
			pdh_bump(&s->gap_s[d / 1000000]);
		else
			pdh_bump(&s->gap_s[PDH_GAP_BUCKETS - 1]);
		if (t_us < s->min_us)
			s->min_us = t_us;
		if (t_us > s->max_us)
			s->max_us = t_us;
	}
	s->last_us = t_us;
	s->samples++;
}

double pdh_stats_median_interval_s(const struct pdh_stats *s)
{
	uint64_t total = s->gaps_negative, rank, seen;
	if (s->gaps == 0)
		return 0;
	for (int i = 0; i < PDH_GAP_BUCKETS; i++)
		total += s->gap_ms[i] + (uint64_t)s->gap_s[i];
	rank = (total - 1) / 2; /* lower median */
	seen = s->gaps_negative;
	if (rank < seen)
		return 0;
	for (int i = 0; i < PDH_GAP_BUCKETS; i++) {
		seen += s->gap_ms[i];
		if (rank < seen)
			return i / 1000.0;
	}
	for (int i = 0; i < PDH_GAP_BUCKETS; i++) {
		seen += s->gap_s[i];
		if (rank < seen)
			return (double)i;
	}
	return 0;
}
