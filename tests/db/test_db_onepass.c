/* test_db_onepass.c — the one-pass ETL ingest through the real store (threaded sink pipe and
 * SQLite sink): an etlgen trace imported in one pass and with `etl_two_pass` stores the
 * same run.
 * - images at the end: the one pass starts over (sink restart: the store rolls back to
 *   its savepoint and begins anew in the same transaction) and every stored row equals the
 *   two-pass import's, module ids included;
 * - the field story read once: the same rows in every per-run table, and the same modules
 *   (their ids aside: one pass numbers them as lookups meet them);
 * - the same with stack caching (keys defined mid-trace and again at the end, a user key
 *   shared by every process): still read once, its samples deferred to the end
 *   (etl_defer.h) and stored after every other sample, out of time order. */
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
#include "ingest/ingest.h"
#include "tests/db/db_test_file.h"
#include "tests/store/store_db.h"
#include "tools/etlgen/etlgen.h"

/* The field story cut to half a second, written to a temporary file (path); keys: with
 * stack caching (etlgen stack_key_defs 1 and user_keys). */
static void write_trace(char *path, size_t n, int images_at_end, int keys)
{
	snprintf(path, n, "/tmp/etlscope-onepass-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	char msg[256];
	struct etlgen_scenario s;
	assert_int_equal(etlgen_scenario_load(SOURCE_DIR "/demo/scenarios/field-before.json", &s,
					      msg, sizeof msg), 0);
	s.duration_s = 0.5;
	s.images_at_end = images_at_end;
	s.stack_keys = s.stack_key_defs = s.user_keys = keys;
	struct etlgen_expect e;
	assert_int_equal(etlgen_write(&s, f, &e, msg, sizeof msg), 0);
	etlgen_expect_free(&e);
	etlgen_scenario_free(&s);
	assert_int_equal(fclose(f), 0);
}

static sqlite3 *import(char *db_path, size_t n, const char *trace, int two_pass)
{
	sqlite3 *db = db_test_open(db_path, n, "/tmp/etlscope-onepass-db-XXXXXX");
	struct db_run_input in = {NULL, "trace.etl", 0};
	struct ingest_options opts = {.etl_two_pass = two_pass};
	struct db_import_result res;
	char err[512];
	if (db_import_file_ex(db, trace, &in, &opts, &res, err, sizeof err) != 0)
		fail_msg("%s", err);
	cJSON_Delete(res.summary);
	return db;
}

/* The rows of one table as text lines, in the order read (NULL as "~"), without skip_col. */
static char *table_text(sqlite3 *db, const char *table, const char *skip_col)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	out[0] = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			if (skip_col && strcmp(sqlite3_column_name(st, i), skip_col) == 0)
				continue;
			const unsigned char *v = sqlite3_column_text(st, i);
			int vn = sqlite3_column_bytes(st, i);
			while (len + (size_t)vn + 8 > cap) {
				cap *= 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
			len += (size_t)snprintf(out + len, cap - len, "%.*s|", vn, v ? (const char *)v : "~");
		}
		out[len++] = '\n';
		out[len] = 0;
	}
	sqlite3_finalize(st);
	return out;
}

/* Tables of the run's data (the run's own row and its findings carry creation times). */
static int run_table(const char *name)
{
	return strcmp(name, "runs") != 0 && strcmp(name, "run_findings") != 0 &&
	       strncmp(name, "sqlite_", 7) != 0;
}

struct cmp {
	sqlite3 *a, *b;
	int full, tables; /* full: the same rows; else the same counts and modules */
};

/* The lines of a table's text, sorted. */
static char *sorted(char *text)
{
	size_t m = 0, total = strlen(text);
	char *lines[4096];
	for (char *p = strtok(text, "\n"); p && m < 4096; p = strtok(NULL, "\n"))
		lines[m++] = p;
	for (size_t i = 1; i < m; i++) /* insertion sort: few modules */
		for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *x = lines[j];
			lines[j] = lines[j - 1];
			lines[j - 1] = x;
		}
	char *joined = calloc(1, total + 2);
	assert_non_null(joined);
	for (size_t i = 0; i < m; i++)
		strcat(strcat(joined, lines[i]), "\n");
	free(text);
	return joined;
}

/* One data table of a against b's: as many rows; with full, the same rows; without, the
 * same modules but for their ids. */
static void compare_table(void *ud, const char *t)
{
	struct cmp *c = ud;
	if (!run_table(t))
		return;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", t);
	int64_t na = count_rows(c->a, sql), nb = count_rows(c->b, sql);
	if (na != nb)
		fail_msg("%s: %lld rows in one pass, %lld in two", t, (long long)na, (long long)nb);
	if (c->full || strcmp(t, "etw_modules") == 0) {
		char *ta = table_text(c->a, t, c->full ? NULL : "id");
		char *tb = table_text(c->b, t, c->full ? NULL : "id");
		if (!c->full) {
			ta = sorted(ta);
			tb = sorted(tb);
		}
		if (strcmp(ta, tb) != 0)
			fail_msg("%s: rows differ", t);
		free(ta);
		free(tb);
	}
	c->tables += na > 0;
}

static void check(int images_at_end, int keys)
{
	char trace[64], pa[64], pb[64];
	write_trace(trace, sizeof trace, images_at_end, keys);
	sqlite3 *one = import(pa, sizeof pa, trace, 0);
	sqlite3 *two = import(pb, sizeof pb, trace, 1);
	unlink(trace);
	/* which way the one pass went, as its summary says; the summaries equal without it */
	const char *want = images_at_end ? "two_pass_redo" : "one_pass";
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE json_extract(summary,"
				  " '$.ingest_passes.mode') = '%s'", want);
	assert_int_equal(count_rows(one, sql), 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE json_extract(summary,"
				  " '$.ingest_passes.deferred_samples') %s", keys ? "> 1000" : "= 0");
	assert_int_equal(count_rows(one, sql), !images_at_end);
	assert_int_equal(count_rows(two, "SELECT count(*) FROM runs WHERE json_extract(summary,"
				      " '$.ingest_passes') IS NULL"), 1);
	sqlite3_stmt *q;
	char *sum[2];
	for (int k = 0; k < 2; k++) {
		assert_int_equal(sqlite3_prepare_v2(k ? two : one, "SELECT json_remove(summary,"
						   " '$.ingest_passes') FROM runs", -1, &q, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		sum[k] = strdup((const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	assert_true(strlen(sum[0]) > 100);
	assert_string_equal(sum[0], sum[1]);
	free(sum[0]);
	free(sum[1]);
	assert_true(count_rows(one, "SELECT count(*) FROM etw_modules") > 5);
	struct cmp c = {one, two, images_at_end, 0};
	each_run_table(one, compare_table, &c);
	assert_true(c.tables >= 10);
	db_test_remove(one, pa);
	db_test_remove(two, pb);
}

static void test_redo_stores_the_two_pass_rows(void **state)
{
	(void)state;
	check(1, 0);
}

static void test_one_pass_stores_the_same_rows(void **state)
{
	(void)state;
	check(0, 0);
}

static void test_deferred_samples_store_the_same_rows(void **state)
{
	(void)state;
	check(0, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redo_stores_the_two_pass_rows),
		cmocka_unit_test(test_one_pass_stores_the_same_rows),
		cmocka_unit_test(test_deferred_samples_store_the_same_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
