/* test_etl_roundtrip.c — traces written by etlgen (32/64-bit, plain/compressed, images before
 * or after the DPCs) come back exactly through etl_ingest: every DPC/ISR with its time,
 * duration, CPU, kind, routine and module; per-module aggregates; samples with their IP and
 * stack modules. A truncated trace gives a partial result with a warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "ingest/etl/etl_ingest.h"
#include "tools/etlgen/etlgen.h"
#include "etl_test_sink.h"

struct rec {
	int64_t t_ns;
	uint32_t duration_ns;
	unsigned cpu;
	int kind;
	size_t module;
	uint64_t routine;
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static void on_dpcisr(void *ud, int64_t t_ns, uint32_t duration_ns, unsigned cpu,
		      enum etlgen_kind kind, size_t module, uint64_t routine)
{
	struct recs *r = ud;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->v = realloc(r->v, r->cap * sizeof *r->v);
		assert_non_null(r->v);
	}
	r->v[r->n++] = (struct rec){t_ns, duration_ns, cpu, (int)kind, module, routine};
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return (x->routine > y->routine) - (x->routine < y->routine);
}

static int stack_ntos[] = {0};
static int stack_ndis_ntos[] = {1, 0};

static const struct etlgen_module base_modules[] = {
	{.name = "ntoskrnl.exe", .path = "\\SystemRoot\\system32\\ntoskrnl.exe",
	 .base = 0xfffff80002000000ull, .size = 0x800000, .dpc_rate = 800,
	 .dpc_kind = ETLGEN_TIMER_DPC, .dpc_us = {ETLGEN_FIXED, 5, 0}, .sample_weight = 2},
	{.name = "ndis.sys", .base = 0xfffff88001000000ull, .size = 0x100000, .dpc_rate = 2500,
	 .dpc_kind = ETLGEN_DPC, .dpc_us = {ETLGEN_LOGNORMAL, 20, 0.8}, .isr_rate = 1500,
	 .isr_msi = 1, .isr_us = {ETLGEN_UNIFORM, 1, 6}, .sample_weight = 1,
	 .stack = stack_ntos, .n_stack = 1},
	{.name = "storport.sys", .base = 0xfffff88002000000ull, .size = 0x80000, .dpc_rate = 400,
	 .dpc_kind = ETLGEN_THREADED_DPC, .dpc_us = {ETLGEN_FIXED, 120, 0}, .isr_rate = 300,
	 .isr_us = {ETLGEN_FIXED, 30, 0}, .sample_weight = 0.5,
	 .stack = stack_ndis_ntos, .n_stack = 2},
};

static struct etlgen_scenario scenario(unsigned psize, int compressed, struct recs *r)
{
	struct etlgen_scenario s = {
		.cpus = 4, .pointer_size = psize, .compressed = compressed, .buffer_size = 16384,
		.duration_s = 1.5, .seed = 42, .qpc_frequency = 10000000, .build = 19041,
		.sample_rate_hz = 1000, .dpc_groups_enabled = 1,
		.modules = base_modules, .n_modules = 3, .on_dpcisr = on_dpcisr, .ud = r,
	};
	if (psize == 4) { /* 32-bit kernel addresses */
		static struct etlgen_module m32[3];
		memcpy(m32, base_modules, sizeof m32);
		m32[0].base = 0x82000000;
		m32[1].base = 0x8a000000;
		m32[2].base = 0x8b000000;
		s.modules = m32;
	}
	return s;
}

static FILE *write_trace(const struct etlgen_scenario *s, struct etlgen_expect *e)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	char msg[128];
	assert_int_equal(etlgen_write(s, f, e, msg, sizeof msg), 0);
	rewind(f);
	return f;
}

