/* db.h — the SQLite store: opening with the project's pragmas, schema migrations,
 * the ingest sink that writes one run per transaction, and the read queries. */
#ifndef ETLSCOPE_DB_H
#define ETLSCOPE_DB_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "sink.h"

#define DB_PUBLIC_ID_LEN 32 /* hex characters: 128 random bits */

/* DB_PRIVATE: read-write by this connection alone (a run file being written): rollback
 * journal instead of WAL. */
enum db_open_mode { DB_READWRITE, DB_READONLY, DB_PRIVATE };

/* Open (creating and migrating when read-write) the database at path. On failure returns
 * NULL and writes a message into err. */
sqlite3 *db_open(const char *path, enum db_open_mode mode, char *err, size_t errlen);
/* A bare connection (sqlite3_open_v2 flags; busy timeout, extended codes), no schema work:
 * what db_open and the catalog's connections share. NULL with err. */
sqlite3 *db_connect(const char *path, int flags, char *err, size_t errlen);
/* Finalizes statements still kept on db (prepared once per connection), then closes it. */
void db_close(sqlite3 *db);
/* A statement for sql prepared once per connection and kept on it until db_close (for the
 * queries of every request: parsing them cost more than running them). One in use (a
 * nested call) is never returned: another is prepared and kept. After use hand it back
 * with db_kept_done (reset, bindings cleared). NULL on error. Only for connections closed
 * with db_close (sqlite3_close fails while statements are kept). */
sqlite3_stmt *db_kept_stmt(sqlite3 *db, const char *sql);
void db_kept_done(sqlite3_stmt *st);

/* Schema version the code expects, and the migration runner (idempotent). */
int db_schema_version(void);
int db_migrate(sqlite3 *db, char *err, size_t errlen);

/* The driver knowledge base table (db_kb.c): db_kb_sync replaces kb_drivers with the
 * built-in rows in one transaction when the stored version differs from kb_version()
 * (db_open calls it); db_kb_stored_version gives 0 and the version, 1 when none, -1. */
int db_kb_sync(sqlite3 *db, char *err, size_t errlen);
int db_kb_stored_version(sqlite3 *db, char *out, size_t outlen);

/* Fill out with n random bytes as lowercase hex (2n chars + NUL). 0 on success. */
int db_random_hex(char *out, size_t nbytes);

/* Time now, microseconds since the Unix epoch. */
int64_t db_now_us(void);

/* ---- ingest sink: one run, one transaction ---- */
struct db_run_input {
	const char *name;      /* shown in the UI; defaults to file_name */
	const char *file_name; /* the uploaded file's name (untrusted) */
	int64_t file_size;
};

struct db_sink;

/* Begin a run: opens a write transaction. */
struct db_sink *db_sink_begin(sqlite3 *db, const struct db_run_input *in, char *err,
			      size_t errlen);
const struct ingest_sink *db_sink_iface(struct db_sink *s);
/* Finish: record format/status, commit. public_id and edit_token (either may be NULL)
 * receive DB_PUBLIC_ID_LEN+1 chars each. On failure everything is rolled back. */
int db_sink_commit(struct db_sink *s, const char *format, int partial, int64_t *run_id,
		   char *public_id, char *edit_token, char *err, size_t errlen);
/* Record the upload job that makes this run, in the run's transaction (db_job_run). */
int db_sink_set_job(struct db_sink *s, const char *job_id, char *err, size_t errlen);
/* The run's file size, when it was not known at db_sink_begin (a streamed upload). */
int db_sink_set_file_size(struct db_sink *s, int64_t size, char *err, size_t errlen);
/* Roll back everything this run wrote and free the sink. */
void db_sink_abort(struct db_sink *s);
/* The run-status rule, one for every format: a run is partial when its parser said so
 * (summary "partial": true) or when a "truncated" warning says the file was cut off
 * mid-record (text logs, .blg). Marks the summary "partial": true to match. 1 or 0. */
int db_sink_partial(struct db_sink *s);
/* The summary the parser reported (NULL before it did). */
const struct cJSON *db_sink_summary(const struct db_sink *s);

/* ---- one file into one run (detect, parse, store; all or nothing) ---- */
struct db_import_result {
	int format;             /* enum ingest_format */
	int partial;            /* the parser stopped early but kept what it read */
	int64_t run_id;
	char public_id[DB_PUBLIC_ID_LEN + 1];
	char edit_token[DB_PUBLIC_ID_LEN + 1];
	struct cJSON *summary;  /* owned by the caller: cJSON_Delete */
};
/* 0 stored; 1 rejected as bad input (err says why, nothing stored); -1 storage error. */
int db_import_file(sqlite3 *db, const char *path, const struct db_run_input *in,
		   struct db_import_result *res, char *err, size_t errlen);
