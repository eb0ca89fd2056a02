/* test_db_stkblob.c — the packed stack sample counts' codec (db/db_stkblob.c): records
 * decode to what was encoded and to the bytes worked out by hand below; every cut of a
 * blob and every hand-made damaged blob (truncated varint, wrong version, count past the
 * bytes, pid or tid past 32 bits, node 0, n 0, n past 63 bits, a key repeated or out of
 * order, a byte too many) is refused and read inside its bounds; the encoder refuses
 * unsorted input; merging adds equal keys and refuses a sum that overflows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_stkblob.h"

static const struct db_stkblob_rec recs[] = {
	{0, 0, 5, 3},                       /* Idle */
	{0, 0, 7, 1},                       /* same thread: node delta 2 */
	{0, 4294967294u, 5, 2},             /* the interrupts pseudo-thread: tid delta */
	{4, 40, 300, 130},                  /* new pid: tid and node whole */
	{UINT32_MAX, UINT32_MAX, INT64_MAX, INT64_MAX},
};
#define NRECS (sizeof recs / sizeof recs[0])

/* The same records' bytes, by hand: version 1, count 5, then per record
 * pid delta · tid (delta) · node (delta) · n as LEB128. */
static const uint8_t recs_bytes[] = {
	1, 5,
	0, 0, 5, 3,
	0, 0, 2, 1,
	0, 0xfe, 0xff, 0xff, 0xff, 0x0f, 5, 2,
	4, 40, 0xac, 0x02, 0x82, 0x01,
	0xfb, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0x0f,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};

struct got {
	struct db_stkblob_rec r[16];
	size_t n;
};

static int collect(void *ud, const struct db_stkblob_rec *r)
{
	struct got *g = ud;
	if (g->n < 16)
		g->r[g->n] = *r;
	g->n++;
	return 0;
}

/* decodes len bytes from a copy of exactly that size (ASan sees a read past it) */
static int decode_copy(const uint8_t *b, size_t len, struct got *g)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, b, len);
	g->n = 0;
	int rc = db_stkblob_decode(p, len, collect, g);
	free(p);
	return rc;
}

static void test_round_trip(void **state)
{
	(void)state;
	uint8_t buf[512];
	assert_true(db_stkblob_bound(NRECS) <= sizeof buf);
	size_t len = db_stkblob_encode(recs, NRECS, buf);
	assert_int_equal(len, sizeof recs_bytes);
	assert_memory_equal(buf, recs_bytes, len);
	struct got g;
	assert_int_equal(decode_copy(buf, len, &g), 0);
	assert_int_equal(g.n, NRECS);
	assert_memory_equal(g.r, recs, sizeof recs);
	assert_int_equal(db_stkblob_count(buf, len), NRECS);
	/* the empty blob: version, count 0 */
	assert_int_equal(db_stkblob_encode(recs, 0, buf), 2);
	assert_int_equal(decode_copy((const uint8_t *)"\1\0", 2, &g), 0);
	assert_int_equal(g.n, 0);
}

static void test_truncated(void **state)
{
	(void)state;
	for (size_t cut = 0; cut < sizeof recs_bytes; cut++) {
		struct got g;
		if (decode_copy(recs_bytes, cut, &g) != -1)
			fail_msg("accepted a cut at %zu", cut);
	}
}

static void test_damaged(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		uint8_t b[24];
		size_t len;
	} bad[] = {
		{"version 2", {2, 0}, 2},
		{"version 0", {0, 0}, 2},
		{"count past the bytes", {1, 2, 0, 0, 1, 1}, 6},
		{"a truncated varint", {1, 1, 0, 0, 1, 0x81}, 6},
		{"a varint of 11 bytes", {1, 1, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}, 16},
		{"pid past 32 bits", {1, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 1, 1}, 10},
		{"pid delta past 32 bits", {1, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 1, 1, 1, 0, 1, 1}, 14},
		{"tid past 32 bits", {1, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 1}, 10},
		{"node 0", {1, 1, 0, 0, 0, 1}, 6},
		{"n 0", {1, 1, 0, 0, 1, 0}, 6},
		{"n past 63 bits (count overflow)", {1, 1, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 15},
		{"node past 63 bits", {1, 1, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1}, 15},
		{"a key repeated (node delta 0)", {1, 2, 0, 0, 1, 1, 0, 0, 0, 1}, 10},
		{"node delta past 63 bits", {1, 2, 0, 0, 2, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1}, 18},
		{"a byte too many", {1, 1, 0, 0, 1, 1, 0}, 7},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct got g;
		if (decode_copy(bad[i].b, bad[i].len, &g) != -1)
			fail_msg("accepted: %s", bad[i].what);
	}
	/* the header's count is bounded before anything sizes a buffer by it */
	assert_int_equal(db_stkblob_count((const uint8_t *)"\1\2\0\0\1\1", 6), -1);
	assert_int_equal(db_stkblob_count((const uint8_t *)"\1\2\0\0\1\1\0\0", 8), 2);
	/* and the well-formed ones the last rows are made from */
	struct got g;
	assert_int_equal(decode_copy((const uint8_t *)"\1\2\0\0\1\1\0\0\1\1", 10, &g), 0);
	assert_int_equal(g.n, 2);
	assert_true(g.r[1].node == 2 && g.r[1].n == 1);
	assert_int_equal(decode_copy((const uint8_t *)"\1\1\0\0\1\1", 6, &g), 0);
	assert_true(g.n == 1 && g.r[0].node == 1 && g.r[0].n == 1);
}

static void test_encode_refuses(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		struct db_stkblob_rec r[2];
	} bad[] = {
		{"pids out of order", {{4, 1, 1, 1}, {3, 1, 1, 1}}},
		{"tids out of order", {{4, 2, 1, 1}, {4, 1, 9, 1}}},
		{"nodes out of order", {{4, 1, 5, 1}, {4, 1, 4, 1}}},
		{"a key repeated", {{4, 1, 5, 1}, {4, 1, 5, 2}}},
		{"node 0", {{4, 1, 0, 1}, {4, 1, 5, 1}}},
		{"n 0", {{4, 1, 1, 0}, {4, 1, 5, 1}}},
		{"n negative", {{4, 1, 1, 1}, {4, 1, 5, -1}}},
	};
	uint8_t buf[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (db_stkblob_encode(bad[i].r, 2, buf) != 0)
			fail_msg("encoded: %s", bad[i].what);
}

static void test_merge(void **state)
{
	(void)state;
	static const struct db_stkblob_rec a[] = {{0, 0, 5, 3}, {4, 40, 9, 1}, {4, 41, 2, 7}};
	static const struct db_stkblob_rec b[] = {{0, 0, 4, 1}, {4, 40, 9, 10}, {8, 0, 1, 2}};
	static const struct db_stkblob_rec want[] = {{0, 0, 4, 1}, {0, 0, 5, 3}, {4, 40, 9, 11},
						     {4, 41, 2, 7}, {8, 0, 1, 2}};
	struct db_stkblob_rec out[6];
	assert_int_equal(db_stkblob_merge(a, 3, b, 3, out), 5);
	assert_memory_equal(out, want, sizeof want);
	assert_int_equal(db_stkblob_merge(a, 3, NULL, 0, out), 3);
	assert_memory_equal(out, a, sizeof a);
	static const struct db_stkblob_rec big[] = {{1, 1, 1, INT64_MAX}}, one[] = {{1, 1, 1, 1}};
	assert_int_equal(db_stkblob_merge(big, 1, one, 1, out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_damaged),       cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
