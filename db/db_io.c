/* db_io.c — disk and file I/O tables (migration "disk and file I/O" in db_schema.c):
 * etw_diskio (one row per disk, op, process, file), etw_diskio_slow (the slowest I/Os),
 * etw_io_types (DiskIo/FileIo event counts per type); and (migration "minifilter delays")
 * etw_flt, etw_flt_slow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_io.h"

struct db_io {
	sqlite3 *db;
	int64_t run_id;
	sqlite3_stmt *ins_row, *ins_slow, *ins_type, *ins_queue, *ins_file, *ins_flt, *ins_flt_slow;
	int slow_rank, flt_rank;
	char err[256];
};

struct db_io *db_io_begin(sqlite3 *db, int64_t run_id)
{
	struct db_io *w = calloc(1, sizeof *w);
	if (w) {
		w->db = db;
		w->run_id = run_id;
	}
	return w;
}

const char *db_io_error(const struct db_io *w)
{
	return w->err;
}

void db_io_free(struct db_io *w)
{
	if (!w)
		return;
	sqlite3_finalize(w->ins_row);
	sqlite3_finalize(w->ins_slow);
	sqlite3_finalize(w->ins_type);
	sqlite3_finalize(w->ins_queue);
	sqlite3_finalize(w->ins_file);
	sqlite3_finalize(w->ins_flt);
	sqlite3_finalize(w->ins_flt_slow);
	free(w);
}

static int fail(struct db_io *w, const char *what)
{
	snprintf(w->err, sizeof w->err, "%s: %s", what, sqlite3_errmsg(w->db));
	return -1;
}

static int prep(struct db_io *w, sqlite3_stmt **st, const char *sql)
{
	if (!*st && sqlite3_prepare_v2(w->db, sql, -1, st, NULL) != SQLITE_OK)
		return fail(w, "cannot prepare an I/O insert");
	sqlite3_reset(*st);
	sqlite3_bind_int64(*st, 1, w->run_id);
	return 0;
}

static void bind_pid(sqlite3_stmt *st, int i, uint32_t pid)
{
	if (pid == SINK_PID_UNKNOWN)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, pid);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int db_io_disk_row(struct db_io *w, const struct sink_disk_io_row *r)
{
	char hist[SINK_DISKIO_BUCKETS * 21 + 2];
	size_t n = 0;
	if (prep(w, &w->ins_row, "INSERT INTO etw_diskio(run_id, disk, op, pid, file, n, bytes,"
				 " total_ns, max_ns, hist) VALUES (?,?,?,?,?,?,?,?,?,?)"))
		return -1;
	hist[n++] = '[';
	for (int i = 0; i < SINK_DISKIO_BUCKETS; i++)
		n += (size_t)snprintf(hist + n, sizeof hist - n, "%s%llu", i ? "," : "",
				      (unsigned long long)r->hist[i]);
	snprintf(hist + n, sizeof hist - n, "]");
	sqlite3_stmt *st = w->ins_row;
	sqlite3_bind_int64(st, 2, r->disk);
	sqlite3_bind_int(st, 3, r->op);
	bind_pid(st, 4, r->pid);
	bind_text(st, 5, r->file);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->count);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->bytes);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)r->total_ns);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)r->max_ns);
	sqlite3_bind_text(st, 10, hist, -1, SQLITE_TRANSIENT);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(w, "cannot store disk I/O");
}

int db_io_disk_slow(struct db_io *w, const struct sink_disk_io_slow *s)
{
	if (prep(w, &w->ins_slow, "INSERT INTO etw_diskio_slow(run_id, rank, t_ns, duration_ns,"
				  " disk, op, pid, tid, offset, size, irp_flags, file)"
				  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"))
		return -1;
	sqlite3_stmt *st = w->ins_slow;
	sqlite3_bind_int(st, 2, w->slow_rank++);
	sqlite3_bind_int64(st, 3, s->t_ns);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->duration_ns);
	sqlite3_bind_int64(st, 5, s->disk);
	sqlite3_bind_int(st, 6, s->op);
	bind_pid(st, 7, s->pid);
	sqlite3_bind_int64(st, 8, s->tid);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)s->offset);
	sqlite3_bind_int64(st, 10, s->size);
	sqlite3_bind_int64(st, 11, s->irp_flags);
	bind_text(st, 12, s->file);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(w, "cannot store a slow disk I/O");
}

int db_io_type_count(struct db_io *w, const struct sink_io_type_count *c)
{
	if (prep(w, &w->ins_type, "INSERT INTO etw_io_types(run_id, grp, type, name, n,"
				  " undecoded) VALUES (?,?,?,?,?,?)"))
		return -1;
	sqlite3_stmt *st = w->ins_type;
	sqlite3_bind_int(st, 2, c->group);
	sqlite3_bind_int(st, 3, c->type);
	bind_text(st, 4, c->name);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)c->count);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)c->undecoded);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(w, "cannot store I/O event counts");
}

int db_io_disk_queue(struct db_io *w, const struct sink_disk_queue *q)
{
	char buf[SINK_DISKIO_SLICES * 24 + 2];
	size_t n = 0;
	if (prep(w, &w->ins_queue, "INSERT INTO etw_diskio_queue(run_id, disk, slice_ns, busy_ns)"
				   " VALUES (?,?,?,?)"))
		return -1;
	buf[n++] = '[';
	for (int i = 0; i < SINK_DISKIO_SLICES; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.0f", i ? "," : "", q->busy_ns[i]);
	snprintf(buf + n, sizeof buf - n, "]");
	sqlite3_stmt *st = w->ins_queue;
	sqlite3_bind_int64(st, 2, q->disk);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)q->slice_ns);
	sqlite3_bind_text(st, 4, buf, -1, SQLITE_TRANSIENT);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(w, "cannot store disk queue depth");
}

int db_io_file_row(struct db_io *w, const struct sink_file_io_row *r)
{
	if (prep(w, &w->ins_file, "INSERT INTO etw_fileio(run_id, op, op_name, pid, file, n,"
				  " completed, bytes, total_ns, max_ns) VALUES (?,?,?,?,?,?,?,?,?,?)"))
		return -1;
	sqlite3_stmt *st = w->ins_file;
	sqlite3_bind_int(st, 2, r->op);
	bind_text(st, 3, r->op_name);
	bind_pid(st, 4, r->pid);
	bind_text(st, 5, r->file);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->count);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->completed);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)r->bytes);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)r->total_ns);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)r->max_ns);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(w, "cannot store file I/O");
}

int db_io_flt_row(struct db_io *w, const struct sink_flt_row *r)
{
	if (prep(w, &w->ins_flt, "INSERT INTO etw_flt(run_id, module_id, major, post, pid, file,"
				 " inits, n, failures, total_ns, max_ns, over_1ms, over_10ms,"
				 " over_100ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"))
		return -1;
	sqlite3_stmt *st = w->ins_flt;
	const uint64_t v[] = {r->inits, r->count, r->failures, r->total_ns, r->max_ns,
			      r->over[0], r->over[1], r->over[2]};
	sqlite3_bind_int(st, 2, r->module);
	sqlite3_bind_int(st, 3, r->major);
	sqlite3_bind_int(st, 4, r->post);
	bind_pid(st, 5, r->pid);
	bind_text(st, 6, r->file);
	for (int i = 0; i < 8; i++)
		sqlite3_bind_int64(st, 7 + i, (sqlite3_int64)v[i]);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(w, "cannot store minifilter delays");
}

int db_io_flt_slow(struct db_io *w, const struct sink_flt_slow *s)
{
	if (prep(w, &w->ins_flt_slow, "INSERT INTO etw_flt_slow(run_id, rank, t_ns, delay_ns,"
				      " module_id, major, post, pid, tid, cpu, file)"
				      " VALUES (?,?,?,?,?,?,?,?,?,?,?)"))
		return -1;
	sqlite3_stmt *st = w->ins_flt_slow;
	sqlite3_bind_int(st, 2, w->flt_rank++);
	sqlite3_bind_int64(st, 3, s->t_ns);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->delay_ns);
	sqlite3_bind_int(st, 5, s->module);
	sqlite3_bind_int(st, 6, s->major);
	sqlite3_bind_int(st, 7, s->post);
	bind_pid(st, 8, s->pid);
	sqlite3_bind_int64(st, 9, s->tid);
	sqlite3_bind_int(st, 10, s->cpu);
	bind_text(st, 11, s->file);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : fail(w, "cannot store a slow minifilter delay");
}

/* ---- reading ---- */

