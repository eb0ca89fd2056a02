/* db_buckets.c — the DPC/ISR duration histogram: R10 bucket edges from 1 µs to 10 ms,
 * bucket lookup, the within-bucket quantile estimate, and adding one set of figures into
 * another (the guideline per kind is inline in db_etw.h). */
#include "db_etw.h"

#define R10_EDGES                                                                            \
	1000,    1250,    1600,    2000,    2500,    3200,    4000,    5000,    6300,    8000,     \
	10000,   12500,   16000,   20000,   25000,   32000,   40000,   50000,   63000,   80000,    \
	100000,  125000,  160000,  200000,  250000,  320000,  400000,  500000,  630000,  800000,   \
	1000000, 1250000, 1600000, 2000000, 2500000, 3200000, 4000000, 5000000, 6300000, 8000000,  \
	10000000

static const uint32_t edges[DB_DPC_NEDGES] = {R10_EDGES};

const uint32_t *db_dpc_bucket_edges_ns(void)
{
	return edges;
}

/* For each bit length k of a duration (2^k ≤ d < 2^(k+1)), the first edge ≥ 2^k: a
 * duration's bucket is at most 3 edges past it (an R10 series has ≤ 4 edges an octave), so
 * the lookup is a table read and ≤ 3 compares instead of a binary search over 41 edges
 * (issue 17: 64 → ~15 instructions an event on the DPC trace's store thread).
 * tests/store/test_store_units.c checks every edge ± 1 against the R10 series. */
static const uint8_t first_edge_of_bits[64] = {
	0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  1,  4,  7,  10, 13, 16, 19, 22, 25, 28, 31, 34,
	37, 40, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41,
	41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41,
};

/* The edges again, as 64-bit values with 3 all-ones sentinels past the last one. */
static const uint64_t edges_ext[DB_DPC_NEDGES + 3] = {R10_EDGES, UINT64_MAX, UINT64_MAX,
							UINT64_MAX};

int db_dpc_bucket(uint64_t d)
{
	/* first i with d <= edges[i], or NEDGES: at most 3 steps from the table's edge, taken
	 * without branches (a loop's exit mispredicted on most events); once d <= edges_ext[i]
	 * a step adds 0, and the sentinels stop it at NEDGES */
	int i = first_edge_of_bits[63 - __builtin_clzll(d | 1)];
	i += d > edges_ext[i];
	i += d > edges_ext[i];
	i += d > edges_ext[i];
	return i;
}

void db_dpc_bucket_range(int b, uint64_t *lo, uint64_t *hi)
{
	*lo = b <= 0 ? 0 : b > DB_DPC_NEDGES ? edges[DB_DPC_NEDGES - 1] : edges[b - 1];
	*hi = b >= DB_DPC_NEDGES ? UINT64_MAX : b < 0 ? edges[0] : edges[b];
}

uint64_t db_dpc_quantile_ns(const uint64_t buckets[DB_DPC_NBUCKETS], uint64_t max_ns, double q)
{
	uint64_t total = 0, seen = 0;
	for (int b = 0; b < DB_DPC_NBUCKETS; b++)
		total += buckets[b];
	if (total == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	double rank = q * (double)total; /* the quantile lies at this many events in */
	for (int b = 0; b < DB_DPC_NBUCKETS; b++) {
		if (buckets[b] == 0)
			continue;
		if ((double)(seen + buckets[b]) >= rank) {
			uint64_t lo, hi;
			db_dpc_bucket_range(b, &lo, &hi);
			if (hi > max_ns)
				hi = max_ns > lo ? max_ns : lo;
			double frac = (rank - (double)seen) / (double)buckets[b];
			return lo + (uint64_t)(frac * (double)(hi - lo) + 0.5);
		}
		seen += buckets[b];
	}
	return max_ns;
}

void db_dpc_stats_add(struct db_dpc_stats *a, const struct db_dpc_stats *b)
{
	a->count += b->count;
	a->total_ns += b->total_ns;
	if (b->max_ns > a->max_ns)
		a->max_ns = b->max_ns;
	a->above_count += b->above_count;
	a->above_total_ns += b->above_total_ns;
	for (int i = 0; i < DB_DPC_NBUCKETS; i++)
		a->buckets[i] += b->buckets[i];
}
