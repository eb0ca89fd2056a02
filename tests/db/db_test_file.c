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
