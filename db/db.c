/* db.c — opening the SQLite database with the project's pragmas, and small shared
 * helpers (random ids, clock). Schema lives in db_schema.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "db.h"

sqlite3 *db_connect(const char *path, int flags, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	flags |= SQLITE_OPEN_NOMUTEX; /* one connection per thread */
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 30000);
	sqlite3_extended_result_codes(db, 1);
	return db;
}

sqlite3 *db_open(const char *path, enum db_open_mode mode, char *err, size_t errlen)
{
	sqlite3 *db = db_connect(path, mode == DB_READONLY ? SQLITE_OPEN_READONLY
							: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				 err, errlen);
	if (!db)
		return NULL;
	if (mode != DB_READONLY) {
		char *msg = NULL;
		/* A shared database is in WAL; a file written by one connection alone (a run
		 * file being made) never is, so no -wal/-shm ever sits beside it. */
		if (sqlite3_exec(db, mode == DB_PRIVATE ? "PRAGMA journal_mode=DELETE;"
							  "PRAGMA foreign_keys=ON;"
							: "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
							  "PRAGMA foreign_keys=ON;",
				 NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "cannot configure database: %s", msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_close(db);
			return NULL;
		}
		if (db_migrate(db, err, errlen) != 0 || db_kb_sync(db, err, errlen) != 0) {
			sqlite3_close(db);
			return NULL;
		}
	} else {
		sqlite3_exec(db, "PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
		if (sqlite3_exec(db, "SELECT 1 FROM runs LIMIT 0", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "database %s has no etlscope schema", path);
			sqlite3_close(db);
			return NULL;
		}
	}
	return db;
}

void db_close(sqlite3 *db)
{
	/* statements kept on the connection (cache.c's tag query, prepared once per handle)
	 * would make the close fail and leak it */
	for (sqlite3_stmt *p; db && (p = sqlite3_next_stmt(db, NULL));)
		sqlite3_finalize(p);
	sqlite3_close(db);
}

sqlite3_stmt *db_kept_stmt(sqlite3 *db, const char *sql)
{
	for (sqlite3_stmt *p = sqlite3_next_stmt(db, NULL); p; p = sqlite3_next_stmt(db, p))
		if (!sqlite3_stmt_busy(p) && strcmp(sqlite3_sql(p), sql) == 0)
			return p;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

void db_kept_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int db_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];
	static const char hex[] = "0123456789abcdef";
	size_t got = 0;
	if (nbytes > sizeof buf)
		return -1;
	while (got < nbytes) {
		ssize_t r = getrandom(buf + got, nbytes - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

int64_t db_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
