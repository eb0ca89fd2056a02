/* bench_pdh_parse.c — times pdh_text_parse() alone (a sink that only touches the values)
 * on one PDH text log, to compare with `sqlite3 :memory: ".import --csv FILE t"`.
 *
 *   bench_pdh_parse FILE [csv|tsv]
 * Prints bytes, rows, counters, seconds and MB/s. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "ingest/pdh/pdh_text.h"

struct bench_sink {
	size_t counters, rows;
	double checksum;
};

static int b_counter(void *ud, const struct sink_counter *c, uint32_t *out_index)
{
	struct bench_sink *b = ud;
	(void)c;
	*out_index = (uint32_t)b->counters++;
	return 0;
}

static int b_sample(void *ud, int64_t t_us, const double *values, size_t n)
{
	struct bench_sink *b = ud;
	(void)t_us;
	for (size_t i = 0; i < n; i++)
		if (values[i] == values[i])
			b->checksum += values[i];
	b->rows++;
	return 0;
}

static int b_warning(void *ud, const char *code, const char *message)
{
	(void)ud;
	fprintf(stderr, "warning %s: %s\n", code, message);
	return 0;
}

static int b_summary(void *ud, const struct cJSON *summary)
{
	(void)ud;
	(void)summary;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_sink b = {0, 0, 0};
	struct ingest_sink sink = {.ud = &b, .counter = b_counter, .sample = b_sample,
				   .warning = b_warning, .summary = b_summary};
	struct ingest_error err = {{0}};
	struct timespec t0, t1;
	struct stat st;
	double s;
	FILE *f;
	int rc;

	if (argc < 2 || (argc > 2 && strcmp(argv[2], "csv") && strcmp(argv[2], "tsv"))) {
		fprintf(stderr, "usage: bench_pdh_parse FILE [csv|tsv]\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "rb")) || fstat(fileno(f), &st) != 0) {
		perror(argv[1]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = pdh_text_parse(f, argc > 2 && !strcmp(argv[2], "tsv") ? '\t' : ',', &sink, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fclose(f);
	if (rc != INGEST_OK) {
		fprintf(stderr, "error %d: %s\n", rc, err.message);
		return 1;
	}
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%lld bytes, %zu rows, %zu counters, %.3f s, %.1f MB/s (checksum %g)\n",
	       (long long)st.st_size, b.rows, b.counters, s, (double)st.st_size / s / 1e6,
	       b.checksum);
	return 0;
}
