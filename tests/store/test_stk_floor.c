/* test_stk_floor.c — the bound on a floor-built frame tree's nodes (api_stacks_floor.c, the
 * stored frame trees of api_stacks_pre.c): stacks that never repeat keep every node above a
 * floor of a sample, so the tree holds what the caller allows or is refused with 413, never
 * more. The run: 6 samples, each a chain of 4 frames no other sample shares, so the
 * top-down tree is the root and 6 chains of 4 nodes, 25 nodes, 7 more per level below the
 * root's 1 (1, 7, 13, 19, 25) — counted by hand from the records below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "api/api.h"
#include "api/api_stacks.h"
#include "db/db_etw.h"
#include "store_db.h"

#define NT 0xfffff80070600000ull
#define SAMPLES 6
#define DEPTH 4

/* One run of SAMPLES non-Idle samples of distinct DEPTH-frame stacks; its public id in pub. */
static sqlite3 *distinct_stacks(char *path, size_t n, char pub[33])
{
	char err[256], tok[33];
	sqlite3 *db = open_temp(path, n);
	struct db_run_input in = {"floor", "f.etl", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	assert_non_null(s);
	const struct ingest_sink *k = db_sink_iface(s);
	struct sink_module m = {.path = "ntoskrnl.exe", .name = "ntoskrnl.exe", .base = NT,
				.size = 0x100000, .load_ns = INT64_MIN, .unload_ns = INT64_MAX};
	int32_t id;
	assert_int_equal(k->module(k->ud, &m, &id), 0);
	for (int i = 0; i < SAMPLES; i++) {
		struct sink_frame f[DEPTH]; /* leaf first */
		for (int j = 0; j < DEPTH; j++) {
			uint64_t off = (uint64_t)(i * DEPTH + j + 1) * 0x10;
			f[j] = (struct sink_frame){NT + off, off, id, 0};
		}
		struct sink_cpu_sample smp = {.t_ns = i * 1000000LL, .cpu = 0, .pid = 4321,
					      .tid = 10, .ip = f[0].addr, .module_id = id,
					      .ip_kernel = 1, .cover_module_id = -1, .frames = f,
					      .n_frames = DEPTH};
		assert_int_equal(k->cpu_sample(k->ud, &smp), 0);
	}
	int64_t run;
	assert_int_equal(db_sink_commit(s, "etl", 0, &run, pub, tok, err, sizeof err), 0);
	return db;
}

static void test_bound(void **state)
{
	(void)state;
	char path[64], pub[33];
	sqlite3 *db = distinct_stacks(path, sizeof path, pub);
	static const struct {
		size_t max_nodes;
		int status;
		size_t nodes; /* the tree's nodes after the build */
	} cases[] = {
		{1000, 0, 25}, {25, 0, 25},     /* fits: every node, the root's value the samples */
		{24, 413, 19}, {19, 413, 19},   /* the last level would pass the bound: refused */
		{18, 413, 13}, {1, 413, 1},     /* an earlier one */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct api_request rq = {.query = "idle=0"};
		struct api_stk_query q;
		struct api_stk_tree t = {0};
		cJSON *out = NULL;
		assert_int_equal(api_stk_query_parse(db, pub, &rq, 0, &q, &out), 0);
		int st = api_stk_tree_build_floor(db, &q, &t, DB_STK_PRE_FLOOR, cases[i].max_nodes,
						  &out);
		assert_int_equal(st, cases[i].status);
		assert_int_equal(t.n, cases[i].nodes);
		assert_true(t.n <= cases[i].max_nodes);
		if (st) {
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(out, "error");
			assert_true(cJSON_IsString(e));
			assert_non_null(strstr(e->valuestring, "nodes above its floor"));
		} else {
			assert_int_equal(t.v[0].value, SAMPLES);
			assert_int_equal(t.v[0].rest_n, SAMPLES);
		}
		cJSON_Delete(out);
		api_stk_tree_clear(&t);
		api_stk_query_clear(&q);
	}
	db_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_bound)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
