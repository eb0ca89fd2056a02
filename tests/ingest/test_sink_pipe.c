/* test_sink_pipe.c — the threaded sink wrapper delivers exactly what the parser sent, in
 * order, with module ids from the real sink; large records take the direct path; the
 * real sink's first error comes back to the parser and nothing is stored after it; fact
 * contributions are added up on the store thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/sink_pipe.h"

/* A recording sink: one line of text per record, so order and content compare at once. */
struct rec {
	char **lines;
	size_t n, cap;
	int32_t next_module;
	size_t fail_at; /* fail the record with this index (1-based; 0 = never) */
};

static int add(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add(struct rec *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (r->fail_at && r->n + 1 == r->fail_at)
		return -4;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->lines = realloc(r->lines, r->cap * sizeof *r->lines);
	}
	r->lines[r->n++] = strdup(buf);
	return 0;
}

static int r_module(void *ud, const struct sink_module *m, int32_t *id)
{
	struct rec *r = ud;
	*id = r->next_module * 10; /* not dense: the parser must get the real sink's ids */
	int rc = add(r, "module %s %d", m->name, *id);
	if (rc == 0)
		r->next_module++;
	return rc;
}

static int r_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	return add(ud, "dpc %lld %u %u %u %d %llx", (long long)e->t_ns, e->duration_ns, e->cpu,
		   e->kind, e->module_id, (unsigned long long)e->routine);
}

static int r_cpu_sample(void *ud, const struct sink_cpu_sample *s)
{
	char stack[256] = "";
	size_t o = 0;
	for (uint32_t i = 0; i < s->n_stack_modules && o < sizeof stack - 16; i++)
		o += (size_t)snprintf(stack + o, sizeof stack - o, ",%d", s->stack_modules[i]);
	for (uint32_t i = 0; i < s->n_module_chain && o < sizeof stack - 16; i++)
		o += (size_t)snprintf(stack + o, sizeof stack - o, ">%d", s->module_chain[i]);
	return add(ud, "cpu %lld %u %u %u %llx %d %u %u %u%s cover %u %u %d", (long long)s->t_ns,
		   s->cpu, s->pid, s->tid, (unsigned long long)s->ip, s->module_id, s->in_dpcisr,
		   s->ip_kernel, s->n_stack_modules, stack, s->covered, s->cover_kind,
		   s->cover_module_id);
}

static int r_warning(void *ud, const char *code, const char *message)
{
	return add(ud, "warn %s %s", code, message);
}

static struct ingest_sink rec_sink(struct rec *r)
{
	return (struct ingest_sink){.ud = r, .module = r_module, .dpcisr = r_dpcisr,
				    .cpu_sample = r_cpu_sample, .warning = r_warning};
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
	memset(r, 0, sizeof *r);
}

