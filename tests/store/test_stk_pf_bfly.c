/* test_stk_pf_bfly.c — the slice pass's butterfly counts (api/api_stacks_prefilt.c) are summed
 * per leaf node, per slice and per (dimension, key) over the run, and only expanded into
 * butterfly rows through the node's memoised rows (api_stacks_bfmemo.c) when written: the
 * stored rows (stk_bfslice) must equal the sum, over every count fed, of count × each of its
 * node's rows — computed here from rows worked out by hand for each stack. Built a second
 * time as test_stk_pf_bfly_small with maps of 8 slots (PF_MAP_LOG2, PF_WHOLE_MAP_LOG2 3):
 * the node counts are then expanded, and the butterfly maps flushed, many times within a
 * slice and over the run, and the sums must come out the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "api/api_stacks.h"
#include "api/api_stacks_bfmemo.h"
#include "store_db.h"

enum { IN = DB_STK_BF_INCL, EX = DB_STK_BF_EXCL, UP = DB_STK_BF_CALLER, DN = DB_STK_BF_CALLEE };
#define NO DB_STK_BF_NONE

/* Frames 1..5 (module; 4 has no name) and nodes 1..5 (parent, frame). Paths as modules:
 * 1 [1]; 2 [1 2]; 3 [1 2 3]; 4 [1 2 3 1]; 5 [1 2 3 1 4] */
static int32_t fr_mod[] = {0, 1, 2, 3, 1, 4};
static uint64_t fr_off[] = {0, 0x10, 0x20, 0x30, 0x40, 0x50};
static int32_t nd_parent[] = {0, 0, 1, 2, 3, 4};
static int32_t nd_frame[] = {0, 1, 2, 3, 4, 5};

struct brow {
	int32_t target;
	int kind;
	int32_t other;
};
/* each node's rows by hand (the total added to every count) */
static const struct {
	int n;
	struct brow r[11];
} want_rows[] = {
	{0, {{0}}},
	{3, {{NO, DB_STK_BF_TOTAL, NO}, {1, IN, NO}, {1, EX, NO}}},
	{6, {{NO, DB_STK_BF_TOTAL, NO}, {1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, EX, NO}}},
	{8, {{NO, DB_STK_BF_TOTAL, NO}, {1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, DN, 3},
	     {3, IN, NO}, {3, UP, 2}}},
	{11, {{NO, DB_STK_BF_TOTAL, NO}, {1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, DN, 3},
	      {3, IN, NO}, {3, UP, 2}, {3, DN, 1}, {1, UP, 3}, {1, EX, NO}}},
	{11, {{NO, DB_STK_BF_TOTAL, NO}, {1, IN, NO}, {1, DN, 2}, {2, IN, NO}, {2, UP, 1}, {2, DN, 3},
	      {3, IN, NO}, {3, UP, 2}, {3, DN, 1}, {1, UP, 3}, {1, DN, 4}}},
};
/* node 3's leaf module 3 is named: its exclusive too */
#define N3_EXCL {3, EX, NO}

/* The expected table: (idle, dim, key, target, slice, kind, other) → value, a plain list. */
struct exp_row {
	int64_t k[7], v;
};
static struct exp_row exp_rows[4096];
static size_t nexp;

static void want_add(const int64_t k[7], int64_t v)
{
	for (size_t i = 0; i < nexp; i++)
		if (!memcmp(exp_rows[i].k, k, sizeof exp_rows[i].k)) {
			exp_rows[i].v += v;
			return;
		}
	assert_true(nexp < sizeof exp_rows / sizeof exp_rows[0]);
	memcpy(exp_rows[nexp].k, k, sizeof exp_rows[nexp].k);
	exp_rows[nexp++].v = v;
}

/* every row of node under (dim, key) in slice, times n */
static void want_node(int idle, int dim, int64_t key, int64_t slice, int node, int64_t n)
{
	struct brow r[12];
	int nr = want_rows[node].n;
	memcpy(r, want_rows[node].r, (size_t)nr * sizeof r[0]);
	if (node == 3)
		r[nr++] = (struct brow)N3_EXCL;
	for (int i = 0; i < nr; i++) {
		const int64_t k[7] = {idle, dim, key, r[i].target, slice, r[i].kind, r[i].other};
		want_add(k, n);
	}
}

