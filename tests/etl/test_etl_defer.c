/* test_etl_defer.c — the one pass's spill file of deferred samples (etl_defer.h): what is
 * written is read back field by field and entry by entry, in order; a file cut inside a
 * record reads as an error, not as a sample; nothing is read before the rewind. Expected
 * values are the ones the test wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "ingest/etl/etl_defer.h"

/* Sample k: its fields and lists derived from k (half[0] k frames, half[1] 2k, ops 3k). */
static void make(struct etl_pending_sample *p, unsigned k, size_t *bytes)
{
	memset(p, 0, sizeof *p);
	p->ts = 1000 + k;
	p->stack_kinds = k & 7;
	p->in_syscall = k & 1;
	p->syscall_addr = 0xfffff80000000000ull + k;
	p->s.t_ns = 5000 + k;
	p->s.cpu = (uint16_t)k;
	p->s.pid = 40 + k;
	p->s.tid = 400 + k;
	p->s.ip = 0x7ff600000000ull + k;
	p->s.module_id = (int32_t)k - 1;
	p->s.covered = 1;
	p->s.cover_kind = 2;
	p->s.cover_module_id = 7;
	p->s.n_stack_modules = k % ETL_PENDING_MAX_MODS;
	p->s.n_module_chain = k % ETL_PENDING_MAX_CHAIN;
	for (unsigned i = 0; i < p->s.n_stack_modules; i++)
		p->mods[i] = (int32_t)(i * 3 + k);
	for (unsigned i = 0; i < p->s.n_module_chain; i++)
		p->chain[i] = (int32_t)(i * 5 + k);
	for (unsigned i = 0; i < k; i++)
		assert_int_equal(etl_frames_add(&p->half[0], 0xfffff80000001000ull + i, (int32_t)i, bytes), 0);
	for (unsigned i = 0; i < 2 * k; i++)
		assert_int_equal(etl_frames_add(&p->half[1], 0x7ff600001000ull + i, -1, bytes), 0);
	for (unsigned i = 0; i < 3 * k; i++)
		assert_int_equal(etl_frames_push(&p->ops, 0xabc00000ull + i, i % 2 ? ETL_OP_KEY_TS : ETL_OP_KEY,
						 ETL_PENDING_MAX_OPS, bytes), 0);
}

static void same_list(const struct etl_frames *a, const struct etl_frames *b)
{
	assert_int_equal(a->n, b->n);
	for (uint32_t i = 0; i < a->n; i++) {
		assert_int_equal(a->addr[i], b->addr[i]);
		assert_int_equal(a->mod[i], b->mod[i]);
	}
}

static void same(const struct etl_pending_sample *a, const struct etl_pending_sample *b)
{
	assert_int_equal(a->ts, b->ts);
	assert_int_equal(a->stack_kinds, b->stack_kinds);
	assert_int_equal(a->in_syscall, b->in_syscall);
	assert_int_equal(a->syscall_addr, b->syscall_addr);
	assert_int_equal(a->s.t_ns, b->s.t_ns);
	assert_int_equal(a->s.cpu, b->s.cpu);
	assert_int_equal(a->s.pid, b->s.pid);
	assert_int_equal(a->s.tid, b->s.tid);
	assert_int_equal(a->s.ip, b->s.ip);
	assert_int_equal(a->s.module_id, b->s.module_id);
	assert_int_equal(a->s.covered, b->s.covered);
	assert_int_equal(a->s.cover_kind, b->s.cover_kind);
	assert_int_equal(a->s.cover_module_id, b->s.cover_module_id);
	assert_int_equal(a->s.n_stack_modules, b->s.n_stack_modules);
	assert_int_equal(a->s.n_module_chain, b->s.n_module_chain);
	assert_memory_equal(a->mods, b->mods, a->s.n_stack_modules * sizeof *a->mods);
	assert_memory_equal(a->chain, b->chain, a->s.n_module_chain * sizeof *a->chain);
	same_list(&a->half[0], &b->half[0]);
	same_list(&a->half[1], &b->half[1]);
	same_list(&a->ops, &b->ops);
}

#define N 300 /* samples: k = 0 (no lists) … 299 (ops 897 entries) */

static void test_round_trip(void **state)
{
	(void)state;
	struct etl_defer d;
	etl_defer_init(&d);
	size_t bytes = 0;
	struct etl_pending_sample p, q;
	assert_int_equal(etl_defer_next(&d, &q, &bytes), 0); /* nothing written */
	for (unsigned k = 0; k < N; k++) {
		make(&p, k, &bytes);
		assert_int_equal(etl_defer_put(&d, &p), 0);
		etl_pending_sample_release(&p, &bytes);
	}
	assert_int_equal(bytes, 0);
	assert_int_equal(d.n, N);
	assert_int_equal(etl_defer_rewind(&d), 0);
	assert_int_equal(etl_defer_put(&d, &p), -1); /* no writes once reading */
	for (unsigned k = 0; k < N; k++) {
		size_t want = 0;
		make(&p, k, &want);
		assert_int_equal(etl_defer_next(&d, &q, &bytes), 1);
		same(&p, &q);
		etl_pending_sample_release(&p, &want);
		etl_pending_sample_release(&q, &bytes);
		assert_int_equal(bytes, 0);
	}
	assert_int_equal(etl_defer_next(&d, &q, &bytes), 0);
	etl_defer_clear(&d);
}

/* A record cut short (the file shortened under it) is an error, and frees what it read. */
static void test_cut_record(void **state)
{
	(void)state;
	char dir[] = "/tmp/etlscope-defer-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_int_equal(setenv("TMPDIR", dir, 1), 0); /* the spill file goes there */
	struct etl_defer d;
	etl_defer_init(&d);
	size_t bytes = 0;
	struct etl_pending_sample p, q;
	make(&p, 40, &bytes);
	assert_int_equal(etl_defer_put(&d, &p), 0);
	assert_int_equal(etl_defer_put(&d, &p), 0);
	etl_pending_sample_release(&p, &bytes);
	assert_int_equal(rmdir(dir), 0); /* empty: the file was unlinked at once */
	assert_int_equal(unsetenv("TMPDIR"), 0);
	assert_int_equal(fflush(d.f), 0);
	assert_int_equal(ftruncate(fileno(d.f), (off_t)(d.bytes - 10)), 0);
	assert_int_equal(etl_defer_rewind(&d), 0);
	assert_int_equal(etl_defer_next(&d, &q, &bytes), 1);
	etl_pending_sample_release(&q, &bytes);
	assert_int_equal(etl_defer_next(&d, &q, &bytes), -1);
	assert_int_equal(bytes, 0);
	etl_defer_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_cut_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
