/* test_agg_pool.c — the aggregate builder's pool of free slices (db/db_agg_build.c) keeps
 * no coarse slice's arrays: every 1 ms slice gets 2 of 4,096 keys in turn, so each 256 ms
 * (level 2) and coarser slice holds up to 4,096 records while a 1 ms slice needs 2. When a
 * coarse slice is flushed into the pool, its arrays (2 MB) must not stay in circulation:
 * over 20 s of slices the pooled arrays stay within 128 records (+ their index of 256)
 * per pooled slice, and every 1 ms slice is stored. The insert queues' arrays stay within
 * their budget (this test's build: QUEUE_TOTAL_BYTES = 64 KiB) and do reach it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_agg.h"
#include "store_db.h"

#define KEYS 4096
#define SECONDS 20

static void test_pool_keeps_small_arrays(void **state)
{
	(void)state;
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys=OFF; BEGIN", NULL, NULL, NULL), 0);
	static const struct agg_out out = {AGG_CPU, -1, 1, {0}, 0, 0, 1, AGG_GROUP_NONE, 0};
	struct agg_builder *b = agg_builder_new(db, 1, &out, 1, 0, err, sizeof err);
	assert_non_null(b);
	const size_t per_slice = 128 * sizeof(struct agg_rec) + 256 * sizeof(uint32_t);
	size_t most = 0, most_queued = 0;
	for (int64_t ms = 0; ms < SECONDS * 1000; ms++) {
		for (int j = 0; j < 2; j++) {
			unsigned k = (unsigned)((ms * 2 + j) % KEYS);
			struct agg_rec *r = agg_builder_rec(b, ms * AGG_MS, agg_key(k % 64, (int32_t)(k / 64), 0));
			assert_non_null(r);
			r->v[0] += 1;
		}
		assert_int_equal(agg_builder_advance(b, ms * AGG_MS), 0);
		size_t n, bytes = agg_builder_pool_bytes(b, &n);
		assert_true(bytes <= n * per_slice);
		if (n > most)
			most = n;
		size_t queued = agg_builder_queue_bytes(b);
		assert_true(queued <= QUEUE_TOTAL_BYTES);
		if (queued > most_queued)
			most_queued = queued;
	}
	assert_true(most > 0); /* the pool was used */
	assert_true(most_queued > QUEUE_TOTAL_BYTES / 2); /* and the queues' budget */
	assert_int_equal(agg_builder_finish(b, agg_top_level(SECONDS * 1000 * AGG_MS)), 0);
	agg_builder_free(b);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM etw_agg WHERE level=0"), SECONDS * 1000);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), 0);
	db_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_pool_keeps_small_arrays)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