/* queue_depth: [{disk, slice_ns, busy_ns: [...], avg_in_flight: [...]}] */
static int queue_json(sqlite3 *db, int64_t run_id, cJSON *o, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	cJSON *arr = cJSON_AddArrayToObject(o, "queue_depth");
	if (sqlite3_prepare_v2(db, "SELECT disk, slice_ns, busy_ns FROM etw_diskio_queue WHERE"
			       " run_id=? ORDER BY disk", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		double slice = sqlite3_column_double(st, 1);
		cJSON *e = cJSON_CreateObject(), *busy = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
		cJSON *avg = cJSON_CreateArray(), *v;
		cJSON_AddItemToArray(arr, e);
		cJSON_AddNumberToObject(e, "disk", sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(e, "slice_ns", slice);
		cJSON_ArrayForEach(v, busy)
			cJSON_AddItemToArray(avg, cJSON_CreateNumber(slice > 0 ? v->valuedouble / slice : 0));
		cJSON_AddItemToObject(e, "busy_ns", busy ? busy : cJSON_CreateArray());
		cJSON_AddItemToObject(e, "avg_in_flight", avg);
	}
	sqlite3_finalize(st);
	return 0;
}

static const char *op_name(int op)
{
	return op == 10 ? "read" : op == 11 ? "write" : op == 14 ? "flush" : "other";
}

/* Runs sql (?1 = run id) and adds one object per row to arr, columns named by cols
 * ("name:t" text, "name:i" integer, "name:n" integer or null, "name:o" op name). Returns
 * the row count or -1. */
static int rows_json(sqlite3 *db, int64_t run_id, const char *sql, const char *const *cols,
		     cJSON *arr, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int n = 0, rc;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			break;
		}
		for (int i = 0; cols[i]; i++) {
			char name[32];
			const char *colon = strchr(cols[i], ':');
			snprintf(name, sizeof name, "%.*s", (int)(colon - cols[i]), cols[i]);
			char t = colon[1];
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				cJSON_AddNullToObject(o, name);
			else if (t == 't')
				cJSON_AddStringToObject(o, name, (const char *)sqlite3_column_text(st, i));
			else if (t == 'o')
				cJSON_AddStringToObject(o, name, op_name(sqlite3_column_int(st, i)));
			else
				cJSON_AddNumberToObject(o, name, sqlite3_column_double(st, i));
		}
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

#define SUMS "SUM(n), SUM(bytes), SUM(total_ns), MAX(max_ns), SUM(total_ns) / SUM(n)"
static const char *const sum_cols[] = {"count:i", "bytes:i", "total_ns:i", "max_ns:i",
				       "avg_ns:i", NULL};

static int histograms(sqlite3 *db, int64_t run_id, cJSON *o, char *err, size_t errlen)
{
	static const int ops[] = {10, 11, 14};
	uint64_t h[3][SINK_DISKIO_BUCKETS] = {{0}};
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT op, hist FROM etw_diskio WHERE run_id=?", -1, &st,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int op = sqlite3_column_int(st, 0), k = op == 10 ? 0 : op == 11 ? 1 : op == 14 ? 2 : -1;
		cJSON *a = cJSON_Parse((const char *)sqlite3_column_text(st, 1)), *v;
		int i = 0;
		if (k >= 0)
			cJSON_ArrayForEach(v, a) if (i < SINK_DISKIO_BUCKETS && cJSON_IsNumber(v))
				h[k][i++] += (uint64_t)v->valuedouble;
		cJSON_Delete(a);
	}
	sqlite3_finalize(st);
	cJSON *edges = cJSON_AddArrayToObject(o, "bucket_edges_us"), *hist = cJSON_AddObjectToObject(o, "histogram");
	for (int i = 0; i < SINK_DISKIO_BUCKETS - 1; i++) /* lower edge of buckets 1.. */
		cJSON_AddItemToArray(edges, cJSON_CreateNumber((double)(1ull << i)));
	for (int k = 0; k < 3; k++) {
		cJSON *a = cJSON_AddArrayToObject(hist, op_name(ops[k]));
		for (int i = 0; i < SINK_DISKIO_BUCKETS; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber((double)h[k][i]));
	}
	return 0;
}

static int types_json(sqlite3 *db, int64_t run_id, int grp, cJSON *o, char *err, size_t errlen)
{
	static const char *const cols[] = {"type:i", "name:t", "count:i", "undecoded:i", NULL};
	const char *sql = grp == 1
		? "SELECT type, name, n, undecoded FROM etw_io_types WHERE run_id=?1 AND grp=1 ORDER BY type"
		: "SELECT type, name, n, undecoded FROM etw_io_types WHERE run_id=?1 AND grp=4 ORDER BY type";
	return rows_json(db, run_id, sql, cols, cJSON_AddArrayToObject(o, "event_types"), err, errlen);
}

int db_io_diskio_json(sqlite3 *db, int64_t run_id, cJSON *o, char *err, size_t errlen)
{
	static const char *const disk_cols[] = {"disk:i", "count:i", "bytes:i", "total_ns:i",
						"max_ns:i", "avg_ns:i", NULL};
	static const char *const proc_cols[] = {"pid:n", "count:i", "bytes:i", "total_ns:i",
						"max_ns:i", "avg_ns:i", NULL};
	static const char *const file_cols[] = {"file:t", "count:i", "bytes:i", "total_ns:i",
						"max_ns:i", "avg_ns:i", NULL};
	static const char *const row_cols[] = {"disk:i", "op:o", "pid:n", "file:t", "count:i",
					       "bytes:i", "total_ns:i", "max_ns:i", NULL};
	static const char *const slow_cols[] = {"t_ns:i", "duration_ns:i", "disk:i", "op:o",
						"pid:n", "tid:i", "offset:i", "size:i",
						"irp_flags:i", "file:t", NULL};
	int nt = types_json(db, run_id, 1, o, err, errlen);
	if (nt < 0)
		return -1;
	cJSON *tot = cJSON_AddArrayToObject(o, "totals");
	if (rows_json(db, run_id, "SELECT " SUMS " FROM etw_diskio WHERE run_id=?1 HAVING SUM(n) > 0",
		      sum_cols, tot, err, errlen) < 0 ||
	    rows_json(db, run_id, "SELECT disk, " SUMS " FROM etw_diskio WHERE run_id=?1 GROUP BY disk"
		      " ORDER BY disk", disk_cols, cJSON_AddArrayToObject(o, "by_disk"), err, errlen) < 0 ||
	    rows_json(db, run_id, "SELECT pid, " SUMS " FROM etw_diskio WHERE run_id=?1 GROUP BY pid"
		      " ORDER BY SUM(total_ns) DESC", proc_cols, cJSON_AddArrayToObject(o, "by_process"),
		      err, errlen) < 0 ||
	    rows_json(db, run_id, "SELECT file, " SUMS " FROM etw_diskio WHERE run_id=?1 GROUP BY file"
		      " ORDER BY SUM(total_ns) DESC LIMIT 100", file_cols,
		      cJSON_AddArrayToObject(o, "by_file"), err, errlen) < 0 ||
	    rows_json(db, run_id, "SELECT disk, op, pid, file, n, bytes, total_ns, max_ns FROM"
		      " etw_diskio WHERE run_id=?1 ORDER BY total_ns DESC LIMIT 200", row_cols,
		      cJSON_AddArrayToObject(o, "rows"), err, errlen) < 0 ||
	    rows_json(db, run_id, "SELECT t_ns, duration_ns, disk, op, pid, tid, offset, size,"
		      " irp_flags, file FROM etw_diskio_slow WHERE run_id=?1 ORDER BY rank", slow_cols,
		      cJSON_AddArrayToObject(o, "slowest"), err, errlen) < 0 ||
	    histograms(db, run_id, o, err, errlen) < 0 || queue_json(db, run_id, o, err, errlen) < 0)
		return -1;
	cJSON *t0 = cJSON_DetachItemFromArray(tot, 0); /* one row, or none without I/Os */
	cJSON_ReplaceItemInObjectCaseSensitive(o, "totals", t0 ? t0 : cJSON_CreateObject());
	return nt == 0 ? 1 : 0;
}

int db_io_fileio_json(sqlite3 *db, int64_t run_id, cJSON *o, char *err, size_t errlen)
{
	static const char *const row_cols[] = {"op:t", "pid:n", "file:t", "count:i", "completed:i",
					       "bytes:i", "total_ns:i", "max_ns:i", NULL};
	static const char *const file_cols[] = {"file:t", "count:i", "completed:i", "bytes:i",
						"total_ns:i", "max_ns:i", NULL};
	static const char *const proc_cols[] = {"pid:n", "count:i", "completed:i", "bytes:i",
						"total_ns:i", "max_ns:i", NULL};
#define FSUMS "SUM(n), SUM(completed), SUM(bytes), SUM(total_ns), MAX(max_ns)"
	int nt = types_json(db, run_id, 4, o, err, errlen);
	if (nt < 0 ||
	    rows_json(db, run_id, "SELECT op_name, pid, file, n, completed, bytes, total_ns, max_ns"
		      " FROM etw_fileio WHERE run_id=?1 ORDER BY total_ns DESC, n DESC LIMIT 200",
		      row_cols, cJSON_AddArrayToObject(o, "rows"), err, errlen) < 0 ||
	    rows_json(db, run_id, "SELECT file, " FSUMS " FROM etw_fileio WHERE run_id=?1 GROUP BY"
		      " file ORDER BY SUM(total_ns) DESC, SUM(n) DESC LIMIT 100", file_cols,
		      cJSON_AddArrayToObject(o, "by_file"), err, errlen) < 0 ||
	    rows_json(db, run_id, "SELECT pid, " FSUMS " FROM etw_fileio WHERE run_id=?1 GROUP BY"
		      " pid ORDER BY SUM(total_ns) DESC, SUM(n) DESC", proc_cols,
		      cJSON_AddArrayToObject(o, "by_process"), err, errlen) < 0)
		return -1;
#undef FSUMS
	return nt == 0 ? 1 : 0;
}

#define FLT_SUMS "SUM(n), SUM(total_ns), MAX(max_ns), SUM(over_1ms), SUM(over_10ms)," \
		 " SUM(over_100ms)"

int db_io_flt_json(sqlite3 *db, int64_t run_id, int32_t module, cJSON *o, char *err,
		   size_t errlen)
{
	static const char *const row_cols[] = {"module_id:i", "major_code:i", "post:i", "count:i",
					       "total_ns:i", "max_ns:i", "over_1ms:i", "over_10ms:i",
					       "over_100ms:i", "inits:i", "failures:i", NULL};
	static const char *const file_cols[] = {"module_id:i", "file:t", "count:i", "total_ns:i",
						"max_ns:i", "over_1ms:i", "over_10ms:i",
						"over_100ms:i", NULL};
	static const char *const proc_cols[] = {"module_id:i", "pid:n", "count:i", "total_ns:i",
						"max_ns:i", "over_1ms:i", "over_10ms:i",
						"over_100ms:i", NULL};
	static const char *const slow_cols[] = {"t_ns:i", "delay_ns:i", "module_id:i",
						"major_code:i", "post:i", "pid:n", "tid:i", "cpu:i",
						"file:t", NULL};
	char where[64], sql[4][512];
	if (module >= 0)
		snprintf(where, sizeof where, "run_id=?1 AND module_id=%d", (int)module);
	else
		snprintf(where, sizeof where, "run_id=?1");
	snprintf(sql[0], sizeof sql[0], "SELECT module_id, major, post, " FLT_SUMS ", SUM(inits),"
		 " SUM(failures) FROM etw_flt WHERE %s GROUP BY module_id, major, post"
		 " ORDER BY SUM(total_ns) DESC", where);
	snprintf(sql[1], sizeof sql[1], "SELECT module_id, file, " FLT_SUMS " FROM etw_flt WHERE %s"
		 " AND n > 0 GROUP BY module_id, file ORDER BY SUM(total_ns) DESC LIMIT 20", where);
	snprintf(sql[2], sizeof sql[2], "SELECT module_id, pid, " FLT_SUMS " FROM etw_flt WHERE %s"
		 " AND n > 0 GROUP BY module_id, pid ORDER BY SUM(total_ns) DESC LIMIT 20", where);
	snprintf(sql[3], sizeof sql[3], "SELECT t_ns, delay_ns, module_id, major, post, pid, tid,"
		 " cpu, file FROM etw_flt_slow WHERE %s ORDER BY rank", where);
	static const char *const keys[4] = {"rows", "by_file", "by_process", "slowest"};
	const char *const *cols[4] = {row_cols, file_cols, proc_cols, slow_cols};
	for (int i = 0; i < 4; i++)
		if (rows_json(db, run_id, sql[i], cols[i], cJSON_AddArrayToObject(o, keys[i]), err,
			      errlen) < 0)
			return -1;
	return 0;
}
