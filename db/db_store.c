/* db_store.c — the catalog and the directory of run files (db_store.h, docs/team.md):
 * opening both, writing and publishing a new run, new versions of a stored run, and
 * removing what no run owns any more. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "db_catalog.h"
#include "db_store.h"

#define MODIFY_MAX 64 /* runs being changed at once */

struct db_store {
	char catalog[4096]; /* a path (SQLite) or a postgresql:// URI */
	char dir[3800]; /* room for the file names inside 4096-byte paths */
	pthread_mutex_t mu; /* guards busy[] */
	pthread_cond_t cv;
	int64_t busy[MODIFY_MAX];
	int nbusy;
	/* Held open while the store lives: short-lived catalog connections are never the last
	 * one, whose close would checkpoint and delete the WAL under an exclusive lock. */
	struct db_catalog *keep;
	char owner[96];   /* this process in the catalog: reservations, jobs, heartbeats */
	int64_t lease_us; /* how long a heartbeat keeps this server and its jobs alive */
	db_store_fn finish; /* completes every new file (db_store_open's finish); may be NULL */
	void *finish_ud;
};

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

struct db_catalog *db_store_catalog(struct db_store *st, char *err, size_t errlen)
{
	return db_catalog_open(st->catalog, err, errlen);
}

const char *db_store_owner(const struct db_store *st)
{
	return st->owner;
}

int64_t db_store_lease_us(const struct db_store *st)
{
	return st->lease_us;
}

/* An SQLite file being written and whatever SQLite keeps beside it: its rollback journal
 * (files being written are DB_PRIVATE, never WAL; a WAL pair is removed all the same, as
 * files made by releases that started them in WAL may be left). */
static void unlink_db_files(const char *path)
{
	static const char *const sides[] = {"", "-journal", "-wal", "-shm"};
	char p[4200];
	for (size_t i = 0; i < sizeof sides / sizeof *sides; i++)
		if ((size_t)snprintf(p, sizeof p, "%s%s", path, sides[i]) < sizeof p)
			unlink(p);
}

/* A reservation dropped (its server is gone): the file it was writing goes too. */
static void unlink_reserved(void *ud, int64_t run_id)
{
	const struct db_store *st = ud;
	char path[4200];
	snprintf(path, sizeof path, "%s/.tmp-run-%lld.db", st->dir, (long long)run_id);
	unlink_db_files(path);
}

int db_store_heartbeat(struct db_store *st)
{
	struct db_catalog *c = st->keep;
	int64_t now = db_now_us();
	if (!c || c->ops->heartbeat(c, st->owner, now + st->lease_us) != 0 ||
	    c->ops->drop_reservations(c, now, unlink_reserved, st) != 0)
		return -1;
	return c->ops->job_expire(c, now);
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
	/* A file being written is not shared: no WAL (DB_PRIVATE; readers of the finished file
	 * need none), and no syncs until it is complete (db_store_place flushes it once).
	 * Nor locked and unlocked around each statement: in EXCLUSIVE locking mode the
	 * connection keeps its file lock from its first write until it closes, so a statement
	 * outside the ingest's transaction (the after-ingest reads, ~17,000 on the 60 s kernel
	 * story) costs no fcntl lock pair, no stat of -journal and -wal, no re-read of the
	 * header (bench/README.md, "kcore"). Every caller closes the file before anything else
	 * opens it (db_store_run_publish, db_store_adopt's ATTACH); closing deletes the journal. */
	sqlite3 *db = db_open(path, DB_PRIVATE, err, errlen);
	char sql[160];
	snprintf(sql, sizeof sql, "PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
				  " PRAGMA application_id=%d;",
		 DB_RUN_FILE_APP_ID);
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
	struct db_catalog *cat = db_store_catalog(st, err, errlen);
	if (!cat)
		return -1;
	if (cat->ops->reserve(cat, st->owner, &w->run_id) != 0) {
		snprintf(err, errlen, "cannot reserve a run: %s", db_catalog_errmsg(cat));
		db_catalog_close(cat);
		return -1;
	}
	db_catalog_close(cat);
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
	char err[256];
	if (w->db)
		db_close(w->db);
	w->db = NULL;
	if (w->path[0])
		unlink_db_files(w->path);
	struct db_catalog *cat = db_store_catalog(st, err, sizeof err);
	if (cat) /* a reservation left behind is removed at a later start */
		cat->ops->unreserve(cat, w->run_id);
	db_catalog_close(cat);
}

