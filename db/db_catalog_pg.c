/* db_catalog_pg.c — the catalog in PostgreSQL (db_catalog.h), team mode: several servers
 * share it (`--catalog postgresql://…`). The tables are those of the SQLite catalog (runs
 * with the same columns, run_files, upload_jobs, servers, jobs), created by the migrations
 * below under an advisory lock, recorded in catalog_version. Parameters travel as text
 * (PQexecParams); every multi-statement change is one transaction. A connection lost
 * (PostgreSQL restarted) is reset before the next statement.
 *
 * Built without libpq (ETLSCOPE_HAVE_LIBPQ undefined) a postgresql:// catalog is refused
 * with a clear error; the SQLite default needs nothing of this. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_catalog.h"

#ifndef ETLSCOPE_HAVE_LIBPQ

struct db_catalog *db_catalog_pg_open(const char *url, char *err, size_t errlen)
{
	(void)url;
	snprintf(err, errlen, "this etlscope was built without PostgreSQL (install libpq-dev"
			      " and build again)");
	return NULL;
}

int db_catalog_pg_migrate(const char *url, char *err, size_t errlen)
{
	return db_catalog_pg_open(url, err, errlen) ? 0 : -1;
}

#else
#include <libpq-fe.h>

#define MIGRATION_LOCK 0x45544c43 /* "ETLC": pg_advisory_xact_lock key of migrations */
#define LIVE "('receiving','queued','ingesting')"
#define RUN_COLUMNS                                                                       \
	"r.id, r.public_id, r.name, r.notes, r.file_name, r.format, r.status, r.summary,"  \
	" r.file_size, r.created_us, r.start_utc_us, r.duration_us, r.expires_us"

struct cat_pg {
	struct db_catalog base;
	PGconn *conn;
	char err[512];
};

/* The catalog's migrations, in order; catalog_version holds how many ran. */
static const char *const migrations[] = {
	/* 1: the SQLite catalog's tables (db_schema.c's runs and upload_jobs, and
	 * db_catalog_sqlite.c's own) */
	"CREATE TABLE runs ("
	"  id BIGINT PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, edit_token TEXT NOT NULL,"
	"  name TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '', file_name TEXT NOT NULL,"
	"  file_size BIGINT NOT NULL, format TEXT NOT NULL DEFAULT 'unknown',"
	"  status TEXT NOT NULL DEFAULT 'ingesting', created_us BIGINT NOT NULL,"
	"  start_utc_us BIGINT, duration_us BIGINT, expires_us BIGINT,"
	"  summary TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX runs_created ON runs(created_us DESC, id DESC);"
	"CREATE TABLE run_files (run_id BIGSERIAL PRIMARY KEY,"
	"  version BIGINT NOT NULL DEFAULT 0, owner TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE upload_jobs (job_id TEXT PRIMARY KEY,"
	"  run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE);"
	"CREATE INDEX upload_jobs_run ON upload_jobs(run_id);"
	"CREATE TABLE servers (owner TEXT PRIMARY KEY, lease_until_us BIGINT NOT NULL);"
	"CREATE TABLE jobs ("
	"  job_id TEXT PRIMARY KEY, state TEXT NOT NULL, file_name TEXT NOT NULL,"
	"  error TEXT NOT NULL DEFAULT '', received BIGINT NOT NULL DEFAULT 0,"
	"  expected BIGINT NOT NULL DEFAULT -1, owner TEXT NOT NULL,"
	"  lease_until_us BIGINT NOT NULL, created_us BIGINT NOT NULL);"
	"CREATE INDEX jobs_live ON jobs(state, lease_until_us);",
};

static struct cat_pg *pgof(struct db_catalog *c)
{
	return (struct cat_pg *)c;
}

static void set_err(struct cat_pg *p, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : "";
	if (!m || !*m)
		m = PQerrorMessage(p->conn);
	snprintf(p->err, sizeof p->err, "%s", m && *m ? m : "PostgreSQL error");
	size_t n = strlen(p->err);
	while (n && (p->err[n - 1] == '\n' || p->err[n - 1] == ' '))
		p->err[--n] = '\0';
}

/* One statement with parameters described by fmt ('i' int64, 't' text, 'n' NULL, 'b'
 * boolean from an int); the result (command or rows), or NULL with p->err. PQclear it. */
