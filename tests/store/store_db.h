/* store_db.h — helpers for the store tests: temporary databases and feeding generated
 * records through the real SQLite sink. */
#ifndef ETLSCOPE_STORE_DB_H
#define ETLSCOPE_STORE_DB_H

#include <stddef.h>
#include <stdint.h>
#include "db/db.h"
#include "store_gen.h"

#define MS 1000000LL

sqlite3 *open_temp(char *path, size_t n);
void remove_db(const char *path);
void feed_modules(const struct ingest_sink *k);
void feed_dpc(const struct ingest_sink *k, const struct gen_dpc *e);
void feed_sample(const struct ingest_sink *k, const struct gen_sample *p);
/* One run of g's records (both streams interleaved in delivery order); commit or abort.
 * Returns the run id (-1 when aborted). */
int64_t ingest(sqlite3 *db, const struct gen_data *g, int commit);
int64_t count_rows(sqlite3 *db, const char *sql);
/* BEGIN, and a runs row for the tests that write a run's tables directly; returns its id. */
int64_t begin_run(sqlite3 *db);
/* Every entry of the stack count blobs that sql selects (its last column the blob, version
 * 1: a varint count, then per entry pid delta, tid, node, n as db/db_stkblob.h describes,
 * decoded here by the tests' own reader, not db_stkblob.c): fn(ud, row, pid, tid, node, n),
 * row the statement positioned on the blob's row. */
typedef void (*stk_count_fn)(void *ud, sqlite3_stmt *row, uint64_t pid, uint64_t tid,
			     uint64_t node, uint64_t n);
void each_stk_count(sqlite3 *db, const char *sql, stk_count_fn fn, void *ud);
/* fn for every table with a run_id column; returns how many there were. */
int each_run_table(sqlite3 *db, void (*fn)(void *ud, const char *table), void *ud);

#endif
