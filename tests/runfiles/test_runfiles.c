/* test_runfiles.c — the run store (db/db_store.h) on a temporary directory: a published run
 * is one file holding its rows (none in the catalog) and is read through db_run_open with
 * the catalog's editable fields; a new version replaces the file and readers see it; an
 * abandoned run leaves nothing; a deleted run's file goes at the sweep. Expected counts come
 * from the CSV the test writes (3 counter columns × 5 samples). A reader opening a run while
 * new versions replace its file always gets a version: the replaced files stay until the
 * sweep, after a grace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "db/db_catalog.h"
#include "db/db_store.h"

static char dir[256], runs[300], catalog[300], csv[300];

static int64_t count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static int files(void) /* entries in the run directory */
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", runs);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test-runfiles-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(runs, sizeof runs, "%s/runs", dir);
	snprintf(catalog, sizeof catalog, "%s/catalog.db", dir);
	snprintf(csv, sizeof csv, "%s/in.csv", dir);
	FILE *f = fopen(csv, "w");
	assert_non_null(f);
	fputs("\"(PDH-CSV 4.0) (Coordinated Universal Time)(0)\",\"\\\\H\\Processor(0)\\% Processor Time\","
	      "\"\\\\H\\Processor(1)\\% Processor Time\",\"\\\\H\\Memory\\Available MBytes\"\n", f);
	for (int i = 0; i < 5; i++)
		fprintf(f, "\"11/26/2016 21:00:0%d.000\",\"%d\",\"%d\",\"1000\"\n", i, 10 * i, 5 * i);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Publish one run from the CSV; public id into pub. */
static int64_t publish(struct db_store *st, char *pub)
{
	struct db_run_writer w;
	struct db_import_result res;
	struct db_run_input in = {"first", "in.csv", 100};
	char err[256];
	assert_int_equal(db_store_run_begin(st, &w, err, sizeof err), 0);
	assert_int_equal(db_import_file(w.db, csv, &in, &res, err, sizeof err), 0);
	assert_int_equal(res.run_id, w.run_id);
	cJSON_Delete(res.summary);
	memcpy(pub, res.public_id, DB_PUBLIC_ID_LEN + 1);
	assert_int_equal(db_store_run_publish(st, &w, NULL, err, sizeof err), 0);
	return res.run_id;
}