/* Take the run's row and edit token out of the file being written (the token stays in
 * the catalog only), and the placeholder row out (db_store_run_begin). */
static int take_row(sqlite3 *db, int64_t run_id, struct db_run *row, char *token, size_t len)
{
	char public_id[DB_PUBLIC_ID_LEN + 1];
	if (db_run_edit_token(db, run_id, token, len) != 0 ||
	    db_run_public_id(db, run_id, public_id, sizeof public_id) != 0 ||
	    db_run_get(db, public_id, row) != 0)
		return -1;
	if (exec_ids(db, "UPDATE runs SET edit_token='' WHERE id=?", run_id, 0) == 1 &&
	    exec_ids(db, "DELETE FROM runs WHERE id=?", run_id - 1, 0) == 1)
		return 0;
	db_run_clear(row);
	return -1;
}

int db_store_run_publish(struct db_store *st, struct db_run_writer *w, const char *job_id,
			 char *err, size_t errlen)
{
	char token[DB_PUBLIC_ID_LEN + 1], path[4096];
	struct db_run row;
	if (take_row(w->db, w->run_id, &row, token, sizeof token) != 0) {
		snprintf(err, errlen, "cannot finish the run file: %s", sqlite3_errmsg(w->db));
		db_store_run_abandon(st, w);
		return -1;
	}
	int rc = sqlite3_close(w->db);
	w->db = NULL;
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot close the run file");
		db_run_clear(&row);
		db_store_run_abandon(st, w);
		return -1;
	}
	if (db_store_place(st, w->path, w->run_id, 1, err, errlen) != 0) {
		db_run_clear(&row);
		db_store_run_abandon(st, w);
		return -1;
	}
	db_store_run_path(st, w->run_id, 1, path, sizeof path);
	struct db_catalog *cat = db_store_catalog(st, err, errlen);
	rc = cat ? cat->ops->publish(cat, &row, token, job_id, st->owner) : -1;
	if (rc == 1)
		snprintf(err, errlen, "the upload's job was given up meanwhile (this server's lease"
				      " expired); upload the file again");
	else if (rc != 0 && cat)
		snprintf(err, errlen, "cannot publish the run: %s", db_catalog_errmsg(cat));
	db_catalog_close(cat);
	db_run_clear(&row);
	if (rc != 0) {
		unlink(path);
		snprintf(w->path, sizeof w->path, "%s", path);
		db_store_run_abandon(st, w);
		return -1;
	}
	return 0;
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

struct version_paths {
	char from[4096], tmp[4096], to[4096];
};

