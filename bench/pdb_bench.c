/* pdb_bench.c — PDB reader speed: pdb_open (index build) time, then N distinct RVAs spread
 * evenly over [lo, hi) looked up with pdb_lookup; prints one JSON line with the times, the
 * symbol count, how many RVAs resolved and the peak RSS. Used by bench/pdb_bench.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include "symbols/pdb.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: pdb_bench FILE.pdb N LO HI\n");
		return 2;
	}
	unsigned long n = strtoul(argv[2], NULL, 0);
	unsigned long lo = strtoul(argv[3], NULL, 0), hi = strtoul(argv[4], NULL, 0);
	if (n == 0 || hi <= lo || hi - lo < n) {
		fprintf(stderr, "pdb_bench: need N distinct RVAs in [LO, HI)\n");
		return 2;
	}
	char err[PDB_ERR_LEN];
	double t0 = now();
	pdb *p = pdb_open(argv[1], err, sizeof err);
	if (!p) {
		fprintf(stderr, "pdb_bench: %s\n", err);
		return 1;
	}
	double t1 = now();
	unsigned long resolved = 0, step = (hi - lo) / n;
	uint32_t sink = 0; /* printed, so the lookups cannot be optimised away */
	for (unsigned long i = 0; i < n; i++) {
		const char *name;
		uint32_t off;
		/* A stride that is not a multiple of 16 hits function starts and middles alike. */
		uint32_t rva = (uint32_t)(lo + i * step + (i * 7) % (step ? step : 1));
		if (pdb_lookup(p, rva, &name, &off)) {
			resolved++;
			sink += off + (uint32_t)name[0];
		}
	}
	double t2 = now();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"symbols\": %zu, \"open_s\": %.3f, \"lookups\": %lu, \"resolved\": %lu, "
	       "\"lookup_s\": %.4f, \"ns_per_lookup\": %.0f, \"max_rss_kb\": %ld, \"checksum\": %u}\n",
	       pdb_symbol_count(p), t1 - t0, n, resolved, t2 - t1, (t2 - t1) * 1e9 / (double)n,
	       ru.ru_maxrss, (unsigned)sink);
	pdb_close(p);
	return 0;
}
