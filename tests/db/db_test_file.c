/* db_test_file.c — temporary database files for the db/ and api/ unit tests (see the .h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "db/db.h"
#include "db_test_file.h"

sqlite3 *db_test_open(char *path, size_t n, const char *tmpl)
{
	char err[256];
	snprintf(path, n, "%s", tmpl);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	sqlite3 *db = db_open(path, DB_READWRITE, err, sizeof err);
	assert_non_null(db);
	return db;
}

void db_test_remove(sqlite3 *db, const char *path)
{
	char p[4096];
	db_close(db);
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

int db_test_fx_setup(void **state)
{
	struct db_test_fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->db = db_test_open(fx->path, sizeof fx->path, "/tmp/etlscope-test-db-XXXXXX");
	assert_int_equal(sqlite3_exec(fx->db, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL), SQLITE_OK);
	*state = fx;
	return 0;
}

int db_test_fx_teardown(void **state)
{
	struct db_test_fx *fx = *state;
	db_test_remove(fx->db, fx->path);
	free(fx);
	return 0;
}
