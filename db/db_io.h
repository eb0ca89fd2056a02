/* db_io.h — disk and file I/O of ETW runs (issue 15): the parser's pre-aggregated rows
 * (sink.h "Disk and file I/O") written inside the run's transaction, and read back as the
 * JSON of GET /api/runs/{id}/diskio and /fileio. Functions return 0 or -1 (err says why);
 * readers return 1 when the run holds no such events. */
#ifndef ETLSCOPE_DB_IO_H
#define ETLSCOPE_DB_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "sink.h"

struct db_io;
struct db_io *db_io_begin(sqlite3 *db, int64_t run_id);
int db_io_disk_row(struct db_io *w, const struct sink_disk_io_row *r);
int db_io_disk_slow(struct db_io *w, const struct sink_disk_io_slow *s);
int db_io_type_count(struct db_io *w, const struct sink_io_type_count *c);
int db_io_disk_queue(struct db_io *w, const struct sink_disk_queue *q);
int db_io_file_row(struct db_io *w, const struct sink_file_io_row *r);
int db_io_flt_row(struct db_io *w, const struct sink_flt_row *r);
int db_io_flt_slow(struct db_io *w, const struct sink_flt_slow *s);
const char *db_io_error(const struct db_io *w);
void db_io_free(struct db_io *w);

/* Disk I/O of a run into o: totals, per disk / process / file, rows, latency histograms
 * per op, slowest I/Os, queue depth over time per disk, DiskIo event counts per type. */
int db_io_diskio_json(sqlite3 *db, int64_t run_id, cJSON *o, char *err, size_t errlen);
/* FileIo event counts per type (names, operations, minifilter) and the file operations per
 * (op, process, file), per file and per process into o. */
int db_io_fileio_json(sqlite3 *db, int64_t run_id, cJSON *o, char *err, size_t errlen);

/* Minifilter delays of a run, whole trace, into o (module >= 0: that module's only):
 * "rows" per (module, major function, pre/post) with max_ns and the over-N counts, the
 * top 20 "by_file" and "by_process" per module, the "slowest" delays. 0 or -1. */
int db_io_flt_json(sqlite3 *db, int64_t run_id, int32_t module, cJSON *o, char *err,
		   size_t errlen);

#endif
