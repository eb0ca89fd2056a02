/* api_io.c — GET /api/runs/{id}/diskio and /fileio: the disk I/O tables and the FileIo
 * event counts of an ETW run (db/db_io.h), whole trace; and "selection" (api_facts.c):
 * the window, CPU, pid and tid filter answered from the per-slice facts. */
#include "api.h"
#include "api_facts.h"
#include "api_params.h"
#include "db.h"
#include "db_io.h"

typedef int (*io_reader)(sqlite3 *db, int64_t run_id, cJSON *o, char *err, size_t errlen);

static int io_get(sqlite3 *db, const char *run_id, const struct api_request *rq,
		  io_reader read, int domain, const char *what, const char *none, cJSON **out)
{
	struct db_run r;
	struct api_facts_query q;
	char err[256] = "";
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	if ((st = api_facts_parse(&r, rq, &q, out))) {
		db_run_clear(&r);
		return st;
	}
	cJSON *o = cJSON_CreateObject();
	int rc = o ? read(db, r.id, o, err, sizeof err) : -1;
	if (rc == 0 && api_facts_add(db, &r, &q, domain, o, err, sizeof err))
		rc = -1;
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
	return io_get(db, run_id, rq, db_io_diskio_json, SINK_FACT_DISK, "disk I/O",
		      "this run holds no disk I/O events (record with DISK_IO+DISK_IO_INIT, see /record)",
		      out);
}

int api_run_fileio(sqlite3 *db, const char *run_id, const struct api_request *rq, cJSON **out)
{
	return io_get(db, run_id, rq, db_io_fileio_json, SINK_FACT_FILE, "file I/O",
		      "this run holds no file I/O events (record with FILE_IO+FILE_IO_INIT+FILENAME, "
		      "see /record)",
		      out);
}