static PGresult *pq(struct cat_pg *p, const char *sql, const char *fmt, ...)
{
	enum { MAXP = 16 };
	char nums[MAXP][24];
	const char *vals[MAXP];
	int n = 0;
	va_list ap;
	va_start(ap, fmt);
	for (; fmt[n] && n < MAXP; n++) {
		vals[n] = nums[n];
		if (fmt[n] == 'i')
			snprintf(nums[n], sizeof nums[n], "%lld", (long long)va_arg(ap, int64_t));
		else if (fmt[n] == 'b')
			snprintf(nums[n], sizeof nums[n], "%s", va_arg(ap, int) ? "t" : "f");
		else if (fmt[n] == 't')
			vals[n] = va_arg(ap, const char *);
		else
			vals[n] = NULL;
	}
	va_end(ap);
	if (PQstatus(p->conn) != CONNECTION_OK)
		PQreset(p->conn);
	PGresult *r = PQexecParams(p->conn, sql, n, NULL, vals, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		set_err(p, r);
		PQclear(r);
		return NULL;
	}
	return r;
}

/* pq for a statement whose answer is a count: rows changed, or rows returned; -1 error. */
#define PQ_COUNT(p, ...) pq_changed(pq((p), __VA_ARGS__))
static int pq_changed(PGresult *r)
{
	if (!r)
		return -1;
	int n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : atoi(PQcmdTuples(r));
	PQclear(r);
	return n;
}

static int exec0(struct cat_pg *p, const char *sql)
{
	return PQ_COUNT(p, sql, "") < 0 ? -1 : 0;
}

static int end(struct cat_pg *p, int ok)
{
	if (ok && exec0(p, "COMMIT") == 0)
		return 0;
	char keep[sizeof p->err];
	memcpy(keep, p->err, sizeof keep);
	exec0(p, "ROLLBACK");
	memcpy(p->err, keep, sizeof keep);
	return -1;
}

