/* db_schema.c — the schema, as an ordered list of migrations. PRAGMA user_version holds
 * how many have run; each runs in its own transaction, so a crash leaves a valid schema. */
#include <stdio.h>
#include "db.h"

static const char *const migrations[] = {
	/* 1: runs and perfmon counter series */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  public_id TEXT NOT NULL UNIQUE,"  /* 128-bit random hex: the only id in URLs */
	"  edit_token TEXT NOT NULL,"        /* returned once at upload; needed to edit/delete */
	"  name TEXT NOT NULL,"
	"  notes TEXT NOT NULL DEFAULT '',"
	"  file_name TEXT NOT NULL,"
	"  file_size INTEGER NOT NULL,"
	"  format TEXT NOT NULL DEFAULT 'unknown',"
	"  status TEXT NOT NULL DEFAULT 'ingesting'," /* ready | partial */
	"  created_us INTEGER NOT NULL,"
	"  start_utc_us INTEGER,"
	"  duration_us INTEGER,"
	"  expires_us INTEGER,"
	"  summary TEXT NOT NULL DEFAULT '{}'"
	");"
	"CREATE TABLE run_warnings ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, count INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
	/* One row per counter column of a perfmon log. */
	"CREATE TABLE counters ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL, path TEXT NOT NULL, machine TEXT NOT NULL, object TEXT NOT NULL,"
	"  instance TEXT, counter TEXT NOT NULL, cpu INTEGER NOT NULL, counter_type INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, idx)) WITHOUT ROWID;"
	/* Sample times in chunks: data = little-endian int64 µs since the epoch, UTC. */
	"CREATE TABLE sample_times ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  chunk INTEGER NOT NULL, first_idx INTEGER NOT NULL, n INTEGER NOT NULL,"
	"  t_first INTEGER NOT NULL, t_last INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (run_id, chunk)) WITHOUT ROWID;"
	/* Counter values in the same chunks: data = little-endian doubles, NaN = missing.
	 * vmin/vmax/vsum/vcount summarise the chunk so coarse queries can skip the blob. */
	"CREATE TABLE series_chunks ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  counter_idx INTEGER NOT NULL, chunk INTEGER NOT NULL,"
	"  vmin REAL, vmax REAL, vsum REAL NOT NULL, vcount INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (run_id, counter_idx, chunk)) WITHOUT ROWID;",
};

int db_schema_version(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}

int db_migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read schema version: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > db_schema_version()) {
		snprintf(err, errlen, "database schema version %d is newer than this etlscope (%d)",
			 version, db_schema_version());
		return -1;
	}
	for (int v = version; v < db_schema_version(); v++) {
		char *msg = NULL;
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "schema migration %d failed: %s", v + 1,
				 msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}
