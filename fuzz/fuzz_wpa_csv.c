/* fuzz_wpa_csv.c — libFuzzer harness for the WPA CSV parser: every input is parsed through
 * fmemopen with default limits and once more with a tiny read block, line cap and locale
 * pre-pass (from the first byte). The sink checks the parser's promises: modules declared
 * before use with valid UTF-8 names, known kinds, one summary on success and none (with a
 * message) on failure. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/pdh/pdh_utf8.h"
#include "ingest/wpa/wpa_csv.h"

struct fz {
	int summaries;
	int32_t modules;
};

static void fz_text(const char *s)
{
	if (!s || !pdh_utf8_valid(s, strlen(s)))
		abort();
}

static int fz_module(void *ud, const struct sink_module *m, int32_t *id)
{
	struct fz *z = ud;
	fz_text(m->name);
	fz_text(m->path);
	if (!m->name[0])
		abort();
	*id = z->modules++;
	return 0;
}

static int fz_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	struct fz *z = ud;
	if (e->kind >= SINK_DPCISR_KINDS || e->module_id < -1 || e->module_id >= z->modules)
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

static void fz_run(const uint8_t *data, size_t size, const struct wpa_options *o)
{
	struct fz z = {0, 0};
	struct ingest_sink sink = {.ud = &z, .module = fz_module, .dpcisr = fz_dpcisr,
				   .warning = fz_warning, .summary = fz_summary};
	struct ingest_error err = {{0}};
	FILE *f = fmemopen((void *)data, size, "rb");
	int rc;
	if (!f)
		return;
	rc = wpa_csv_parse_ex(f, o, &sink, &err);
	fclose(f);
	if (rc == INGEST_OK && z.summaries != 1)
		abort();
	if (rc != INGEST_OK && (z.summaries != 0 || err.message[0] == '\0'))
		abort();
	fz_text(err.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wpa_options tiny = {.max_line = 300, .block = 1, .vote_lines = 2};
	if (size == 0)
		return 0;
	fz_run(data, size, NULL);
	tiny.block = 1 + data[0] % 13;
	fz_run(data, size, &tiny);
	return 0;
}
