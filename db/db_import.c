/* db_import.c — one file into one run: detect, parse through the SQLite sink, commit or
 * roll back. Shared by uploads (server worker), `etlscope ingest` and `etlscope demo`. */
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "db.h"
#include "ingest.h"
#include "ingest_grow.h"

int db_import_file(sqlite3 *db, const char *path, const struct db_run_input *in,
		   struct db_import_result *res, char *err, size_t errlen)
{
	return db_import_upload(db, path, in, NULL, NULL, res, err, errlen);
}

int db_import_file_ex(sqlite3 *db, const char *path, const struct db_run_input *in,
		      const struct ingest_options *opts, struct db_import_result *res,
		      char *err, size_t errlen)
{
	return db_import_upload(db, path, in, opts, NULL, res, err, errlen);
}

int db_import_upload(sqlite3 *db, const char *path, const struct db_run_input *in,
		     const struct ingest_options *opts, const char *job_id,
		     struct db_import_result *res, char *err, size_t errlen)
{
	struct ingest_error ierr = {{0}};
	enum ingest_format fmt;
	struct db_sink *s;
	int rc;

	memset(res, 0, sizeof *res);
	s = db_sink_begin(db, in, err, errlen);
	if (!s)
		return -1;
	if (job_id && db_sink_set_job(s, job_id, err, errlen) != 0) {
		db_sink_abort(s);
		return -1;
	}
	rc = ingest_file_ex(path, opts, db_sink_iface(s), &fmt, &ierr);
	res->format = fmt;
	if (rc != INGEST_OK) {
		snprintf(err, errlen, "%s", ierr.message[0] ? ierr.message : "ingest failed");
		db_sink_abort(s);
		return rc == INGEST_EFORMAT ? 1 : -1;
	}
	/* An upload ingested as it arrived: its size is known now that it has completed. */
	if (opts && opts->grow &&
	    db_sink_set_file_size(s, ingest_grow_written(opts->grow), err, errlen) != 0) {
		db_sink_abort(s);
		return -1;
	}
	res->partial = db_sink_partial(s);
	const cJSON *sum = db_sink_summary(s);
	res->summary = sum ? cJSON_Duplicate(sum, 1) : cJSON_CreateObject();
	if (db_sink_commit(s, ingest_format_name(fmt), res->partial, &res->run_id,
			   res->public_id, res->edit_token, err, errlen) != 0) {
		cJSON_Delete(res->summary);
		res->summary = NULL;
		return -1;
	}
	return 0;
}
