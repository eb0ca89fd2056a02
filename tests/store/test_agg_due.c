/* test_agg_due.c — agg_builder_due (db/db_agg_build.c): the least record time at which
 * agg_builder_advance has work, so the sinks call advance only from there. Table-driven:
 * each case feeds records (advance called only when t >= *due, as db_etw_sink.c does)
 * and checks *due against hand arithmetic: a fresh builder is due at its lookahead (32 ms
 * by default); after advance at wm, checked = floor((wm - lookahead) / 1 ms) and due =
 * (checked + 1) ms + lookahead; while more than 256 level-0 slices are open (MAX_OPEN0)
 * due is INT64_MIN, so every record reaches advance and memory stays bounded. A late record
 * behind the gate still counts: the expected read-modify-writes and sums are worked by hand
 * below each case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_agg.h"
#include "store_db.h"

#define MAXREC 400

struct due_case {
	const char *name;
	int64_t lookahead; /* 0 = the default */
	int64_t t[MAXREC]; /* record times, ns; the list ends at the first -1 */
	int nt;            /* when > 0: records at k * 1 ms + 0.5 ms for k < nt, then t[] */
	int gated;         /* 0: no advance at all (slices pile up) */
	int64_t due;       /* *due after the records */
	uint64_t rmw;      /* read-modify-writes after finish */
	int64_t sum_slice; /* level-0 slice whose stored sum is checked, or -1 */
	uint64_t sum;
};

static const struct due_case cases[] = {
	/* nothing yet: due at the default lookahead */
	{"fresh", 0, {-1}, 0, 1, 32 * MS, 0, -1, 0},
	/* set_lookahead(80 ms) before any record */
	{"lookahead 80 ms", 80 * MS, {-1}, 0, 1, 80 * MS, 0, -1, 0},
	/* a record below 32 ms: wm < lookahead, advance returns early, due unchanged */
	{"early", 0, {31 * MS + 999999, -1}, 0, 1, 32 * MS, 0, -1, 0},
	/* 40.5 ms: checked = floor(8.5) = 8, due = 9 + 32 = 41 ms */
	{"one ms past", 0, {40 * MS + 500000, -1}, 0, 1, 41 * MS, 0, -1, 0},
	/* 40.5 then 40.9 ms: the second is below due (41 ms) and skips advance */
	{"skipped", 0, {40 * MS + 500000, 40 * MS + 900000, -1}, 0, 1, 41 * MS, 0, -1, 0},
	/* 41 ms exactly reaches advance: checked = 9, due = 42 ms */
	{"at due", 0, {40 * MS + 500000, 41 * MS, -1}, 0, 1, 42 * MS, 0, -1, 0},
	/* 257 slices (0.5 .. 256.5 ms) with no advance: 257 > 256 open, due = INT64_MIN */
	{"many open", 0, {-1}, 257, 0, INT64_MIN, 0, -1, 0},
	/* 256 open is not too many: due stays at the lookahead */
	{"256 open", 0, {-1}, 256, 0, 32 * MS, 0, -1, 0},
	/* the 257 open, then 300.5 ms through the gate (INT64_MIN lets it in): checked =
	 * floor(268.5) = 268, every open slice (idx <= 256) is flushed, due = 269 + 32 ms */
	{"many open, then flushed", 0, {300 * MS + 500000, -1}, 257, -1, 301 * MS, 0, -1, 0},
	/* 100 slices in order, gated (wm 99.5 ms: checked floor(67.5) = 67, slices 0..66 written, level-1
	 * slices 0..3 written), then a late record in slice 10 (below due, skips advance):
	 * finish writes slice 10 again (1 read-modify-write) and its level-1 parent 0 again
	 * (1 more): rmw 2; slice 10 holds 1 + 1; due = 68 + 32 ms */
	{"late record", 0, {10 * MS + 250000, -1}, 100, 1, 100 * MS, 2, 10, 2},
};

struct seen {
	int64_t idx, want;
	uint64_t sum;
};

static void on_slice(void *ud, int64_t idx)
{
	((struct seen *)ud)->idx = idx;
}

static int on_rec(void *ud, const struct agg_view *r)
{
	struct seen *s = ud;
	if (s->idx == s->want)
		s->sum += r->v[0];
	return 0;
}

static void add(struct agg_builder *b, const int64_t *due, int64_t t, int gated)
{
	struct agg_rec *r = agg_builder_rec(b, t, agg_key(3, 7, 0));
	assert_non_null(r);
	r->v[0] += 1;
	if (gated && t >= *due)
		assert_int_equal(agg_builder_advance(b, t), 0);
}

static void test_due_table(void **state)
{
	(void)state;
	static const struct agg_out out = {AGG_CPU, -1, 1, {0}, 0, 0, 1, AGG_GROUP_NONE, 0};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		const struct due_case *k = &cases[c];
		char path[64], err[256];
		sqlite3 *db = open_temp(path, sizeof path);
		assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys=OFF; BEGIN", NULL, NULL, NULL),
				 0);
		struct agg_builder *b = agg_builder_new(db, 1, &out, 1, 0, err, sizeof err);
		assert_non_null(b);
		if (k->lookahead)
			agg_builder_set_lookahead(b, k->lookahead);
		const int64_t *due = agg_builder_due(b);
		for (int i = 0; i < k->nt; i++)
			add(b, due, i * MS + 500000, k->gated > 0);
		for (int i = 0; i < MAXREC && k->t[i] >= 0; i++)
			add(b, due, k->t[i], k->gated != 0);
		if (*due != k->due)
			fail_msg("%s: due %lld, want %lld", k->name, (long long)*due, (long long)k->due);
		assert_int_equal(agg_builder_finish(b, agg_top_level(400 * MS)), 0);
		if (agg_builder_rmw_count(b) != k->rmw)
			fail_msg("%s: rmw %llu, want %llu", k->name,
				 (unsigned long long)agg_builder_rmw_count(b),
				 (unsigned long long)k->rmw);
		agg_builder_free(b);
		if (k->sum_slice >= 0) {
			struct seen s = {-1, k->sum_slice, 0};
			assert_int_equal(agg_read_level(db, 1, AGG_CPU, 0, 0, 399, NULL, on_slice,
							on_rec, &s, err, sizeof err),
					 0);
			if (s.sum != k->sum)
				fail_msg("%s: slice sum %llu, want %llu", k->name,
					 (unsigned long long)s.sum, (unsigned long long)k->sum);
		}
		assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), 0);
		db_close(db);
		remove_db(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_due_table)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
