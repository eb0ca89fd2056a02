/* db_test_file.h — a temporary read-write database file for the db/, api/ and findings unit tests:
 * opened under a fresh /tmp name, and closed and removed with its -wal and -shm files; and a
 * cmocka fixture holding one. */
#ifndef ETLSCOPE_DB_TEST_FILE_H
#define ETLSCOPE_DB_TEST_FILE_H

#include <stddef.h>
#include <sqlite3.h>

/* Open a new database at a fresh name made from tmpl (mkstemp pattern, copied into path of
 * n bytes); fails the test when it cannot. */
sqlite3 *db_test_open(char *path, size_t n, const char *tmpl);
/* Close db and remove path with its -wal and -shm files. */
void db_test_remove(sqlite3 *db, const char *path);

/* A cmocka fixture: a fresh database with foreign keys off (the tests write rows of runs
 * they do not create), as *state; db_test_fx_teardown removes it. */
struct db_test_fx {
	char path[64];
	sqlite3 *db;
};
int db_test_fx_setup(void **state);
int db_test_fx_teardown(void **state);

#endif
