/* gen_pdh_csv.c — writes a deterministic, realistic PDH-CSV perfmon log for benchmarks:
 * N CPUs × 8 Processor counters, S samples 1 s apart (with a few ms of jitter, as real
 * collectors have), CRLF line endings, " " blanks in the first row of rate counters, and
 * values printed like relog/Export-Counter (17 significant digits) or typeperf (%.6f).
 *
 *   gen_pdh_csv [-c cpus] [-s samples] [-t] [-o file]
 *     -c  logical CPUs (default 64)       -s  rows (default 3600)
 *     -t  typeperf-style "%.6f" values    -o  output file (default stdout)
 *
 * The same arguments always give the same bytes (own PRNG, UTC formatting via gmtime_r). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const counters[8] = {
	"% Processor Time", "% Privileged Time", "% User Time", "% DPC Time",
	"% Interrupt Time", "DPCs Queued/sec",   "DPC Rate",    "Interrupts/sec",
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_pdh_csv [-c cpus] [-s samples] [-t] [-o file]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long cpus = 64, samples = 3600;
	int typeperf = 0, opt;
	const char *out = NULL;
	FILE *f = stdout;
	uint64_t rng = UINT64_C(0x2545F4914F6CDD1D);
	/* 2026-01-05 08:00:00 local, Pacific Standard Time (bias 480) */
	const time_t start = 1767600000;

	while ((opt = getopt(argc, argv, "c:s:to:")) != -1) {
		switch (opt) {
		case 'c': cpus = strtol(optarg, NULL, 10); break;
		case 's': samples = strtol(optarg, NULL, 10); break;
		case 't': typeperf = 1; break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (cpus < 1 || cpus > 4096 || samples < 0)
		usage();
	if (out && !(f = fopen(out, "wb"))) {
		perror(out);
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);

	fputs("\"(PDH-CSV 4.0) (Pacific Standard Time)(480)\"", f);
	for (long c = 0; c < cpus; c++)
		for (int k = 0; k < 8; k++)
			fprintf(f, ",\"\\\\BENCH-HOST\\Processor(%ld)\\%s\"", c, counters[k]);
	fputs("\r\n", f);

	for (long i = 0; i < samples; i++) {
		time_t t = start + i;
		long ms = (long)(rng_next(&rng) % 16); /* collector jitter, not cumulative */
		struct tm tm;
		gmtime_r(&t, &tm);
		fprintf(f, "\"%02d/%02d/%04d %02d:%02d:%02d.%03ld\"", tm.tm_mon + 1, tm.tm_mday,
			tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
		for (long c = 0; c < cpus; c++) {
			double busy = 100.0 * rng_unit(&rng) * rng_unit(&rng);
			double dpc = busy * 0.05 * rng_unit(&rng);
			double isr = busy * 0.02 * rng_unit(&rng);
			double priv = busy * (0.2 + 0.5 * rng_unit(&rng));
			double v[8] = {busy, priv, busy - priv, dpc, isr, 4000.0 * rng_unit(&rng),
				       (double)(rng_next(&rng) % 4), 1000.0 + 9000.0 * rng_unit(&rng)};
			for (int k = 0; k < 8; k++) {
				/* the first row of rate counters is blank (needs two raw samples) */
				if (i == 0 && k != 6)
					fputs(",\" \"", f);
				else if (k == 6 || v[k] == 0)
					fprintf(f, ",\"%.0f\"", v[k]);
				else if (typeperf)
					fprintf(f, ",\"%.6f\"", v[k]);
				else
					fprintf(f, ",\"%.17g\"", v[k]);
			}
		}
		fputs("\r\n", f);
	}
	if (fflush(f) != 0 || (out && fclose(f) != 0)) {
		perror(out ? out : "stdout");
		return 1;
	}
	return 0;
}
