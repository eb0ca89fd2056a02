/* test_db_symbols.c — symbols stored per run and module (db/db_symbols.h) on a hand-made ETW
 * run: the identity a module gets at ingest (GUID in SymStore text, written here by hand from
 * the bytes), which modules have one, the distinct routine RVAs of a module's stored DPC/ISR
 * events (above the guideline and reservoir samples; addresses outside the image dropped),
 * and names replaced per module by a second resolve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "db/db.h"
#include "db/db_etw.h"
#include "db/db_symbols.h"
#include "db_test_file.h"

#define US 1000

struct fixture {
	sqlite3 *db;
	char path[64];
	int64_t run;
};

static const uint8_t guid[16] = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
				 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[256], pub[33];
	fx->db = db_test_open(fx->path, sizeof fx->path, "/tmp/etlscope-test-dbsym-XXXXXX");
	struct db_run_input in = {"sym unit", "unit.etl", 1};
	struct db_sink *s = db_sink_begin(fx->db, &in, err, sizeof err);
	const struct ingest_sink *k = db_sink_iface(s);
	struct sink_module ma = {.path = "a.sys", .name = "a.sys", .base = 0xfffff80000100000ull,
				 .size = 0x10000, .load_ns = INT64_MIN, .unload_ns = INT64_MAX,
				 .pdb = "D:\\b\\a.pdb", .pdb_guid = guid, .pdb_age = 0x1c};
	struct sink_module mb = {.path = "b.sys", .name = "b.sys", .base = 0xfffff80000200000ull,
				 .size = 0x10000, .load_ns = INT64_MIN, .unload_ns = INT64_MAX};
	int32_t ida, idb;
	assert_int_equal(k->module(k->ud, &ma, &ida), 0);
	assert_int_equal(k->module(k->ud, &mb, &idb), 0);
	const struct sink_dpcisr ev[] = {
		{500 * US, 50 * US, 0, SINK_DPC, 0, 0xfffff80000100800ull},  /* below: sample */
		{1500 * US, 300 * US, 1, SINK_DPC, 0, 0xfffff80000100040ull}, /* above */
		{2500 * US, 150 * US, 0, SINK_DPC, 0, 0xfffff80000101234ull}, /* above, repeat */
		{2600 * US, 150 * US, 0, SINK_DPC, 0, 0xfffff80000100040ull}, /* above, repeat */
		{2700 * US, 170 * US, 0, SINK_DPC, 0, 0xfffff80000900000ull}, /* outside a.sys */
		{2800 * US, 30 * US, 2, SINK_ISR, 1, 0xfffff80000200010ull},
	};
	for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
		assert_int_equal(k->dpcisr(k->ud, &ev[i]), 0);
	cJSON *sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "format", "etl");
	cJSON_AddNumberToObject(sum, "cpus", 4);
	cJSON_AddNumberToObject(sum, "duration_us", 10000000);
	assert_int_equal(k->summary(k->ud, sum), 0);
	cJSON_Delete(sum);
	assert_int_equal(db_sink_commit(s, "etl", 0, NULL, pub, NULL, err, sizeof err), 0);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(fx->db, "SELECT id FROM runs WHERE public_id=?", -1, &st, NULL);
	sqlite3_bind_text(st, 1, pub, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	fx->run = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	db_test_remove(fx->db, fx->path);
	free(fx);
	return 0;
}

struct seen {
	int n;
	struct db_sym_module m;
	char guid[40], pdb[40], status[20];
};

static int keep(void *ud, const struct db_sym_module *m)
{
	struct seen *s = ud;
	s->n++;
	s->m = *m;
	snprintf(s->guid, sizeof s->guid, "%s", m->guid);
	snprintf(s->pdb, sizeof s->pdb, "%s", m->pdb);
	snprintf(s->status, sizeof s->status, "%s", m->status);
	return 0;
}

