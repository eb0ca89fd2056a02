/* test_stk_sorted_flush.c — the stack store writes a batch of new frames and nodes in its
 * unique index's key order (db_stacks.c: write_new, db_stk_map.c: stk_ids_sorted): the
 * order rows reach SQLite (logged by TEMP triggers), their ids and contents, and an old key
 * met again after its cache forgot it getting its old id back (no duplicate row). Every
 * expected value is worked out by hand from the samples below (walk in the comments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "db/db_stacks.h"
#include "db/db_stk_map.h"
#include "store_db.h"

/* stk_ids_sorted alone: only ids ≥ from, in signed key order either way round. */
static void test_sorted_slots(void **state)
{
	(void)state;
	struct stk_ids m;
	assert_int_equal(stk_ids_init(&m, 4, 6), 0);
	/* (a, b) → id; a = 2^63 is negative as int64, b = 0xFFFFFFFF is -1 as int32 */
	static const struct { uint64_t a; uint32_t b, v; } put[] = {
		{5, 1, 3}, {0x8000000000000000ull, 2, 4}, {5, 0xFFFFFFFFu, 5}, {2, 7, 1},
		{2, 3, 6}, {9, 0, 7}, {1, 1, 2},
	};
	/* ids ≥ 3 by (b as int32, a as int64): (-1,5)#5 (0,9)#7 (1,5)#3 (2,-2^63)#4 (3,2)#6;
	 * by (a as int64, b unsigned): (-2^63,2)#4 (2,3)#6 (5,1)#3 (5,2^32-1)#5 (9,0)#7 */
	static const struct { enum stk_ids_order order; uint32_t want[5]; } cases[] = {
		{STK_IDS_BY_B_A, {5, 7, 3, 4, 6}},
		{STK_IDS_BY_A_B, {4, 6, 3, 5, 7}},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		for (size_t i = 0; i < sizeof put / sizeof put[0]; i++)
			stk_ids_put(&m, put[i].a, put[i].b, put[i].v);
		assert_int_equal(stk_ids_sorted(&m, 3, cases[c].order), 5);
		for (size_t i = 0; i < 5; i++)
			assert_int_equal(m.e[i].v, cases[c].want[i]);
		stk_ids_forget(&m);
		assert_int_equal(m.n, 0);
		assert_int_equal(stk_ids_get(&m, 5, 1), 0);
		assert_int_equal(m.resets, c + 1);
	}
	stk_ids_free(&m);
}

/* The ids of temp.log (rowid = insertion order) for one table, into got[]; their number. */
static int logged(sqlite3 *db, const char *table, int64_t *got, int cap)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT id FROM temp.log WHERE tbl='%s' ORDER BY rowid", table);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	int n = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		assert_true(n < cap);
		got[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	return n;
}

struct frame_spec {
	int32_t module;
	uint64_t offset;
};

static void test_sorted_flush(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = open_temp(path, sizeof path);
	assert_int_equal(sqlite3_exec(db, "CREATE TEMP TABLE log(tbl, id);"
				      "CREATE TEMP TRIGGER lf AFTER INSERT ON main.stk_frames BEGIN"
				      " INSERT INTO log VALUES ('f', new.id); END;"
				      "CREATE TEMP TRIGGER ln AFTER INSERT ON main.stk_nodes BEGIN"
				      " INSERT INTO log VALUES ('n', new.id); END;"
				      "BEGIN; INSERT INTO runs(public_id, edit_token, name,"
				      " file_name, file_size, created_us) VALUES ('p','t','n','f',1,0)",
				      NULL, NULL, NULL), SQLITE_OK);
	int64_t run = sqlite3_last_insert_rowid(db);
	/* id caches of 4 slots, full at 3: the third new key of a table fills its cache, and
	 * the next miss writes the batch and forgets */
	struct db_stacks *w = db_stacks_begin_sized(db, run, 2, 6);
	assert_non_null(w);
	/* stacks root first; F(m, o) = frame of module m at offset o. The walk:
	 * s1 F(1,300) → frame 1, node 1 = (0,1); s2 F(0,200) → 2, node 2 = (0,2);
	 * s3 F(1,100) → 3, node 3 = (0,3): both caches full.
	 * s4 F(-1,50): frame miss, cache full → frames 1..3 written by (module, offset):
	 *    2 (0,200), 3 (1,100), 1 (1,300); frame 4. Node (0,4) misses on a full cache →
	 *    nodes 1..3 written: 1, 2, 3; node 4.
	 * s5 F(1,300), on CPU 1 (CPU 0's memo of recent stacks would give s1's node without
	 *    asking either cache): forgotten, SQLite gives 1 back; node (0,1): SQLite gives 1.
	 * s6 F(0,200) F(1,300): SQLite gives frame 2, node 2; node (2,1) misses on a full
	 *    node cache → node 4 written (1 and 2 are old); node 5 = (2,1).
	 * s7 F(1,300) F(0,200): frames cached; node (0,1) from SQLite; node 6 = (1,2).
	 * finish: frame 4; nodes 5 and 6 by (parent, frame): 6 (1,2) before 5 (2,1). */
	static const struct frame_spec stacks[][2] = {
		{{1, 0x300}}, {{0, 0x200}}, {{1, 0x100}}, {{-1, 0x50}}, {{1, 0x300}},
		{{0, 0x200}, {1, 0x300}}, {{1, 0x300}, {0, 0x200}},
	};
	static const uint32_t depth[] = {1, 1, 1, 1, 1, 2, 2};
	for (size_t i = 0; i < sizeof depth / sizeof depth[0]; i++) {
		struct sink_frame f[2];
		for (uint32_t j = 0; j < depth[i]; j++) { /* the sink's frames are leaf first */
			const struct frame_spec *s = &stacks[i][depth[i] - 1 - j];
			f[j] = (struct sink_frame){.addr = 0x10000u * (uint64_t)(s->module + 2) + s->offset,
						   .offset = s->offset, .module_id = s->module};
		}
		struct sink_cpu_sample s = {.t_ns = (int64_t)i * MS, .cpu = i == 4, .pid = 4,
					    .tid = 8, .ip = f[0].addr, .module_id = f[0].module_id,
					    .frames = f, .n_frames = depth[i]};
		assert_int_equal(db_stacks_sample(w, &s), 0);
	}
	assert_int_equal(db_stacks_finish(w), 0);
	db_stacks_free(w);

	int64_t got[16];
	static const int64_t want_frames[] = {2, 3, 1, 4}, want_nodes[] = {1, 2, 3, 4, 6, 5};
	assert_int_equal(logged(db, "f", got, 16), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(got[i], want_frames[i]);
	assert_int_equal(logged(db, "n", got, 16), 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(got[i], want_nodes[i]);
	/* every row, by id (group_concat in id order: one string to compare) */
	struct { const char *sql, *want; } rows[] = {
		{"SELECT group_concat(id || ':' || module_id || ':' || offset, ' ') FROM (SELECT *"
		 " FROM stk_frames ORDER BY id)", "1:1:768 2:0:512 3:1:256 4:-1:80"},
		{"SELECT group_concat(id || ':' || parent || ':' || frame, ' ') FROM (SELECT * FROM"
		 " stk_nodes ORDER BY id)", "1:0:1 2:0:2 3:0:3 4:0:4 5:2:1 6:1:2"},
		{"SELECT n_frames || ' ' || n_nodes || ' ' || n_samples FROM stk_runs", "4 6 7"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_prepare_v2(db, rows[i].sql, -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(q, 0), rows[i].want);
		sqlite3_finalize(q);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	db_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_sorted_slots),
					   cmocka_unit_test(test_sorted_flush)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
