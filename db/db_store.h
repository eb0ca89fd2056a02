/* db_store.h — runs as immutable files (docs/team.md). The catalog (db_catalog.h: SQLite by
 * default, PostgreSQL in team mode) holds the runs' rows (names, notes, edit tokens, expiry,
 * which job made which run), run_files (each run's current file version) and the upload
 * job queue; every run's
 * analysis rows live in a file of their own, <runs_dir>/run-<id>.v<version>.db, with the same
 * schema and migrations. A run file is written aside, renamed into place and published by
 * one catalog transaction; it is never written again: re-symbolisation and re-analysis write
 * version+1 and switch the catalog to it atomically. Readers open run files read-only
 * through db_run_open (db_reader.c).
 *
 * Invariants: a run is visible (in the catalog's runs table) only once its file is complete,
 * flushed and in place; a run_files row with version 0 is a reservation of an ingest in
 * flight and has no visible run; a run file's runs row carries an empty edit token (the
 * token lives in the catalog only, so a file can be handed out); run ids are never reused. */
#ifndef ETLSCOPE_DB_STORE_H
#define ETLSCOPE_DB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "db.h"

struct db_store;
struct db_catalog;

/* How long a server, its reservations and its jobs stay alive after a heartbeat unless
 * given otherwise (--lease). */
#define DB_STORE_LEASE_S 30

/* Open (create, migrate) the catalog at catalog_path and the run directory runs_dir
 * (created when missing). A database written by releases before run files (every run's
 * rows in one file) converts on the way: each run is copied into its own file, and the old
 * file is first copied to catalog_path + ".single-file.bak". Leftovers of an ingest cut
 * short (reservations, temporary and orphaned files) are removed. NULL with err. */
typedef int (*db_store_fn)(void *ud, sqlite3 *db, int64_t run_id, char *err, size_t errlen);
/* finish (may be NULL) completes each converted run's file before it is published, and
 * every new version db_store_run_modify writes (the server stores its findings there:
 * names arriving drop the stored ones, and run files are read-only once published). */
struct db_store *db_store_open(const char *catalog, const char *runs_dir, db_store_fn finish,
			       void *finish_ud, char *err, size_t errlen);
/* db_store_open with this server's lease in seconds (0: DB_STORE_LEASE_S). catalog is a
 * path (SQLite) or a postgresql:// URI. Several servers may share one catalog and one
 * runs_dir: each is an owner in the catalog, alive while it heartbeats. */
struct db_store *db_store_open_leased(const char *catalog, const char *runs_dir, int lease_s,
				      db_store_fn finish, void *finish_ud, char *err,
				      size_t errlen);
/* db_store_open_leased, told of a server known to be gone: predecessor (may be NULL or "")
 * is the db_store_owner the previous server on this data directory wrote into the lock
 * file that is ours now; it is forgotten at once (its jobs failed, its reservations and
 * their files dropped) instead of after its lease. */
struct db_store_start {
	const char *predecessor;
};
struct db_store *db_store_open_after(const char *catalog, const char *runs_dir, int lease_s,
				     const struct db_store_start *start, db_store_fn finish,
				     void *finish_ud, char *err, size_t errlen);
void db_store_free(struct db_store *st);

/* A new connection to the catalog for the caller's thread; NULL with err. */
struct db_catalog *db_store_catalog(struct db_store *st, char *err, size_t errlen);
/* This server's name in the catalog (its reservations and jobs) and its lease. */
const char *db_store_owner(const struct db_store *st);
int64_t db_store_lease_us(const struct db_store *st);
/* Renew this server's lease (and its live jobs'), then mark failed the live jobs of any
 * server whose lease expired: how many, or -1. Call at least every lease / 3. */
int db_store_heartbeat(struct db_store *st);

/* The name of run_id's file at version (>= 1). 0, or -1 when it does not fit. */
int db_store_run_path(const struct db_store *st, int64_t run_id, int64_t version, char *out,
		      size_t outlen);

/* ---- a new run ---- */
struct db_run_writer {
	int64_t run_id;  /* reserved in the catalog; the one run imported into db gets it */
	sqlite3 *db;     /* read-write connection on the file being written */
	char path[4096]; /* its temporary name */
};
/* Reserve a run id and create its file aside; import exactly one run into w->db (e.g.
 * db_import_upload), which gets run_id. 0, or -1 with err. */
int db_store_run_begin(struct db_store *st, struct db_run_writer *w, char *err, size_t errlen);
/* Close the finished file, flush it, rename it into place and publish the run (with the
 * upload job that made it, job_id may be NULL) in one catalog transaction. On failure
 * nothing is visible and the file is removed. 0, or -1 with err. */
int db_store_run_publish(struct db_store *st, struct db_run_writer *w, const char *job_id,
			 char *err, size_t errlen);
/* Drop a run being written: its file and its reservation. */
void db_store_run_abandon(struct db_store *st, struct db_run_writer *w);

/* ---- a new version of a stored run ---- */
/* Copy run_id's current file, let fn change the copy (symbols, findings), flush it and
 * switch the catalog to it; the old version is unlinked (open readers keep reading it).
 * Changes of one run are serialised. 0; 1 when the run is gone; -1 with err (fn's too). */
