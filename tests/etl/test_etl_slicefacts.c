/* test_etl_slicefacts.c — the bounded per-slice fact map (ingest/etl/etl_slicefacts.c):
 * spans cut exactly at 100 ms slice edges with their count on the first piece, repeated
 * keys added up, the map emitted in batches once half full (the sums of every batch equal
 * what went in), every contribution added to its per-second and whole-trace rollup too,
 * batches in the store's key order, the piece budget lumping a span into its first slice,
 * and a sink error stopping further calls. Expected sums are arithmetic on the inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_slicefacts.h"

#define MS 1000000LL

/* What the sink got: 100 ms facts (batches, facts, sums, the first of the last batch) and
 * rollup facts apart (sums per level, the first ones). */
struct cap {
	size_t batches, facts;
	uint64_t n, ns;
	struct sink_slice_fact last[8]; /* the first facts of the last batch */
	size_t nlast;
	size_t roll_facts;
	uint64_t roll_n[2], roll_ns[2];  /* [0] per second, [1] whole trace */
	struct sink_slice_fact roll[8];
	size_t nroll;
	int unordered;                   /* a batch out of the store's key order */
	int fail;
};

static int on_facts(void *ud, const struct sink_slice_fact *f, size_t n)
{
	struct cap *c = ud;
	for (size_t i = 1; i < n; i++)
		c->unordered |= f[i].domain < f[i - 1].domain ||
				(f[i].domain == f[i - 1].domain && f[i].slice < f[i - 1].slice);
	if (n && f[0].domain >= SINK_FACT_SECOND) {
		for (size_t i = 0; i < n; i++) {
			int w = f[i].domain >= SINK_FACT_WHOLE;
			c->roll_n[w] += f[i].n;
			c->roll_ns[w] += f[i].ns;
			if (c->nroll < 8)
				c->roll[c->nroll++] = f[i];
		}
		c->roll_facts += n;
		return c->fail ? -5 : 0;
	}
	c->batches++;
	c->facts += n;
	c->nlast = n < 8 ? n : 8;
	memcpy(c->last, f, c->nlast * sizeof *f);
	for (size_t i = 0; i < n; i++) {
		c->n += f[i].n;
		c->ns += f[i].ns;
	}
	return c->fail ? -5 : 0;
}

static const struct sink_slice_fact *find(const struct cap *c, uint32_t slice, uint64_t key)
{
	for (size_t i = 0; i < c->nlast; i++)
		if (c->last[i].slice == slice && c->last[i].key == key)
			return &c->last[i];
	return NULL;
}

static void test_span_split(void **state)
{
	(void)state;
	struct cap c = {0};
	struct ingest_sink sink = {.ud = &c, .slice_facts = on_facts};
	struct etl_slicefacts f;
	assert_int_equal(etl_slicefacts_init(&f, &sink), 0);
	/* [95 ms, 310 ms): 5 ms in slice 0, 100 in 1 and 2, 10 in 3; n on slice 0 */
	assert_int_equal(etl_slicefacts_span(&f, SINK_FACT_SCHED, 95 * MS, 310 * MS, 1, 7, 70,
					     SINK_FACT_READY, 1), 0);
	/* the same key again in slice 3: added */
	assert_int_equal(etl_slicefacts_add(&f, SINK_FACT_SCHED, 350 * MS, 1, 7, 70,
					    SINK_FACT_READY, 2, 0, 1000, 0), 0);
	/* a zero-length span keeps its count; a negative start counts from 0 */
	assert_int_equal(etl_slicefacts_span(&f, SINK_FACT_SCHED, 20 * MS, 20 * MS, 1, 7, 70,
					     SINK_FACT_RUNNING, 1), 0);
	assert_int_equal(etl_slicefacts_span(&f, SINK_FACT_SCHED, -5 * MS, 3 * MS, 1, 7, 70,
					     SINK_FACT_WAITING, 0), 0);
	assert_int_equal(etl_slicefacts_flush(&f), 0);
	assert_int_equal(c.batches, 1);
	assert_int_equal(c.facts, 6);
	static const struct { uint32_t slice; uint64_t key, n, ns; } want[] = {
		{0, SINK_FACT_READY, 1, 5 * MS}, {1, SINK_FACT_READY, 0, 100 * MS},
		{2, SINK_FACT_READY, 0, 100 * MS}, {3, SINK_FACT_READY, 2, 10 * MS + 1000},
		{0, SINK_FACT_RUNNING, 1, 0}, {0, SINK_FACT_WAITING, 0, 3 * MS},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct sink_slice_fact *e = find(&c, want[i].slice, want[i].key);
		assert_non_null(e);
		assert_int_equal(e->n, want[i].n);
		assert_int_equal(e->ns, want[i].ns);
		assert_int_equal(e->cpu, 1);
		assert_int_equal(e->pid, 7);
		assert_int_equal(e->tid, 70);
	}
	/* the rollups: all of it in second 0 and in the whole trace, per key (3 keys each) */
	assert_int_equal(c.roll_facts, 6);
	for (int w = 0; w < 2; w++) {
		assert_int_equal(c.roll_n[w], 1 + 2 + 1);
		assert_int_equal(c.roll_ns[w], 215 * MS + 1000 + 3 * MS);
	}
	for (size_t i = 0; i < c.nroll; i++) {
		assert_int_equal(c.roll[i].slice, 0);
		assert_true(c.roll[i].domain == SINK_FACT_SCHED + SINK_FACT_SECOND ||
			    c.roll[i].domain == SINK_FACT_SCHED + SINK_FACT_WHOLE);
		if (c.roll[i].key == SINK_FACT_READY)
			assert_int_equal(c.roll[i].ns, 215 * MS + 1000);
	}
	assert_false(c.unordered);
	assert_int_equal(etl_slicefacts_flush(&f), 0); /* empty: no call */
	assert_int_equal(c.batches, 1);
	etl_slicefacts_free(&f);
}

