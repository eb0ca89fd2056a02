/* db_series_migrate.h — internal: migration 18's move of perfmon counter values out of the
 * keyed series_chunks table into series_values (db/db_schema.c). */
#ifndef ETLSCOPE_DB_SERIES_MIGRATE_H
#define ETLSCOPE_DB_SERIES_MIGRATE_H

#include <sqlite3.h>
#include <stddef.h>

/* When series_chunks still has its data column: copies every row's blob into series_values
 * and drops the column; otherwise (a fresh or already converted schema, or a test replaying
 * the migrations) nothing. 0, or -1 with err filled. */
int db_series_migrate(sqlite3 *db, char *err, size_t errlen);

#endif
