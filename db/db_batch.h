/* db_batch.h — multi-row INSERTs for the ingest's hottest tables: rows of int64 columns are
 * buffered and written DB_BATCH_ROWS at a time by one prepared statement
 * ("INSERT … VALUES (run,?,?),(run,?,?),…"), so the per-statement cost (step, halt, reset,
 * the run id bound again) is paid once per batch instead of once per row. The tail is
 * written by the one-row form of the same statement.
 *
 * Rows become visible to SQL only when flushed: callers flush before any query that must see
 * them, and at the end. */
#ifndef ETLSCOPE_DB_BATCH_H
#define ETLSCOPE_DB_BATCH_H

#include <sqlite3.h>
#include <stdint.h>

#define DB_BATCH_ROWS 64
#define DB_BATCH_MAX_COLS 8

struct db_batch {
	sqlite3 *db;
	sqlite3_stmt *many, *one; /* DB_BATCH_ROWS rows; one row */
	unsigned cols, n;
	int64_t v[DB_BATCH_ROWS * DB_BATCH_MAX_COLS];
};

/* head: "INSERT INTO t(run_id, a, b) VALUES " ; cols: the ? columns after the run id (≤ 8);
 * tail: appended after the rows ("" or an ON CONFLICT clause). 0, or -1 (SQL error). */
int db_batch_init(struct db_batch *b, sqlite3 *db, int64_t run_id, const char *head,
		  unsigned cols, const char *tail);
/* Buffer one row of cols values, writing the batch when full. 0, or -1 (SQL error). */
int db_batch_add(struct db_batch *b, const int64_t *row);
/* Write what is buffered. 0, or -1 (SQL error). */
int db_batch_flush(struct db_batch *b);
void db_batch_clear(struct db_batch *b);

#endif
