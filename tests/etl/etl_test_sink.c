/* etl_test_sink.c — in-memory sink used by the ETL tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "etl_test_sink.h"

static int on_module(void *ud, const struct sink_module *m, int32_t *id)
{
	struct test_sink *t = ud;
	struct test_module *n = realloc(t->mods, (t->n_mods + 1) * sizeof *n);
	uint64_t *a = realloc(t->samples_ip_by_mod, (t->n_mods + 1) * sizeof *a);
	if (a)
		t->samples_ip_by_mod = a;
	uint64_t *b = realloc(t->samples_stack_by_mod, (t->n_mods + 1) * sizeof *b);
	if (b)
		t->samples_stack_by_mod = b;
	if (!n || !a || !b)
		return -100;
	t->mods = n;
	t->mods[t->n_mods] = (struct test_module){strdup(m->path), strdup(m->name), m->base,
						  m->size, m->pid, m->load_ns, m->unload_ns};
	t->samples_ip_by_mod[t->n_mods] = 0;
	t->samples_stack_by_mod[t->n_mods] = 0;
	*id = (int32_t)t->n_mods++;
	return 0;
}

static int on_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	struct test_sink *t = ud;
	if (t->n_dpc == t->cap_dpc) {
		size_t cap = t->cap_dpc ? t->cap_dpc * 2 : 1024;
		struct sink_dpcisr *n = realloc(t->dpc, cap * sizeof *n);
		if (!n)
			return -100;
		t->dpc = n;
		t->cap_dpc = cap;
	}
	t->dpc[t->n_dpc++] = *e;
	return 0;
}

static int on_sample(void *ud, const struct sink_cpu_sample *s)
{
	struct test_sink *t = ud;
	t->samples++;
	if (s->module_id >= 0 && (size_t)s->module_id < t->n_mods) {
		t->samples_resolved++;
		t->samples_ip_by_mod[s->module_id]++;
	}
	if (s->n_stack_modules)
		t->samples_with_stack_mods++;
	for (uint32_t i = 0; i < s->n_stack_modules; i++)
		if (s->stack_modules[i] >= 0 && (size_t)s->stack_modules[i] < t->n_mods)
			t->samples_stack_by_mod[s->stack_modules[i]]++;
	return 0;
}

static int on_warning(void *ud, const char *code, const char *msg)
{
	struct test_sink *t = ud;
	(void)msg;
	if (t->n_warnings < 16)
		snprintf(t->warnings[t->n_warnings++], 64, "%s", code);
	return 0;
}

static int on_summary(void *ud, const cJSON *s)
{
	struct test_sink *t = ud;
	cJSON_Delete(t->summary);
	t->summary = cJSON_Duplicate(s, 1);
	t->summaries++;
	return t->summary ? 0 : -100;
}

void test_sink_init(struct test_sink *t)
{
	memset(t, 0, sizeof *t);
	t->sink = (struct ingest_sink){.ud = t, .module = on_module, .dpcisr = on_dpcisr,
				       .cpu_sample = on_sample, .warning = on_warning,
				       .summary = on_summary};
}

void test_sink_free(struct test_sink *t)
{
	for (size_t i = 0; i < t->n_mods; i++) {
		free(t->mods[i].path);
		free(t->mods[i].name);
	}
	free(t->mods);
	free(t->dpc);
	free(t->samples_ip_by_mod);
	free(t->samples_stack_by_mod);
	cJSON_Delete(t->summary);
	memset(t, 0, sizeof *t);
}

int test_sink_has_warning(const struct test_sink *t, const char *code)
{
	for (size_t i = 0; i < t->n_warnings; i++)
		if (!strcmp(t->warnings[i], code))
			return 1;
	return 0;
}

double test_summary_num(const struct test_sink *t, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->summary, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

double test_summary_count(const struct test_sink *t, const char *obj, const char *key)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(t->summary, obj);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const char *test_summary_str(const struct test_sink *t, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->summary, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

int test_summary_bool(const struct test_sink *t, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->summary, key);
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}
