/* db_catalog.h — the catalog every server shares (docs/team.md): the runs' rows (names,
 * notes, edit tokens, expiry, summaries), which file version holds each run, which upload
 * job made which run, and the upload jobs themselves. Two backends behind one table of
 * operations: SQLite (db_catalog_sqlite.c, the embedded default: a file beside the data
 * directory) and PostgreSQL (db_catalog_pg.c, team mode: `--catalog postgresql://…`).
 * Nothing else in the program writes catalog SQL.
 *
 * A connection (struct db_catalog) belongs to one thread. Operations return 0 on success,
 * 1 where they say "not found/not done", -1 on error with db_catalog_errmsg saying why.
 *
 * Invariants (both backends): a run is visible iff its runs row exists, and that row is
 * written only in the transaction that sets its run_files version from 0 to 1 (publish);
 * run ids come from run_files and are never reused; a job in a live state (receiving,
 * queued, ingesting) has an owner whose lease is in the future, or is about to be marked
 * failed by whichever server sees it expired; a job is "done" only in the transaction that
 * publishes its run. */
#ifndef ETLSCOPE_DB_CATALOG_H
#define ETLSCOPE_DB_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "db.h"

/* A visible run as the catalog has it: its row, its current file version (0: its rows are
 * still in an SQLite catalog, see db_store_adopt.c), and its edit token. */
struct db_catalog_run {
	struct db_run run;
	int64_t version;
	char edit_token[DB_PUBLIC_ID_LEN + 1];
};

/* An upload job as any server can answer it (GET /api/jobs/{id}). */
#define DB_JOB_ID_LEN 32
enum db_job_state { DB_JOB_RECEIVING, DB_JOB_QUEUED, DB_JOB_INGESTING, DB_JOB_DONE,
		    DB_JOB_FAILED };
struct db_job {
	char id[DB_JOB_ID_LEN + 1];
	enum db_job_state state;
	char file_name[256];
	char error[256];
	int64_t received, expected; /* expected < 0: unknown */
	struct db_job_run run;      /* state DB_JOB_DONE: the run it made */
};
const char *db_job_state_name(enum db_job_state s);
/* The state named s (as db_job_state_name writes it); unknown names: DB_JOB_FAILED. */
enum db_job_state db_job_state_parse(const char *s);

/* The error of a job whose server's lease expired (job_expire). */
#define DB_JOB_LEASE_EXPIRED                                                              \
	"the server receiving or ingesting this upload stopped before it finished (its lease" \
	" expired); upload the file again"

