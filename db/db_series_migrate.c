/* db_series_migrate.c — migration 18 (issue 17): counter values leave the keyed table.
 *
 * Invariants: before, series_chunks (WITHOUT ROWID, key (run_id, counter_idx, chunk)) held
 * each chunk's summary and its 15–30 KB value blob. A WITHOUT ROWID record is the B-tree
 * key, so every seek compared whole records, blobs read from their overflow pages
 * included. After, series_chunks holds the key and the summary only, and series_values (a
 * rowid table, UNIQUE on the same key) holds the blob of every series_chunks row, no more. */
#include <stdio.h>
#include "db_series_migrate.h"

static int has_data_column(sqlite3 *db)
{
	sqlite3_stmt *st;
	int has = -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('series_chunks')"
			       " WHERE name='data'", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		has = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return has;
}

int db_series_migrate(sqlite3 *db, char *err, size_t errlen)
{
	int has = has_data_column(db);
	if (has < 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (has == 0)
		return 0;
	/* in key order: the new UNIQUE index fills by appends */
	if (sqlite3_exec(db,
			 "INSERT INTO series_values(run_id, counter_idx, chunk, data)"
			 " SELECT run_id, counter_idx, chunk, data FROM series_chunks"
			 " ORDER BY run_id, counter_idx, chunk;"
			 "ALTER TABLE series_chunks DROP COLUMN data;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}
