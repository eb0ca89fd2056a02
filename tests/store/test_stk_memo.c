/* test_stk_memo.c — the stack store's per-CPU memo of recent stacks (db_stacks.c:
 * struct stk_memo): a sample whose frames equal one of its CPU's last few stacks takes that
 * stack's leaf node without interning, and one whose count key equals the memo's cell adds
 * to it while the count map was not flushed. What could go wrong, each a sample below:
 * two stacks with equal offsets in different modules, a stack evicted from the CPU's ways,
 * the same stack under another thread or slice, a late sample of a flushed slice whose key
 * is the memo's (stale cell), and a stack too deep to remember. Every expected frame, node
 * and count is worked out by hand from the samples (comments), and the count blobs are
 * unpacked by this file's own reader of the format (db/db_stkblob.h), not by db_stkblob.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_stacks.h"
#include "store_db.h"

/* counts_text's output so far. */
struct text {
	char *out;
	size_t cap, len;
};

static void add_text(void *ud, sqlite3_stmt *row, uint64_t pid, uint64_t tid, uint64_t node,
		     uint64_t n)
{
	struct text *x = ud;
	int w = snprintf(x->out + x->len, x->cap - x->len, "%s%lld:%lld:%llu:%llu:%llu=%llu",
			 x->len ? " " : "", (long long)sqlite3_column_int64(row, 0),
			 (long long)sqlite3_column_int64(row, 1), (unsigned long long)pid,
			 (unsigned long long)tid, (unsigned long long)node, (unsigned long long)n);
	assert_true(w > 0 && (size_t)w < x->cap - x->len);
	x->len += (size_t)w;
}

/* Every count of the run as "slice:cpu:pid:tid:node=n" in key order, space-separated. */
static void counts_text(sqlite3 *db, char *out, size_t cap)
{
	struct text x = {out, cap, 0};
	out[0] = 0;
	each_stk_count(db, "SELECT slice, cpu, counts FROM stk_count_blobs ORDER BY slice, cpu",
		       add_text, &x);
}