static int modify_locked(struct db_store *st, struct db_catalog *cat, int64_t run_id,
			 db_store_fn fn, void *ud, struct version_paths *p, char *err, size_t errlen)
{
	int64_t v = cat->ops->version(cat, run_id);
	if (v <= 0) {
		snprintf(err, errlen, v == 0 ? "no such run" : "cannot read the catalog: %s",
			 db_catalog_errmsg(cat));
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
	sqlite3 *db = db_open(tmp, DB_PRIVATE, err, errlen);
	int rc = db ? fn(ud, db, run_id, err, errlen) : -1;
	/* what fn changed may have dropped derived rows (stored findings name routines): the
	 * new version gets them now, as its readers cannot write */
	if (rc == 0 && st->finish)
		rc = st->finish(st->finish_ud, db, run_id, err, errlen);
	if (db && sqlite3_close(db) != SQLITE_OK && rc == 0) {
		snprintf(err, errlen, "cannot close the new run file");
		rc = -1;
	}
	/* Placed without replacing: another server changing the same run at the same time
	 * (a shared run directory) finds the name taken and gives up, never overwrites. */
	if (rc == 0 && (fsync_path(tmp, 0) != 0 || link(tmp, to) != 0)) {
		snprintf(err, errlen, errno == EEXIST ? "the run is being changed elsewhere; try again"
						      : "cannot put the run file in place: %s",
			 strerror(errno));
		rc = -1;
	}
	unlink(tmp);
	if (rc != 0)
		return -1;
	fsync_path(st->dir, 1);
	if (cat->ops->version_step(cat, run_id, v) != 0) {
		snprintf(err, errlen, "the run was deleted meanwhile");
		unlink(to);
		return 1;
	}
	/* version v's file stays for readers that looked it up a moment ago: the sweep
	 * unlinks it once the grace has passed (db_store_sweep) */
	return 0;
}

int db_store_run_modify(struct db_store *st, int64_t run_id, db_store_fn fn, void *ud,
			char *err, size_t errlen)
{
	struct version_paths *p = malloc(sizeof *p); /* small stacks: see copy_file */
	struct db_catalog *cat = p ? db_store_catalog(st, err, errlen) : NULL;
	if (!cat) {
		if (!p)
			snprintf(err, errlen, "out of memory");
		free(p);
		return -1;
	}
	busy_enter(st, run_id);
	int rc = modify_locked(st, cat, run_id, fn, ud, p, err, errlen);
	busy_leave(st, run_id);
	db_catalog_close(cat);
	free(p);
	return rc;
}

/* ---- removal ---- */

struct unlink_ctx {
	struct db_store *st;
};

static void unlink_gone(void *ud, int64_t run_id, int64_t version)
{
	char path[4096];
	if (db_store_run_path(ud, run_id, version, path, sizeof path) == 0)
		unlink(path); /* committed after: a crash first leaves an orphan */
}

/* The catalog's (run id, file version) pairs, sorted by run id. */
struct versions {
	int64_t (*v)[2];
	size_t n, cap;
};

static int versions_add(void *ud, int64_t run_id, int64_t version)
{
	struct versions *vs = ud;
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? 2 * vs->cap : 256;
		int64_t(*v)[2] = realloc(vs->v, cap * sizeof *v);
		if (!v)
			return -1;
		vs->v = v, vs->cap = cap;
	}
	vs->v[vs->n][0] = run_id, vs->v[vs->n][1] = version;
	vs->n++;
	return 0;
}

static int by_run(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Unlink run-ID.vN.db when the catalog names a newer version M of run ID whose file was
 * placed at least grace_s ago: its mtime is when it was written, just before it replaced
 * N (db_store_run_modify), so every reader that looked N up before the switch has had
 * grace_s to open it (an open file stays readable after the unlink). */
static void unlink_replaced(struct db_store *st, struct db_catalog *cat, int64_t grace_s)
{
	struct versions vs = {0};
	DIR *d = NULL;
	/* no files, nothing replaced (and qsort/bsearch take no NULL array) */
	if (cat->ops->files(cat, versions_add, &vs) != 0 || !vs.n || !(d = opendir(st->dir))) {
		free(vs.v);
		return;
	}
	qsort(vs.v, vs.n, sizeof *vs.v, by_run);
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		long long id = 0, v = 0;
		int end = 0;
		if (sscanf(e->d_name, "run-%lld.v%lld.db%n", &id, &v, &end) != 2 || e->d_name[end])
			continue;
		int64_t key = id, (*cur)[2] = bsearch(&key, vs.v, vs.n, sizeof *vs.v, by_run);
		char path[4096];
		struct stat sb;
		if (!cur || (*cur)[1] <= v ||
		    db_store_run_path(st, id, (*cur)[1], path, sizeof path) != 0 ||
		    stat(path, &sb) != 0 || now - sb.st_mtime < grace_s)
			continue;
		if (db_store_run_path(st, id, v, path, sizeof path) == 0)
			unlink(path);
	}
	closedir(d);
	free(vs.v);
}