/* A mixed stream of n records into k; stops at the first error and returns it. */
static int feed(const struct ingest_sink *k, size_t n, int32_t *last_module)
{
	static int32_t big[100000];
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		big[i] = (int32_t)i;
	for (size_t i = 0; i < n; i++) {
		int rc = 0;
		if (i % 5000 == 0) {
			char name[32];
			snprintf(name, sizeof name, "m%zu.sys", i);
			struct sink_module m = {.name = name, .path = name, .base = i};
			rc = k->module(k->ud, &m, last_module);
		} else if (i % 7 == 0) {
			int32_t stack[5] = {*last_module, 1, 2, 3, (int32_t)i};
			int32_t chain[3] = {(int32_t)i, 7, 1};
			struct sink_cpu_sample s = {
				.t_ns = (int64_t)i * 3, .cpu = (uint16_t)(i % 64), .pid = 4,
				.tid = (uint32_t)i, .ip = 0xfffff80000000000ull + i,
				.module_id = *last_module, .stack_modules = stack,
				.n_stack_modules = (uint32_t)(i % 6), .in_dpcisr = (uint8_t)(i % 3),
				.ip_kernel = 1, .module_chain = chain, .n_module_chain = (uint32_t)(i % 4),
				.covered = (uint8_t)(i % 2), .cover_kind = (uint8_t)(i % 5),
				.cover_module_id = (int32_t)(i % 9) - 1};
			rc = k->cpu_sample(k->ud, &s);
		} else if (i % 100003 == 1) { /* larger than a pipe block: the direct path */
			struct sink_cpu_sample s = {.t_ns = (int64_t)i, .cpu = 1, .pid = 2, .tid = 3,
						    .ip = 4, .module_id = 5, .stack_modules = big,
						    .n_stack_modules = 100000, .module_chain = big,
						    .n_module_chain = 3, .covered = 1, .cover_kind = 3,
						    .cover_module_id = 5};
			rc = k->cpu_sample(k->ud, &s);
		} else if (i % 1001 == 0) {
			char msg[64];
			snprintf(msg, sizeof msg, "record %zu was odd", i);
			rc = k->warning(k->ud, "odd", msg);
		} else {
			struct sink_dpcisr e = {(int64_t)i * 1000 - 5, (uint32_t)(i * 13 % 200000),
						(uint16_t)(i % 24), (uint8_t)(i % 5), *last_module,
						0xfffff80012340000ull + i % 4096};
			rc = k->dpcisr(k->ud, &e);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static void test_same_records_in_order(void **state)
{
	(void)state;
	struct rec direct = {0}, piped = {0};
	int32_t last = -1;
	struct ingest_sink d = rec_sink(&direct), q = rec_sink(&piped);
	assert_int_equal(feed(&d, 300000, &last), 0);
	last = -1;
	struct sink_pipe *p = sink_pipe_new(&q);
	assert_non_null(p);
	assert_int_equal(feed(sink_pipe_sink(p), 300000, &last), 0);
	assert_int_equal(last, 590); /* the 60th module's id, from the real sink */
	assert_int_equal(sink_pipe_finish(p), 0);
	sink_pipe_free(p);
	assert_int_equal(piped.n, direct.n);
	assert_true(direct.n == 300000);
	for (size_t i = 0; i < direct.n; i++)
		assert_string_equal(piped.lines[i], direct.lines[i]);
	rec_free(&direct);
	rec_free(&piped);
}

static void test_first_error_returns(void **state)
{
	(void)state;
	const size_t fail_at[] = {1, 2, 5000, 5001, 123457, 299999};
	for (size_t f = 0; f < sizeof fail_at / sizeof fail_at[0]; f++) {
		struct rec piped = {.fail_at = fail_at[f]};
		int32_t last = -1;
		struct ingest_sink q = rec_sink(&piped);
		struct sink_pipe *p = sink_pipe_new(&q);
		assert_non_null(p);
		int rc = feed(sink_pipe_sink(p), 300000, &last);
		int fin = sink_pipe_finish(p);
		sink_pipe_free(p);
		/* the parser may run ahead by a few blocks, but it hears of the error by the
		 * end, and the store holds exactly the records before the failing one */
		assert_true(rc == -4 || rc == 0);
		assert_int_equal(fin, -4);
		assert_int_equal(piped.n, fail_at[f] - 1);
		rec_free(&piped);
	}
}

static void test_absent_callbacks_stay_absent(void **state)
{
	(void)state;
	struct rec r = {0};
	struct ingest_sink q = {.ud = &r, .dpcisr = r_dpcisr};
	struct sink_pipe *p = sink_pipe_new(&q);
	const struct ingest_sink *k = sink_pipe_sink(p);
	assert_null(k->module);
	assert_null(k->counter);
	assert_null(k->dpcisr_bucket);
	assert_non_null(k->dpcisr);
	assert_null(k->slice_fact_adds); /* no slice_facts below: nothing to add up for */
	assert_null(k->slice_facts_flush);
	assert_int_equal(sink_pipe_finish(p), 0);
	sink_pipe_free(p);
}

static int r_facts(void *ud, const struct sink_slice_fact *f, size_t n)
{
	int rc = add(ud, "batch %zu", n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = add(ud, "facts %u %u %u %u %u %llu %llu %llu %llu %llu", f[i].domain, f[i].slice,
			 f[i].cpu, f[i].pid, f[i].tid, (unsigned long long)f[i].key,
			 (unsigned long long)f[i].n, (unsigned long long)f[i].m,
			 (unsigned long long)f[i].ns, (unsigned long long)f[i].bytes);
	return rc;
}

static int r_restart(void *ud)
{
	return add(ud, "restart");
}

/* Contributions handed to the pipe are added up on its store thread: the real sink gets
 * per key the sums, 100 ms keys first, then the per-second and whole-trace rollups
 * (domain + 16, + 32), each batch in key order; a restart forgets what came before it. */
static void test_fact_contributions_added_up(void **state)
{
	(void)state;
	/* domain 1 (syscalls), pid 7, tid 70, key 5; {domain, cpu, slice, pid, tid, key, n, m,
	 * ns, bytes} */
	static const struct sink_slice_fact before_restart[] = {{1, 2, 5, 7, 70, 9, 4, 0, 40, 0}};
	static const struct sink_slice_fact adds[] = {
		{1, 1, 3, 7, 70, 5, 1, 0, 100, 0},
		{1, 1, 3, 7, 70, 5, 2, 0, 50, 0},
		{1, 0, 12, 7, 70, 5, 1, 0, 10, 0},
	};
	/* by hand: slice 3 CPU 1 holds 1 + 2 calls, 100 + 50 ns; slice 12 is second 1 */
	static const char *const want[] = {
		"batch 2",
		"facts 1 3 1 7 70 5 3 0 150 0",
		"facts 1 12 0 7 70 5 1 0 10 0",
		"batch 2",
		"facts 17 0 1 7 70 5 3 0 150 0",
		"facts 17 1 0 7 70 5 1 0 10 0",
		"batch 2",
		"facts 33 0 0 7 70 5 1 0 10 0",
		"facts 33 0 1 7 70 5 3 0 150 0",
	};
	static const struct {
		int restart;
	} cases[] = {{0}, {1}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct rec r = {0};
		struct ingest_sink q = {.ud = &r, .slice_facts = r_facts, .restart = r_restart};
		struct sink_pipe *p = sink_pipe_new(&q);
		assert_non_null(p);
		const struct ingest_sink *k = sink_pipe_sink(p);
		assert_non_null(k->slice_fact_adds);
		assert_non_null(k->slice_facts_flush);
		if (cases[c].restart) {
			assert_int_equal(k->slice_fact_adds(k->ud, before_restart, 1), 0);
			assert_int_equal(k->restart(k->ud), 0);
		}
		assert_int_equal(k->slice_fact_adds(k->ud, adds, 2), 0);
		assert_int_equal(k->slice_fact_adds(k->ud, adds + 2, 1), 0);
		assert_int_equal(k->slice_facts_flush(k->ud), 0);
		assert_int_equal(sink_pipe_finish(p), 0);
		sink_pipe_free(p);
		size_t skip = cases[c].restart ? 1 : 0;
		if (skip)
			assert_string_equal(r.lines[0], "restart");
		assert_int_equal(r.n, skip + sizeof want / sizeof want[0]);
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
			assert_string_equal(r.lines[skip + i], want[i]);
		rec_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_records_in_order),
		cmocka_unit_test(test_first_error_returns),
		cmocka_unit_test(test_absent_callbacks_stay_absent),
		cmocka_unit_test(test_fact_contributions_added_up),
	};
	return cmocka_run_group_tests_name("sink_pipe", tests, NULL, NULL);
}