static int64_t num(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void p_close(struct db_catalog *c)
{
	PQfinish(pgof(c)->conn);
	free(c);
}

static const char *p_errmsg(struct db_catalog *c)
{
	return pgof(c)->err;
}

/* Columns RUN_COLUMNS from row of r into *out: 0, or -1 out of memory. */
static int fill_run(const PGresult *r, int row, struct db_run *out)
{
	memset(out, 0, sizeof *out);
	out->id = num(r, row, 0);
	snprintf(out->public_id, sizeof out->public_id, "%s", PQgetvalue(r, row, 1));
	char **text[] = {&out->name, &out->notes, &out->file_name, &out->format, &out->status,
			 &out->summary};
	for (int i = 0; i < 6; i++)
		if (!(*text[i] = strdup(PQgetvalue(r, row, 2 + i)))) {
			db_run_clear(out);
			return -1;
		}
	out->file_size = num(r, row, 8);
	out->created_us = num(r, row, 9);
	out->has_start = !PQgetisnull(r, row, 10);
	out->start_utc_us = num(r, row, 10);
	out->duration_us = num(r, row, 11);
	out->has_expiry = !PQgetisnull(r, row, 12);
	out->expires_us = num(r, row, 12);
	return 0;
}

static int p_run_list(struct db_catalog *c, int (*cb)(void *, const struct db_run *), void *ud)
{
	PGresult *r = pq(pgof(c), "SELECT " RUN_COLUMNS " FROM runs r WHERE r.expires_us IS NULL"
				  " OR r.expires_us > $1 ORDER BY r.created_us DESC, r.id DESC", "i",
			 db_now_us());
	int rc = r ? 0 : -1;
	for (int i = 0; r && rc == 0 && i < PQntuples(r); i++) {
		struct db_run run;
		if (fill_run(r, i, &run) != 0) {
			snprintf(pgof(c)->err, sizeof pgof(c)->err, "out of memory");
			rc = -1;
			break;
		}
		int stop = cb(ud, &run);
		db_run_clear(&run);
		if (stop)
			break;
	}
	PQclear(r);
	return rc;
}

static int p_run_get(struct db_catalog *c, const char *public_id, struct db_catalog_run *out)
{
	memset(out, 0, sizeof *out);
	PGresult *r = pq(pgof(c), "SELECT " RUN_COLUMNS ", coalesce(f.version, 0), r.edit_token"
				  " FROM runs r LEFT JOIN run_files f ON f.run_id = r.id"
				  " WHERE r.public_id = $1 AND (r.expires_us IS NULL OR"
				  " r.expires_us > $2)", "ti", public_id, db_now_us());
	if (!r)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : 1;
	if (rc == 0 && fill_run(r, 0, &out->run) != 0)
		rc = -1;
	if (rc == 0) {
		out->version = num(r, 0, 13);
		snprintf(out->edit_token, sizeof out->edit_token, "%s", PQgetvalue(r, 0, 14));
	}
	PQclear(r);
	return rc;
}

static int p_run_update(struct db_catalog *c, int64_t run_id, const struct db_run_edit *e)
{
	char expires[24];
	snprintf(expires, sizeof expires, "%lld", (long long)e->expires_us);
	return PQ_COUNT(pgof(c), "UPDATE runs SET name = coalesce($1::text, name),"
				 " notes = coalesce($2::text, notes), expires_us = CASE WHEN"
				 " $3::boolean THEN $4::bigint ELSE expires_us END WHERE id = $5",
			"ttbti", e->name, e->notes,
			e->set_expiry, e->set_expiry && e->has_expiry ? expires : NULL, run_id) < 0
		       ? -1
		       : 0;
}

static int p_run_delete(struct db_catalog *c, int64_t run_id)
{
	return PQ_COUNT(pgof(c), "DELETE FROM runs WHERE id=$1", "i", run_id) < 0 ? -1 : 0;
}

static int p_purge_expired(struct db_catalog *c, int64_t now_us)
{
	return PQ_COUNT(pgof(c), "DELETE FROM runs WHERE expires_us IS NOT NULL AND"
				 " expires_us <= $1", "i", now_us);
}

static int p_job_run(struct db_catalog *c, const char *job_id, struct db_job_run *out)
{
	memset(out, 0, sizeof *out);
	PGresult *r = pq(pgof(c), "SELECT r.public_id, r.edit_token, r.format, r.file_name,"
				  " r.status FROM upload_jobs j JOIN runs r ON r.id = j.run_id"
				  " WHERE j.job_id = $1 AND (r.expires_us IS NULL OR"
				  " r.expires_us > $2)", "ti", job_id, db_now_us());
	if (!r)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : 1;
	if (rc == 0) {
		snprintf(out->public_id, sizeof out->public_id, "%s", PQgetvalue(r, 0, 0));
		snprintf(out->edit_token, sizeof out->edit_token, "%s", PQgetvalue(r, 0, 1));
		snprintf(out->format, sizeof out->format, "%s", PQgetvalue(r, 0, 2));
		snprintf(out->file_name, sizeof out->file_name, "%s", PQgetvalue(r, 0, 3));
		out->partial = strcmp(PQgetvalue(r, 0, 4), "partial") == 0;
	}
	PQclear(r);
	return rc;
}

static int p_reserve(struct db_catalog *c, const char *owner, int64_t *run_id)
{
	PGresult *r = pq(pgof(c), "INSERT INTO run_files(version, owner) VALUES (0, $1)"
				  " RETURNING run_id", "t", owner);
	int rc = r && PQntuples(r) == 1 ? 0 : -1;
	if (rc == 0)
		*run_id = num(r, 0, 0);
	PQclear(r);
	return rc;
}

static int p_unreserve(struct db_catalog *c, int64_t run_id)
{
	return PQ_COUNT(pgof(c), "DELETE FROM run_files WHERE run_id=$1 AND version=0", "i",
			run_id) < 0
		       ? -1
		       : 0;
}

static int p_publish(struct db_catalog *c, const struct db_run *r, const char *token,
		     const char *job_id, const char *owner)
{
	struct cat_pg *p = pgof(c);
	char start[24], dur[24], exp[24];
	snprintf(start, sizeof start, "%lld", (long long)r->start_utc_us);
	snprintf(dur, sizeof dur, "%lld", (long long)r->duration_us);
	snprintf(exp, sizeof exp, "%lld", (long long)r->expires_us);
	if (exec0(p, "BEGIN") != 0)
		return -1;
	int ok = PQ_COUNT(p, "INSERT INTO runs(id, public_id, edit_token, name, notes, file_name,"
			     " file_size, format, status, created_us, start_utc_us, duration_us,"
			     " expires_us, summary) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,"
			     " $11::bigint,$12::bigint,$13::bigint,$14)", "itttttittitttt",
			  r->id, r->public_id, token, r->name, r->notes, r->file_name,
			  r->file_size, r->format, r->status, r->created_us,
			  r->has_start ? start : NULL, r->has_start ? dur : NULL,
			  r->has_expiry ? exp : NULL, r->summary) == 1;
	int job_ok = 1;
	if (ok && job_id) {
		/* the job must still be ours: after its lease expired it was reported failed; a
		 * job the queue never recorded publishes as is */
		int n = PQ_COUNT(p, "UPDATE jobs SET state='done', lease_until_us=0 WHERE"
				    " job_id=$1 AND owner=$2 AND state IN " LIVE, "tt", job_id,
				 owner);
		int known = n == 0 ? PQ_COUNT(p, "SELECT 1 FROM jobs WHERE job_id=$1", "t", job_id)
				   : 0;
		job_ok = n == 1 || (n == 0 && known == 0);
		ok = n >= 0 && known >= 0 && job_ok &&
		     PQ_COUNT(p, "INSERT INTO upload_jobs(job_id, run_id) VALUES ($1,$2)", "ti",
			      job_id, r->id) == 1;
	}
	ok = ok && PQ_COUNT(p, "UPDATE run_files SET version=1 WHERE run_id=$1 AND version=0",
			    "i", r->id) == 1;
	if (end(p, ok) != 0)
		return job_ok ? -1 : 1;
	return 0;
}

static int64_t p_version(struct db_catalog *c, int64_t run_id)
{
	PGresult *r = pq(pgof(c), "SELECT f.version FROM run_files f JOIN runs r ON r.id ="
				  " f.run_id WHERE f.run_id=$1 AND f.version>0", "i", run_id);
	int64_t v = !r ? -1 : PQntuples(r) == 1 ? num(r, 0, 0) : 0;
	PQclear(r);
	return v;
}

static int p_version_step(struct db_catalog *c, int64_t run_id, int64_t from)
{
	int n = PQ_COUNT(pgof(c), "UPDATE run_files SET version=version+1 WHERE run_id=$1 AND"
				  " version=$2", "ii", run_id, from);
	return n < 0 ? -1 : n == 1 ? 0 : 1;
}

static int p_sweep(struct db_catalog *c, void (*gone)(void *, int64_t, int64_t), void *ud)
{
	PGresult *r = pq(pgof(c), "DELETE FROM run_files WHERE version>0 AND run_id NOT IN"
				  " (SELECT id FROM runs) RETURNING run_id, version", "");
	for (int i = 0; r && i < PQntuples(r); i++)
		gone(ud, num(r, i, 0), num(r, i, 1));
	int rc = r ? 0 : -1;
	PQclear(r);
	return rc;
}

static int p_files(struct db_catalog *c, int (*cb)(void *, int64_t, int64_t), void *ud)
{
	PGresult *r = pq(pgof(c), "SELECT run_id, version FROM run_files WHERE version>0", "");
	int rc = r ? 0 : -1;
	for (int i = 0; r && rc == 0 && i < PQntuples(r); i++)
		rc = cb(ud, num(r, i, 0), num(r, i, 1));
	PQclear(r);
	return rc;
}

/* Each run_id of r (DELETE … RETURNING run_id) to dropped; r cleared. 0, or -1. */
static int each_dropped(PGresult *r, void (*dropped)(void *, int64_t), void *ud)
{
	for (int i = 0; r && dropped && i < PQntuples(r); i++)
		dropped(ud, num(r, i, 0));
	int rc = r ? 0 : -1;
	PQclear(r);
	return rc;
}

static int p_drop_reservations(struct db_catalog *c, int64_t now_us,
			       void (*dropped)(void *, int64_t), void *ud)
{
	return each_dropped(pq(pgof(c), "DELETE FROM run_files WHERE version=0 AND owner NOT IN"
				       " (SELECT owner FROM servers WHERE lease_until_us > $1)"
				       " RETURNING run_id", "i", now_us),
			    dropped, ud);
}

static int p_heartbeat(struct db_catalog *c, const char *owner, int64_t until_us)
{
	struct cat_pg *p = pgof(c);
	int64_t day = 86400LL * 1000000;
	if (exec0(p, "BEGIN") != 0)
		return -1;
	int ok = PQ_COUNT(p, "INSERT INTO servers(owner, lease_until_us) VALUES ($1,$2)"
			     " ON CONFLICT (owner) DO UPDATE SET lease_until_us ="
			     " excluded.lease_until_us", "ti", owner, until_us) == 1 &&
		 PQ_COUNT(p, "UPDATE jobs SET lease_until_us=$1 WHERE owner=$2 AND state IN " LIVE,
			  "it", until_us, owner) >= 0 &&
		 PQ_COUNT(p, "DELETE FROM servers WHERE lease_until_us < $1", "i",
			  db_now_us() - day) >= 0 &&
		 PQ_COUNT(p, "DELETE FROM jobs WHERE state IN ('done','failed') AND"
			     " created_us < $1", "i", db_now_us() - 7 * day) >= 0;
	return end(p, ok);
}

static int p_others_alive(struct db_catalog *c, const char *owner, int64_t now_us)
{
	return PQ_COUNT(pgof(c), "SELECT 1 FROM servers WHERE owner<>$1 AND lease_until_us > $2",
			"ti", owner, now_us);
}

static int p_server_list(struct db_catalog *c, int64_t now_us, int (*cb)(void *, const char *),
			 void *ud)
{
	PGresult *r = pq(pgof(c), "SELECT owner FROM servers WHERE lease_until_us > $1", "i",
			 now_us);
	int rc = r ? 0 : -1;
	for (int i = 0; r && rc == 0 && i < PQntuples(r); i++)
		rc = cb(ud, PQgetvalue(r, i, 0));
	PQclear(r);
	return rc;
}

static int p_server_forget(struct db_catalog *c, const char *owner, const char *why,
			   void (*dropped)(void *, int64_t), void *ud)
{
	struct cat_pg *p = pgof(c);
	if (exec0(p, "BEGIN") != 0)
		return -1;
	/* the files are removed before the commit: a rollback leaves reservations without
	 * files, which publish nothing and are dropped again */
	int ok = PQ_COUNT(p, "DELETE FROM servers WHERE owner=$1", "t", owner) >= 0 &&
		 each_dropped(pq(p, "DELETE FROM run_files WHERE version=0 AND owner=$1"
				    " RETURNING run_id", "t", owner), dropped, ud) == 0 &&
		 PQ_COUNT(p, "UPDATE jobs SET state='failed', error=$1, lease_until_us=0 WHERE"
			     " owner=$2 AND state IN " LIVE, "tt", why, owner) >= 0;
	return end(p, ok);
}

static int p_job_create(struct db_catalog *c, const struct db_job *j, const char *owner,
			int64_t lease_until_us)
{
	return PQ_COUNT(pgof(c), "INSERT INTO jobs(job_id, state, file_name, expected, owner,"
				 " lease_until_us, created_us) VALUES ($1,$2,$3,$4,$5,$6,$7)",
			"tttitii", j->id, db_job_state_name(j->state), j->file_name, j->expected,
			owner, lease_until_us, db_now_us()) == 1
		       ? 0
		       : -1;
}

static int p_job_set(struct db_catalog *c, const char *job_id, const char *owner,
		     enum db_job_state state, int64_t received, const char *error)
{
	return PQ_COUNT(pgof(c), "UPDATE jobs SET state=$1, received=$2, error=$3 WHERE"
				 " job_id=$4 AND owner=$5 AND state IN " LIVE, "tittt",
			db_job_state_name(state), received, error ? error : "", job_id, owner) < 0
		       ? -1
		       : 0;
}

/* The row is locked (FOR UPDATE SKIP LOCKED) before it changes: a server failing expired
 * jobs at the same moment either waits for this claim or skips it, never both change it. */
static int p_job_claim(struct db_catalog *c, const char *job_id, const char *owner)
{
	struct cat_pg *p = pgof(c);
	if (exec0(p, "BEGIN") != 0)
		return -1;
	int n = PQ_COUNT(p, "SELECT job_id FROM jobs WHERE job_id=$1 AND owner=$2 AND"
			    " state='queued' FOR UPDATE SKIP LOCKED", "tt", job_id, owner);
	int ok = n >= 0 && (n == 0 || PQ_COUNT(p, "UPDATE jobs SET state='ingesting' WHERE"
						  " job_id=$1", "t", job_id) == 1);
	if (end(p, ok) != 0)
		return -1;
	return n == 1 ? 0 : 1;
}

static int p_job_get(struct db_catalog *c, const char *job_id, struct db_job *out)
{
	memset(out, 0, sizeof *out);
	PGresult *r = pq(pgof(c), "SELECT state, file_name, error, received, expected FROM jobs"
				  " WHERE job_id=$1", "t", job_id);
	if (!r)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : 1;
	if (rc == 0) {
		snprintf(out->id, sizeof out->id, "%s", job_id);
		out->state = db_job_state_parse(PQgetvalue(r, 0, 0));
		snprintf(out->file_name, sizeof out->file_name, "%s", PQgetvalue(r, 0, 1));
		snprintf(out->error, sizeof out->error, "%s", PQgetvalue(r, 0, 2));
		out->received = num(r, 0, 3);
		out->expected = num(r, 0, 4);
	}
	PQclear(r);
	if (rc == 0 && out->state == DB_JOB_DONE && p_job_run(c, job_id, &out->run) != 0)
		return 1; /* its run was deleted or expired since */
	return rc;
}

static int p_job_expire(struct db_catalog *c, int64_t now_us)
{
	/* rows a claim holds are skipped: they are alive this very moment */
	return PQ_COUNT(pgof(c), "UPDATE jobs SET state='failed', error=$1 WHERE job_id IN"
				 " (SELECT job_id FROM jobs WHERE state IN " LIVE " AND"
				 " lease_until_us < $2 FOR UPDATE SKIP LOCKED)", "ti",
			DB_JOB_LEASE_EXPIRED, now_us);
}

static const struct db_catalog_ops pg_ops = {
	p_close,	 p_errmsg,	 p_run_list,	 p_run_get,	  p_run_update,
	p_run_delete,	 p_purge_expired, p_job_run,	 p_reserve,	  p_unreserve,
	p_publish,	 p_version,	 p_version_step, p_sweep,	  p_files,
	p_drop_reservations, p_heartbeat, p_others_alive, p_server_list, p_server_forget,
	p_job_create,	 p_job_set,	 p_job_claim,	 p_job_get,	  p_job_expire,
};

struct db_catalog *db_catalog_pg_open(const char *url, char *err, size_t errlen)
{
	struct cat_pg *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->base.ops = &pg_ops;
	p->conn = PQconnectdb(url);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		/* the message names host and user, never the password */
		snprintf(err, errlen, "cannot connect to the PostgreSQL catalog: %s",
			 PQerrorMessage(p->conn));
		size_t n = strlen(err);
		while (n && err[n - 1] == '\n')
			err[--n] = '\0';
		PQfinish(p->conn);
		free(p);
		return NULL;
	}
	PQsetNoticeProcessor(p->conn, NULL, NULL); /* "already exists" notices are ours */
	return &p->base;
}