static int add_warning(void *ud, sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
	char sql[200];
	(void)ud, (void)err, (void)errlen;
	snprintf(sql, sizeof sql, "INSERT INTO run_warnings VALUES (%lld, 99, 'later', 'added', 1)",
		 (long long)run_id);
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void test_publish_read_version_delete(void **state)
{
	char err[256], pub[DB_PUBLIC_ID_LEN + 1], path[400];
	(void)state;
	struct db_store *st = db_store_open(catalog, runs, NULL, NULL, err, sizeof err);
	assert_non_null(st);
	int64_t id = publish(st, pub);
	assert_int_equal(files(), 1);
	struct db_reader *r = db_reader_new(st, err, sizeof err);
	assert_non_null(r);
	sqlite3 *cat = db_catalog_sqlite(db_reader_catalog(r));
	assert_int_equal(count(cat, "SELECT count(*) FROM counters"), 0);
	assert_int_equal(count(cat, "SELECT count(*) FROM runs"), 1);
	sqlite3 *db = db_run_open(r, pub, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(db_reader_version(r), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM counters"), 3);
	assert_int_equal(count(db, "SELECT sum(n) FROM sample_times"), 5);
	/* the catalog's edits show through; the file itself keeps no token */
	assert_int_equal(sqlite3_exec(cat, "UPDATE runs SET name='renamed'", NULL, NULL, NULL), 0);
	db = db_run_open(r, pub, err, sizeof err);
	assert_int_equal(count(db, "SELECT count(*) FROM runs WHERE name='renamed'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM main.runs WHERE edit_token=''"), 1);
	/* each edit shows through the cached handle, whichever field, back and forth, and a
	 * text moving between two fields (the reader skips the copy when nothing changed) */
	static const char *const edits[][2] = {
		{"UPDATE runs SET notes='n1'", "name='renamed' AND notes='n1'"},
		{"UPDATE runs SET expires_us=4102444800000000", "expires_us=4102444800000000"},
		{"UPDATE runs SET expires_us=4102444800000001", "expires_us=4102444800000001"},
		{"UPDATE runs SET edit_token='t1'", "edit_token='t1' AND notes='n1'"},
		{"UPDATE runs SET expires_us=NULL", "expires_us IS NULL"},
		{"UPDATE runs SET name='renamedn', notes='1'", "name='renamedn' AND notes='1'"},
		{"UPDATE runs SET name='renamed', notes='n1'", "name='renamed' AND notes='n1'"},
	};
	for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
		char q[200];
		assert_int_equal(sqlite3_exec(cat, edits[i][0], NULL, NULL, NULL), 0);
		db = db_run_open(r, pub, err, sizeof err);
		assert_non_null(db);
		snprintf(q, sizeof q, "SELECT count(*) FROM runs WHERE %s", edits[i][1]);
		assert_int_equal(count(db, q), 1);
	}
	assert_null(db_run_open(r, "00000000000000000000000000000000", err, sizeof err));
	assert_string_equal(err, "no such run");
	assert_int_equal(db_reader_version(r), 0);

	/* a new version: the reader sees it; the old file stays for the sweep's grace (readers
	 * that looked version 1 up a moment before still open it), then goes */
	assert_int_equal(db_store_run_modify(st, id, add_warning, NULL, err, sizeof err), 0);
	db_store_run_path(st, id, 1, path, sizeof path);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(db_store_sweep(st), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(db_store_sweep_grace(st, 0), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	db_store_run_path(st, id, 2, path, sizeof path);
	assert_int_equal(access(path, F_OK), 0);
	db = db_run_open(r, pub, err, sizeof err);
	assert_int_equal(db_reader_version(r), 2); /* in every ETag: server/cache.c */
	assert_int_equal(count(db, "SELECT count(*) FROM run_warnings WHERE code='later'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM counters"), 3);

	/* an abandoned run leaves no file and no reservation */
	struct db_run_writer w;
	assert_int_equal(db_store_run_begin(st, &w, err, sizeof err), 0);
	db_store_run_abandon(st, &w);
	assert_int_equal(files(), 1);
	assert_int_equal(count(cat, "SELECT count(*) FROM run_files"), 1);

	/* deleted: the sweep unlinks the file */
	assert_int_equal(db_run_delete(cat, id), 0);
	assert_int_equal(db_store_sweep(st), 0);
	assert_int_equal(files(), 0);
	assert_null(db_run_open(r, pub, err, sizeof err));
	db_reader_free(r);
	db_store_free(st);
}

struct versions {
	struct db_store *st;
	int64_t id;
	int made, done;
	pthread_mutex_t mu;
};

static int same_rows(void *ud, sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
	(void)ud, (void)db, (void)run_id, (void)err, (void)errlen;
	return 0;
}

static void *make_versions(void *arg) /* 60 new versions, one after another */
{
	struct versions *v = arg;
	char err[256];
	for (int i = 0; i < 60; i++)
		if (db_store_run_modify(v->st, v->id, same_rows, NULL, err, sizeof err) == 0)
			v->made++;
	pthread_mutex_lock(&v->mu);
	v->done = 1;
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

/* The catalog names version N, then N+1 takes its place: an open in between must still
 * find N's file (it did not when the writer unlinked N at once: "cannot open the file of
 * run"; the symbol job's new version failed a /modules read in the full CI). */
static void test_open_while_versions_replace_the_file(void **state)
{
	char err[256], pub[DB_PUBLIC_ID_LEN + 1];
	(void)state;
	struct versions v = {.mu = PTHREAD_MUTEX_INITIALIZER};
	assert_non_null(v.st = db_store_open(catalog, runs, NULL, NULL, err, sizeof err));
	v.id = publish(v.st, pub);
	struct db_reader *r = db_reader_new(v.st, err, sizeof err);
	assert_non_null(r);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, make_versions, &v), 0);
	int opens = 0, failed = 0, done = 0;
	while (!done) {
		pthread_mutex_lock(&v.mu);
		done = v.done;
		pthread_mutex_unlock(&v.mu);
		sqlite3 *db = db_run_open(r, pub, err, sizeof err);
		opens++;
		if (!db || count(db, "SELECT count(*) FROM counters") != 3)
			failed++;
		const char *ids[] = {pub}; /* compare's way: one connection over run files */
		sqlite3 *set = db_run_open_set(r, ids, 1, err, sizeof err);
		if (!set || count(set, "SELECT count(*) FROM counters") != 3)
			failed++;
		db_close(set);
	}
	pthread_join(t, NULL);
	assert_int_equal(v.made, 60);
	assert_true(opens >= 10); /* each raced some new versions */
	assert_int_equal(failed, 0);
	db_reader_free(r);
	db_store_free(v.st);
}

/* The file being written keeps its lock from its first write until it closes (EXCLUSIVE
 * locking mode, db_store_file_create: no lock pair and no stat of -journal and -wal per
 * statement outside the ingest's transaction). So another connection cannot read it
 * between the writer's statements, with no transaction open; the writer's own reads go on;
 * abandoned, it leaves nothing (published, it is anyone's: the tests above read it). */
static void test_file_being_written_stays_locked(void **state)
{
	char err[256];
	(void)state;
	struct db_store *st = db_store_open(catalog, runs, NULL, NULL, err, sizeof err);
	assert_non_null(st);
	struct db_run_writer w;
	assert_int_equal(db_store_run_begin(st, &w, err, sizeof err), 0);
	assert_int_equal(sqlite3_get_autocommit(w.db), 1); /* between statements */
	assert_int_equal(count(w.db, "SELECT count(*) FROM runs"), 1); /* the placeholder row */
	sqlite3 *other = NULL;
	assert_int_equal(sqlite3_open_v2(w.path, &other, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(count(other, "SELECT count(*) FROM runs"), -1);
	assert_int_equal(sqlite3_errcode(other), SQLITE_BUSY);
	sqlite3_close(other);
	assert_int_equal(count(w.db, "SELECT count(*) FROM runs"), 1);
	db_store_run_abandon(st, &w);
	assert_int_equal(files(), 0);
	db_store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish_read_version_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_while_versions_replace_the_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_being_written_stays_locked, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
