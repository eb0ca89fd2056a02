/* fuzz_xperf_text.c — libFuzzer harness for the `xperf -a dpcisr` report parser: every
 * input is parsed through fmemopen with default limits and once more with a tiny read
 * block and line cap (from the first byte). The sink checks the parser's promises:
 * valid UTF-8 names, ordered non-overlapping buckets within a block, one summary on
 * success and none (with a message) on failure. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/pdh/pdh_utf8.h"
#include "ingest/xperf/xperf_dpcisr.h"

struct fz {
	int summaries;
	int64_t block;
	uint64_t prev_hi;
	int open;
};

static void fz_text(const char *s)
{
	if (!s || !pdh_utf8_valid(s, strlen(s)))
		abort();
}

static int fz_bucket(void *ud, const struct sink_dpcisr_bucket *b)
{
	struct fz *z = ud;
	if (b->module)
		fz_text(b->module);
	if (b->kind != SINK_DPC && b->kind != SINK_ISR)
		abort();
	if (b->hi_ns <= b->lo_ns)
		abort();
	if ((int64_t)b->block == z->block) {
		if (z->open || b->lo_ns < z->prev_hi)
			abort();
	} else if ((int64_t)b->block < z->block) {
		abort();
	}
	z->block = b->block;
	z->prev_hi = b->hi_ns;
	z->open = b->hi_ns == UINT64_MAX;
	return 0;
}

static int fz_usage(void *ud, const struct sink_dpcisr_usage *u)
{
	(void)ud;
	fz_text(u->module);
	if (u->busy_us == 0 || (u->kind != SINK_DPC && u->kind != SINK_ISR))
		abort();
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
	struct fz *z = ud;
	char *json = cJSON_PrintUnformatted(summary);
	cJSON *back;
	if (!json || z->summaries++)
		abort();
	fz_text(json);
	back = cJSON_Parse(json);
	if (!back)
		abort();
	cJSON_Delete(back);
	free(json);
	return 0;
}

static void fz_run(const uint8_t *data, size_t size, const struct xperf_options *o)
{
	struct fz z = {0, -1, 0, 0};
	struct ingest_sink sink = {.ud = &z, .warning = fz_warning, .summary = fz_summary,
				   .dpcisr_bucket = fz_bucket, .dpcisr_usage = fz_usage};
	struct ingest_error err = {{0}};
	FILE *f = fmemopen((void *)data, size, "rb");
	int rc;
	if (!f)
		return;
	rc = xperf_dpcisr_parse_ex(f, o, &sink, &err);
	fclose(f);
	if (rc == INGEST_OK && z.summaries != 1)
		abort();
	if (rc != INGEST_OK && (z.summaries != 0 || err.message[0] == '\0'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xperf_options tiny = {.max_line = 256, .block = 1};
	if (size == 0)
		return 0;
	fz_run(data, size, NULL);
	tiny.block = 1 + data[0] % 13;
	fz_run(data, size, &tiny);
	return 0;
}