int db_catalog_pg_migrate(const char *url, char *err, size_t errlen)
{
	struct db_catalog *c = db_catalog_pg_open(url, err, errlen);
	if (!c)
		return -1;
	struct cat_pg *p = pgof(c);
	int n = (int)(sizeof migrations / sizeof *migrations), have = -1, ok;
	char lock[96];
	snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", MIGRATION_LOCK);
	ok = exec0(p, "BEGIN") == 0 && exec0(p, lock) == 0 &&
	     exec0(p, "CREATE TABLE IF NOT EXISTS catalog_version (version INTEGER NOT NULL)") == 0;
	PGresult *r = ok ? pq(p, "SELECT coalesce(max(version), 0) FROM catalog_version", "")
			 : NULL;
	if (r)
		have = (int)num(r, 0, 0);
	PQclear(r);
	if (ok && have > n)
		snprintf(p->err, sizeof p->err, "the catalog is from a newer release");
	ok = ok && have >= 0 && have <= n;
	for (int i = have; ok && i < n; i++) {
		/* several statements: the simple protocol (no parameters) */
		PGresult *m = PQexec(p->conn, migrations[i]);
		ok = PQresultStatus(m) == PGRES_COMMAND_OK;
		if (!ok)
			set_err(p, m);
		PQclear(m);
		ok = ok && PQ_COUNT(p, "DELETE FROM catalog_version", "") >= 0 &&
		     PQ_COUNT(p, "INSERT INTO catalog_version VALUES ($1)", "i", (int64_t)i + 1) == 1;
	}
	int rc = end(p, ok);
	if (rc != 0)
		snprintf(err, errlen, "cannot migrate the PostgreSQL catalog: %s", p->err);
	db_catalog_close(c);
	return rc;
}

#endif