int db_store_sweep_grace(struct db_store *st, int64_t grace_s)
{
	char err[256];
	struct db_catalog *cat = db_store_catalog(st, err, sizeof err);
	if (!cat)
		return -1;
	int purged = cat->ops->purge_expired(cat, db_now_us());
	cat->ops->sweep(cat, unlink_gone, st);
	unlink_replaced(st, cat, grace_s);
	db_catalog_close(cat);
	return purged;
}

int db_store_sweep(struct db_store *st)
{
	return db_store_sweep_grace(st, DB_STORE_REPLACED_GRACE_S);
}

#define GONE_STOPPED "the server receiving or ingesting this upload stopped; upload the file again"

/* The inode of this process's pid namespace (0 when unknown): pids mean the same process
 * only within one namespace (one host, or one container). */
static unsigned long long pid_namespace(void)
{
	char link[64] = "";
	unsigned long long ino = 0;
	ssize_t n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
	if (n > 0 && sscanf(link, "pid:[%llu]", &ino) != 1)
		ino = 0;
	return ino;
}

/* "host:pid:pid-namespace:random": who this process is in the catalog. */
static int make_owner(struct db_store *st)
{
	char host[64] = "", rnd[17];
	gethostname(host, sizeof host - 1);
	for (char *p = host; *p; p++)
		if (*p == ':')
			*p = '_';
	if (db_random_hex(rnd, 8) != 0)
		return -1;
	snprintf(st->owner, sizeof st->owner, "%s:%d:%llu:%s", host, (int)getpid(),
		 pid_namespace(), rnd);
	return 0;
}

/* A live server in this pid namespace on this host whose process is gone (killed, crashed)
 * is forgotten at once: a restart after a crash needs not wait for its lease. A pid in use
 * again by another process keeps it alive until its lease ends (never too early); so does
 * a server in another container, whose pids cannot be checked from here. */
static int forget_dead(void *ud, const char *owner)
{
	struct db_store *st = ud;
	char host[64] = "", mine[64] = "";
	long pid = 0;
	unsigned long long ns = 0, my_ns = pid_namespace();
	if (strcmp(owner, st->owner) == 0 ||
	    sscanf(owner, "%63[^:]:%ld:%llu:", host, &pid, &ns) != 3 ||
	    sscanf(st->owner, "%63[^:]:", mine) != 1)
		return 0;
	if (strcmp(host, mine) != 0 || ns != my_ns || ns == 0 || pid <= 0)
		return 0; /* another host or namespace: its pids cannot be checked from here */
	if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
		return 0;
	char err[256];
	struct db_catalog *c = db_store_catalog(st, err, sizeof err);
	if (c)
		c->ops->server_forget(c, owner, GONE_STOPPED, unlink_reserved, st);
	db_catalog_close(c);
	return 0;
}

/* At start: reservations of servers no longer alive (an ingest cut short). When no other
 * server is alive on this catalog, also temporary files and any file the catalog does not
 * name; while others live, their files being written look the same, so those wait for a
 * start that finds itself alone (docs/team.md). */