/* db_import_file() with the user's ingest options (opts may be NULL). */
struct ingest_options;
int db_import_file_ex(sqlite3 *db, const char *path, const struct db_run_input *in,
		      const struct ingest_options *opts, struct db_import_result *res,
		      char *err, size_t errlen);

/* The same for an upload: the run commits together with the job id that made it. */
int db_import_upload(sqlite3 *db, const char *path, const struct db_run_input *in,
		     const struct ingest_options *opts, const char *job_id,
		     struct db_import_result *res, char *err, size_t errlen);


/* The run an upload job made, for a job the server no longer holds in memory (it was
 * restarted, or the job left its table): 0 found, 1 none, -1 error. */
struct db_job_run {
	char public_id[DB_PUBLIC_ID_LEN + 1];
	char edit_token[DB_PUBLIC_ID_LEN + 1];
	char format[32];
	char file_name[256];
	int partial;
};
int db_job_run(sqlite3 *db, const char *job_id, struct db_job_run *out);

/* ---- reads ---- */
struct db_run {
	int64_t id;
	char public_id[DB_PUBLIC_ID_LEN + 1];
	char *name, *notes, *file_name, *format, *status, *summary; /* summary: JSON text */
	int64_t file_size, created_us, start_utc_us, duration_us, expires_us;
	int has_start, has_expiry;
};

/* 0 found, 1 no such run, -1 error. Free with db_run_clear. */
int db_run_get(sqlite3 *db, const char *public_id, struct db_run *out);
/* Same, with the query kept on db (db_kept_stmt: only for connections closed with
 * db_close): the catalog's lookup of every run request. */
int db_run_get_kept(sqlite3 *db, const char *public_id, struct db_run *out);
void db_run_clear(struct db_run *r);
/* Run run_id's public id into out (len ≥ DB_PUBLIC_ID_LEN + 1): 0 found, 1 no such run,
 * -1 error; out is "" unless 0. */
int db_run_public_id(sqlite3 *db, int64_t run_id, char *out, size_t len);
/* Newest first. cb returns non-zero to stop. */
int db_run_list(sqlite3 *db, int (*cb)(void *ud, const struct db_run *r), void *ud);

struct db_warning {
	const char *code, *message;
	int64_t count;
};
int db_run_warnings(sqlite3 *db, int64_t run_id,
		    int (*cb)(void *ud, const struct db_warning *w), void *ud);

struct db_counter {
	uint32_t idx;
	const char *path, *machine, *object, *instance, *counter; /* instance may be NULL */
	int cpu;
	uint32_t counter_type;
};
int db_counters(sqlite3 *db, int64_t run_id, int (*cb)(void *ud, const struct db_counter *c),
		void *ud);

/* Each counter's extremes over the whole run, from the per-chunk summaries the sink stored
 * (no series is read): lowest and highest value and how many values. Counters with no
 * value are not reported. cb returns non-zero to stop. */
struct db_counter_range {
	uint32_t idx;
	double vmin, vmax;
	int64_t count;
};
int db_counter_ranges(sqlite3 *db, int64_t run_id,
		      int (*cb)(void *ud, const struct db_counter_range *r), void *ud);

/* Counter series over [from_us, to_us] (inclusive; INT64_MIN/INT64_MAX for all),
 * reduced to at most `points` time buckets (0 = no reduction). */
struct db_series_query {
	int64_t run_id;
	const uint32_t *counters;
	size_t ncounters;
	int64_t from_us, to_us;
	uint32_t points;
};
struct db_series {
	size_t n;      /* points returned */
	size_t raw;    /* samples in the window before reduction */
	int64_t *t;    /* [n] bucket start (or sample) times, µs UTC */
	double *mean;  /* [ncounters * n], NaN = no value */
	double *max;   /* [ncounters * n] */
	double *whole; /* [ncounters] each counter's mean over the whole window, summed in
			* sample order: the same value a read with points = 1 gives */
};
int db_series_read(sqlite3 *db, const struct db_series_query *q, struct db_series *out,
		   char *err, size_t errlen);
void db_series_clear(struct db_series *s);


/* ---- edits (db_edit.c); callers check authority first ---- */
struct db_run_edit {
	const char *name, *notes; /* NULL = unchanged */
	int set_expiry;           /* 1: replace expiry with has_expiry ? expires_us : none */
	int has_expiry;
	int64_t expires_us;
};
int db_token_equal(const char *a, const char *b); /* constant time; empty never matches */
int db_run_edit_token(sqlite3 *db, int64_t run_id, char *token, size_t len);
int db_run_update(sqlite3 *db, int64_t run_id, const struct db_run_edit *e);
int db_run_delete(sqlite3 *db, int64_t run_id);
/* Delete runs whose expiry has passed; returns how many, or -1. */
int db_purge_expired(sqlite3 *db, int64_t now_us);

#endif
