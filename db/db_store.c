/* db_store.c — the catalog and the directory of run files (db_store.h, docs/team.md):
 * opening both, writing and publishing a new run, new versions of a stored run, and
 * removing what no run owns any more. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "db_store.h"

#define MODIFY_MAX 64 /* runs being changed at once */

struct db_store {
	char catalog[4096];
	char dir[3800]; /* room for the file names inside 4096-byte paths */
	pthread_mutex_t mu; /* guards busy[] */
	pthread_cond_t cv;
	int64_t busy[MODIFY_MAX];
	int nbusy;
	/* Held open while the store lives: short-lived catalog connections are never the last
	 * one, whose close would checkpoint and delete the WAL under an exclusive lock. */
	sqlite3 *keep;
	db_store_fn finish; /* completes every new file (db_store_open's finish); may be NULL */
	void *finish_ud;
};

static const char run_files_sql[] =
	/* version 0: reserved by an ingest in flight (no visible run); else the current file */
	"CREATE TABLE IF NOT EXISTS run_files ("
	"  run_id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL DEFAULT 0);";

const char *db_store_dir(const struct db_store *st)
{
	return st->dir;
}

const char *db_store_catalog_path(const struct db_store *st)
{
	return st->catalog;
}

int db_store_run_path(const struct db_store *st, int64_t run_id, int64_t version, char *out,
		      size_t outlen)
{
	int n = snprintf(out, outlen, "%s/run-%lld.v%lld.db", st->dir, (long long)run_id,
			 (long long)version);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

sqlite3 *db_store_catalog(struct db_store *st, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(st->catalog, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the catalog %s: %s", st->catalog,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 30000);
	sqlite3_extended_result_codes(db, 1);
	sqlite3_exec(db, "PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
	return db;
}

/* One statement with up to two integer parameters; returns sqlite3_changes or -1. */
static int exec_ids(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	int np = sqlite3_bind_parameter_count(q);
	if (np >= 1)
		sqlite3_bind_int64(q, 1, a);
	if (np >= 2)
		sqlite3_bind_int64(q, 2, b);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? sqlite3_changes(db) : -1;
}

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

sqlite3 *db_store_file_create(const char *path, char *err, size_t errlen)
{
	unlink(path);
	sqlite3 *db = db_open(path, DB_READWRITE, err, errlen);
	/* A file being written is not shared: no WAL (readers of the finished file need none),
	 * and no syncs until it is complete (db_store_place flushes it once). */
	char sql[128];
	snprintf(sql, sizeof sql, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;"
				  " PRAGMA application_id=%d;", DB_RUN_FILE_APP_ID);
	if (db && sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot configure %s: %s", path, sqlite3_errmsg(db));
		db_close(db);
		unlink(path);
		return NULL;
	}
	return db;
}

int db_store_place(const struct db_store *st, const char *tmp, int64_t run_id, int64_t version,
		   char *err, size_t errlen)
{
	char path[4096];
	if (db_store_run_path(st, run_id, version, path, sizeof path) != 0) {
		snprintf(err, errlen, "the run directory's name is too long");
		return -1;
	}
	if (fsync_path(tmp, 0) != 0 || rename(tmp, path) != 0 || fsync_path(st->dir, 1) != 0) {
		snprintf(err, errlen, "cannot put the run file in place: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int db_store_run_begin(struct db_store *st, struct db_run_writer *w, char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	sqlite3 *cat = db_store_catalog(st, err, errlen);
	if (!cat)
		return -1;
	if (exec_ids(cat, "INSERT INTO run_files(version) VALUES (0)", 0, 0) != 1) {
		snprintf(err, errlen, "cannot reserve a run: %s", sqlite3_errmsg(cat));
		db_close(cat);
		return -1;
	}
	w->run_id = sqlite3_last_insert_rowid(cat);
	db_close(cat);
	snprintf(w->path, sizeof w->path, "%s/.tmp-run-%lld.db", st->dir, (long long)w->run_id);
	if (!(w->db = db_store_file_create(w->path, err, errlen))) {
		db_store_run_abandon(st, w);
		return -1;
	}
	/* The sink's run takes the next rowid (max + 1): a placeholder row just below makes
	 * that the reserved id; db_store_run_publish removes it. */
	if (exec_ids(w->db, "INSERT INTO runs(id, public_id, edit_token, name, file_name,"
			    " file_size, created_us) VALUES (?, '', '', '', '', 0, 0)",
		     w->run_id - 1, 0) != 1) {
		snprintf(err, errlen, "cannot reserve the run id: %s", sqlite3_errmsg(w->db));
		db_store_run_abandon(st, w);
		return -1;
	}
	return 0;
}

void db_store_run_abandon(struct db_store *st, struct db_run_writer *w)
{
	char err[256], journal[4200];
	if (w->db)
		db_close(w->db);
	w->db = NULL;
	if (w->path[0]) {
		unlink(w->path);
		snprintf(journal, sizeof journal, "%s-journal", w->path);
		unlink(journal);
	}
	sqlite3 *cat = db_store_catalog(st, err, sizeof err);
	if (cat) /* a reservation left behind is removed at the next start */
		exec_ids(cat, "DELETE FROM run_files WHERE run_id=? AND version=0", w->run_id, 0);
	db_close(cat);
}

/* The runs row of the file attached as "f" becomes the catalog's, with the edit token
 * the file no longer carries, and the reservation becomes version 1 — one transaction. */
static int publish_row(sqlite3 *cat, int64_t run_id, const char *token, const char *job_id)
{
	sqlite3_stmt *q = NULL;
	char *cols = NULL, *sql = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(cat, "SELECT group_concat(printf('\"%w\"', name), ',')"
				    " FROM pragma_table_info('runs', 'f')", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		cols = sqlite3_mprintf("%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	q = NULL;
	if (cols)
		sql = sqlite3_mprintf("INSERT INTO main.runs(%s) SELECT %s FROM f.runs WHERE id=?",
				      cols, cols);
	if (sql && sqlite3_exec(cat, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		ok = exec_ids(cat, sql, run_id, 0) == 1 &&
		     sqlite3_prepare_v2(cat, "UPDATE main.runs SET edit_token=? WHERE id=?", -1, &q,
					NULL) == SQLITE_OK;
		if (ok) {
			sqlite3_bind_text(q, 1, token, -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, run_id);
			ok = sqlite3_step(q) == SQLITE_DONE;
		}
		sqlite3_finalize(q);
		q = NULL;
		if (ok && job_id) {
			ok = sqlite3_prepare_v2(cat, "INSERT INTO main.upload_jobs(job_id, run_id)"
						     " VALUES (?,?)", -1, &q, NULL) == SQLITE_OK;
			if (ok) {
				sqlite3_bind_text(q, 1, job_id, -1, SQLITE_STATIC);
				sqlite3_bind_int64(q, 2, run_id);
				ok = sqlite3_step(q) == SQLITE_DONE;
			}
			sqlite3_finalize(q);
		}
		ok = ok && exec_ids(cat, "UPDATE run_files SET version=1 WHERE run_id=? AND version=0",
				    run_id, 0) == 1;
		ok = ok && sqlite3_exec(cat, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
		if (!ok)
			sqlite3_exec(cat, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_free(sql);
	sqlite3_free(cols);
	return ok ? 0 : -1;
}

/* Take the run's edit token out of the file being written (it stays in the catalog), and
 * the placeholder row out (db_store_run_begin). */
static int take_token(sqlite3 *db, int64_t run_id, char *token, size_t len)
{
	if (db_run_edit_token(db, run_id, token, len) != 0)
		return -1;
	return exec_ids(db, "UPDATE runs SET edit_token='' WHERE id=?", run_id, 0) == 1 &&
			       exec_ids(db, "DELETE FROM runs WHERE id=?", run_id - 1, 0) == 1
		       ? 0
		       : -1;
}

int db_store_run_publish(struct db_store *st, struct db_run_writer *w, const char *job_id,
			 char *err, size_t errlen)
{
	char token[DB_PUBLIC_ID_LEN + 1], path[4096];
	if (take_token(w->db, w->run_id, token, sizeof token) != 0) {
		snprintf(err, errlen, "cannot finish the run file: %s", sqlite3_errmsg(w->db));
		db_store_run_abandon(st, w);
		return -1;
	}
	int rc = sqlite3_close(w->db);
	w->db = NULL;
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot close the run file");
		db_store_run_abandon(st, w);
		return -1;
	}
	if (db_store_place(st, w->path, w->run_id, 1, err, errlen) != 0) {
		db_store_run_abandon(st, w);
		return -1;
	}
	db_store_run_path(st, w->run_id, 1, path, sizeof path);
	sqlite3 *cat = db_store_catalog(st, err, errlen);
	sqlite3_stmt *q = NULL;
	rc = -1;
	if (cat && sqlite3_prepare_v2(cat, "ATTACH ? AS f", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_DONE)
			rc = publish_row(cat, w->run_id, token, job_id);
		if (rc != 0)
			snprintf(err, errlen, "cannot publish the run: %s", sqlite3_errmsg(cat));
		sqlite3_exec(cat, "DETACH f", NULL, NULL, NULL);
	} else if (cat) {
		snprintf(err, errlen, "cannot publish the run: %s", sqlite3_errmsg(cat));
	}
	sqlite3_finalize(q);
	db_close(cat);
	if (rc != 0) {
		unlink(path);
		snprintf(w->path, sizeof w->path, "%s", path);
		db_store_run_abandon(st, w);
	}
	return rc;
}

/* ---- new versions ---- */

/* Request threads have small stacks: the buffer is on the heap. */
static int copy_file(const char *from, const char *to)
{
	enum { COPY_BUF = 1 << 20 };
	char *buf = malloc(COPY_BUF);
	int in = buf ? open(from, O_RDONLY | O_CLOEXEC) : -1, out = -1, rc = -1;
	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out >= 0) {
		ssize_t n;
		while ((n = read(in, buf, COPY_BUF)) > 0) {
			char *p = buf;
			while (n > 0) {
				ssize_t w = write(out, p, (size_t)n);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					goto done;
				p += w;
				n -= w;
			}
		}
		rc = n == 0 ? 0 : -1;
	}
done:
	free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

static void busy_enter(struct db_store *st, int64_t run_id)
{
	pthread_mutex_lock(&st->mu);
	for (;;) {
		int found = 0;
		for (int i = 0; i < st->nbusy; i++)
			found |= st->busy[i] == run_id;
		if (!found && st->nbusy < MODIFY_MAX)
			break;
		pthread_cond_wait(&st->cv, &st->mu);
	}
	st->busy[st->nbusy++] = run_id;
	pthread_mutex_unlock(&st->mu);
}

static void busy_leave(struct db_store *st, int64_t run_id)
{
	pthread_mutex_lock(&st->mu);
	for (int i = 0; i < st->nbusy; i++)
		if (st->busy[i] == run_id) {
			st->busy[i] = st->busy[--st->nbusy];
			break;
		}
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

static int64_t current_version(sqlite3 *cat, int64_t run_id)
{
	sqlite3_stmt *q;
	int64_t v = -1;
	if (sqlite3_prepare_v2(cat, "SELECT version FROM run_files WHERE run_id=? AND version>0"
				    " AND run_id IN (SELECT id FROM runs)", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc = sqlite3_step(q);
	v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : rc == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(q);
	return v;
}

struct version_paths {
	char from[4096], tmp[4096], to[4096];
};

static int modify_locked(struct db_store *st, sqlite3 *cat, int64_t run_id, db_store_fn fn,
			 void *ud, struct version_paths *p, char *err, size_t errlen)
{
	int64_t v = current_version(cat, run_id);
	if (v <= 0) {
		snprintf(err, errlen, v == 0 ? "no such run" : "cannot read the catalog: %s",
			 sqlite3_errmsg(cat));
		return v == 0 ? 1 : -1;
	}
	char *from = p->from, *to = p->to, *tmp = p->tmp;
	db_store_run_path(st, run_id, v, from, sizeof p->from);
	db_store_run_path(st, run_id, v + 1, to, sizeof p->to);
	snprintf(tmp, sizeof p->tmp, "%s/.tmp-run-%lld.v%lld.db", st->dir, (long long)run_id,
		 (long long)v + 1);
	if (copy_file(from, tmp) != 0) {
		snprintf(err, errlen, "cannot copy the run file: %s", strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* db_open migrates the copy when this code's schema is newer: re-analysis material */
	sqlite3 *db = db_open(tmp, DB_READWRITE, err, errlen);
	int rc = db && sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) == SQLITE_OK
			 ? fn(ud, db, run_id, err, errlen)
			 : -1;
	/* what fn changed may have dropped derived rows (stored findings name routines): the
	 * new version gets them now, as its readers cannot write */
	if (rc == 0 && st->finish)
		rc = st->finish(st->finish_ud, db, run_id, err, errlen);
	if (db && sqlite3_close(db) != SQLITE_OK && rc == 0) {
		snprintf(err, errlen, "cannot close the new run file");
		rc = -1;
	}
	if (rc == 0)
		rc = db_store_place(st, tmp, run_id, v + 1, err, errlen);
	if (rc != 0) {
		unlink(tmp);
		return -1;
	}
	if (exec_ids(cat, "UPDATE run_files SET version=version+1 WHERE run_id=? AND version=?",
		     run_id, v) != 1) {
		snprintf(err, errlen, "the run was deleted meanwhile");
		unlink(to);
		return 1;
	}
	unlink(from); /* readers holding it open keep reading the old version */
	return 0;
}

int db_store_run_modify(struct db_store *st, int64_t run_id, db_store_fn fn, void *ud,
			char *err, size_t errlen)
{
	struct version_paths *p = malloc(sizeof *p); /* small stacks: see copy_file */
	sqlite3 *cat = p ? db_store_catalog(st, err, errlen) : NULL;
	if (!cat) {
		if (!p)
			snprintf(err, errlen, "out of memory");
		free(p);
		return -1;
	}
	busy_enter(st, run_id);
	int rc = modify_locked(st, cat, run_id, fn, ud, p, err, errlen);
	busy_leave(st, run_id);
	db_close(cat);
	free(p);
	return rc;
}

/* ---- removal ---- */

int db_store_sweep(struct db_store *st)
{
	char err[256], path[4096];
	sqlite3_stmt *q;
	sqlite3 *cat = db_store_catalog(st, err, sizeof err);
	if (!cat)
		return -1;
	int purged = db_purge_expired(cat, db_now_us());
	if (sqlite3_prepare_v2(cat, "DELETE FROM run_files WHERE version>0 AND run_id NOT IN"
				    " (SELECT id FROM runs) RETURNING run_id, version",
			       -1, &q, NULL) == SQLITE_OK) {
		while (sqlite3_step(q) == SQLITE_ROW)
			if (db_store_run_path(st, sqlite3_column_int64(q, 0),
					      sqlite3_column_int64(q, 1), path, sizeof path) == 0)
				unlink(path); /* committed below; a crash first leaves an orphan */
		sqlite3_finalize(q);
	}
	db_close(cat);
	return purged;
}

/* At start (this server alone owns the directory: server.c locks it): reservations of
 * ingests cut short, their temporary files and any file the catalog does not name. */
static int remove_leftovers(struct db_store *st, sqlite3 *cat)
{
	DIR *d = opendir(st->dir);
	struct dirent *e;
	char path[4400];
	if (!d)
		return -1;
	if (exec_ids(cat, "DELETE FROM run_files WHERE version=0", 0, 0) < 0) {
		closedir(d);
		return -1;
	}
	while ((e = readdir(d))) {
		long long id = 0, v = 0;
		int end = 0;
		int tmp = strncmp(e->d_name, ".tmp-run-", 9) == 0;
		int named = sscanf(e->d_name, "run-%lld.v%lld.db%n", &id, &v, &end) == 2 &&
			    e->d_name[end] == '\0';
		if (!tmp && !(named && current_version(cat, id) != v))
			continue;
		snprintf(path, sizeof path, "%s/%s", st->dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return 0;
}

/* The schema version in a run file's header (PRAGMA user_version: 4 bytes, big-endian, at
 * offset 60); -1 when unreadable. */
static int64_t file_schema_version(const char *path)
{
	unsigned char h[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, h, sizeof h, 60) : -1;
	if (fd >= 0)
		close(fd);
	return n == 4 ? (int64_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3] : -1;
}

static int no_change(void *ud, sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
	(void)ud, (void)db, (void)run_id, (void)err, (void)errlen;
	return 0; /* db_open migrated the copy */
}

/* Run files written before this code's last migration get a new version with the current
 * schema (db_store_run_modify's db_open migrates the copy), so queries of new tables work on
 * every run. Costs a copy of each such run, once per schema upgrade. */
static int upgrade_files(struct db_store *st, sqlite3 *cat, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	char path[4096];
	int rc = 0;
	if (sqlite3_prepare_v2(cat, "SELECT run_id, version FROM run_files WHERE version>0",
			       -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		db_store_run_path(st, id, sqlite3_column_int64(q, 1), path, sizeof path);
		int64_t v = file_schema_version(path);
		if (v >= 0 && v < db_schema_version() &&
		    db_store_run_modify(st, id, no_change, NULL, err, errlen) < 0)
			rc = -1;
	}
	sqlite3_finalize(q);
	return rc;
}

struct db_store *db_store_open(const char *catalog_path, const char *runs_dir,
			       db_store_fn finish, void *finish_ud, char *err, size_t errlen)
{
	struct db_store *st = calloc(1, sizeof *st);
	sqlite3 *cat = NULL;
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((size_t)snprintf(st->catalog, sizeof st->catalog, "%s", catalog_path) >=
		    sizeof st->catalog ||
	    (size_t)snprintf(st->dir, sizeof st->dir, "%s", runs_dir) >= sizeof st->dir) {
		snprintf(err, errlen, "the catalog or run directory name is too long");
		free(st);
		return NULL;
	}
	if (mkdir(runs_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the run directory %s: %s", runs_dir,
			 strerror(errno));
		free(st);
		return NULL;
	}
	st->finish = finish;
	st->finish_ud = finish_ud;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	/* db_open creates and migrates the catalog (the analysis schema's runs, upload_jobs) */
	if (!(cat = db_open(catalog_path, DB_READWRITE, err, errlen)))
		goto fail;
	if (sqlite3_exec(cat, run_files_sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create the catalog: %s", sqlite3_errmsg(cat));
		goto fail;
	}
	if (remove_leftovers(st, cat) != 0) {
		snprintf(err, errlen, "cannot clean the run directory %s", runs_dir);
		goto fail;
	}
	if (db_store_adopt(st, cat, finish, finish_ud, err, errlen) != 0 ||
	    upgrade_files(st, cat, err, errlen) != 0)
		goto fail;
	db_close(cat);
	if (!(st->keep = db_store_catalog(st, err, errlen)) ||
	    sqlite3_exec(st->keep, "SELECT count(*) FROM run_files", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	db_store_sweep(st);
	return st;
fail:
	db_close(cat);
	db_store_free(st);
	return NULL;
}

void db_store_free(struct db_store *st)
{
	if (!st)
		return;
	db_close(st->keep);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st);
}
