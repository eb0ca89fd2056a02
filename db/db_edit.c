/* db_edit.c — changes to a stored run: name, notes and expiry edits, deletion, and purging
 * expired runs. Callers check authority first (api/api_edit.c); these only write. */
#include <stdio.h>
#include <string.h>
#include "db.h"

/* Constant-time comparison of two NUL-terminated tokens. */
int db_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0 && la > 0;
}

int db_run_edit_token(sqlite3 *db, int64_t run_id, char *token, size_t len)
{
	sqlite3_stmt *st;
	int rc = -1;
	if (sqlite3_prepare_v2(db, "SELECT edit_token FROM runs WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(token, len, "%s", sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int db_run_update(sqlite3 *db, int64_t run_id, const struct db_run_edit *e)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db,
			       "UPDATE runs SET name=coalesce(?, name), notes=coalesce(?, notes),"
			       " expires_us=CASE WHEN ? THEN ? ELSE expires_us END WHERE id=?",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (e->name)
		sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
	if (e->notes)
		sqlite3_bind_text(st, 2, e->notes, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, e->set_expiry);
	if (e->set_expiry && e->has_expiry)
		sqlite3_bind_int64(st, 4, e->expires_us);
	sqlite3_bind_int64(st, 5, run_id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* Every per-run table references runs(id) ON DELETE CASCADE, so one DELETE removes the
 * run's counters, series, warnings and ETW records in the same transaction. */
int db_run_delete(sqlite3 *db, int64_t run_id)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db, "DELETE FROM runs WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

int db_purge_expired(sqlite3 *db, int64_t now_us)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db, "DELETE FROM runs WHERE expires_us IS NOT NULL AND expires_us <= ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, now_us);
	rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db) : -1;
	sqlite3_finalize(st);
	return rc;
}
