/* test_agg_open.c — the aggregate builder (db/db_agg_build.c) with many 1 ms slices open at
 * once and records arriving in no time order: 512 slices, so slices idx and idx + 256 are
 * open together (the builder's direct-mapped index of open slices has 256 entries and maps
 * both to one entry). Slice idx gets idx % 3 + 1 records of one key, each adding 1, in the
 * order of the permutation idx = i * 197 mod 512, three rounds; nothing is flushed before
 * finish. Expected, by hand: every level-0 row holds exactly idx % 3 + 1 for its key, one
 * row per idx (512 rows), and no slice was written twice (no read-modify-write). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_agg.h"
#include "store_db.h"

#define SLICES 512

struct seen {
	int64_t idx;
	uint64_t sum[SLICES];
	int rows[SLICES];
	int bad;
};

static void on_slice(void *ud, int64_t idx)
{
	struct seen *s = ud;
	s->idx = idx;
	if (idx >= 0 && idx < SLICES)
		s->rows[idx]++;
	else
		s->bad++;
}

static int on_rec(void *ud, const struct agg_view *r)
{
	struct seen *s = ud;
	if (s->idx < 0 || s->idx >= SLICES || r->key != agg_key(3, 7, 0))
		s->bad++;
	else
		s->sum[s->idx] += r->v[0];
	return 0;
}

static void test_many_open_slices(void **state)
{
	(void)state;
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys=OFF; BEGIN", NULL, NULL, NULL), 0);
	static const struct agg_out out = {AGG_CPU, -1, 1, {0}, 0, 0, 1, AGG_GROUP_NONE, 0};
	struct agg_builder *b = agg_builder_new(db, 1, &out, 1, 0, err, sizeof err);
	assert_non_null(b);
	for (int round = 0; round < 3; round++)
		for (int64_t i = 0; i < SLICES; i++) {
			int64_t idx = i * 197 % SLICES;
			if (round > idx % 3)
				continue;
			struct agg_rec *r = agg_builder_rec(b, idx * AGG_MS + round, agg_key(3, 7, 0));
			assert_non_null(r);
			r->v[0] += 1;
		}
	assert_int_equal(agg_builder_finish(b, agg_top_level(SLICES * AGG_MS)), 0);
	assert_int_equal(agg_builder_rmw_count(b), 0);
	agg_builder_free(b);
	struct seen s;
	memset(&s, 0, sizeof s);
	s.idx = -1;
	assert_int_equal(agg_read_level(db, 1, AGG_CPU, 0, 0, SLICES - 1, NULL, on_slice, on_rec, &s,
					err, sizeof err),
			 0);
	assert_int_equal(s.bad, 0);
	for (int idx = 0; idx < SLICES; idx++) {
		assert_int_equal(s.rows[idx], 1);
		assert_int_equal(s.sum[idx], idx % 3 + 1);
	}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), 0);
	db_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_many_open_slices)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