static const char *one_text(sqlite3 *db, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	snprintf(out, cap, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return out;
}

#define MAXF 17
struct frame_spec {
	int32_t module;
	uint64_t offset;
};

/* The stacks, root first; F(m, o) = frame of module m at offset o. */
enum { A, B, C, D, E, DEEP, NSTACK };
static struct frame_spec stacks[NSTACK][MAXF] = {
	[A] = {{1, 0x10}},
	[B] = {{1, 0x10}, {2, 0x20}},
	[C] = {{1, 0x10}, {3, 0x20}}, /* B's offsets, another module's leaf */
	[D] = {{2, 0x10}},            /* A's offset, another module */
	[E] = {{1, 0x11}},
};
static uint32_t depth[NSTACK] = {1, 2, 2, 1, 1, MAXF};

static void test_memo(void **state)
{
	(void)state;
	for (uint32_t j = 0; j < MAXF; j++) /* DEEP: F(4, 1) … F(4, 17), one more than kept */
		stacks[DEEP][j] = (struct frame_spec){4, j + 1};
	char path[64];
	sqlite3 *db = open_temp(path, sizeof path);
	int64_t run = begin_run(db);
	struct db_stacks *w = db_stacks_begin(db, run);
	assert_non_null(w);
	/* slice = t / 100 ms. Frames and nodes get ids in first-seen order, root first. */
	static const struct { int64_t t_ms; uint16_t cpu; uint32_t tid; int stack; } seq[] = {
		{0, 0, 8, A},    /* frame 1 F(1,10), node 1 (0,1): 0:0:4:8:1 */
		{1, 0, 8, A},    /* memo: node 1, same cell */
		{2, 0, 8, B},    /* frame 2 F(2,20), node 2 (1,2) */
		{3, 0, 8, C},    /* frame 3 F(3,20), node 3 (1,3) — not B's node 2 */
		{4, 0, 8, D},    /* frame 4 F(2,10), node 4 (0,4) — not A's node 1 */
		{5, 0, 8, E},    /* frame 5 F(1,11), node 5 (0,5); CPU 0's 4 ways: E took A's */
		{6, 0, 8, A},    /* A walked again: node 1 → 0:0:4:8:1 = 3 */
		{7, 0, 12, A},   /* memo node 1, another thread: 0:0:4:12:1 */
		{8, 1, 8, B},    /* CPU 1: node 2 → 0:1:4:8:2 */
		{20, 3, 20, A},  /* CPU 3: node 1 → 0:3:4:20:1, the memo's cell */
		{150, 0, 12, A}, /* slice 1: 1:0:4:12:1 */
		{250, 1, 8, B},  /* slice 2 flushes slice 0 (keeps 1): 2:1:4:8:2 */
		{21, 3, 20, A},  /* late, slice 0 again: the memo's key, its cell flushed →
				  * a new cell, merged into the stored blob: 0:3:4:20:1 = 2 */
		{160, 0, 12, A}, /* slice 1's kept cell: 1:0:4:12:1 = 2 */
		{260, 2, 16, DEEP}, /* frames 6..22 F(4,1..17), nodes 6..22 (k-1, k): 2:2:4:16:22 */
		{261, 2, 16, DEEP}, /* not remembered (17 frames): walked again, node 22 = 2 */
	};
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
		struct sink_frame f[MAXF];
		uint32_t d = depth[seq[i].stack];
		for (uint32_t j = 0; j < d; j++) { /* the sink's frames are leaf first */
			const struct frame_spec *s = &stacks[seq[i].stack][d - 1 - j];
			f[j] = (struct sink_frame){.addr = 0x10000u * (uint64_t)(s->module + 2) +
							   s->offset,
						   .offset = s->offset, .module_id = s->module};
		}
		struct sink_cpu_sample s = {.t_ns = seq[i].t_ms * MS, .cpu = seq[i].cpu, .pid = 4,
					    .tid = seq[i].tid, .ip = f[0].addr,
					    .module_id = f[0].module_id, .frames = f,
					    .n_frames = d};
		assert_int_equal(db_stacks_sample(w, &s), 0);
	}
	assert_int_equal(db_stacks_finish(w), 0);
	db_stacks_free(w);

	char got[2048], want[2048];
	counts_text(db, got, sizeof got);
	assert_string_equal(got, "0:0:4:8:1=3 0:0:4:8:2=1 0:0:4:8:3=1 0:0:4:8:4=1 0:0:4:8:5=1"
				 " 0:0:4:12:1=1 0:1:4:8:2=1 0:3:4:20:1=2 1:0:4:12:1=2 2:1:4:8:2=1"
				 " 2:2:4:16:22=2");
	size_t len = (size_t)snprintf(want, sizeof want, "1:1:16 2:2:32 3:3:32 4:2:16 5:1:17");
	for (int k = 6; k <= 22; k++)
		len += (size_t)snprintf(want + len, sizeof want - len, " %d:4:%d", k, k - 5);
	assert_string_equal(one_text(db, "SELECT group_concat(id || ':' || module_id || ':' ||"
				     " offset, ' ') FROM (SELECT * FROM stk_frames ORDER BY id)",
				     got, sizeof got), want);
	len = (size_t)snprintf(want, sizeof want, "1:0:1 2:1:2 3:1:3 4:0:4 5:0:5 6:0:6");
	for (int k = 7; k <= 22; k++)
		len += (size_t)snprintf(want + len, sizeof want - len, " %d:%d:%d", k, k - 1, k);
	assert_string_equal(one_text(db, "SELECT group_concat(id || ':' || parent || ':' ||"
				     " frame, ' ') FROM (SELECT * FROM stk_nodes ORDER BY id)",
				     got, sizeof got), want);
	assert_string_equal(one_text(db, "SELECT n_frames || ' ' || n_nodes || ' ' || n_samples"
				     " FROM stk_runs", got, sizeof got), "22 22 16");
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	db_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_memo)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
