/* db_sink.c — the SQLite ingest sink: buffers perfmon rows into fixed-size chunks per
 * counter and writes them as blobs, and hands ETW records to db_etw_sink.c, all inside one
 * write transaction per run, so a failed ingest leaves the database exactly as it was. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "db.h"
#include "db_etw_sink.h"
#include "db_io.h"
#include "db_report.h"
#include "db_sched.h"
#include "db_writeback.h"

#define CHUNK_VALUES_BUDGET (1u << 20) /* doubles buffered across all counters */
#define CHUNK_MAX 4096
#define CHUNK_MIN 64
#define MAX_WARNING_KINDS 200

struct warn {
	char *code, *message;
	int64_t count;
};

struct db_sink {
	sqlite3 *db;
	struct ingest_sink iface;
	int64_t run_id;
	char err[256];
	int failed;

	/* counters */
	uint32_t ncounters, cap_counters;
	double **values; /* [counter][chunk_len] */
	sqlite3_stmt *ins_counter, *ins_times, *ins_series, *ins_values;

	/* current chunk */
	uint32_t chunk_len, fill, chunk_no;
	int64_t first_idx, nsamples;
	int64_t *times;

	struct warn warns[MAX_WARNING_KINDS];
	int nwarns;
	int64_t start_us, end_us;
	cJSON *summary;
	struct db_etw *etw; /* ETW records: modules, DPC/ISR, CPU samples */
	struct db_report *report; /* pre-bucketed histograms of text reports */
	struct db_sched *sched;   /* scheduling and syscall aggregates */
	struct db_io *io; /* disk and file I/O of ETW runs */
	int64_t old_temp_store, old_foreign_keys; /* the connection's, + 1 (0: untouched) */
	struct db_writeback wb; /* the run file written back as it grows (issue 17's tail) */
};

static int fail(struct db_sink *s, const char *what)
{
	if (!s->failed)
		snprintf(s->err, sizeof s->err, "%s: %s", what, sqlite3_errmsg(s->db));
	s->failed = 1;
	return -1;
}

static int flush_chunk(struct db_sink *s)
{
	if (s->fill == 0)
		return 0;
	sqlite3_stmt *t = s->ins_times;
	sqlite3_reset(t);
	sqlite3_bind_int64(t, 1, s->run_id);
	sqlite3_bind_int64(t, 2, s->chunk_no);
	sqlite3_bind_int64(t, 3, s->first_idx);
	sqlite3_bind_int64(t, 4, s->fill);
	sqlite3_bind_int64(t, 5, s->times[0]);
	sqlite3_bind_int64(t, 6, s->times[s->fill - 1]);
	sqlite3_bind_blob(t, 7, s->times, (int)(s->fill * sizeof(int64_t)), SQLITE_STATIC);
	if (sqlite3_step(t) != SQLITE_DONE)
		return fail(s, "storing sample times");

	for (uint32_t c = 0; c < s->ncounters; c++) {
		double *v = s->values[c], mn = INFINITY, mx = -INFINITY, sum = 0;
		int64_t cnt = 0;
		for (uint32_t i = 0; i < s->fill; i++) {
			if (isnan(v[i]))
				continue;
			if (v[i] < mn)
				mn = v[i];
			if (v[i] > mx)
				mx = v[i];
			sum += v[i];
			cnt++;
		}
		if (cnt == 0)
			continue; /* an absent chunk reads back as all-missing */
		sqlite3_stmt *q = s->ins_series;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, s->run_id);
		sqlite3_bind_int64(q, 2, c);
		sqlite3_bind_int64(q, 3, s->chunk_no);
		sqlite3_bind_double(q, 4, mn);
		sqlite3_bind_double(q, 5, mx);
		sqlite3_bind_double(q, 6, sum);
		sqlite3_bind_int64(q, 7, cnt);
		if (sqlite3_step(q) != SQLITE_DONE)
			return fail(s, "storing counter values");
		q = s->ins_values; /* the values apart from the key: see migration 18 */
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, s->run_id);
		sqlite3_bind_int64(q, 2, c);
		sqlite3_bind_int64(q, 3, s->chunk_no);
		sqlite3_bind_blob(q, 4, v, (int)(s->fill * sizeof(double)), SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			return fail(s, "storing counter values");
	}
	s->first_idx += s->fill;
	s->chunk_no++;
	s->fill = 0;
	return 0;
}

