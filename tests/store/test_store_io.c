/* test_store_io.c — the disk and file I/O tables (db/db_io.c) through the real db sink: rows
 * written by the sink callbacks in one run's transaction come back from the JSON readers
 * with the same numbers, sums per file and process are right, unknown processes and files
 * are null, and a run without I/O reads as "none" (1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_io.h"
#include "store_db.h"

static const cJSON *item(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	assert_non_null(v);
	return v;
}

static double num(const cJSON *o, const char *k)
{
	return item(o, k)->valuedouble;
}

static void test_file_and_disk_rows_round_trip(void **state)
{
	(void)state;
	char path[64], err[256], pub[33], tok[33];
	sqlite3 *db = open_temp(path, sizeof path);
	struct db_run_input in = {"io", "io.etl", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	assert_non_null(s);
	const struct ingest_sink *k = db_sink_iface(s);
	const struct sink_file_io_row f[] = {
		{64, "Create", 42, "C:\\db\\data.mdf", 3, 3, 0, 6000, 3000},
		{67, "Read", 42, "C:\\db\\data.mdf", 10, 9, 40960, 90000, 20000},
		{67, "Read", SINK_PID_UNKNOWN, NULL, 2, 0, 100, 0, 0},
	};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(k->file_io_row(k->ud, &f[i]), 0);
	struct sink_disk_io_row d = {0, 10, 42, "C:\\db\\data.mdf", 4, 16384, 8000000, 4000000, {0}};
	d.hist[12] = 4;
	assert_int_equal(k->disk_io_row(k->ud, &d), 0);
	const struct sink_io_type_count t = {4, 0x60, "PreOpInit", 7, 7};
	assert_int_equal(k->io_type_count(k->ud, &t), 0);
	int64_t id;
	assert_int_equal(db_sink_commit(s, "etl", 0, &id, pub, tok, err, sizeof err), 0);

	cJSON *o = cJSON_CreateObject();
	assert_int_equal(db_io_fileio_json(db, id, o, err, sizeof err), 0);
	const cJSON *rows = item(o, "rows"), *byf = item(o, "by_file"), *byp = item(o, "by_process");
	assert_int_equal(cJSON_GetArraySize(rows), 3);
	const cJSON *r0 = cJSON_GetArrayItem(rows, 0); /* most time first: the reads */
	assert_string_equal(item(r0, "op")->valuestring, "Read");
	assert_true(num(r0, "completed") == 9 && num(r0, "bytes") == 40960 && num(r0, "max_ns") == 20000);
	const cJSON *b0 = cJSON_GetArrayItem(byf, 0);
	assert_string_equal(item(b0, "file")->valuestring, "C:\\db\\data.mdf");
	assert_true(num(b0, "count") == 13 && num(b0, "total_ns") == 96000 && num(b0, "max_ns") == 20000);
	assert_true(cJSON_IsNull(item(cJSON_GetArrayItem(byf, 1), "file")));
	assert_int_equal(cJSON_GetArraySize(byp), 2);
	assert_true(num(cJSON_GetArrayItem(byp, 0), "pid") == 42);
	assert_true(cJSON_IsNull(item(cJSON_GetArrayItem(byp, 1), "pid")));
	const cJSON *ty = cJSON_GetArrayItem(item(o, "event_types"), 0);
	assert_string_equal(item(ty, "name")->valuestring, "PreOpInit");
	assert_true(num(ty, "undecoded") == 7);
	cJSON_Delete(o);

	o = cJSON_CreateObject();
	/* no DiskIo event types were stored: "none", though a disk row exists */
	assert_int_equal(db_io_diskio_json(db, id, o, err, sizeof err), 1);
	assert_true(num(item(o, "totals"), "count") == 4);
	assert_true(cJSON_GetArrayItem(item(item(o, "histogram"), "read"), 12)->valuedouble == 4);
	cJSON_Delete(o);
	sqlite3_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_disk_rows_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
