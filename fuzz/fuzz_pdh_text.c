/* fuzz_pdh_text.c — libFuzzer harness for the perfmon text-log parser: every input is
 * parsed as PDH-CSV and as PDH-TSV through fmemopen with default limits, and once more
 * with a tiny read block and line cap (derived from the first byte) to reach the reader's
 * block-boundary and over-long-line paths. The sink checks the parser's promises. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/pdh/pdh_text.h"
#include "ingest/pdh/pdh_utf8.h"

struct fuzz_sink {
	uint32_t counters;
	int summaries;
};

/* Every string handed to the sink is terminated, valid UTF-8 (it ends up in JSON). */
static void fz_text(const char *s)
{
	if (!s || !pdh_utf8_valid(s, strlen(s)))
		abort();
}

static int fz_counter(void *ud, const struct sink_counter *c, uint32_t *out_index)
{
	struct fuzz_sink *s = ud;
	fz_text(c->path);
	fz_text(c->machine);
	fz_text(c->object);
	fz_text(c->counter);
	if (c->instance)
		fz_text(c->instance);
	if (c->cpu < -1)
		abort();
	*out_index = s->counters++;
	return 0;
}

static int fz_sample(void *ud, int64_t t_us, const double *values, size_t n)
{
	struct fuzz_sink *s = ud;
	volatile double sum = 0;
	(void)t_us;
	if (n != s->counters || n == 0)
		abort();
	for (size_t i = 0; i < n; i++) /* every value must be readable (ASan) */
		sum += values[i];
	(void)sum;
	return 0;
}

static int fz_warning(void *ud, const char *code, const char *message)
{
	(void)ud;
	fz_text(code);
	fz_text(message);
	return 0;
}

static int fz_summary(void *ud, const cJSON *summary)
{
	struct fuzz_sink *s = ud;
	char *json = cJSON_PrintUnformatted(summary);
	cJSON *back;
	if (!json || s->summaries++)
		abort();
	fz_text(json);
	back = cJSON_Parse(json); /* the summary must survive a JSON round trip */
	if (!back)
		abort();
	cJSON_Delete(back);
	free(json);
	return 0;
}

static void fz_run(const uint8_t *data, size_t size, char sep, const struct pdh_text_options *o)
{
	struct fuzz_sink st = {0, 0};
	struct ingest_sink sink = {.ud = &st,
				   .counter = fz_counter,
				   .sample = fz_sample,
				   .warning = fz_warning,
				   .summary = fz_summary};
	struct ingest_error err = {{0}};
	FILE *f = fmemopen((void *)data, size, "rb");
	int rc;
	if (!f)
		return;
	rc = pdh_text_parse_ex(f, sep, o, &sink, &err);
	fclose(f);
	if (rc == INGEST_OK && st.summaries != 1)
		abort();
	if (rc != INGEST_OK && (st.summaries != 0 || err.message[0] == '\0'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdh_text_options tiny = {.max_line = 512, .block = 1};
	if (size == 0)
		return 0;
	fz_run(data, size, ',', NULL);
	fz_run(data, size, '\t', NULL);
	tiny.block = 1 + data[0] % 13;
	fz_run(data, size, data[0] & 1 ? '\t' : ',', &tiny);
	return 0;
}
