/* fuzz_blg_file.c — libFuzzer harness for the whole .blg path: ETL container walk, PDH
 * decoding, cooking and emission into a sink that touches what it gets. Invariants
 * (fuzz/invariant.h): a row never carries more values than counters declared so far; the
 * summary's samples and counters equal the rows and counters the sink received. Times are
 * not checked for order: a damaged log may go back. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "blg_ingest.h"
#include "invariant.h"

struct touch {
	size_t sum;
	uint32_t counters;
	uint64_t rows, summaries;
};

static int on_counter(void *ud, const struct sink_counter *c, uint32_t *idx)
{
	struct touch *t = ud;
	FUZZ_CHECK(c->path && c->object && c->counter && c->machine);
	t->sum += strlen(c->path);
	*idx = t->counters++;
	return 0;
}

static int on_sample(void *ud, int64_t ts, const double *v, size_t n)
{
	struct touch *t = ud;
	FUZZ_CHECK(n <= t->counters);
	for (size_t i = 0; i < n; i++)
		t->sum += v[i] == v[i];
	t->sum += (size_t)ts;
	t->rows++;
	return 0;
}

static int on_warning(void *ud, const char *code, const char *msg)
{
	struct touch *t = ud;
	t->sum += strlen(code) + strlen(msg);
	return 0;
}

static int on_summary(void *ud, const struct cJSON *j)
{
	struct touch *t = ud;
	FUZZ_CHECK(j && ++t->summaries == 1);
	FUZZ_CHECK(fuzz_num(j, "samples") == (double)t->rows);
	FUZZ_CHECK(fuzz_num(j, "counters") == (double)t->counters);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct touch touched = { 0, 0, 0, 0 };
	struct ingest_sink s = {.ud = &touched, .counter = on_counter, .sample = on_sample,
				.warning = on_warning, .summary = on_summary};
	struct ingest_error err;
	FILE *f;
	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	(void)blg_ingest(f, &s, &err);
	fclose(f);
	return 0;
}