static void check_roundtrip(unsigned psize, int compressed, int images_at_end, int stack_keys)
{
	struct recs want = {0};
	struct etlgen_scenario s = scenario(psize, compressed, &want);
	s.images_at_end = images_at_end;
	s.stack_keys = stack_keys;
	struct etlgen_expect e;
	FILE *f = write_trace(&s, &e);
	struct test_sink t;
	test_sink_init(&t);
	struct ingest_error err = {{0}};
	assert_int_equal(etl_ingest(f, &t.sink, &err), INGEST_OK);
	fclose(f);

	assert_int_equal(test_summary_bool(&t, "partial"), 0);
	assert_int_equal(test_summary_num(&t, "unknown"), 0);
	assert_int_equal(test_summary_num(&t, "pointer_size"), psize);
	assert_int_equal(test_summary_bool(&t, "compressed"), compressed);
	assert_int_equal(test_summary_bool(&t, "dpcisr_enabled"), 1);
	assert_int_equal(test_summary_num(&t, "events"), e.events);
	assert_int_equal(test_summary_num(&t, "buffers"), e.buffers);
	assert_int_equal(test_summary_num(&t, "buffers_written"), e.buffers);
	assert_int_equal(test_summary_num(&t, "dpcisr_unresolved"), 0);
	assert_int_equal(t.n_warnings, 0);
	assert_int_equal(t.n_mods, 3);

	/* every record, exactly */
	assert_true(want.n > 5000);
	assert_int_equal(t.n_dpc, want.n);
	struct recs got = {calloc(t.n_dpc, sizeof(struct rec)), t.n_dpc, t.n_dpc};
	assert_non_null(got.v);
	for (size_t i = 0; i < t.n_dpc; i++) {
		const struct sink_dpcisr *d = &t.dpc[i];
		assert_true(d->module_id >= 0 && (size_t)d->module_id < t.n_mods);
		size_t mi = 99;
		for (size_t k = 0; k < s.n_modules; k++)
			if (!strcmp(t.mods[d->module_id].name, s.modules[k].name))
				mi = k;
		got.v[i] = (struct rec){d->t_ns, d->duration_ns, d->cpu, d->kind, mi, d->routine};
	}
	qsort(want.v, want.n, sizeof *want.v, rec_cmp);
	qsort(got.v, got.n, sizeof *got.v, rec_cmp);
	for (size_t i = 0; i < want.n; i++) {
		assert_int_equal(got.v[i].t_ns, want.v[i].t_ns);
		assert_int_equal(got.v[i].duration_ns, want.v[i].duration_ns);
		assert_int_equal(got.v[i].cpu, want.v[i].cpu);
		assert_int_equal(got.v[i].kind, want.v[i].kind);
		assert_int_equal(got.v[i].module, want.v[i].module);
		assert_true(got.v[i].routine == want.v[i].routine);
	}
	/* per-module aggregates as etlgen reported them */
	for (size_t k = 0; k < s.n_modules; k++)
		for (int kind = 0; kind < ETLGEN_KINDS; kind++) {
			struct etlgen_agg a = {0};
			for (size_t i = 0; i < got.n; i++)
				if (got.v[i].module == k && got.v[i].kind == kind) {
					a.count++;
					a.total_ns += got.v[i].duration_ns;
					if (got.v[i].duration_ns > a.max_ns)
						a.max_ns = got.v[i].duration_ns;
				}
			assert_int_equal(a.count, e.modules[k].kind[kind].count);
			assert_int_equal(a.total_ns, e.modules[k].kind[kind].total_ns);
			assert_int_equal(a.max_ns, e.modules[k].kind[kind].max_ns);
		}
	for (unsigned c = 0; c < s.cpus; c++) {
		uint64_t n = 0;
		for (size_t i = 0; i < got.n; i++)
			n += got.v[i].cpu == c;
		assert_int_equal(n, e.cpu_dpcisr[c]);
	}
	/* samples: IP module and stack modules */
	assert_int_equal(t.samples, e.samples);
	assert_int_equal(test_summary_num(&t, "cpu_samples_with_stack"), e.samples);
	assert_int_equal(test_summary_num(&t, "stack_keys_unresolved"), 0);
	assert_int_equal(test_summary_count(&t, "counts", stack_keys ? "StackWalkKeyKernel"
								       : "StackWalkStack"),
			 e.samples);
	for (size_t k = 0; k < s.n_modules; k++)
		for (size_t id = 0; id < t.n_mods; id++)
			if (!strcmp(t.mods[id].name, s.modules[k].name)) {
				assert_int_equal(t.samples_ip_by_mod[id], e.modules[k].samples_ip);
				assert_int_equal(t.samples_stack_by_mod[id],
						 e.modules[k].samples_on_stack);
			}
	free(got.v);
	free(want.v);
	etlgen_expect_free(&e);
	test_sink_free(&t);
}

