/* db_factblob_store.h — internal: writing the packed per-slice facts (db_factblob.h) into
 * etw_fact_blobs, and migration 15's repacking of etw_slice_facts rows. */
#ifndef ETLSCOPE_DB_FACTBLOB_STORE_H
#define ETLSCOPE_DB_FACTBLOB_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "sink.h"

/* Caller-owned; set db, the rest zero. part numbers the blobs this writer stores. */
struct db_factblob_writer {
	sqlite3 *db;
	sqlite3_stmt *ins;
	int64_t part;
	uint8_t *buf;
	size_t cap;
};

/* Stores the n facts of run_id: one blob per run of consecutive facts with the same
 * (domain, slice, CPU). 0, or -1 with err filled. */
int db_factblob_write(struct db_factblob_writer *w, int64_t run_id, const struct sink_slice_fact *f,
		      size_t n, char *err, size_t errlen);
/* Finalizes and frees what the writer holds (db stays). */
void db_factblob_writer_clear(struct db_factblob_writer *w);

/* Migration 15's conversion: every row of etw_slice_facts (if that table exists) into
 * blobs of etw_fact_blobs, one per (run, domain, slice, CPU). 0, or -1 with err filled. */
int db_factblob_migrate(sqlite3 *db, char *err, size_t errlen);

#endif
