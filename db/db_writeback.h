/* db_writeback.h — start the kernel's writeback of a database file while a long write
 * transaction fills it, so the one fsync that makes the finished file durable
 * (db_store_place) waits for the last few megabytes instead of the whole file (issue 17:
 * that fsync was ~0.7 s of the time between an upload's last byte and its verdict).
 *
 * Only starts writeback (Linux sync_file_range SYNC_FILE_RANGE_WRITE); it never waits for
 * the disk and promises nothing about durability: the fsync stays where it was. Pages that
 * SQLite writes again after they were written back are simply written twice. Where the
 * call does not exist, or the database has no file, every function does nothing. */
#ifndef ETLSCOPE_DB_WRITEBACK_H
#define ETLSCOPE_DB_WRITEBACK_H

#include <sqlite3.h>
#include <stdint.h>

/* Writeback starts each time the file has grown by this many bytes since the last start. */
#define DB_WRITEBACK_STEP (16 << 20)

struct db_writeback {
	sqlite3 *db;
	int fd;          /* the main database file, read-only; -1: none */
	int64_t started; /* the file's size when writeback last started */
};

/* Watch db's main file until db_writeback_stop: SQLite's progress handler (which the
 * connection must not use otherwise meanwhile) checks the file's size every few
 * thousand virtual-machine steps. wb is caller-owned and must stay put until stopped. */
void db_writeback_watch(struct db_writeback *wb, sqlite3 *db);
/* Start writeback of everything written so far (the transaction just committed, say). */
void db_writeback_now(struct db_writeback *wb);
/* Stop watching (removes the progress handler) and close the file; idempotent. */
void db_writeback_stop(struct db_writeback *wb);

#endif