static int remove_leftovers(struct db_store *st, struct db_catalog *cat)
{
	int others = cat->ops->others_alive(cat, st->owner, db_now_us());
	if (others < 0 || cat->ops->drop_reservations(cat, db_now_us(), unlink_reserved, st) != 0)
		return -1;
	if (others > 0)
		return 0;
	DIR *d = opendir(st->dir);
	struct dirent *e;
	char path[4400];
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		long long id = 0, v = 0;
		int end = 0;
		int tmp = strncmp(e->d_name, ".tmp-run-", 9) == 0;
		int named = sscanf(e->d_name, "run-%lld.v%lld.db%n", &id, &v, &end) == 2 &&
			    e->d_name[end] == '\0';
		if (!tmp && !(named && cat->ops->version(cat, id) != v))
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

struct upgrade {
	struct db_store *st;
	char *err;
	size_t errlen;
};

static int upgrade_one(void *ud, int64_t id, int64_t version)
{
	struct upgrade *u = ud;
	char path[4096];
	db_store_run_path(u->st, id, version, path, sizeof path);
	int64_t v = file_schema_version(path);
	if (v < 0 || v >= db_schema_version())
		return 0;
	int rc = db_store_run_modify(u->st, id, no_change, NULL, u->err, u->errlen);
	if (rc == 0) /* at start, alone, serving nothing yet: no reader needs the old file */
		unlink(path);
	return rc < 0;
}

/* Run files written before this code's last migration get a new version with the current
 * schema (db_store_run_modify's db_open migrates the copy), so queries of new tables work on
 * every run. Costs a copy of each such run, once per schema upgrade. */
static int upgrade_files(struct db_store *st, struct db_catalog *cat, char *err, size_t errlen)
{
	struct upgrade u = {st, err, errlen};
	return cat->ops->files(cat, upgrade_one, &u) == 0 ? 0 : -1;
}

struct db_store *db_store_open_leased(const char *catalog, const char *runs_dir, int lease_s,
				      db_store_fn finish, void *finish_ud, char *err, size_t errlen)
{
	return db_store_open_after(catalog, runs_dir, lease_s, NULL, finish, finish_ud, err,
				   errlen);
}

struct db_store *db_store_open_after(const char *catalog, const char *runs_dir, int lease_s,
				     const struct db_store_start *start, db_store_fn finish,
				     void *finish_ud, char *err, size_t errlen)
{
	struct db_store *st = calloc(1, sizeof *st);
	struct db_catalog *cat = NULL;
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((size_t)snprintf(st->catalog, sizeof st->catalog, "%s", catalog) >=
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
	if (make_owner(st) != 0) {
		snprintf(err, errlen, "no random numbers");
		free(st);
		return NULL;
	}
	st->lease_us = (int64_t)(lease_s > 0 ? lease_s : DB_STORE_LEASE_S) * 1000000;
	st->finish = finish;
	st->finish_ud = finish_ud;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	if (db_catalog_migrate(catalog, err, errlen) != 0 ||
	    !(cat = db_store_catalog(st, err, errlen)))
		goto fail;
	/* alive first: the leftovers below are those of servers that are not */
	if (start && start->predecessor && *start->predecessor &&
	    strcmp(start->predecessor, st->owner) != 0 &&
	    cat->ops->server_forget(cat, start->predecessor, GONE_STOPPED, unlink_reserved, st) != 0) {
		snprintf(err, errlen, "cannot update the catalog: %s", db_catalog_errmsg(cat));
		goto fail;
	}
	if (cat->ops->heartbeat(cat, st->owner, db_now_us() + st->lease_us) != 0 ||
	    cat->ops->server_list(cat, db_now_us(), forget_dead, st) < 0 ||
	    remove_leftovers(st, cat) != 0) {
		snprintf(err, errlen, "cannot clean the run directory %s: %s", runs_dir,
			 db_catalog_errmsg(cat));
		goto fail;
	}
	/* converting rows into files (SQLite catalogs only: older releases wrote those) and
	 * upgrading files are done by a server that starts alone (docs/team.md) */
	int alone = cat->ops->others_alive(cat, st->owner, db_now_us()) == 0;
	if (alone && db_catalog_sqlite(cat) &&
	    db_store_adopt(st, db_catalog_sqlite(cat), finish, finish_ud, err, errlen) != 0)
		goto fail;
	if (alone && upgrade_files(st, cat, err, errlen) != 0)
		goto fail;
	st->keep = cat;
	cat = NULL;
	db_store_sweep(st);
	return st;
fail:
	db_catalog_close(cat);
	db_store_free(st);
	return NULL;
}

struct db_store *db_store_open(const char *catalog, const char *runs_dir, db_store_fn finish,
			       void *finish_ud, char *err, size_t errlen)
{
	return db_store_open_leased(catalog, runs_dir, 0, finish, finish_ud, err, errlen);
}

void db_store_free(struct db_store *st)
{
	if (!st)
		return;
	if (st->keep) /* stopped: its reservations and unfinished jobs go now */
		st->keep->ops->server_forget(st->keep, st->owner, GONE_STOPPED, NULL, NULL);
	db_catalog_close(st->keep);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st);
}