static double *new_column(struct db_sink *s)
{
	double *v = malloc(sizeof(double) * s->chunk_len);
	if (v)
		for (uint32_t i = 0; i < s->chunk_len; i++)
			v[i] = NAN;
	return v;
}

static int sink_counter(void *ud, const struct sink_counter *c, uint32_t *out_index)
{
	struct db_sink *s = ud;
	if (s->failed)
		return -1;
	if (s->ncounters == s->cap_counters) {
		uint32_t cap = s->cap_counters ? s->cap_counters * 2 : 64;
		double **nv = realloc(s->values, sizeof(double *) * cap);
		if (!nv) {
			snprintf(s->err, sizeof s->err, "out of memory");
			s->failed = 1;
			return -1;
		}
		s->values = nv;
		s->cap_counters = cap;
	}
	s->values[s->ncounters] = NULL;
	if (s->chunk_len) { /* counters added after rows started: a full column now */
		if (!(s->values[s->ncounters] = new_column(s))) {
			snprintf(s->err, sizeof s->err, "out of memory");
			s->failed = 1;
			return -1;
		}
	}
	sqlite3_stmt *q = s->ins_counter;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, s->run_id);
	sqlite3_bind_int64(q, 2, s->ncounters);
	sqlite3_bind_text(q, 3, c->path ? c->path : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, c->machine ? c->machine : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, c->object ? c->object : "", -1, SQLITE_TRANSIENT);
	if (c->instance)
		sqlite3_bind_text(q, 6, c->instance, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 6);
	sqlite3_bind_text(q, 7, c->counter ? c->counter : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 8, c->cpu);
	sqlite3_bind_int64(q, 9, c->counter_type);
	if (sqlite3_step(q) != SQLITE_DONE)
		return fail(s, "storing counter");
	*out_index = s->ncounters++;
	return 0;
}

static int sink_sample(void *ud, int64_t t_us, const double *values, size_t n)
{
	struct db_sink *s = ud;
	if (s->failed)
		return -1;
	if (!s->chunk_len) { /* first row: size chunks so the buffer stays bounded */
		uint32_t per = s->ncounters ? CHUNK_VALUES_BUDGET / s->ncounters : CHUNK_MAX;
		s->chunk_len = per > CHUNK_MAX ? CHUNK_MAX : per < CHUNK_MIN ? CHUNK_MIN : per;
		s->times = malloc(sizeof(int64_t) * s->chunk_len);
		if (!s->times)
			goto oom;
		for (uint32_t c = 0; c < s->ncounters; c++)
			if (!(s->values[c] = new_column(s)))
				goto oom;
	}
	if (n > s->ncounters)
		n = s->ncounters;
	s->times[s->fill] = t_us;
	for (size_t c = 0; c < n; c++)
		s->values[c][s->fill] = values[c];
	for (size_t c = n; c < s->ncounters; c++)
		s->values[c][s->fill] = NAN;
	if (s->nsamples == 0 || t_us < s->start_us)
		s->start_us = t_us;
	if (s->nsamples == 0 || t_us > s->end_us)
		s->end_us = t_us;
	s->nsamples++;
	if (++s->fill == s->chunk_len)
		return flush_chunk(s);
	return 0;
oom:
	snprintf(s->err, sizeof s->err, "out of memory");
	s->failed = 1;
	return -1;
}

static int sink_warning(void *ud, const char *code, const char *message)
{
	struct db_sink *s = ud;
	for (int i = 0; i < s->nwarns; i++)
		if (strcmp(s->warns[i].code, code) == 0) {
			s->warns[i].count++;
			return 0;
		}
	if (s->nwarns == MAX_WARNING_KINDS)
		return 0; /* the first MAX kinds are kept; later kinds are rare by nature */
	struct warn *w = &s->warns[s->nwarns];
	w->code = strdup(code);
	w->message = strdup(message);
	if (!w->code || !w->message) {
		free(w->code);
		free(w->message);
		return 0;
	}
	w->count = 1;
	s->nwarns++;
	return 0;
}

