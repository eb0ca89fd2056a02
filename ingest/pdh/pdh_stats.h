/* pdh_stats.h — facts about the sample times of one PDH text log: count, first/last (file
 * order), earliest/latest, and the median spacing, in bounded memory whatever the length. */
#ifndef ETLSCOPE_PDH_STATS_H
#define ETLSCOPE_PDH_STATS_H

#include <stdint.h>

/* Spacing histogram: ms resolution below PDH_GAP_BUCKETS ms, then s resolution up to
 * PDH_GAP_BUCKETS s (longer gaps count in the top bucket). */
#define PDH_GAP_BUCKETS 32768

struct pdh_stats {
	uint64_t samples;
	int64_t first_us, last_us; /* file order */
	int64_t min_us, max_us;
	uint64_t gaps, gaps_negative; /* spacings seen; those that went back in time */
	uint32_t *gap_ms;             /* [PDH_GAP_BUCKETS] */
	uint32_t *gap_s;              /* [PDH_GAP_BUCKETS] */
};

int pdh_stats_init(struct pdh_stats *s); /* 0, or -1 out of memory */
void pdh_stats_free(struct pdh_stats *s);
void pdh_stats_add(struct pdh_stats *s, int64_t t_us);

/* Median spacing between consecutive samples in seconds (0 with fewer than 2 samples or
 * when most spacings are negative). Exact to the ms below 32.768 s, to the s above. */
double pdh_stats_median_interval_s(const struct pdh_stats *s);

#endif
