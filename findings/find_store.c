/* find_store.c — findings are computed once per run and kept in run_findings, so the
 * verdict a share link shows never changes under it (a later KB or engine only affects
 * runs computed later; the document records both versions). */
#include <stdio.h>
#include "db.h"
#include "find.h"

static int read_doc(sqlite3 *db, int64_t run_id, cJSON **doc, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT doc, created_us FROM run_findings WHERE run_id=?", -1,
			       &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read findings: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	int s = sqlite3_step(st), rc = 1;
	if (s == SQLITE_ROW) {
		*doc = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
		if (*doc) {
			cJSON_AddNumberToObject(*doc, "computed",
						(double)(sqlite3_column_int64(st, 1) / 1000));
			rc = 0;
		} else {
			snprintf(err, errlen, "stored findings are damaged");
			rc = -1;
		}
	} else if (s != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read findings: %s", sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

static int store_doc(sqlite3 *db, int64_t run_id, const cJSON *doc, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char *text = cJSON_PrintUnformatted(doc);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* OR IGNORE: when two requests race, the first document stored wins. */
	int rc = sqlite3_prepare_v2(db,
				    "INSERT OR IGNORE INTO run_findings(run_id, engine, kb_version,"
				    " created_us, doc) VALUES (?,?,?,?,?)",
				    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_int(st, 2, FIND_ENGINE_VERSION);
		sqlite3_bind_text(st, 3, kb_version(), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, db_now_us());
		sqlite3_bind_text(st, 5, text, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	cJSON_free(text);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot store findings: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int find_stored(sqlite3 *db, int64_t run_id, cJSON **doc, char *err, size_t errlen)
{
	return read_doc(db, run_id, doc, err, errlen);
}

int find_get(sqlite3 *db, int64_t run_id, cJSON **doc, char *err, size_t errlen)
{
	cJSON *fresh = NULL;
	int rc = read_doc(db, run_id, doc, err, errlen);
	if (rc <= 0)
		return rc;
	if (find_compute(db, run_id, &fresh, err, errlen) != 0)
		return -1;
	rc = store_doc(db, run_id, fresh, err, errlen);
	cJSON_Delete(fresh);
	if (rc != 0)
		return -1;
	return read_doc(db, run_id, doc, err, errlen) == 0 ? 0 : -1;
}
