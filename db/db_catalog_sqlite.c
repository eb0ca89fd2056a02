/* db_catalog_sqlite.c — the catalog in an SQLite file (db_catalog.h), the embedded default.
 * The file has the analysis schema (db_open: runs, upload_jobs, … without analysis rows)
 * plus the catalog's own tables, created by the catalog migrations below and recorded in
 * catalog_version: run_files (each run's current file version, or 0: reserved by owner),
 * servers (who is alive until when) and jobs (the durable upload queue). Writers are
 * serialised by SQLite's one write lock, which is what claiming a job needs here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_catalog.h"

struct cat_sqlite {
	struct db_catalog base;
	sqlite3 *db;
	int owned; /* closed with the catalog */
};

static sqlite3 *dbof(struct db_catalog *c)
{
	return ((struct cat_sqlite *)c)->db;
}

/* The catalog's own migrations, in order; catalog_version holds how many ran. */
static const char *const migrations[] = {
	/* 1: run files with their reserving server, servers' leases, the job queue */
	"CREATE TABLE IF NOT EXISTS run_files ("
	"  run_id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL DEFAULT 0);"
	"ALTER TABLE run_files ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE servers (owner TEXT PRIMARY KEY, lease_until_us INTEGER NOT NULL);"
	"CREATE TABLE jobs ("
	"  job_id TEXT PRIMARY KEY, state TEXT NOT NULL, file_name TEXT NOT NULL,"
	"  error TEXT NOT NULL DEFAULT '', received INTEGER NOT NULL DEFAULT 0,"
	"  expected INTEGER NOT NULL DEFAULT -1, owner TEXT NOT NULL,"
	"  lease_until_us INTEGER NOT NULL, created_us INTEGER NOT NULL);"
	"CREATE INDEX jobs_live ON jobs(state, lease_until_us);",
};

