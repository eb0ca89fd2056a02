/* test_db.c — the SQLite store: migrations, the one-transaction sink (commit, abort,
 * chunk boundaries, counters added mid-stream), imports that fail leaving nothing behind,
 * and series reads with windows and downsampling. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "db/db.h"

static sqlite3 *open_temp(char *path, size_t n)
{
	char err[256];
	snprintf(path, n, "/tmp/etlscope-test-db-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	sqlite3 *db = db_open(path, DB_READWRITE, err, sizeof err);
	assert_non_null(db);
	return db;
}

static void remove_db(const char *path)
{
	char p[300];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

static int64_t count(sqlite3 *db, const char *table)
{
	char sql[128];
	sqlite3_stmt *st;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_migrations_are_idempotent(void **state)
{
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), db_schema_version());
	sqlite3_finalize(st);
	assert_int_equal(db_migrate(db, err, sizeof err), 0);
	db_close(db);
	db = db_open(path, DB_READONLY, err, sizeof err);
	assert_non_null(db);
	db_close(db);
	remove_db(path);
}

static void test_random_ids(void **state)
{
	char a[33], b[33];
	assert_int_equal(db_random_hex(a, 16), 0);
	assert_int_equal(db_random_hex(b, 16), 0);
	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b);
}

/* Writes rows of 3 counters (a 4th appears at row 5000) across several chunks. */
static int64_t write_run(sqlite3 *db, int rows, int commit)
{
	char err[256], pub[33], tok[33];
	struct db_run_input in = {"synthetic", "syn.csv", 123};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	assert_non_null(s);
	const struct ingest_sink *k = db_sink_iface(s);
	uint32_t idx;
	for (int c = 0; c < 3; c++) {
		char path[32];
		snprintf(path, sizeof path, "\\\\H\\Processor(%d)\\x", c);
		struct sink_counter sc = {path, "H", "Processor", "0", "x", c, 0};
		assert_int_equal(k->counter(k->ud, &sc, &idx), 0);
		assert_int_equal(idx, (uint32_t)c);
	}
	for (int r = 0; r < rows; r++) {
		double v[4] = {r, r * 2.0, r % 7 == 0 ? NAN : 1.5, -r};
		if (r == 5000) {
			struct sink_counter sc = {"\\\\H\\Memory\\late", "H", "Memory", NULL, "late", -1, 0};
			assert_int_equal(k->counter(k->ud, &sc, &idx), 0);
			assert_int_equal(idx, 3);
		}
		assert_int_equal(k->sample(k->ud, 1000000LL * r, v, r >= 5000 ? 4 : 3), 0);
	}
	k->warning(k->ud, "w", "first");
	k->warning(k->ud, "w", "second");
	if (!commit) {
		db_sink_abort(s);
		return -1;
	}
	int64_t id;
	assert_int_equal(db_sink_commit(s, "pdh-csv", 0, &id, pub, tok, err, sizeof err), 0);
	assert_int_equal(strlen(pub), 32);
	assert_int_equal(strlen(tok), 32);
	return id;
}

struct range_seen {
	struct db_counter_range r[8];
	int n;
};

static int collect_range(void *ud, const struct db_counter_range *r)
{
	struct range_seen *s = ud;
	if (s->n < 8)
		s->r[s->n] = *r;
	s->n++;
	return 0;
}

