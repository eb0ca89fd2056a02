/* db_stk_blobs.h — internal: the stack sample counts as stored since migration 19
 * (issues 13, 17): one stk_count_blobs row per (run, 100 ms slice, CPU) holding the
 * slice's (pid, tid, leaf node, n) records packed by db_stkblob.h, where stk_counts kept
 * a row per record. Reading every record of a slice range in the old table's key order
 * (slice, cpu, pid, tid, node); writing a (slice, CPU)'s records, merged into its stored
 * blob when late counts come; migration 19's repacking of stk_counts. */
#ifndef ETLSCOPE_DB_STK_BLOBS_H
#define ETLSCOPE_DB_STK_BLOBS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "db_stkblob.h"

/* cb per record of the slices [lo, hi] whose CPU is in cpu_words (DB_MAX_CPUS bits; NULL:
 * all), in (slice, cpu, pid, tid, node) order; a blob of a CPU outside the set is not
 * decoded. A non-zero return of cb stops the scan. 0 (all given, or cb stopped), or -1
 * with err set (SQLite's error, or a damaged blob). */
typedef int (*db_stk_blob_fn)(void *ud, int64_t slice, int64_t cpu,
			      const struct db_stkblob_rec *r);
int db_stk_blobs_scan(sqlite3 *db, int64_t run_id, int64_t lo, int64_t hi,
		      const uint64_t *cpu_words, db_stk_blob_fn cb, void *ud, char *err,
		      size_t errlen);

/* Caller-owned; zero it, then set db and run_id. */
struct db_stk_blob_writer {
	sqlite3 *db;
	int64_t run_id;
	sqlite3_stmt *ins, *sel, *upd;
	uint8_t *buf;
	size_t cap;
	struct db_stkblob_rec *old, *sum;
	size_t old_n, old_cap, sum_cap;
};
/* Stores the records r[0..n) (strictly increasing by (pid, tid, node)) of (slice, cpu).
 * merge 0: the blob is new (no stored one); 1: a stored blob may exist, and its records
 * and these are summed into it (read-modify-write: db_stkblob_merge). 0, or -1 with err. */
int db_stk_blobs_put(struct db_stk_blob_writer *w, int64_t slice, int64_t cpu,
		     const struct db_stkblob_rec *r, size_t n, int merge, char *err,
		     size_t errlen);
/* Finalizes and frees what the writer holds (db stays). */
void db_stk_blob_writer_clear(struct db_stk_blob_writer *w);

/* Migration 19's conversion: every row of stk_counts (if that table exists) into blobs of
 * stk_count_blobs, one per (run, slice, CPU). 0, or -1 with err filled. */
int db_stk_blobs_migrate(sqlite3 *db, char *err, size_t errlen);

#endif