static int sink_summary(void *ud, const struct cJSON *summary)
{
	struct db_sink *s = ud;
	cJSON_Delete(s->summary);
	s->summary = cJSON_Duplicate(summary, 1);
	return s->summary ? 0 : -1;
}

static int etw_result(struct db_sink *s, int rc)
{
	if (rc && !s->failed) {
		snprintf(s->err, sizeof s->err, "%s", db_etw_error(s->etw));
		s->failed = 1;
	}
	return rc ? -1 : 0;
}

static int sink_module(void *ud, const struct sink_module *m, int32_t *out_id)
{
	struct db_sink *s = ud;
	return s->failed ? -1 : etw_result(s, db_etw_module(s->etw, m, out_id));
}

static int sink_module_update(void *ud, int32_t id, const struct sink_module *m)
{
	struct db_sink *s = ud;
	return s->failed ? -1 : etw_result(s, db_etw_module_update(s->etw, id, m));
}

static int sink_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	struct db_sink *s = ud;
	return s->failed ? -1 : etw_result(s, db_etw_dpcisr(s->etw, e));
}

static int sink_cpu_sample(void *ud, const struct sink_cpu_sample *c)
{
	struct db_sink *s = ud;
	return s->failed ? -1 : etw_result(s, db_etw_cpu_sample(s->etw, c));
}

static int sink_task(void *ud, const struct sink_task *t)
{
	struct db_sink *s = ud;
	return s->failed ? -1 : etw_result(s, db_etw_task(s->etw, t));
}

static int report_result(struct db_sink *s, int rc)
{
	if (rc && !s->failed) {
		snprintf(s->err, sizeof s->err, "%s", db_report_error(s->report));
		s->failed = 1;
	}
	return rc ? -1 : 0;
}

static int sink_dpcisr_bucket(void *ud, const struct sink_dpcisr_bucket *b)
{
	struct db_sink *s = ud;
	return s->failed ? -1 : report_result(s, db_report_bucket(s->report, b));
}

static int sink_dpcisr_usage(void *ud, const struct sink_dpcisr_usage *u)
{
	struct db_sink *s = ud;
	return s->failed ? -1 : report_result(s, db_report_usage(s->report, u));
}

static int sched_result(struct db_sink *s, int rc)
{
	if (rc && !s->failed) {
		snprintf(s->err, sizeof s->err, "%s", db_sched_error(s->sched));
		s->failed = 1;
	}
	return rc ? -1 : 0;
}

static int io_result(struct db_sink *s, int rc)
{
	if (rc && !s->failed) {
		snprintf(s->err, sizeof s->err, "%s", db_io_error(s->io));
		s->failed = 1;
	}
	return rc ? -1 : 0;
}

/* A sink callback that hands its record to one of the aggregate stores (sched, io). */
#define AGG_CB(name, fn, type, store, result)                                               \
	static int name(void *ud, const type *r)                                            \
	{                                                                                   \
		struct db_sink *s = ud;                                                     \
		return s->failed ? -1 : result(s, fn(s->store, r));                         \
	}
AGG_CB(sink_syscall, db_sched_syscall, struct sink_syscall, sched, sched_result)
AGG_CB(sink_syscall_module, db_sched_syscall_module, struct sink_syscall_module, sched, sched_result)
AGG_CB(sink_sched_thread, db_sched_thread, struct sink_sched_thread, sched, sched_result)
AGG_CB(sink_sched_ready, db_sched_ready, struct sink_sched_ready, sched, sched_result)
AGG_CB(sink_sched_slice, db_sched_slice, struct sink_sched_slice, sched, sched_result)
AGG_CB(sink_disk_io_row, db_io_disk_row, struct sink_disk_io_row, io, io_result)
AGG_CB(sink_disk_io_slow, db_io_disk_slow, struct sink_disk_io_slow, io, io_result)
AGG_CB(sink_io_type_count, db_io_type_count, struct sink_io_type_count, io, io_result)
AGG_CB(sink_disk_queue, db_io_disk_queue, struct sink_disk_queue, io, io_result)
AGG_CB(sink_file_io_row, db_io_file_row, struct sink_file_io_row, io, io_result)
AGG_CB(sink_flt_row, db_io_flt_row, struct sink_flt_row, io, io_result)
AGG_CB(sink_flt_slow, db_io_flt_slow, struct sink_flt_slow, io, io_result)
#undef AGG_CB

