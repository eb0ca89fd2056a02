/* text_test_sink.c — the in-memory sink of the text-importer tests (text_test_sink.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/wpa/wpa_csv.h"
#include "ingest/xperf/xperf_dpcisr.h"
#include "text_test_sink.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int on_module(void *ud, const struct sink_module *m, int32_t *id)
{
	struct tt_sink *t = ud;
	t->modules = realloc(t->modules, (t->nmodules + 1) * sizeof *t->modules);
	t->modules[t->nmodules] = strdup(m->name);
	*id = (int32_t)t->nmodules++;
	return 0;
}

static int on_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	struct tt_sink *t = ud;
	t->ev = realloc(t->ev, (t->nev + 1) * sizeof *t->ev);
	t->ev[t->nev++] = *e;
	return 0;
}

static int on_bucket(void *ud, const struct sink_dpcisr_bucket *b)
{
	struct tt_sink *t = ud;
	t->b = realloc(t->b, (t->nb + 1) * sizeof *t->b);
	t->b[t->nb++] = (struct tt_bucket){b->block, dup_or_null(b->module), b->kind, b->lo_ns,
					   b->hi_ns, b->count};
	return 0;
}

static int on_usage(void *ud, const struct sink_dpcisr_usage *u)
{
	struct tt_sink *t = ud;
	t->u = realloc(t->u, (t->nu + 1) * sizeof *t->u);
	t->u[t->nu++] = (struct tt_usage){strdup(u->module), u->kind, u->cpu, u->busy_us};
	return 0;
}

static int on_warning(void *ud, const char *code, const char *msg)
{
	struct tt_sink *t = ud;
	t->warn_codes = realloc(t->warn_codes, (t->nwarn + 1) * sizeof(char *));
	t->warn_msgs = realloc(t->warn_msgs, (t->nwarn + 1) * sizeof(char *));
	t->warn_codes[t->nwarn] = strdup(code);
	t->warn_msgs[t->nwarn++] = strdup(msg);
	return 0;
}

static int on_summary(void *ud, const cJSON *s)
{
	struct tt_sink *t = ud;
	cJSON_Delete(t->summary);
	t->summary = cJSON_Duplicate(s, 1);
	return 0;
}

void tt_init(struct tt_sink *t)
{
	memset(t, 0, sizeof *t);
	t->sink = (struct ingest_sink){.ud = t, .module = on_module, .dpcisr = on_dpcisr,
				       .warning = on_warning, .summary = on_summary,
				       .dpcisr_bucket = on_bucket, .dpcisr_usage = on_usage};
}

void tt_free(struct tt_sink *t)
{
	for (size_t i = 0; i < t->nmodules; i++)
		free(t->modules[i]);
	for (size_t i = 0; i < t->nb; i++)
		free(t->b[i].module);
	for (size_t i = 0; i < t->nu; i++)
		free(t->u[i].module);
	for (size_t i = 0; i < t->nwarn; i++) {
		free(t->warn_codes[i]);
		free(t->warn_msgs[i]);
	}
	free(t->modules);
	free(t->ev);
	free(t->b);
	free(t->u);
	free(t->warn_codes);
	free(t->warn_msgs);
	cJSON_Delete(t->summary);
	memset(t, 0, sizeof *t);
}

size_t tt_warnings(const struct tt_sink *t, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nwarn; i++)
		n += strcmp(t->warn_codes[i], code) == 0;
	return n;
}

double tt_num(const struct tt_sink *t, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->summary, name);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *tt_str(const struct tt_sink *t, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->summary, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int run(struct tt_sink *t, enum tt_parser p, FILE *f, size_t max_line, size_t block)
{
	struct ingest_error err = {{0}};
	int rc;
	if (p == TT_XPERF) {
		struct xperf_options o = {max_line, block};
		rc = xperf_dpcisr_parse_ex(f, &o, &t->sink, &err);
	} else {
		struct wpa_options o = {max_line, block, 0};
		rc = wpa_csv_parse_ex(f, &o, &t->sink, &err);
	}
	snprintf(t->err, sizeof t->err, "%s", err.message);
	return rc;
}

int tt_parse_mem(struct tt_sink *t, enum tt_parser p, const char *data, size_t len,
		 size_t max_line, size_t block)
{
	FILE *f = fmemopen((void *)data, len, "rb");
	int rc;
	if (!f)
		return -100;
	rc = run(t, p, f, max_line, block);
	fclose(f);
	return rc;
}

int tt_parse_file(struct tt_sink *t, enum tt_parser p, const char *path)
{
	FILE *f = fopen(path, "rb");
	int rc;
	if (!f)
		return -100;
	rc = run(t, p, f, 0, 0);
	fclose(f);
	return rc;
}

uint64_t tt_block_sum(const struct tt_sink *t, uint32_t block)
{
	uint64_t s = 0;
	for (size_t i = 0; i < t->nb; i++)
		if (t->b[i].block == block)
			s += t->b[i].count;
	return s;
}