static void test_rollup_seconds(void **state)
{
	(void)state;
	struct cap c = {0};
	struct ingest_sink sink = {.ud = &c, .slice_facts = on_facts};
	struct etl_slicefacts f;
	assert_int_equal(etl_slicefacts_init(&f, &sink), 0);
	/* [900 ms, 2100 ms): 100 ms in second 0, 1000 in second 1, 100 in second 2 */
	assert_int_equal(etl_slicefacts_span(&f, SINK_FACT_SCHED, 900 * MS, 2100 * MS, 3, 7, 70,
					     SINK_FACT_RUNNING, 1), 0);
	assert_int_equal(etl_slicefacts_flush(&f), 0);
	assert_int_equal(c.facts, 12);     /* slices 9..20 */
	assert_int_equal(c.roll_facts, 4); /* seconds 0, 1, 2 and the whole trace */
	assert_int_equal(c.roll_ns[0], 1200 * MS);
	assert_int_equal(c.roll_ns[1], 1200 * MS);
	static const struct { uint32_t slice; uint64_t n, ns; } want[3] = {
		{0, 1, 100 * MS}, {1, 0, 1000 * MS}, {2, 0, 100 * MS}};
	for (size_t k = 0; k < 3; k++) { /* in key order: the seconds first */
		assert_int_equal(c.roll[k].domain, SINK_FACT_SCHED + SINK_FACT_SECOND);
		assert_int_equal(c.roll[k].slice, want[k].slice);
		assert_int_equal(c.roll[k].n, want[k].n);
		assert_int_equal(c.roll[k].ns, want[k].ns);
		assert_int_equal(c.roll[k].cpu, 3);
	}
	assert_int_equal(c.roll[3].domain, SINK_FACT_SCHED + SINK_FACT_WHOLE);
	assert_int_equal(c.roll[3].n, 1);
	assert_false(c.unordered);
	etl_slicefacts_free(&f);
}

static void test_batches_and_budget(void **state)
{
	(void)state;
	struct cap c = {0};
	struct ingest_sink sink = {.ud = &c, .slice_facts = on_facts};
	struct etl_slicefacts f;
	assert_int_equal(etl_slicefacts_init(&f, &sink), 0);
	/* 3 × CAP/2 distinct keys: emitted each time the map would pass half full */
	const uint32_t keys = 3 * (ETL_SLICEFACTS_CAP / 2);
	for (uint32_t k = 0; k < keys; k++)
		assert_int_equal(etl_slicefacts_add(&f, SINK_FACT_DISK, 0, 0, 1, k, k, 1, 0, 2, 0), 0);
	assert_int_equal(c.batches, 2);
	assert_int_equal(etl_slicefacts_flush(&f), 0);
	assert_int_equal(c.batches, 3);
	assert_int_equal(c.facts, keys);
	assert_int_equal(c.n, keys);
	assert_int_equal(c.ns, 2ull * keys);
	/* a span needing more pieces than the budget left counts whole in its first slice */
	f.pieces_left = 3;
	assert_int_equal(etl_slicefacts_span(&f, SINK_FACT_SCHED, 0, 1000 * MS, 0, 1, 1,
					     SINK_FACT_WAITING, 1), 0);
	assert_int_equal(f.spans_lumped, 1);
	assert_int_equal(etl_slicefacts_flush(&f), 0);
	assert_int_equal(c.nlast, 1);
	assert_int_equal(c.last[0].slice, 0);
	assert_int_equal(c.last[0].ns, 1000 * MS);
	etl_slicefacts_free(&f);
}

static void test_sink_error_sticks(void **state)
{
	(void)state;
	struct cap c = {.fail = 1};
	struct ingest_sink sink = {.ud = &c, .slice_facts = on_facts};
	struct etl_slicefacts f;
	assert_int_equal(etl_slicefacts_init(&f, &sink), 0);
	assert_int_equal(etl_slicefacts_add(&f, SINK_FACT_FILE, 0, 0, 1, 1, 67, 1, 0, 0, 0), 0);
	assert_int_equal(etl_slicefacts_flush(&f), -5);
	assert_int_equal(etl_slicefacts_add(&f, SINK_FACT_FILE, 0, 0, 1, 1, 67, 1, 0, 0, 0), -5);
	assert_int_equal(etl_slicefacts_flush(&f), -5);
	assert_int_equal(c.batches, 1);
	etl_slicefacts_free(&f);
	/* a sink without the callback: nothing held, nothing called */
	struct ingest_sink none = {0};
	assert_int_equal(etl_slicefacts_init(&f, &none), 0);
	assert_int_equal(etl_slicefacts_add(&f, SINK_FACT_FILE, 0, 0, 1, 1, 67, 1, 0, 0, 0), 0);
	assert_int_equal(etl_slicefacts_flush(&f), 0);
	etl_slicefacts_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_span_split),
		cmocka_unit_test(test_rollup_seconds),
		cmocka_unit_test(test_batches_and_budget),
		cmocka_unit_test(test_sink_error_sticks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
