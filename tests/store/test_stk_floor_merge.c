/* test_stk_floor_merge.c — a floor-built frame tree (api_stacks_floor.c) where stored stack
 * nodes merge: one image loaded twice (drv.sys in two processes, two module ids, one
 * canonical module) gives different stored frames and nodes for what the call tree shows as
 * one node. Whether a stack can still add to a kept node must be decided on the merged tree,
 * never on one stored node's samples: the walk passes over a leaf only once its stack has
 * left the kept tree (api_stk_each_leaf's skip). The trees below are worked by hand.
 * The run: 12 non-Idle samples, frames root first (d1, d2: drv.sys's two loads; nt:
 * ntoskrnl.exe)
 *   S1 ×2  d1+0x10 d1+0x20      S2 ×2  d2+0x10 d2+0x20      S3 ×3  d1+0x10 d1+0x30
 *   S4 ×3  nt+0x40 nt+0x50      S5 ×2  d1+0x10
 * Top-down: drv.sys+0x10 = 2+2+3+2 = 9 (self 2), under it drv.sys+0x20 = 2+2 = 4 (S1 and S2:
 * neither stored node alone reaches a floor of 3) and drv.sys+0x30 = 3; nt+0x40 = 3 with
 * nt+0x50 = 3 under it. Inverted (leaf first): drv.sys+0x20 = 4 (two stored leaves of 2)
 * with drv.sys+0x10 = 4 under it, drv.sys+0x30 = 3 → drv.sys+0x10 = 3, nt+0x50 = 3 →
 * nt+0x40 = 3, and drv.sys+0x10 as a leaf (S5) = 2: under a floor of 3, not kept, but one of
 * the root's 4 children. */
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
#define D1 0x00007ff600000000ull
#define D2 0x00007ff700000000ull

struct smp {
	int count, n;
	int mod[2];       /* 0 nt, 1 d1, 2 d2; root first */
	uint64_t off[2];
};

static const struct smp samples[] = {
	{2, 2, {1, 1}, {0x10, 0x20}}, {2, 2, {2, 2}, {0x10, 0x20}}, {3, 2, {1, 1}, {0x10, 0x30}},
	{3, 2, {0, 0}, {0x40, 0x50}}, {2, 1, {1, 0}, {0x10, 0}},
};

static sqlite3 *merging_stacks(char *path, size_t n, char pub[33])
{
	char err[256], tok[33];
	sqlite3 *db = open_temp(path, n);
	struct db_run_input in = {"merge", "m.etl", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	assert_non_null(s);
	const struct ingest_sink *k = db_sink_iface(s);
	const struct sink_module mods[3] = {
		{.path = "ntoskrnl.exe", .name = "ntoskrnl.exe", .base = NT, .size = 0x100000,
		 .load_ns = INT64_MIN, .unload_ns = INT64_MAX},
		{.path = "drv.sys", .name = "drv.sys", .base = D1, .size = 0x100000, .pid = 100,
		 .load_ns = INT64_MIN, .unload_ns = INT64_MAX},
		{.path = "drv.sys", .name = "drv.sys", .base = D2, .size = 0x100000, .pid = 200,
		 .load_ns = INT64_MIN, .unload_ns = INT64_MAX},
	};
	const uint64_t base[3] = {NT, D1, D2};
	int32_t id[3];
	for (int m = 0; m < 3; m++)
		assert_int_equal(k->module(k->ud, &mods[m], &id[m]), 0);
	assert_int_not_equal(id[1], id[2]); /* two loads: two module ids */
	int64_t t = 0;
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		const struct smp *p = &samples[i];
		struct sink_frame f[2]; /* leaf first */
		for (int j = 0; j < p->n; j++) {
			int m = p->mod[p->n - 1 - j];
			uint64_t off = p->off[p->n - 1 - j];
			f[j] = (struct sink_frame){base[m] + off, off, id[m], 0};
		}
		for (int c = 0; c < p->count; c++, t += 1000000) {
			struct sink_cpu_sample smp = {.t_ns = t, .cpu = 0, .pid = 100, .tid = 10,
						      .ip = f[0].addr, .module_id = f[0].module_id,
						      .cover_module_id = -1, .frames = f,
						      .n_frames = (uint32_t)p->n};
			assert_int_equal(k->cpu_sample(k->ud, &smp), 0);
		}
	}
	int64_t run;
	assert_int_equal(db_sink_commit(s, "etl", 0, &run, pub, tok, err, sizeof err), 0);
	return db;
}