static void test_roundtrip_64(void **state)
{
	(void)state;
	check_roundtrip(8, 0, 0, 0);
}

static void test_roundtrip_64_compressed(void **state)
{
	(void)state;
	check_roundtrip(8, 1, 0, 0);
}

static void test_roundtrip_32(void **state)
{
	(void)state;
	check_roundtrip(4, 0, 0, 0);
}

static void test_roundtrip_32_compressed(void **state)
{
	(void)state;
	check_roundtrip(4, 1, 0, 0);
}

static void test_images_logged_after_dpcs(void **state)
{
	(void)state;
	check_roundtrip(8, 0, 1, 0);
	check_roundtrip(4, 1, 1, 0);
}

/* Win8+ stack caching: KeyKernel references resolved by KeyRundown definitions that are
 * logged at the very end, after every reference. */
static void test_stack_keys_defined_after_use(void **state)
{
	(void)state;
	check_roundtrip(8, 0, 0, 1);
	check_roundtrip(4, 1, 1, 1);
}

static void check_truncated(int compressed)
{
	struct recs want = {0};
	struct etlgen_scenario s = scenario(8, compressed, &want);
	struct etlgen_expect e;
	FILE *f = write_trace(&s, &e);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	char *data = malloc((size_t)size);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	/* cut inside a buffer, about 60% in */
	FILE *g = fmemopen(data, (size_t)(size * 6 / 10) + 100, "rb");
	assert_non_null(g);
	struct test_sink t;
	test_sink_init(&t);
	struct ingest_error err = {{0}};
	assert_int_equal(etl_ingest(g, &t.sink, &err), INGEST_OK);
	fclose(g);
	assert_int_equal(test_summary_bool(&t, "partial"), 1);
	assert_true(test_sink_has_warning(&t, "truncated"));
	assert_true(t.n_dpc > want.n / 4);
	assert_true(t.n_dpc < want.n);
	assert_true(test_summary_num(&t, "buffers") < e.buffers);
	free(data);
	free(want.v);
	etlgen_expect_free(&e);
	test_sink_free(&t);
}

static void test_truncated_is_partial(void **state)
{
	(void)state;
	check_truncated(0);
	check_truncated(1);
}

static void test_dpc_tracing_off(void **state)
{
	(void)state;
	struct etlgen_module m = {.name = "ntoskrnl.exe", .base = 0xfffff80002000000ull,
				  .size = 0x800000, .sample_weight = 1};
	struct etlgen_scenario s = {.cpus = 2, .pointer_size = 8, .buffer_size = 8192,
				    .duration_s = 0.2, .seed = 3, .qpc_frequency = 10000000,
				    .build = 19041, .sample_rate_hz = 1000, .modules = &m,
				    .n_modules = 1};
	struct etlgen_expect e;
	FILE *f = write_trace(&s, &e);
	struct test_sink t;
	test_sink_init(&t);
	struct ingest_error err = {{0}};
	assert_int_equal(etl_ingest(f, &t.sink, &err), INGEST_OK);
	fclose(f);
	assert_int_equal(test_summary_bool(&t, "dpcisr_enabled"), 0);
	assert_true(test_sink_has_warning(&t, "dpcisr_disabled"));
	assert_int_equal(t.samples, e.samples);
	assert_int_equal(t.samples_resolved, e.samples);
	etlgen_expect_free(&e);
	test_sink_free(&t);
}

static int refuse_dpc(void *ud, const struct sink_dpcisr *e)
{
	(void)e;
	int *n = ud;
	return ++*n == 10 ? -42 : 0;
}

static int refuse_module(void *ud, const struct sink_module *m, int32_t *id)
{
	(void)ud;
	(void)m;
	(void)id;
	return -7;
}

