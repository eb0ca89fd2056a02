/* api_io.c — GET /api/runs/{id}/diskio and /fileio: the disk I/O tables and the FileIo
 * event counts of an ETW run (db/db_io.h). Whole trace: these aggregates carry no window. */
#include "api.h"
#include "api_params.h"
#include "db.h"
#include "db_io.h"

typedef int (*io_reader)(sqlite3 *db, int64_t run_id, cJSON *o, char *err, size_t errlen);

static int io_get(sqlite3 *db, const char *run_id, io_reader read, const char *what,
		  const char *none, cJSON **out)
{
	struct db_run r;
	char err[256] = "";
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	cJSON *o = cJSON_CreateObject();
	int rc = o ? read(db, r.id, o, err, sizeof err) : -1;
	db_run_clear(&r);
	if (rc != 0) {
		cJSON_Delete(o);
		*out = rc > 0 ? api_error("%s", none) : api_error("cannot read %s: %s", what, err);
		return rc > 0 ? 404 : 500;
	}
	*out = o;
	return 200;
}

int api_run_diskio(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	(void)rq;
	return io_get(db, run_id, db_io_diskio_json, "disk I/O",
		      "this run holds no disk I/O events (record with DISK_IO+DISK_IO_INIT, see /record)",
		      out);
}

int api_run_fileio(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	(void)rq;
	return io_get(db, run_id, db_io_fileio_json, "file I/O",
		      "this run holds no file I/O events (record with FILE_IO+FILE_IO_INIT+FILENAME, "
		      "see /record)",
		      out);
}
