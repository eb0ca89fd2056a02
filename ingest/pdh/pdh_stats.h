/* pdh_stats.h — facts about the sample times of one PDH text log: count, first/last (file
 * order), earliest/latest, and the median spacing, in bounded memory whatever the length. */
#ifndef ETLSCOPE_PDH_STATS_H
#define ETLSCOPE_PDH_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Distinct spacings (ms) tracked for the median. Real logs have a few dozen (jitter around
 * the interval); a file with more has the extra spacings left out of the median. */
#define PDH_GAP_MAX_DISTINCT 65536

struct pdh_gap {
	int64_t ms;      /* spacing, ms; negative when time went backwards (DST, clock set) */
	uint64_t count;
};

struct pdh_stats {
	uint64_t samples;
	int64_t first_us, last_us;  /* file order */
	int64_t min_us, max_us;
	uint64_t gaps;              /* spacings seen */
	uint64_t backwards;         /* spacings < 0: time went back (DST end, clock set) */
	uint64_t gaps_untracked;    /* spacings beyond PDH_GAP_MAX_DISTINCT distinct values */
	struct pdh_gap *table;      /* open addressing on ms, count 0 = empty slot */
	size_t table_size, table_used;
};

void pdh_stats_init(struct pdh_stats *s); /* allocates nothing */
void pdh_stats_free(struct pdh_stats *s);
/* Count one sample. Returns 0, or -1 out of memory. */
int pdh_stats_add(struct pdh_stats *s, int64_t t_us);

/* Median spacing between consecutive samples (file order) in seconds, exact to the ms;
 * 0 with fewer than 2 samples or when the median spacing is negative. */
double pdh_stats_median_interval_s(const struct pdh_stats *s);

#endif