static int sink_slice_facts(void *ud, const struct sink_slice_fact *f, size_t n)
{
	struct db_sink *s = ud;
	return s->failed ? -1 : sched_result(s, db_sched_facts(s->sched, f, n));
}

/* A PRAGMA's integer value, + 1 (0: unreadable). */
static int64_t pragma_get(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	return v;
}

/* The ingest's connection settings, set before BEGIN (SQLite reads both when a transaction
 * starts) and restored when the sink is freed, after COMMIT or ROLLBACK:
 * - foreign_keys off: every row the ingest writes carries the run id it inserted first in
 *   the same transaction (the only foreign key of the schema is runs(id)), so the check is
 *   a lookup per row for nothing; and with it on, every multi-row INSERT (db_batch.h) needs
 *   a statement journal of the pages it touches, since a foreign-key failure would have to
 *   undo its earlier rows.
 * - temp_store in memory: a statement journal that is still needed (an upsert) stays in
 *   memory (≤ ~1 MB for 64 rows) instead of spilling past 64 KiB to a file, one pwrite per
 *   page (1.9 M writes, +1.2 s of system time on the demo trace before this).
 * Failure to set them only costs speed. */
static void ingest_pragmas(struct db_sink *s)
{
	s->old_foreign_keys = pragma_get(s->db, "PRAGMA foreign_keys");
	s->old_temp_store = pragma_get(s->db, "PRAGMA temp_store");
	sqlite3_exec(s->db, "PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
}

static void restore_pragmas(struct db_sink *s)
{
	char sql[48];
	if (s->old_temp_store) {
		snprintf(sql, sizeof sql, "PRAGMA temp_store=%lld", (long long)s->old_temp_store - 1);
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	}
	if (s->old_foreign_keys) {
		snprintf(sql, sizeof sql, "PRAGMA foreign_keys=%lld", (long long)s->old_foreign_keys - 1);
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	}
}

/* The ETW stores gone (their unwritten rows with them). */
static void free_stores(struct db_sink *s)
{
	db_sched_free(s->sched);
	db_report_free(s->report);
	db_io_free(s->io);
	db_etw_free(s->etw);
	s->sched = NULL;
	s->report = NULL;
	s->io = NULL;
	s->etw = NULL;
}

static void clear_warnings(struct db_sink *s)
{
	for (int i = 0; i < s->nwarns; i++) {
		free(s->warns[i].code);
		free(s->warns[i].message);
	}
	s->nwarns = 0;
}

static void sink_free(struct db_sink *s)
{
	db_writeback_stop(&s->wb);
	restore_pragmas(s);
	free_stores(s);
	sqlite3_finalize(s->ins_counter);
	sqlite3_finalize(s->ins_times);
	sqlite3_finalize(s->ins_series);
	sqlite3_finalize(s->ins_values);
	for (uint32_t c = 0; c < s->ncounters; c++)
		free(s->values[c]);
	free(s->values);
	free(s->times);
	clear_warnings(s);
	cJSON_Delete(s->summary);
	free(s);
}

/* The ETW stores, fresh (at the start, and when a one-pass ETW parse starts over). */
static int begin_stores(struct db_sink *s)
{
	return !(s->etw = db_etw_begin(s->db, s->run_id, sink_warning, s)) ||
	       !(s->report = db_report_begin(s->db, s->run_id)) ||
	       !(s->sched = db_sched_begin(s->db, s->run_id)) ||
	       !(s->io = db_io_begin(s->db, s->run_id)) ? -1 : 0;
}

/* Forget what the parse stored: back to the savepoint taken after the run's row, with new
 * stores, no warnings and no summary (sink.h, restart). */
static int sink_restart(void *ud)
{
	struct db_sink *s = ud;
	if (s->failed)
		return -1;
	free_stores(s);
	clear_warnings(s);
	cJSON_Delete(s->summary);
	s->summary = NULL;
	if (sqlite3_exec(s->db, "ROLLBACK TO parse", NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, "restarting the parse");
	if (begin_stores(s) != 0) {
		snprintf(s->err, sizeof s->err, "out of memory");
		s->failed = 1;
		return -1;
	}
	return 0;
}

struct db_sink *db_sink_begin(sqlite3 *db, const struct db_run_input *in, char *err,
			      size_t errlen)
{
	struct db_sink *s = calloc(1, sizeof *s);
	char pub[DB_PUBLIC_ID_LEN + 1], token[DB_PUBLIC_ID_LEN + 1];
	sqlite3_stmt *st = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->db = db;
	s->wb.fd = -1; /* sink_free may run before the watch starts */
	ingest_pragmas(s);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot start transaction: %s", sqlite3_errmsg(db));
		sink_free(s);
		return NULL;
	}
	db_writeback_watch(&s->wb, db);
	if (db_random_hex(pub, DB_PUBLIC_ID_LEN / 2) || db_random_hex(token, DB_PUBLIC_ID_LEN / 2)) {
		snprintf(err, errlen, "no randomness available for run ids");
		goto fail;
	}
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO runs(public_id, edit_token, name, file_name, file_size,"
			       " created_us) VALUES (?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_text(st, 1, pub, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, in->name && *in->name ? in->name : in->file_name, -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, in->file_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, in->file_size);
	sqlite3_bind_int64(st, 6, db_now_us());
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(st);
	st = NULL;
	s->run_id = sqlite3_last_insert_rowid(db);
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO counters(run_id, idx, path, machine, object, instance,"
			       " counter, cpu, counter_type) VALUES (?,?,?,?,?,?,?,?,?)",
			       -1, &s->ins_counter, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO sample_times(run_id, chunk, first_idx, n, t_first,"
			       " t_last, data) VALUES (?,?,?,?,?,?,?)",
			       -1, &s->ins_times, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO series_chunks(run_id, counter_idx, chunk, vmin, vmax,"
			       " vsum, vcount) VALUES (?,?,?,?,?,?,?)",
			       -1, &s->ins_series, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO series_values(run_id, counter_idx, chunk, data)"
			       " VALUES (?,?,?,?)",
			       -1, &s->ins_values, NULL) != SQLITE_OK)
		goto sqlfail;
	s->iface.ud = s;
	s->iface.counter = sink_counter;
	s->iface.sample = sink_sample;
	s->iface.warning = sink_warning;
	s->iface.summary = sink_summary;
	if (sqlite3_exec(db, "SAVEPOINT parse", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlfail;
	if (begin_stores(s) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->iface.module_update = sink_module_update;
	s->iface.restart = sink_restart;
	s->iface.module = sink_module;
	s->iface.dpcisr = sink_dpcisr;
	s->iface.cpu_sample = sink_cpu_sample;
	s->iface.task = sink_task;
	s->iface.dpcisr_bucket = sink_dpcisr_bucket;
	s->iface.dpcisr_usage = sink_dpcisr_usage;
	s->iface.syscall = sink_syscall;
	s->iface.syscall_module = sink_syscall_module;
	s->iface.sched_thread = sink_sched_thread;
	s->iface.sched_ready = sink_sched_ready;
	s->iface.sched_slice = sink_sched_slice;
	s->iface.slice_facts = sink_slice_facts;
	s->iface.disk_io_row = sink_disk_io_row;
	s->iface.disk_io_slow = sink_disk_io_slow;
	s->iface.io_type_count = sink_io_type_count;
	s->iface.disk_queue = sink_disk_queue;
	s->iface.file_io_row = sink_file_io_row;
	s->iface.flt_row = sink_flt_row;
	s->iface.flt_slow = sink_flt_slow;
	return s;
sqlfail:
	snprintf(err, errlen, "cannot start run: %s", sqlite3_errmsg(db));
fail:
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sink_free(s);
	return NULL;
}

const struct ingest_sink *db_sink_iface(struct db_sink *s)
{
	return &s->iface;
}

static int store_warnings(struct db_sink *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO run_warnings(run_id, seq, code, message, count)"
			       " VALUES (?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(s, "storing warnings");
	for (int i = 0; i < s->nwarns; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, s->run_id);
		sqlite3_bind_int(st, 2, i);
		sqlite3_bind_text(st, 3, s->warns[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, s->warns[i].message, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, s->warns[i].count);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return fail(s, "storing warnings");
		}
	}
	sqlite3_finalize(st);
	return 0;
}

/* A summary number as int64: NaN and values beyond the range (a damaged file) clamp. */
static int64_t clamp_i64(double v)
{
	if (!(v > -9.2e18))
		return v < 0 ? INT64_MIN : 0;
	return v < 9.2e18 ? (int64_t)v : INT64_MAX;
}

/* Start and duration: the parser's summary knows best (ETW header); else sample times. */
static void run_span(struct db_sink *s, int64_t *start, int64_t *dur, int *has)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(s->summary, "start_utc_us");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(s->summary, "duration_us");
	*has = 0;
	if (cJSON_IsNumber(a)) {
		*start = clamp_i64(a->valuedouble);
		*dur = cJSON_IsNumber(d) ? clamp_i64(d->valuedouble) : 0;
		*has = 1;
	} else if (s->nsamples) {
		*start = s->start_us;
		if (__builtin_sub_overflow(s->end_us, s->start_us, dur))
			*dur = INT64_MAX;
		*has = 1;
	}
}

/* The upload job that made this run commits with it: after a crash its uploader can still
 * ask the job for the run and its edit token. */
int db_sink_set_job(struct db_sink *s, const char *job_id, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(s->db, "INSERT INTO upload_jobs(job_id, run_id) VALUES (?,?)",
				    -1, &st, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, s->run_id);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	if (!ok)
		snprintf(err, errlen, "cannot record the upload job: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

int db_sink_set_file_size(struct db_sink *s, int64_t size, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(s->db, "UPDATE runs SET file_size = ? WHERE id = ?", -1, &st,
				    NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_int64(st, 1, size);
		sqlite3_bind_int64(st, 2, s->run_id);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	if (!ok)
		snprintf(err, errlen, "cannot record the file size: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

int db_sink_commit(struct db_sink *s, const char *format, int partial, int64_t *run_id,
		   char *public_id, char *edit_token, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char *summary = NULL;
	int64_t start = 0, dur = 0;
	int has_span;

	if (!s->failed)
		flush_chunk(s);
	if (!s->failed)
		etw_result(s, db_etw_finish(s->etw));
	if (!s->failed)
		store_warnings(s);
	if (s->failed)
		goto fail;
	summary = s->summary ? cJSON_PrintUnformatted(s->summary) : NULL;
	run_span(s, &start, &dur, &has_span);
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE runs SET format=?, status=?, summary=?, start_utc_us=?,"
			       " duration_us=? WHERE id=? RETURNING public_id, edit_token",
			       -1, &st, NULL) != SQLITE_OK) {
		fail(s, "finishing run");
		goto fail;
	}
	sqlite3_bind_text(st, 1, format, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, partial ? "partial" : "ready", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, summary ? summary : "{}", -1, SQLITE_STATIC);
	if (has_span) {
		sqlite3_bind_int64(st, 4, start);
		sqlite3_bind_int64(st, 5, dur);
	}
	sqlite3_bind_int64(st, 6, s->run_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		fail(s, "finishing run");
		goto fail;
	}
	if (public_id)
		snprintf(public_id, DB_PUBLIC_ID_LEN + 1, "%s", sqlite3_column_text(st, 0));
	if (edit_token)
		snprintf(edit_token, DB_PUBLIC_ID_LEN + 1, "%s", sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, "committing run");
		goto fail;
	}
	db_writeback_now(&s->wb); /* the last pages: written while findings are derived */
	if (run_id)
		*run_id = s->run_id;
	cJSON_free(summary);
	sink_free(s);
	return 0;
fail:
	snprintf(err, errlen, "%s", s->err[0] ? s->err : "storage failed");
	sqlite3_finalize(st);
	cJSON_free(summary);
	db_sink_abort(s);
	return -1;
}

void db_sink_abort(struct db_sink *s)
{
	if (!s)
		return;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sink_free(s);
}

int db_sink_partial(struct db_sink *s)
{
	int partial = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->summary, "partial"));
	for (int i = 0; i < s->nwarns && !partial; i++)
		partial = strcmp(s->warns[i].code, "truncated") == 0;
	if (partial && s->summary && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->summary,
										    "partial"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(s->summary, "partial");
		cJSON_AddBoolToObject(s->summary, "partial", 1);
	}
	return partial;
}

const struct cJSON *db_sink_summary(const struct db_sink *s)
{
	return s->summary;
}
