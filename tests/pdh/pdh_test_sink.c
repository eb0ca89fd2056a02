/* pdh_test_sink.c — the in-memory sink used by the PDH tests (see pdh_test_sink.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/pdh/pdh_text.h"
#include "pdh_test_sink.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int ts_counter(void *ud, const struct sink_counter *c, uint32_t *out_index)
{
	struct test_sink *t = ud;
	struct test_counter *n = realloc(t->counters, (t->ncounters + 1) * sizeof *n);
	if (!n)
		return -1;
	t->counters = n;
	n += t->ncounters;
	n->path = strdup(c->path);
	n->machine = strdup(c->machine);
	n->object = strdup(c->object);
	n->instance = dup_or_null(c->instance);
	n->counter = strdup(c->counter);
	n->cpu = c->cpu;
	*out_index = (uint32_t)t->ncounters++;
	return 0;
}

static int ts_sample(void *ud, int64_t t_us, const double *values, size_t n)
{
	struct test_sink *t = ud;
	if (t->fail_after > 0 && (size_t)t->fail_after == t->nsamples + 1)
		return -99;
	if (t->nsamples == 0)
		t->width = t->ncounters;
	if (n > t->width)
		return -1;
	t->times = realloc(t->times, (t->nsamples + 1) * sizeof *t->times);
	t->widths = realloc(t->widths, (t->nsamples + 1) * sizeof *t->widths);
	t->values = realloc(t->values, (t->nsamples + 1) * (t->width ? t->width : 1) *
					       sizeof *t->values);
	if (!t->times || !t->widths || !t->values)
		return -1;
	t->times[t->nsamples] = t_us;
	t->widths[t->nsamples] = n;
	for (size_t i = 0; i < t->width; i++)
		t->values[t->nsamples * t->width + i] = i < n ? values[i] : NAN;
	t->nsamples++;
	return 0;
}

static int ts_warning(void *ud, const char *code, const char *message)
{
	struct test_sink *t = ud;
	t->warn_codes = realloc(t->warn_codes, (t->nwarnings + 1) * sizeof(char *));
	t->warn_msgs = realloc(t->warn_msgs, (t->nwarnings + 1) * sizeof(char *));
	if (!t->warn_codes || !t->warn_msgs)
		return -1;
	t->warn_codes[t->nwarnings] = strdup(code);
	t->warn_msgs[t->nwarnings] = strdup(message);
	t->nwarnings++;
	return 0;
}

static int ts_summary(void *ud, const cJSON *summary)
{
	struct test_sink *t = ud;
	cJSON_Delete(t->summary);
	t->summary = cJSON_Duplicate(summary, 1);
	return t->summary ? 0 : -1;
}

void test_sink_init(struct test_sink *t)
{
	memset(t, 0, sizeof *t);
	t->sink.ud = t;
	t->sink.counter = ts_counter;
	t->sink.sample = ts_sample;
	t->sink.warning = ts_warning;
	t->sink.summary = ts_summary;
}

void test_sink_free(struct test_sink *t)
{
	for (size_t i = 0; i < t->ncounters; i++) {
		free(t->counters[i].path);
		free(t->counters[i].machine);
		free(t->counters[i].object);
		free(t->counters[i].instance);
		free(t->counters[i].counter);
	}
	for (size_t i = 0; i < t->nwarnings; i++) {
		free(t->warn_codes[i]);
		free(t->warn_msgs[i]);
	}
	free(t->counters);
	free(t->times);
	free(t->values);
	free(t->widths);
	free(t->warn_codes);
	free(t->warn_msgs);
	cJSON_Delete(t->summary);
	memset(t, 0, sizeof *t);
}

size_t test_sink_warnings(const struct test_sink *t, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nwarnings; i++)
		n += strcmp(t->warn_codes[i], code) == 0;
	return n;
}

double test_sink_value(const struct test_sink *t, size_t r, size_t i)
{
	if (r >= t->nsamples || i >= t->width)
		return NAN;
	return t->values[r * t->width + i];
}

static int parse_stream(struct test_sink *t, FILE *f, char sep, size_t max_line, size_t block,
			char *errbuf, size_t errlen)
{
	struct ingest_error err = {{0}};
	struct pdh_text_options opt = {.max_line = max_line, .block = block};
	int rc = pdh_text_parse_ex(f, sep, &opt, &t->sink, &err);
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", err.message);
	return rc;
}

int test_parse_mem(struct test_sink *t, const char *data, size_t len, char sep,
		   size_t max_line, size_t block, char *errbuf, size_t errlen)
{
	/* fmemopen rejects size 0 on some libcs: give it one byte it never reads. */
	static const char empty[1] = {0};
	FILE *f = len ? fmemopen((void *)data, len, "rb") : fmemopen((void *)empty, 1, "rb");
	int rc;
	if (!f)
		return -1000;
	if (!len)
		fgetc(f);
	rc = parse_stream(t, f, sep, max_line, block, errbuf, errlen);
	fclose(f);
	return rc;
}

int test_parse_file(struct test_sink *t, const char *path, char sep, char *errbuf,
		    size_t errlen)
{
	FILE *f = fopen(path, "rb");
	int rc;
	if (!f)
		return -1000;
	rc = parse_stream(t, f, sep, 0, 0, errbuf, errlen);
	fclose(f);
	return rc;
}

double test_summary_num(const struct test_sink *t, const char *name)
{
	const cJSON *v = t->summary ? cJSON_GetObjectItemCaseSensitive(t->summary, name) : NULL;
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *test_summary_str(const struct test_sink *t, const char *name)
{
	const cJSON *v = t->summary ? cJSON_GetObjectItemCaseSensitive(t->summary, name) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}
