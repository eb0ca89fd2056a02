/* db_kb.c — the driver knowledge base in SQLite: at database open, when the binary's KB
 * version (kb_version()) differs from the stored one, the kb_drivers table is replaced by
 * the built-in rows in one transaction, so SQL users and the API see the same base. */
#include <stdio.h>
#include <string.h>
#include "db.h"
#include "kb.h"

int db_kb_stored_version(sqlite3 *db, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int rc = 1;
	if (outlen)
		out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT value FROM kb_meta WHERE key='version'", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	} else if (s != SQLITE_DONE) {
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

static int load_rows(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_exec(db, "DELETE FROM kb_drivers", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO kb_drivers(seq, driver, vendor, product, category,"
			       " altitude, source) VALUES (?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot load the driver knowledge base: %s",
			 sqlite3_errmsg(db));
		return -1;
	}
	for (size_t i = 0; i < kb_count(); i++) {
		const struct kb_entry *e = kb_at(i);
		const char *v[] = {e->driver, e->vendor, e->product, e->category, e->altitude,
				   e->source};
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
		for (int k = 0; k < 6; k++)
			sqlite3_bind_text(st, k + 2, v[k], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			snprintf(err, errlen, "cannot load the driver knowledge base: %s",
				 sqlite3_errmsg(db));
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int db_kb_sync(sqlite3 *db, char *err, size_t errlen)
{
	char have[128];
	int rc = db_kb_stored_version(db, have, sizeof have);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read the knowledge base version: %s",
			 sqlite3_errmsg(db));
		return -1;
	}
	if (rc == 0 && strcmp(have, kb_version()) == 0)
		return 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot load the driver knowledge base: %s",
			 sqlite3_errmsg(db));
		return -1;
	}
	/* Another connection may have loaded it while we waited for the lock. */
	if (db_kb_stored_version(db, have, sizeof have) == 0 && strcmp(have, kb_version()) == 0)
		return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_stmt *st = NULL;
	if (load_rows(db, err, errlen) != 0 ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kb_meta(key, value) VALUES ('version', ?)",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, kb_version(), -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (st)
			snprintf(err, errlen, "cannot load the driver knowledge base: %s",
				 sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}
