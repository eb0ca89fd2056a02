/* blg_test_sink.c — in-memory sink used by the blg tests. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "blg_ingest.h"
#include "blg_test_sink.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int on_counter(void *ud, const struct sink_counter *c, uint32_t *idx)
{
	struct mem_sink *m = ud;
	m->c = realloc(m->c, (m->nc + 1) * sizeof *m->c);
	struct mem_counter *x = &m->c[m->nc];
	x->path = dup_or_null(c->path);
	x->machine = dup_or_null(c->machine);
	x->object = dup_or_null(c->object);
	x->instance = dup_or_null(c->instance);
	x->counter = dup_or_null(c->counter);
	x->cpu = c->cpu;
	x->type = c->counter_type;
	*idx = (uint32_t)m->nc++;
	return 0;
}

static int on_sample(void *ud, int64_t t_us, const double *v, size_t n)
{
	struct mem_sink *m = ud;
	m->rows = realloc(m->rows, (m->nrows + 1) * sizeof *m->rows);
	struct mem_row *r = &m->rows[m->nrows++];
	r->t_us = t_us;
	r->n = n;
	r->v = malloc((n ? n : 1) * sizeof *r->v);
	if (n)
		memcpy(r->v, v, n * sizeof *v);
	return 0;
}

static int on_warning(void *ud, const char *code, const char *msg)
{
	struct mem_sink *m = ud;
	(void)msg;
	m->warn_codes = realloc(m->warn_codes, (m->nwarn + 1) * sizeof *m->warn_codes);
	m->warn_codes[m->nwarn++] = strdup(code);
	return 0;
}

static int on_summary(void *ud, const struct cJSON *j)
{
	struct mem_sink *m = ud;
	free(m->summary);
	m->summary = cJSON_PrintUnformatted(j);
	return 0;
}

void mem_sink_init(struct mem_sink *m)
{
	memset(m, 0, sizeof *m);
	m->sink.ud = m;
	m->sink.counter = on_counter;
	m->sink.sample = on_sample;
	m->sink.warning = on_warning;
	m->sink.summary = on_summary;
}

void mem_sink_free(struct mem_sink *m)
{
	for (size_t i = 0; i < m->nc; i++) {
		free(m->c[i].path);
		free(m->c[i].machine);
		free(m->c[i].object);
		free(m->c[i].instance);
		free(m->c[i].counter);
	}
	free(m->c);
	for (size_t i = 0; i < m->nrows; i++)
		free(m->rows[i].v);
	free(m->rows);
	for (size_t i = 0; i < m->nwarn; i++)
		free(m->warn_codes[i]);
	free(m->warn_codes);
	free(m->summary);
	memset(m, 0, sizeof *m);
}

int mem_sink_ingest_path(struct mem_sink *m, const char *path, char *err, size_t errcap)
{
	struct ingest_error e;
	FILE *f = fopen(path, "rb");
	int rc;
	e.message[0] = '\0';
	if (!f) {
		if (err)
			snprintf(err, errcap, "cannot open %s", path);
		return INGEST_EIO;
	}
	rc = blg_ingest(f, &m->sink, &e);
	fclose(f);
	if (err)
		snprintf(err, errcap, "%s", e.message);
	return rc;
}

int mem_sink_find(const struct mem_sink *m, const char *path)
{
	for (size_t i = 0; i < m->nc; i++)
		if (strcasecmp(m->c[i].path, path) == 0)
			return (int)i;
	return -1;
}

size_t mem_sink_warnings(const struct mem_sink *m, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nwarn; i++)
		if (strcmp(m->warn_codes[i], code) == 0)
			n++;
	return n;
}

unsigned char *mem_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	long len;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0) {
		rewind(f);
		b = malloc((size_t)len + 1);
		if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
			free(b);
			b = NULL;
		}
		*n = (size_t)len;
	}
	fclose(f);
	return b;
}