static void test_sink_chunks_and_late_counters(void **state)
{
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	int64_t id = write_run(db, 12345, 1);
	uint32_t all[4] = {0, 1, 2, 3};
	struct db_series_query q = {id, all, 4, INT64_MIN, INT64_MAX, 0};
	struct db_series s;
	assert_int_equal(db_series_read(db, &q, &s, err, sizeof err), 0);
	assert_int_equal(s.n, 12345);
	assert_int_equal(s.raw, 12345);
	for (int r = 0; r < 12345; r++) {
		assert_int_equal(s.t[r], 1000000LL * r);
		assert_true(s.mean[0 * s.n + r] == r);
		assert_true(s.mean[1 * s.n + r] == r * 2.0);
		if (r % 7 == 0)
			assert_true(isnan(s.mean[2 * s.n + r]));
		else
			assert_true(s.mean[2 * s.n + r] == 1.5);
		if (r < 5000)
			assert_true(isnan(s.mean[3 * s.n + r]));
		else
			assert_true(s.mean[3 * s.n + r] == -r);
	}
	/* Whole-window means (integers: exact sums): 0..12344, 2x that, 1.5, -5000..-12344. */
	assert_true(s.whole[0] == 6172);
	assert_true(s.whole[1] == 12344);
	assert_true(s.whole[2] == 1.5);
	assert_true(s.whole[3] == -8672);
	db_series_clear(&s);

	/* Window [100 s, 199 s] reduced to 10 buckets of 10 samples: mean and max. */
	q.from_us = 100000000;
	q.to_us = 199000000;
	q.points = 10;
	assert_int_equal(db_series_read(db, &q, &s, err, sizeof err), 0);
	assert_int_equal(s.raw, 100);
	assert_int_equal(s.n, 10);
	for (int b = 0; b < 10; b++) {
		assert_true(fabs(s.mean[b] - (100 + 10 * b + 4.5)) < 1e-9);
		assert_true(s.max[b] == 100 + 10 * b + 9);
	}
	/* The sink's chunk summaries, whole run: 0..12344; twice that; 1.5 except every 7th
	 * sample (1764 of 12345 missing); -5000..-12344. */
	struct range_seen seen = {0};
	assert_int_equal(db_counter_ranges(db, id, collect_range, &seen), 0);
	assert_int_equal(seen.n, 4);
	const struct db_counter_range want[4] = {
		{0, 0, 12344, 12345}, {1, 0, 24688, 12345}, {2, 1.5, 1.5, 10581},
		{3, -12344, -5000, 7345}};
	for (int c = 0; c < 4; c++) {
		assert_int_equal(seen.r[c].idx, want[c].idx);
		assert_true(seen.r[c].vmin == want[c].vmin && seen.r[c].vmax == want[c].vmax);
		assert_int_equal(seen.r[c].count, want[c].count);
	}
	/* The window's means whatever the buckets, bit for bit what points = 1 gives (the
	 * perfmon findings read both from one read). */
	double whole[4];
	memcpy(whole, s.whole, sizeof whole);
	assert_true(whole[0] == 149.5 && whole[1] == 299 && whole[2] == 1.5 && isnan(whole[3]));
	db_series_clear(&s);
	q.points = 1;
	assert_int_equal(db_series_read(db, &q, &s, err, sizeof err), 0);
	for (int c = 0; c < 3; c++)
		assert_memory_equal(&s.mean[c], &whole[c], sizeof *whole);
	db_series_clear(&s);

	struct db_run r;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT public_id FROM runs WHERE id=?", -1, &st, NULL), 0);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	char pub[33];
	snprintf(pub, sizeof pub, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_int_equal(db_run_get(db, pub, &r), 0);
	assert_string_equal(r.status, "ready");
	assert_string_equal(r.format, "pdh-csv");
	assert_int_equal(r.start_utc_us, 0);
	assert_int_equal(r.duration_us, 12344000000LL);
	db_run_clear(&r);
	assert_int_equal(db_run_get(db, "00000000000000000000000000000000", &r), 1);
	assert_int_equal(count(db, "run_warnings"), 1); /* the same code is counted, not repeated */
	db_close(db);
	remove_db(path);
}

/* A database of schema 17 (series_chunks carrying each chunk's value blob, as migration 1
 * made it) is upgraded by migration 18 and answers the same: the blobs move to
 * series_values, the column goes, and reads give the hand-worked values of write_run. */
static void test_old_series_layout_is_upgraded(void **state)
{
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	int64_t id = write_run(db, 12345, 1);
	int64_t chunks = count(db, "series_chunks");
	assert_true(chunks > 4); /* several chunks per counter */
	/* back to schema 17: migration 1's table, the blobs inside it */
	assert_int_equal(sqlite3_exec(db,
		"BEGIN;"
		"CREATE TABLE old_chunks ("
		"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
		"  counter_idx INTEGER NOT NULL, chunk INTEGER NOT NULL,"
		"  vmin REAL, vmax REAL, vsum REAL NOT NULL, vcount INTEGER NOT NULL, data BLOB NOT NULL,"
		"  PRIMARY KEY (run_id, counter_idx, chunk)) WITHOUT ROWID;"
		"INSERT INTO old_chunks SELECT c.run_id, c.counter_idx, c.chunk, c.vmin, c.vmax, c.vsum,"
		"  c.vcount, v.data FROM series_chunks c JOIN series_values v USING (run_id,"
		"  counter_idx, chunk);"
		"DROP TABLE series_chunks; DROP TABLE series_values;"
		"ALTER TABLE old_chunks RENAME TO series_chunks;"
		"PRAGMA user_version=17; COMMIT;", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(count(db, "series_chunks"), chunks);
	assert_int_equal(db_migrate(db, err, sizeof err), 0);
	assert_int_equal(count(db, "pragma_table_info('series_chunks') WHERE name='data'"), 0);
	assert_int_equal(count(db, "series_chunks"), chunks);
	assert_int_equal(count(db, "series_values"), chunks);

	uint32_t all[4] = {0, 1, 2, 3};
	struct db_series_query q = {id, all, 4, INT64_MIN, INT64_MAX, 0};
	struct db_series s;
	assert_int_equal(db_series_read(db, &q, &s, err, sizeof err), 0);
	assert_int_equal(s.n, 12345);
	assert_true(s.mean[0 * s.n + 12344] == 12344 && s.mean[1 * s.n + 777] == 1554);
	assert_true(isnan(s.mean[2 * s.n + 7000]) && s.mean[2 * s.n + 7001] == 1.5);
	assert_true(isnan(s.mean[3 * s.n + 4999]) && s.mean[3 * s.n + 5000] == -5000);
	assert_true(s.whole[0] == 6172 && s.whole[1] == 12344 && s.whole[2] == 1.5 &&
		    s.whole[3] == -8672);
	db_series_clear(&s);
	struct range_seen seen = {0};
	assert_int_equal(db_counter_ranges(db, id, collect_range, &seen), 0);
	assert_int_equal(seen.n, 4);
	assert_true(seen.r[1].vmin == 0 && seen.r[1].vmax == 24688 && seen.r[1].count == 12345);
	assert_true(seen.r[3].vmin == -12344 && seen.r[3].vmax == -5000 && seen.r[3].count == 7345);
	/* replayed (tests rewind user_version): nothing moves twice */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=17", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_migrate(db, err, sizeof err), 0);
	assert_int_equal(count(db, "series_values"), chunks);
	/* a deleted run takes its values along */
	assert_int_equal(sqlite3_exec(db, "DELETE FROM runs", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(count(db, "series_values"), 0);
	db_close(db);
	remove_db(path);
}

static void test_abort_leaves_nothing(void **state)
{
	char path[64];
	sqlite3 *db = open_temp(path, sizeof path);
	write_run(db, 100, 1);
	int64_t runs = count(db, "runs"), chunks = count(db, "series_chunks");
	write_run(db, 9000, 0);
	assert_int_equal(count(db, "runs"), runs);
	assert_int_equal(count(db, "series_chunks"), chunks);
	assert_int_equal(count(db, "counters"), 3);
	db_close(db);
	remove_db(path);
}

static void test_import_rejects_bad_files_and_keeps_earlier_runs(void **state)
{
	char path[64], err[512], bad[] = "/tmp/etlscope-bad-XXXXXX";
	sqlite3 *db = open_temp(path, sizeof path);
	struct db_import_result res;
	struct db_run_input in = {NULL, "CounterSamples.csv", 4352};
	assert_int_equal(db_import_file(db, SHARED_DIR "/samples/perfmon/powershell_CounterSamples.csv",
					&in, &res, err, sizeof err), 0);
	assert_int_equal(cJSON_GetObjectItem(res.summary, "samples")->valueint, 25);
	cJSON_Delete(res.summary);
	int64_t runs = count(db, "runs"), values = count(db, "series_chunks");

	int fd = mkstemp(bad);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x01\x02garbage\xff\xfe", 11), 11);
	close(fd);
	in.file_name = "bad.bin";
	assert_int_equal(db_import_file(db, bad, &in, &res, err, sizeof err), 1);
	assert_non_null(strstr(err, "unrecognised"));
	unlink(bad);
	assert_int_equal(db_import_file(db, "/nonexistent/file", &in, &res, err, sizeof err), -1);
	assert_int_equal(count(db, "runs"), runs);
	assert_int_equal(count(db, "series_chunks"), values);
	db_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_are_idempotent),
		cmocka_unit_test(test_old_series_layout_is_upgraded),
		cmocka_unit_test(test_random_ids),
		cmocka_unit_test(test_sink_chunks_and_late_counters),
		cmocka_unit_test(test_abort_leaves_nothing),
		cmocka_unit_test(test_import_rejects_bad_files_and_keeps_earlier_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