static void test_bfly_sums(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = open_temp(path, sizeof path);
	int64_t run = begin_run(db);
	struct db_stk_nodes nodes = {.nn = 5, .nf = 5, .parent = nd_parent, .frame = nd_frame,
				     .fmod = fr_mod, .foff = fr_off};
	struct api_module_name names[] = {{.id = 1, .name = "ntoskrnl.exe"},
					  {.id = 2, .name = "ndis.sys"},
					  {.id = 3, .name = "idsvia64.sys"}};
	static struct api_stk_query q; /* canon none: every id stands for itself */
	q.names.n = 3;
	q.names.m = names;
	struct db_stk_reader *r = db_stk_reader_new_nodes(NULL, run, &nodes);
	assert_non_null(r);
	struct api_stk_bfmemo bm;
	assert_int_equal(api_stk_bfmemo_init(&bm, &q, r, 5), 0);
	struct api_stk_pf *pf = NULL;
	assert_int_equal(api_stk_pf_begin(db, run, &q, &bm, &pf), 0);
	nexp = 0;
	/* 4 slices; per slice every node on CPUs 0..2, in process 7 + cpu % 2, thread 100 + node
	 * (Idle: node 1 on CPU 3, process 0), n = slice + node + cpu */
	for (int64_t s = 0; s < 4; s++) {
		for (int node = 1; node <= 5; node++)
			for (uint32_t cpu = 0; cpu < 3; cpu++) {
				uint32_t pid = 7 + cpu % 2, tid = 100 + (uint32_t)node;
				int64_t n = s + node + cpu;
				assert_int_equal(api_stk_pf_row(pf, s, cpu, pid, tid, 0, n), 0);
				assert_int_equal(api_stk_pf_bfly(pf, node), 0);
				want_node(0, DB_STK_DIM_ALL, 0, s, node, n);
				want_node(0, DB_STK_DIM_CPU, cpu, DB_STK_WHOLE, node, n);
				want_node(0, DB_STK_DIM_PID, pid, DB_STK_WHOLE, node, n);
				want_node(0, DB_STK_DIM_TID, tid, DB_STK_WHOLE, node, n);
			}
		assert_int_equal(api_stk_pf_row(pf, s, 3, 0, 0, 1, 5), 0);
		assert_int_equal(api_stk_pf_bfly(pf, 1), 0);
		want_node(1, DB_STK_DIM_ALL, 0, s, 1, 5);
		want_node(1, DB_STK_DIM_CPU, 3, DB_STK_WHOLE, 1, 5);
		want_node(1, DB_STK_DIM_PID, 0, DB_STK_WHOLE, 1, 5);
		want_node(1, DB_STK_DIM_TID, 0, DB_STK_WHOLE, 1, 5);
	}
	const int mode = DB_STK_PRE_MODULE;
	assert_int_equal(api_stk_pf_finish(pf, &mode, 1, DB_STK_PRE_IDLE), 0);
	api_stk_pf_free(pf);
	api_stk_bfmemo_clear(&bm);
	db_stk_reader_free(r);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);

	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT idle, dim, key, target, slice, kind, other,"
					    " value FROM stk_bfslice WHERE run_id=?", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, run);
	size_t got = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t k[7];
		for (int i = 0; i < 7; i++)
			k[i] = sqlite3_column_int64(st, i);
		size_t i = 0;
		while (i < nexp && memcmp(exp_rows[i].k, k, sizeof k))
			i++;
		if (i == nexp)
			fail_msg("unexpected row idle %lld dim %lld key %lld target %lld slice %lld"
				 " kind %lld other %lld", (long long)k[0], (long long)k[1],
				 (long long)k[2], (long long)k[3], (long long)k[4], (long long)k[5],
				 (long long)k[6]);
		if (sqlite3_column_int64(st, 7) != exp_rows[i].v)
			fail_msg("idle %lld dim %lld key %lld target %lld slice %lld kind %lld other"
				 " %lld: %lld, want %lld", (long long)k[0], (long long)k[1],
				 (long long)k[2], (long long)k[3], (long long)k[4], (long long)k[5],
				 (long long)k[6], (long long)sqlite3_column_int64(st, 7),
				 (long long)exp_rows[i].v);
		got++;
	}
	sqlite3_finalize(st);
	assert_int_equal(got, nexp); /* no row missing (each key is one row: its primary key) */
	sqlite3_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bfly_sums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
