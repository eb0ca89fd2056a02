/* test_stk_pre_leaf.c — the after-ingest build's slice pass caches, per stored leaf node, the
 * node its stack ends at in each module tree (api_stacks_pre.c: an array of PRE_LEAF_BYTES,
 * then a map of 2^PRE_LEAF_MAP_LOG2 slots forgotten when full). The cache must not change
 * what is stored: the same generated run is ingested into two stores, built once with the
 * cache unbounded (every node in the array) and once with room for a single node and a
 * 4-slot map (nearly every look-up forgotten and walked again), and every row of the
 * stored trees, slice counts, filter counts and butterflies must be equal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "api/api_stacks.h"
#include "store_db.h"
#include "store_gen.h"

/* The tables api_stk_pre_build writes, each read whole in its own column order. */
static const char *const tables[] = {"stk_pretree", "stk_preslice", "stk_prefilt",
				     "stk_bfslice", "stk_prebfly", "stk_prestored"};

/* Every row of table (run_id left out: the two stores number their runs alike anyway), as
 * text, sorted by every column: a malloc'd string; *rows the row count. */
static char *dump(sqlite3 *db, const char *table, int64_t *rows)
{
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1, 2, 3, 4, 5", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		/* fewer than 5 columns: order by what there is */
		snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1, 2", table);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	}
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	assert_non_null(out);
	out[0] = 0;
	*rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			if (!strcmp(sqlite3_column_name(st, c), "run_id"))
				continue;
			const unsigned char *v = sqlite3_column_text(st, c);
			size_t need = len + (v ? strlen((const char *)v) : 4) + 2;
			if (need >= cap) {
				cap = need * 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
			len += (size_t)sprintf(out + len, "%s%c", v ? (const char *)v : "NULL",
					       c + 1 < sqlite3_column_count(st) ? ',' : '\n');
		}
		(*rows)++;
	}
	sqlite3_finalize(st);
	return out;
}

static void build(sqlite3 *db, const struct gen_data *g, size_t leaf_bytes, unsigned map_log2)
{
	int64_t run = ingest(db, g, 1);
	assert_true(run > 0);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT public_id FROM runs WHERE id=?", -1, &st,
					    NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, run);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	char pub[64], err[256] = "";
	snprintf(pub, sizeof pub, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	int rc = api_stk_pre_build_bounded(db, pub, leaf_bytes, map_log2, err, sizeof err);
	if (rc)
		fail_msg("api_stk_pre_build_bounded: %d %s", rc, err);
}

static void test_leaf_cache_bound(void **state)
{
	(void)state;
	struct gen_data g;
	gen_make(&g, 2000, 6000, 3000, 0x1eafULL);
	char pa[64], pb[64];
	sqlite3 *a = open_temp(pa, sizeof pa), *b = open_temp(pb, sizeof pb);
	build(a, &g, (size_t)1 << 30, 16); /* every node in the array */
	build(b, &g, 16, 2);               /* one node of 4 trees; a 4-slot map */
	int64_t slices = 0;
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		int64_t na, nb;
		char *da = dump(a, tables[i], &na), *db = dump(b, tables[i], &nb);
		assert_int_equal(na, nb);
		assert_string_equal(da, db);
		if (!strcmp(tables[i], "stk_preslice"))
			slices = na;
		free(da);
		free(db);
	}
	assert_true(slices > 100); /* the pass had leaves to look up: many per slice */
	sqlite3_close(a);
	sqlite3_close(b);
	remove_db(pa);
	remove_db(pb);
	gen_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_cache_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