struct db_catalog;
struct db_catalog_ops {
	void (*close)(struct db_catalog *c);
	const char *(*errmsg)(struct db_catalog *c);
	/* ---- runs ---- */
	/* Visible, unexpired runs, newest first; cb returns non-zero to stop. */
	int (*run_list)(struct db_catalog *c, int (*cb)(void *ud, const struct db_run *r),
			void *ud);
	/* 0 found (free out->run with db_run_clear), 1 none. */
	int (*run_get)(struct db_catalog *c, const char *public_id, struct db_catalog_run *out);
	int (*run_update)(struct db_catalog *c, int64_t run_id, const struct db_run_edit *e);
	int (*run_delete)(struct db_catalog *c, int64_t run_id);
	/* Runs whose expiry passed are deleted: how many, or -1. */
	int (*purge_expired)(struct db_catalog *c, int64_t now_us);
	/* 0 with the run an upload job made, 1 none. */
	int (*job_run)(struct db_catalog *c, const char *job_id, struct db_job_run *out);
	/* ---- run files ---- */
	/* A new run id, reserved (version 0) by owner (this server). */
	int (*reserve)(struct db_catalog *c, const char *owner, int64_t *run_id);
	int (*unreserve)(struct db_catalog *c, int64_t run_id);
	/* One transaction: insert row (row->id, reserved) with token, record job_id (may be
	 * NULL) as done with this run — refused (1) unless job_id is still live and owned by
	 * owner —, and make version 1 current. */
	int (*publish)(struct db_catalog *c, const struct db_run *row, const char *token,
		       const char *job_id, const char *owner);
	/* The current version of a visible run: > 0, 0 when none, -1 error. */
	int64_t (*version)(struct db_catalog *c, int64_t run_id);
	/* Compare-and-set from → from + 1: 0 switched, 1 the run changed or went. */
	int (*version_step)(struct db_catalog *c, int64_t run_id, int64_t from);
	/* Forget the files of runs no longer visible, calling gone for each (to unlink it). */
	int (*sweep)(struct db_catalog *c, void (*gone)(void *ud, int64_t run_id, int64_t v),
		     void *ud);
	/* Every published file: cb(ud, run_id, version); cb non-zero stops (returned). */
	int (*files)(struct db_catalog *c, int (*cb)(void *ud, int64_t run_id, int64_t v),
		     void *ud);
	/* Reservations of owners whose lease has expired are dropped, dropped(ud, run_id)
	 * hearing each (to remove its file being written); 0, or -1. */
	int (*drop_reservations)(struct db_catalog *c, int64_t now_us,
				 void (*dropped)(void *ud, int64_t run_id), void *ud);
	/* ---- servers and jobs (durable queue, leases) ---- */
	/* This server is alive until until_us; and its live jobs' leases are renewed. */
	int (*heartbeat)(struct db_catalog *c, const char *owner, int64_t until_us);
	/* Other servers whose lease has not expired: count, or -1. */
	int (*others_alive)(struct db_catalog *c, const char *owner, int64_t now_us);
	/* Live servers (lease after now_us): cb(ud, owner) for each; cb non-zero stops. */
	int (*server_list)(struct db_catalog *c, int64_t now_us,
			   int (*cb)(void *ud, const char *owner), void *ud);
	/* A server known to be gone (stopped, or its process dead): its row and reservations
	 * dropped, its live jobs failed with why. */
	int (*server_forget)(struct db_catalog *c, const char *owner, const char *why,
			     void (*dropped)(void *ud, int64_t run_id), void *ud);
	int (*job_create)(struct db_catalog *c, const struct db_job *j, const char *owner,
			  int64_t lease_until_us);
	/* Progress of a job being received (state, received bytes, error when failed). */
	int (*job_set)(struct db_catalog *c, const char *job_id, const char *owner,
		       enum db_job_state state, int64_t received, const char *error);
	/* Take job_id (queued, ours) for ingest: 0 claimed (now ingesting), 1 not ours any more
	 * (failed after its lease expired). PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED. */
	int (*job_claim)(struct db_catalog *c, const char *job_id, const char *owner);
	/* 0 with the job, 1 none. */
	int (*job_get)(struct db_catalog *c, const char *job_id, struct db_job *out);
	/* Live jobs whose lease expired become failed: how many, or -1. */
	int (*job_expire)(struct db_catalog *c, int64_t now_us);
};

struct db_catalog {
	const struct db_catalog_ops *ops;
};

/* Is url a PostgreSQL connection URI (postgresql:// or postgres://)? */
int db_catalog_is_pg(const char *url);
/* Create or migrate the catalog at url (a path: SQLite; a URI: PostgreSQL) under its
 * migration lock, before any connection is used. 0, or -1 with err. */
int db_catalog_migrate(const char *url, char *err, size_t errlen);
/* A new connection for the caller's thread; NULL with err. */
struct db_catalog *db_catalog_open(const char *url, char *err, size_t errlen);
/* An SQLite catalog over a connection the caller keeps (tests, tools) and closes with
 * db_close (the catalog keeps its lookups on it: db_kept_stmt); NULL: no memory. */
struct db_catalog *db_catalog_sqlite_wrap(sqlite3 *db);
/* The SQLite connection of an SQLite catalog; NULL for PostgreSQL. */
sqlite3 *db_catalog_sqlite(struct db_catalog *c);
void db_catalog_close(struct db_catalog *c);
const char *db_catalog_errmsg(struct db_catalog *c);

/* backends */
struct db_catalog *db_catalog_sqlite_open(const char *path, char *err, size_t errlen);
int db_catalog_sqlite_migrate(const char *path, char *err, size_t errlen);
struct db_catalog *db_catalog_pg_open(const char *url, char *err, size_t errlen);
int db_catalog_pg_migrate(const char *url, char *err, size_t errlen);

#endif