int db_store_run_modify(struct db_store *st, int64_t run_id, db_store_fn fn, void *ud,
			char *err, size_t errlen);

/* ---- a run file from outside (db_run_check.c; POST /api/runs/import) ---- */
/* Open path read-only on a fresh connection with defensive settings; NULL with why. */
sqlite3 *db_run_file_open_untrusted(const char *path, char *why, size_t len);
/* Close u (may be NULL) and remove path with the "-wal", "-shm" and "-journal" files SQLite
 * makes beside it: a file whose header says WAL mode gets them even when opened read-only, and
 * nothing else would remove them from the spool directory. */
void db_run_file_close_untrusted(sqlite3 *u, const char *path);
/* Header, quick_check, schema (equal to ours), rows (one run, its rows only, counts and
 * value types bounded). 0 valid with *run_id the file's run; 1 refused (why says why,
 * naming nothing from the file); -1 error. */
int db_run_file_validate(sqlite3 *u, int64_t *run_id, char *why, size_t len);
/* Copy the validated file's run into the run file being written (db_run_writer.db) as run
 * to_id, with a new public id and edit token, value by value through our own statements;
 * name (may be NULL) replaces the recorded name. Findings are not copied. 0, or -1. */
int db_run_file_copy(sqlite3 *u, sqlite3 *w, int64_t to_id, const char *name, char *err,
		     size_t errlen);

/* ---- for db_store.c's helpers (db_store_adopt.c) ---- */
/* Flush a finished file, rename it to run_id's version and flush the directory. */
int db_store_place(const struct db_store *st, const char *tmp, int64_t run_id, int64_t version,
		   char *err, size_t errlen);
/* Create a fresh run file (schema, KB) at path, open read-write for bulk writing. */
sqlite3 *db_store_file_create(const char *path, char *err, size_t errlen);
/* Move every run of the catalog that has no file yet into a file of its own. */
int db_store_adopt(struct db_store *st, sqlite3 *cat, db_store_fn finish, void *ud, char *err,
		   size_t errlen);
const char *db_store_dir(const struct db_store *st);
const char *db_store_catalog_path(const struct db_store *st);

/* Delete runs whose expiry has passed, then the files of runs no longer in the catalog
 * (deleted or expired), then the files of versions a newer version replaced at least
 * DB_STORE_REPLACED_GRACE_S ago (db_store_run_modify leaves them: a reader that looked the
 * run up a moment before the switch still opens the version it was told). Returns how many
 * runs were purged, or -1. */
int db_store_sweep(struct db_store *st);
#define DB_STORE_REPLACED_GRACE_S 60
/* db_store_sweep with the replaced versions' grace in seconds (tests: 0). */
int db_store_sweep_grace(struct db_store *st, int64_t grace_s);

/* ---- readers (db_reader.c): one per thread ---- */
struct db_reader;
struct db_reader *db_reader_new(struct db_store *st, char *err, size_t errlen);
void db_reader_free(struct db_reader *r);
/* The reader's catalog connection: run lists, edits, job status. */
struct db_catalog *db_reader_catalog(struct db_reader *r);
/* An empty database with the analysis schema (no runs): answers for requests that name
 * no run (compare's 400 and 404); owned by the reader. NULL with err. */
sqlite3 *db_reader_empty(struct db_reader *r, char *err, size_t errlen);
/* THE way to a run's rows: the read-only handle of public_id's current file, on which the
 * analysis queries work unchanged; its runs row shows the catalog's name, notes, expiry and
 * edit token. Borrowed from a small cache of open handles (valid until the reader's next
 * db_run_open or db_reader_free; never close it). NULL when no such run (or unexpired run
 * whose file cannot be opened: err says why). A run not yet moved into a file of its own
 * (written by `etlscope ingest` into the catalog while the server runs) is read from the
 * catalog connection. */
sqlite3 *db_run_open(struct db_reader *r, const char *public_id, char *err, size_t errlen);
/* The file version of the handle db_run_open returned last (0: the catalog's rows, or
 * none). Answers kept by ETag include it: a new version is a new answer (server/cache.c). */
int64_t db_reader_version(const struct db_reader *r);
/* The run's current file, open read-only for sending it whole (export): an fd with *size
 * set; -1 no such run, -2 not in a file yet, -3 cannot open it (err says which). */
int db_run_file_open(struct db_reader *r, const char *public_id, int64_t *size, char *err,
		     size_t errlen);
/* The header fields that mark a run file: PRAGMA application_id ("ETLR"); PRAGMA
 * user_version is its schema version (db_schema_version()). */
#define DB_RUN_FILE_APP_ID 0x45544c52
/* One connection over the files of several runs (compare): every analysis table is a view
 * over all of them (run ids are unique across files). Unknown ids are skipped. Close it with
 * db_close. NULL with err. */
sqlite3 *db_run_open_set(struct db_reader *r, const char *const *public_ids, int n, char *err,
			 size_t errlen);

#endif
