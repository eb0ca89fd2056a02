/* db_jobs.c — the run an upload job made (table upload_jobs, written by db_sink_begin in
 * the run's transaction): how an uploader gets its run and edit token after a restart. */
#include <stdio.h>
#include <string.h>
#include "db.h"

int db_job_run(sqlite3 *db, const char *job_id, struct db_job_run *out)
{
	sqlite3_stmt *st = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(db,
			       "SELECT r.public_id, r.edit_token, r.format, r.file_name, r.status"
			       " FROM upload_jobs j JOIN runs r ON r.id = j.run_id"
			       " WHERE j.job_id = ? AND (r.expires_us IS NULL OR r.expires_us > ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, db_now_us());
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out->public_id, sizeof out->public_id, "%s", sqlite3_column_text(st, 0));
		snprintf(out->edit_token, sizeof out->edit_token, "%s", sqlite3_column_text(st, 1));
		snprintf(out->format, sizeof out->format, "%s", sqlite3_column_text(st, 2));
		snprintf(out->file_name, sizeof out->file_name, "%s", sqlite3_column_text(st, 3));
		out->partial = strcmp((const char *)sqlite3_column_text(st, 4), "partial") == 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}