/* The tree as sorted lines "path value self children", path the nodes' module+offset from
 * the root, joined by '/'. */
static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t lines(const struct api_stk_tree *t, int32_t i, const char *path, char **out,
		    size_t n)
{
	const struct api_stk_tnode *v = &t->v[i];
	char me[512];
	if (i == 0) {
		snprintf(me, sizeof me, "root");
	} else {
		const char *m = api_stk_module(t->q, v->module);
		snprintf(me, sizeof me, "%s/%s+0x%llx", path, m ? m : "?",
			 (unsigned long long)v->offset);
	}
	char *l = malloc(640);
	assert_non_null(l);
	snprintf(l, 640, "%s %lld %lld %lld", me, (long long)v->value, (long long)v->self,
		 (long long)v->rest_n);
	out[n++] = l;
	for (int32_t c = v->first; c >= 0; c = t->v[c].next)
		n = lines(t, c, i == 0 ? "" : me, out, n);
	return n;
}

static void test_merge(void **state)
{
	(void)state;
	char path[64], pub[33];
	sqlite3 *db = merging_stacks(path, sizeof path, pub);
	static const struct {
		int inverted;
		double share; /* of 12 samples */
		const char *want[8]; /* sorted */
	} cases[] = {
		{0, 0.25, {"/drv.sys+0x10 9 2 2", "/drv.sys+0x10/drv.sys+0x20 4 4 0",
			   "/drv.sys+0x10/drv.sys+0x30 3 3 0", "/ntoskrnl.exe+0x40 3 0 1",
			   "/ntoskrnl.exe+0x40/ntoskrnl.exe+0x50 3 3 0", "root 12 0 2"}},
		{0, 0.5, {"/drv.sys+0x10 9 2 2", "root 12 0 2"}},
		{1, 0.25, {"/drv.sys+0x20 4 0 1", "/drv.sys+0x20/drv.sys+0x10 4 4 0",
			   "/drv.sys+0x30 3 0 1", "/drv.sys+0x30/drv.sys+0x10 3 3 0",
			   "/ntoskrnl.exe+0x50 3 0 1", "/ntoskrnl.exe+0x50/ntoskrnl.exe+0x40 3 3 0",
			   "root 12 0 4"}},
		{1, 0.5, {"root 12 0 4"}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct api_request rq = {.query = "idle=0"};
		struct api_stk_query q;
		struct api_stk_tree t = {.inverted = cases[i].inverted};
		cJSON *out = NULL;
		assert_int_equal(api_stk_query_parse(db, pub, &rq, 0, &q, &out), 0);
		assert_int_equal(api_stk_tree_build_floor(db, &q, &t, cases[i].share, 1000, &out), 0);
		char *got[64];
		size_t n = lines(&t, 0, "", got, 0);
		qsort(got, n, sizeof *got, line_cmp);
		size_t want = 0;
		while (want < 8 && cases[i].want[want])
			want++;
		for (size_t k = 0; k < n || k < want; k++) {
			if (k < n && k < want && strcmp(got[k], cases[i].want[k]) == 0)
				continue;
			fprintf(stderr, "case %zu line %zu: got \"%s\", want \"%s\"\n", i, k,
				k < n ? got[k] : "(none)", k < want ? cases[i].want[k] : "(none)");
			fail();
		}
		for (size_t k = 0; k < n; k++)
			free(got[k]);
		api_stk_tree_clear(&t);
		api_stk_query_clear(&q);
	}
	db_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_merge)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