int db_catalog_sqlite_migrate(const char *path, char *err, size_t errlen)
{
	/* db_open creates and migrates the analysis schema (the runs table and friends) */
	sqlite3 *db = db_open(path, DB_READWRITE, err, errlen);
	sqlite3_stmt *q = NULL;
	int have = -1, rc = -1;
	if (!db)
		return -1;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS catalog_version"
			     " (version INTEGER NOT NULL);", NULL, NULL, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM catalog_version", -1,
			       &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		have = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (have < 0 || have > (int)(sizeof migrations / sizeof *migrations)) {
		snprintf(err, errlen, "the catalog %s is from a newer release", path);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		db_close(db);
		return -1;
	}
	rc = 0;
	for (int i = have; rc == 0 && i < (int)(sizeof migrations / sizeof *migrations); i++) {
		char sql[96];
		snprintf(sql, sizeof sql, "DELETE FROM catalog_version;"
					  " INSERT INTO catalog_version VALUES (%d);", i + 1);
		if (sqlite3_exec(db, migrations[i], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = -1;
	}
	if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = -1;
done:
	if (rc != 0) {
		snprintf(err, errlen, "cannot migrate the catalog %s: %s", path, sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	db_close(db);
	return rc;
}

/* One statement with bound parameters described by fmt ('i' int64, 't' text, 'n' NULL);
 * returns sqlite3_changes, or -1. A row, when the statement returns one, is ignored. */
static int run(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i')
			sqlite3_bind_int64(q, i + 1, va_arg(ap, int64_t));
		else if (fmt[i] == 't')
			sqlite3_bind_text(q, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
	}
	va_end(ap);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? sqlite3_changes(db) : -1;
}

static int begin(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int end(sqlite3 *db, int ok)
{
	if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static void s_close(struct db_catalog *c)
{
	struct cat_sqlite *s = (struct cat_sqlite *)c;
	if (s->owned)
		db_close(s->db);
	free(s);
}

static const char *s_errmsg(struct db_catalog *c)
{
	return sqlite3_errmsg(dbof(c));
}

static int s_run_list(struct db_catalog *c, int (*cb)(void *, const struct db_run *), void *ud)
{
	return db_run_list(dbof(c), cb, ud);
}

static int s_run_get(struct db_catalog *c, const char *public_id, struct db_catalog_run *out)
{
	sqlite3 *db = dbof(c);
	sqlite3_stmt *q;
	memset(out, 0, sizeof *out);
	/* both queries kept on the catalog's connection: every run request makes them */
	int rc = db_run_get_kept(db, public_id, &out->run);
	if (rc != 0)
		return rc;
	if (!(q = db_kept_stmt(db, "SELECT coalesce(f.version, 0), r.edit_token FROM runs r"
				   " LEFT JOIN run_files f ON f.run_id = r.id WHERE r.id = ?"))) {
		db_run_clear(&out->run);
		return -1;
	}
	sqlite3_bind_int64(q, 1, out->run.id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->version = sqlite3_column_int64(q, 0);
		snprintf(out->edit_token, sizeof out->edit_token, "%s", sqlite3_column_text(q, 1));
	}
	db_kept_done(q);
	rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1; /* deleted in between: gone */
	if (rc != 0)
		db_run_clear(&out->run);
	return rc;
}

static int s_run_update(struct db_catalog *c, int64_t run_id, const struct db_run_edit *e)
{
	return db_run_update(dbof(c), run_id, e);
}

static int s_run_delete(struct db_catalog *c, int64_t run_id)
{
	return db_run_delete(dbof(c), run_id);
}

static int s_purge_expired(struct db_catalog *c, int64_t now_us)
{
	return db_purge_expired(dbof(c), now_us);
}

static int s_job_run(struct db_catalog *c, const char *job_id, struct db_job_run *out)
{
	return db_job_run(dbof(c), job_id, out);
}

static int s_reserve(struct db_catalog *c, const char *owner, int64_t *run_id)
{
	sqlite3 *db = dbof(c);
	if (run(db, "INSERT INTO run_files(version, owner) VALUES (0, ?)", "t", owner) != 1)
		return -1;
	*run_id = sqlite3_last_insert_rowid(db);
	return 0;
}

static int s_unreserve(struct db_catalog *c, int64_t run_id)
{
	return run(dbof(c), "DELETE FROM run_files WHERE run_id=? AND version=0", "i", run_id) < 0
		       ? -1
		       : 0;
}

static int s_publish(struct db_catalog *c, const struct db_run *r, const char *token,
		     const char *job_id, const char *owner)
{
	sqlite3 *db = dbof(c);
	sqlite3_stmt *q;
	if (begin(db) != 0)
		return -1;
	int ok = sqlite3_prepare_v2(db, "INSERT INTO runs(id, public_id, edit_token, name, notes,"
					" file_name, file_size, format, status, created_us,"
					" start_utc_us, duration_us, expires_us, summary)"
					" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &q,
				    NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_int64(q, 1, r->id);
		sqlite3_bind_text(q, 2, r->public_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, token, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, r->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, r->notes, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, r->file_name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, r->file_size);
		sqlite3_bind_text(q, 8, r->format, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 9, r->status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 10, r->created_us);
		if (r->has_start) {
			sqlite3_bind_int64(q, 11, r->start_utc_us);
			sqlite3_bind_int64(q, 12, r->duration_us);
		}
		if (r->has_expiry)
			sqlite3_bind_int64(q, 13, r->expires_us);
		sqlite3_bind_text(q, 14, r->summary, -1, SQLITE_STATIC);
		ok = sqlite3_step(q) == SQLITE_DONE;
		sqlite3_finalize(q);
	}
	int job_ok = 1;
	if (ok && job_id) {
		/* the job must still be ours: after its lease expired it was reported failed; a
		 * job the queue never recorded (a run file imported by a tool) publishes as is */
		int n = run(db, "UPDATE jobs SET state='done', lease_until_us=0 WHERE job_id=?"
				" AND owner=? AND state IN ('receiving','queued','ingesting')",
			    "tt", job_id, owner);
		int known = n == 0 ? run(db, "UPDATE jobs SET job_id=job_id WHERE job_id=?", "t",
					 job_id)
				   : 0;
		job_ok = n == 1 || (n == 0 && known == 0);
		ok = n >= 0 && known >= 0 && job_ok &&
		     run(db, "INSERT INTO upload_jobs(job_id, run_id) VALUES (?,?)", "ti", job_id,
			 r->id) == 1;
	}
	ok = ok && run(db, "UPDATE run_files SET version=1 WHERE run_id=? AND version=0", "i",
		       r->id) == 1;
	if (end(db, ok) != 0)
		return job_ok ? -1 : 1;
	return 0;
}

static int64_t s_version(struct db_catalog *c, int64_t run_id)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(dbof(c), "SELECT version FROM run_files WHERE run_id=? AND"
					" version>0 AND run_id IN (SELECT id FROM runs)", -1, &q,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc = sqlite3_step(q);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : rc == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(q);
	return v;
}

static int s_version_step(struct db_catalog *c, int64_t run_id, int64_t from)
{
	int n = run(dbof(c), "UPDATE run_files SET version=version+1 WHERE run_id=? AND version=?",
		    "ii", run_id, from);
	return n < 0 ? -1 : n == 1 ? 0 : 1;
}

static int s_sweep(struct db_catalog *c, void (*gone)(void *, int64_t, int64_t), void *ud)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(dbof(c), "DELETE FROM run_files WHERE version>0 AND run_id NOT IN"
					" (SELECT id FROM runs) RETURNING run_id, version", -1, &q,
			       NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) /* committed at the end: a crash first */
		gone(ud, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1)); /* orphans */
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int s_files(struct db_catalog *c, int (*cb)(void *, int64_t, int64_t), void *ud)
{
	sqlite3_stmt *q;
	int rc, stop = 0;
	if (sqlite3_prepare_v2(dbof(c), "SELECT run_id, version FROM run_files WHERE version>0",
			       -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
		stop = cb(ud, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

/* Each run_id the statement (DELETE … RETURNING run_id) returns, to dropped: 0, or -1. */
static int each_dropped(sqlite3 *db, sqlite3_stmt *q, void (*dropped)(void *, int64_t),
			void *ud)
{
	int rc;
	(void)db;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (dropped)
			dropped(ud, sqlite3_column_int64(q, 0));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int s_drop_reservations(struct db_catalog *c, int64_t now_us,
			       void (*dropped)(void *, int64_t), void *ud)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(dbof(c), "DELETE FROM run_files WHERE version=0 AND owner NOT IN"
					" (SELECT owner FROM servers WHERE lease_until_us > ?)"
					" RETURNING run_id", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, now_us);
	return each_dropped(dbof(c), q, dropped, ud);
}

static int s_heartbeat(struct db_catalog *c, const char *owner, int64_t until_us)
{
	sqlite3 *db = dbof(c);
	if (begin(db) != 0)
		return -1;
	int ok = run(db, "INSERT INTO servers(owner, lease_until_us) VALUES (?,?) ON CONFLICT(owner)"
			 " DO UPDATE SET lease_until_us=excluded.lease_until_us", "ti", owner,
		     until_us) == 1 &&
		 run(db, "UPDATE jobs SET lease_until_us=? WHERE owner=? AND state IN"
			 " ('receiving','queued','ingesting')", "it", until_us, owner) >= 0 &&
		 /* servers gone for a day are forgotten */
		 run(db, "DELETE FROM servers WHERE lease_until_us < ?", "i",
		     db_now_us() - 86400LL * 1000000) >= 0 &&
		 /* finished jobs answer for a week (a done one longer, through upload_jobs) */
		 run(db, "DELETE FROM jobs WHERE state IN ('done','failed') AND created_us < ?", "i",
		     db_now_us() - 7 * 86400LL * 1000000) >= 0;
	return end(db, ok);
}

static int s_others_alive(struct db_catalog *c, const char *owner, int64_t now_us)
{
	sqlite3_stmt *q;
	int n = -1;
	if (sqlite3_prepare_v2(dbof(c), "SELECT count(*) FROM servers WHERE owner<>? AND"
					" lease_until_us > ?", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now_us);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return n;
}

static int s_server_list(struct db_catalog *c, int64_t now_us,
			 int (*cb)(void *, const char *), void *ud)
{
	sqlite3_stmt *q;
	int rc, stop = 0;
	if (sqlite3_prepare_v2(dbof(c), "SELECT owner FROM servers WHERE lease_until_us > ?", -1,
			       &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, now_us);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
		stop = cb(ud, (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

static int s_server_forget(struct db_catalog *c, const char *owner, const char *why,
			   void (*dropped)(void *, int64_t), void *ud)
{
	sqlite3 *db = dbof(c);
	sqlite3_stmt *q;
	if (begin(db) != 0)
		return -1;
	int ok = run(db, "DELETE FROM servers WHERE owner=?", "t", owner) >= 0 &&
		 sqlite3_prepare_v2(db, "DELETE FROM run_files WHERE version=0 AND owner=?"
					" RETURNING run_id", -1, &q, NULL) == SQLITE_OK &&
		 sqlite3_bind_text(q, 1, owner, -1, SQLITE_STATIC) == SQLITE_OK &&
		 each_dropped(db, q, dropped, ud) == 0 &&
		 run(db, "UPDATE jobs SET state='failed', error=?, lease_until_us=0 WHERE owner=?"
			 " AND state IN ('receiving','queued','ingesting')", "tt", why, owner) >= 0;
	return end(db, ok);
}

static int s_job_create(struct db_catalog *c, const struct db_job *j, const char *owner,
			int64_t lease_until_us)
{
	return run(dbof(c), "INSERT INTO jobs(job_id, state, file_name, expected, owner,"
			    " lease_until_us, created_us) VALUES (?,?,?,?,?,?,?)", "tttitii", j->id,
		   db_job_state_name(j->state), j->file_name, j->expected, owner, lease_until_us,
		   db_now_us()) == 1
		       ? 0
		       : -1;
}

static int s_job_set(struct db_catalog *c, const char *job_id, const char *owner,
		     enum db_job_state state, int64_t received, const char *error)
{
	/* never revives a job another server failed, never touches a finished one */
	return run(dbof(c), "UPDATE jobs SET state=?, received=?, error=? WHERE job_id=? AND"
			    " owner=? AND state IN ('receiving','queued','ingesting')", "tittt",
		   db_job_state_name(state), received, error ? error : "", job_id, owner) < 0
		       ? -1
		       : 0;
}

static int s_job_claim(struct db_catalog *c, const char *job_id, const char *owner)
{
	int n = run(dbof(c), "UPDATE jobs SET state='ingesting' WHERE job_id=? AND owner=? AND"
			     " state='queued'", "tt", job_id, owner);
	return n < 0 ? -1 : n == 1 ? 0 : 1;
}

static int s_job_get(struct db_catalog *c, const char *job_id, struct db_job *out)
{
	sqlite3_stmt *q;
	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(dbof(c), "SELECT state, file_name, error, received, expected FROM"
					" jobs WHERE job_id=?", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, job_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(out->id, sizeof out->id, "%s", job_id);
		out->state = db_job_state_parse((const char *)sqlite3_column_text(q, 0));
		snprintf(out->file_name, sizeof out->file_name, "%s", sqlite3_column_text(q, 1));
		snprintf(out->error, sizeof out->error, "%s", sqlite3_column_text(q, 2));
		out->received = sqlite3_column_int64(q, 3);
		out->expected = sqlite3_column_int64(q, 4);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 1 : -1;
	if (out->state == DB_JOB_DONE && db_job_run(dbof(c), job_id, &out->run) != 0)
		return 1; /* its run was deleted or expired since */
	return 0;
}

static int s_job_expire(struct db_catalog *c, int64_t now_us)
{
	return run(dbof(c), "UPDATE jobs SET state='failed', error=? WHERE state IN"
			    " ('receiving','queued','ingesting') AND lease_until_us < ?", "ti",
		   DB_JOB_LEASE_EXPIRED, now_us);
}

static const struct db_catalog_ops sqlite_ops = {
	s_close,	 s_errmsg,	 s_run_list,	 s_run_get,	  s_run_update,
	s_run_delete,	 s_purge_expired, s_job_run,	 s_reserve,	  s_unreserve,
	s_publish,	 s_version,	 s_version_step, s_sweep,	  s_files,
	s_drop_reservations, s_heartbeat, s_others_alive, s_server_list, s_server_forget,
	s_job_create,	 s_job_set,	 s_job_claim,	 s_job_get,	  s_job_expire,
};

struct db_catalog *db_catalog_sqlite_wrap(sqlite3 *db)
{
	struct cat_sqlite *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->base.ops = &sqlite_ops;
	s->db = db;
	return &s->base;
}

struct db_catalog *db_catalog_sqlite_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = db_connect(path, SQLITE_OPEN_READWRITE, err, errlen);
	if (!db)
		return NULL;
	/* as db_open: WAL (set when created) with syncs at checkpoints, not at every commit */
	sqlite3_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
	struct db_catalog *c = db_catalog_sqlite_wrap(db);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		db_close(db);
		return NULL;
	}
	((struct cat_sqlite *)c)->owned = 1;
	return c;
}

sqlite3 *db_catalog_sqlite(struct db_catalog *c)
{
	return c && c->ops == &sqlite_ops ? dbof(c) : NULL;
}