static void test_identity_and_routines(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct seen s = {0};
	assert_int_equal(db_sym_modules(fx->db, fx->run, keep, &s, err, sizeof err), 0);
	assert_int_equal(s.n, 1); /* b.sys has no identity */
	assert_int_equal(s.m.id, 0);
	/* Data1 12345678, Data2 9ABC, Data3 DEF0, then the bytes 01…EF */
	assert_string_equal(s.guid, "123456789ABCDEF00123456789ABCDEF");
	assert_string_equal(s.pdb, "D:\\b\\a.pdb");
	assert_int_equal(s.m.age, 0x1c);
	assert_string_equal(s.status, "pending");

	uint32_t *rvas;
	size_t n;
	s.m.name = "a.sys";
	s.m.pdb = s.pdb;
	s.m.guid = s.guid;
	assert_int_equal(db_sym_routines(fx->db, fx->run, &s.m, &rvas, &n, err, sizeof err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rvas[0], 0x40);
	assert_int_equal(rvas[1], 0x800);
	assert_int_equal(rvas[2], 0x1234);
	free(rvas);
}

static void test_store_replaces(void **state)
{
	struct fixture *fx = *state;
	char err[256], name[64];
	uint32_t off;
	const struct db_sym_name first[] = {{0x40, 0x10, "DpcOne"}, {0x1234, 0x4, "DpcTwo"}};
	assert_int_equal(db_sym_store(fx->db, fx->run, 0, "resolved", "2 of 2", first, 2, err,
				      sizeof err), 0);
	struct db_sym_lookup *l = db_sym_lookup_new(fx->db, fx->run);
	assert_non_null(l);
	assert_int_equal(db_sym_lookup_find(l, 0, 0x1234, name, sizeof name, &off), 1);
	assert_string_equal(name, "DpcTwo");
	assert_int_equal(off, 4);
	assert_int_equal(db_sym_lookup_find(l, 1, 0x1234, name, sizeof name, &off), 0);
	const struct db_sym_name second[] = {{0x40, 0, "Other"}};
	assert_int_equal(db_sym_store(fx->db, fx->run, 0, "resolved", "1 of 2", second, 1, err,
				      sizeof err), 0);
	assert_int_equal(db_sym_lookup_find(l, 0, 0x1234, name, sizeof name, &off), 0);
	assert_int_equal(db_sym_lookup_find(l, 0, 0x40, name, sizeof name, &off), 1);
	assert_string_equal(name, "Other");
	db_sym_lookup_free(l);
	struct seen s = {0};
	assert_int_equal(db_sym_modules(fx->db, fx->run, keep, &s, err, sizeof err), 0);
	assert_string_equal(s.status, "resolved");
}

/* Stack frames: the store's distinct offsets of a module, ascending, capped at
 * DB_SYM_MAX_FRAMES with the true count said (rows written here by SQL: the cap + 5 frames
 * of a.sys at offsets 0, 2, 4, …, and one of b.sys). */
static void test_frames_capped(void **state)
{
	struct fixture *fx = *state;
	char err[256], sql[512];
	uint32_t *rvas;
	size_t n, total;
	assert_int_equal(db_sym_frames(fx->db, fx->run, 0, &rvas, &n, &total, err, sizeof err), 0);
	assert_int_equal(n, 0); /* no stacks stored */
	assert_null(rvas);
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %u)"
		 " INSERT INTO stk_frames(run_id, id, module_id, offset)"
		 " SELECT %lld, i + 1, 0, 2 * i FROM k;"
		 "INSERT INTO stk_frames(run_id, id, module_id, offset) VALUES (%lld, 0, 1, 7)",
		 DB_SYM_MAX_FRAMES + 5, (long long)fx->run, (long long)fx->run);
	assert_int_equal(sqlite3_exec(fx->db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_sym_frames(fx->db, fx->run, 0, &rvas, &n, &total, err, sizeof err), 0);
	assert_int_equal(n, DB_SYM_MAX_FRAMES);
	assert_int_equal(total, DB_SYM_MAX_FRAMES + 5);
	for (size_t i = 0; i < n; i++)
		if (rvas[i] != 2 * i)
			fail_msg("frame %zu: %u, expected %zu", i, rvas[i], 2 * i);
	free(rvas);
	assert_int_equal(db_sym_frames(fx->db, fx->run, 1, &rvas, &n, &total, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(total, 1);
	assert_int_equal(rvas[0], 7);
	free(rvas);
}

/* Resolving again: a module with an identity goes back to pending and keeps its names; its
 * stored findings are dropped by the next store of names. */
static void test_pending_keeps_names(void **state)
{
	struct fixture *fx = *state;
	char err[256], name[64];
	uint32_t off;
	const struct db_sym_name one[] = {{0x40, 0, "DpcOne"}};
	assert_int_equal(db_sym_store(fx->db, fx->run, 0, "resolved", "1 of 1", one, 1, err,
				      sizeof err), 0);
	assert_int_equal(db_sym_set_pending(fx->db, fx->run, "queued", err, sizeof err), 0);
	struct seen s = {0};
	assert_int_equal(db_sym_modules(fx->db, fx->run, keep, &s, err, sizeof err), 0);
	assert_string_equal(s.status, "pending");
	struct db_sym_lookup *l = db_sym_lookup_new(fx->db, fx->run);
	assert_int_equal(db_sym_lookup_find(l, 0, 0x40, name, sizeof name, &off), 1);
	db_sym_lookup_free(l);
	char sql[200];
	snprintf(sql, sizeof sql, "INSERT INTO run_findings(run_id, engine, kb_version, created_us,"
		 " doc) VALUES (%lld, 1, 'k', 1, '{}')", (long long)fx->run);
	assert_int_equal(sqlite3_exec(fx->db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_sym_store(fx->db, fx->run, 0, "resolved", "1 of 1", one, 1, err,
				      sizeof err), 0);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(fx->db, "SELECT count(*) FROM run_findings WHERE run_id=?", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, fx->run);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_routines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_keeps_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