/* A sink error stops the parse and comes back unchanged; no summary follows. */
static void test_sink_refusal_propagates(void **state)
{
	(void)state;
	struct recs r = {0};
	struct etlgen_scenario s = scenario(8, 0, &r);
	struct etlgen_expect e;
	FILE *f = write_trace(&s, &e);
	int n = 0, summaries = 0;
	struct ingest_sink k = {.ud = &n, .dpcisr = refuse_dpc};
	struct ingest_error err = {{0}};
	assert_int_equal(etl_ingest(f, &k, &err), -42);
	assert_int_equal(n, 10);
	rewind(f);
	k = (struct ingest_sink){.ud = &summaries, .module = refuse_module};
	assert_int_equal(etl_ingest(f, &k, &err), -7);
	fclose(f);
	free(r.v);
	etlgen_expect_free(&e);
}

static void test_scenario_json(void **state)
{
	(void)state;
	static const char json[] =
		"{\"cpus\":2,\"pointer_size\":4,\"compressed\":true,\"buffer_size\":8192,"
		"\"duration_s\":0.3,\"seed\":9,\"sample_rate_hz\":500,"
		"\"modules\":[{\"name\":\"a.sys\",\"base\":\"0x8a000000\",\"size\":65536,"
		"\"dpc\":{\"rate\":1000,\"kind\":\"timer\",\"duration_us\":{\"dist\":\"fixed\",\"value\":7}},"
		"\"isr\":{\"rate\":200,\"msi\":true,\"duration_us\":{\"dist\":\"lognormal\",\"median\":3,\"sigma\":0.4}},"
		"\"samples\":{\"weight\":1,\"stack\":[\"b.sys\"]}},"
		"{\"name\":\"b.sys\",\"base\":2315255808,\"size\":65536}]}";
	struct etlgen_scenario s;
	char msg[128];
	assert_int_equal(etlgen_scenario_parse(json, &s, msg, sizeof msg), 0);
	assert_int_equal(s.cpus, 2);
	assert_int_equal(s.pointer_size, 4);
	assert_int_equal(s.n_modules, 2);
	assert_true(s.modules[0].base == 0x8a000000);
	assert_int_equal(s.modules[0].dpc_kind, ETLGEN_TIMER_DPC);
	assert_int_equal(s.modules[0].isr_msi, 1);
	assert_int_equal(s.modules[0].n_stack, 1);
	assert_int_equal(s.modules[0].stack[0], 1);
	struct etlgen_expect e;
	FILE *f = write_trace(&s, &e);
	struct test_sink t;
	test_sink_init(&t);
	struct ingest_error err = {{0}};
	assert_int_equal(etl_ingest(f, &t.sink, &err), INGEST_OK);
	fclose(f);
	assert_int_equal(t.n_dpc, e.kind[ETLGEN_TIMER_DPC].count + e.kind[ETLGEN_ISR_MSI].count);
	cJSON *j = etlgen_expect_json(&s, &e);
	assert_non_null(j);
	const cJSON *tot = cJSON_GetObjectItemCaseSensitive(j, "dpcisr");
	assert_int_equal(tot->valuedouble, t.n_dpc);
	cJSON_Delete(j);
	etlgen_expect_free(&e);
	test_sink_free(&t);
	etlgen_scenario_free(&s);
	assert_int_equal(etlgen_scenario_parse("{\"modules\":[{\"name\":\"x\"}]}", &s, msg,
					       sizeof msg), -1);
	assert_int_equal(etlgen_scenario_parse("[1]", &s, msg, sizeof msg), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_64),
		cmocka_unit_test(test_roundtrip_64_compressed),
		cmocka_unit_test(test_roundtrip_32),
		cmocka_unit_test(test_roundtrip_32_compressed),
		cmocka_unit_test(test_images_logged_after_dpcs),
		cmocka_unit_test(test_stack_keys_defined_after_use),
		cmocka_unit_test(test_truncated_is_partial),
		cmocka_unit_test(test_dpc_tracing_off),
		cmocka_unit_test(test_sink_refusal_propagates),
		cmocka_unit_test(test_scenario_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
