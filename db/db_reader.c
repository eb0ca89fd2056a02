/* db_reader.c — a thread's way to runs (db_store.h): its catalog connection and a small
 * cache of read-only handles on run files, least recently used closed first. A handle shows
 * the catalog's editable fields (name, notes, expiry, edit token) through a TEMP copy of
 * its runs row, which SQLite resolves before the file's own (unqualified names look in temp
 * first): queries written for one database read a run file unchanged, and the file itself
 * is never written. Compare gets one connection over several files: a TEMP view per table.
 *
 * Invariants: a cached handle is keyed by (run id, file version), so a new version is
 * opened afresh; the handle db_run_open returned last is never the one evicted next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "db_catalog.h"
#include "db_store.h"

#define READER_HANDLES 8 /* open run files per thread */

struct handle {
	int64_t run_id, version;
	sqlite3 *db;
	uint64_t used;
	/* the editable fields last copied onto its TEMP row (shown_same); f[]: name, notes,
	 * edit token, each malloc'd, or all NULL when nothing is known to be shown */
	char *f[3];
	int has_expiry;
	int64_t expires_us;
};

struct db_reader {
	struct db_store *st;
	struct db_catalog *cat;
	sqlite3 *empty; /* db_reader_empty, opened on first use */
	struct handle h[READER_HANDLES];
	uint64_t tick;
	int64_t version; /* of the handle db_run_open returned last (0: the catalog) */
};

/* The editable fields of row, in the order of handle.f. */
static void row_fields(const struct db_catalog_run *row, const char *f[3])
{
	f[0] = row->run.name ? row->run.name : "";
	f[1] = row->run.notes ? row->run.notes : "";
	f[2] = row->edit_token;
}

/* 1 when h's TEMP row already shows row's editable fields, so no UPDATE is needed (before,
 * every request, kept answers included, prepared a statement and wrote the row); else 0. */
static int shown_same(const struct handle *h, const struct db_catalog_run *row)
{
	const char *f[3];
	row_fields(row, f);
	if (!h->f[0] || h->has_expiry != row->run.has_expiry ||
	    (row->run.has_expiry && h->expires_us != row->run.expires_us))
		return 0;
	for (int i = 0; i < 3; i++)
		if (strcmp(h->f[i], f[i]) != 0)
			return 0;
	return 1;
}

/* Empty h's record of what its TEMP row shows (the handle itself stays). */
static void shown_clear(struct handle *h)
{
	for (int i = 0; i < 3; i++) {
		free(h->f[i]);
		h->f[i] = NULL;
	}
}

/* Record that h's TEMP row now shows row's fields; out of memory leaves nothing recorded,
 * so the next request writes the row again. */
static void shown_set(struct handle *h, const struct db_catalog_run *row)
{
	const char *f[3];
	row_fields(row, f);
	shown_clear(h);
	for (int i = 0; i < 3; i++)
		if (!(h->f[i] = strdup(f[i]))) {
			shown_clear(h);
			return;
		}
	h->has_expiry = row->run.has_expiry;
	h->expires_us = row->run.expires_us;
}

struct db_reader *db_reader_new(struct db_store *st, char *err, size_t errlen)
{
	struct db_reader *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->st = st;
	if (!(r->cat = db_store_catalog(st, err, errlen))) {
		free(r);
		return NULL;
	}
	return r;
}

void db_reader_free(struct db_reader *r)
{
	if (!r)
		return;
	for (int i = 0; i < READER_HANDLES; i++) {
		db_close(r->h[i].db);
		shown_clear(&r->h[i]);
	}
	db_catalog_close(r->cat);
	db_close(r->empty);
	free(r);
}

struct db_catalog *db_reader_catalog(struct db_reader *r)
{
	return r->cat;
}

sqlite3 *db_reader_empty(struct db_reader *r, char *err, size_t errlen)
{
	if (!r->empty)
		r->empty = db_open(":memory:", DB_READWRITE, err, errlen);
	return r->empty;
}

/* The catalog's row of a visible run (id, file version, the editable fields the overlay
 * shows) into *out: 0, or 1 none (db_run_clear(&out->run) after 0). */
static int lookup(struct db_catalog *cat, const char *public_id, struct db_catalog_run *out)
{
	return cat->ops->run_get(cat, public_id, out) == 0 ? 0 : 1;
}

/* Copy the editable fields of the catalog's row onto the TEMP runs row of the run. kept:
 * the statement is kept on db (a cached handle, closed with db_close). */
static int overlay(sqlite3 *db, const struct db_catalog_run *row, const char *schema, int kept)
{
	sqlite3_stmt *q = NULL;
	char sql[160];
	snprintf(sql, sizeof sql, "UPDATE %s.runs SET name=?, notes=?, expires_us=?, edit_token=?"
				  " WHERE id=?", schema);
	if (kept ? !(q = db_kept_stmt(db, sql))
		 : sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, row->run.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, row->run.notes, -1, SQLITE_STATIC);
	if (row->run.has_expiry)
		sqlite3_bind_int64(q, 3, row->run.expires_us);
	sqlite3_bind_text(q, 4, row->edit_token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, row->run.id);
	int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
	if (kept)
		db_kept_done(q);
	else
		sqlite3_finalize(q);
	return rc;
}

static sqlite3 *open_file(struct db_reader *r, int64_t run_id, int64_t version, char *err,
			  size_t errlen)
{
	char path[4096];
	sqlite3 *db = NULL;
	if (db_store_run_path(r->st, run_id, version, path, sizeof path) != 0 ||
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TEMP TABLE runs AS SELECT * FROM main.runs", NULL, NULL,
			 NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the file of run %lld: %s", (long long)run_id,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 30000);
	sqlite3_extended_result_codes(db, 1);
	return db;
}

sqlite3 *db_run_open(struct db_reader *r, const char *public_id, char *err, size_t errlen)
{
	struct db_catalog_run row;
	struct handle *h = NULL, *lru = &r->h[0];
	r->version = 0;
	snprintf(err, errlen, "no such run");
	if (lookup(r->cat, public_id, &row) != 0)
		return NULL;
	int64_t id = row.run.id, version = row.version;
	if (version == 0) { /* not moved into a file yet (db_store_adopt.c; SQLite only) */
		db_run_clear(&row.run);
		return db_catalog_sqlite(r->cat);
	}
	for (int i = 0; i < READER_HANDLES && !h; i++) {
		if (r->h[i].db && r->h[i].run_id == id && r->h[i].version == version)
			h = &r->h[i];
		else if (!r->h[i].db || (lru->db && r->h[i].used < lru->used))
			lru = &r->h[i];
	}
	/* the version just looked up keeps its file for a grace after a newer one replaces
	 * it (db_store_sweep), so the open needs no second look */
	if (!h) {
		h = lru;
		db_close(h->db);
		shown_clear(h);
		memset(h, 0, sizeof *h);
		if (!(h->db = open_file(r, id, version, err, errlen))) {
			db_run_clear(&row.run);
			return NULL;
		}
		h->run_id = id;
		h->version = version;
	}
	h->used = ++r->tick;
	int rc = 0;
	if (!shown_same(h, &row)) {
		shown_clear(h);
		if ((rc = overlay(h->db, &row, "temp", 1)) == 0)
			shown_set(h, &row);
	}
	db_run_clear(&row.run);
	if (rc != 0) {
		snprintf(err, errlen, "cannot read run %lld: %s", (long long)id, sqlite3_errmsg(h->db));
		return NULL;
	}
	r->version = version;
	return h->db;
}

int64_t db_reader_version(const struct db_reader *r)
{
	return r->version;
}

int db_run_file_open(struct db_reader *r, const char *public_id, int64_t *size, char *err,
		     size_t errlen)
{
	struct db_catalog_run row;
	char path[4096];
	struct stat sb;
	if (lookup(r->cat, public_id, &row) != 0) {
		snprintf(err, errlen, "no such run");
		return -1;
	}
	int64_t id = row.run.id, v = row.version;
	db_run_clear(&row.run);
	if (v == 0) {
		snprintf(err, errlen, "this run is not in a file of its own yet; it moves at the"
				      " server's next start");
		return -2;
	}
	db_store_run_path(r->st, id, v, path, sizeof path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &sb) == 0) {
		*size = sb.st_size;
		return fd;
	}
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "cannot open the run's file");
	return -3;
}

/* ---- several runs on one connection (compare) ---- */

/* ATTACH path read-only as name; the path is passed as a URI, percent-encoded. */
static int attach_ro(sqlite3 *db, const char *path, const char *name)
{
	char uri[3 * 4096 + 32], *o = uri;
	static const char hex[] = "0123456789ABCDEF";
	o += sprintf(o, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	strcpy(o, "?mode=ro");
	sqlite3_stmt *q;
	int rc = -1;
	if (sqlite3_prepare_v2(db, "ATTACH ? AS ?", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, uri, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(q);
	}
	return rc;
}

/* For every table of r0: a TEMP view (runs: a TEMP table) over all n attached files when it
 * has a run_id column (the rows of different runs never collide), else r0's alone. */
static int union_views(sqlite3 *db, int n)
{
	sqlite3_stmt *t;
	int rc = 0;
	if (sqlite3_prepare_v2(db, "SELECT m.name, EXISTS (SELECT 1 FROM pragma_table_info(m.name,"
				   " 'r0') c WHERE c.name IN ('run_id', 'public_id'))"
				   " FROM r0.sqlite_master m WHERE m.type='table'"
				   " AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'run_files'", -1, &t,
			       NULL) != SQLITE_OK)
		return -1;
	while (rc == 0 && sqlite3_step(t) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(t, 0);
		int per_run = sqlite3_column_int(t, 1), is_runs = strcmp(name, "runs") == 0;
		char *probe = sqlite3_mprintf("SELECT rowid FROM r0.\"%w\"", name);
		sqlite3_stmt *p = NULL;
		/* queries may order by rowid (write order); WITHOUT ROWID tables have none */
		int rowid = !is_runs && probe &&
			    sqlite3_prepare_v2(db, probe, -1, &p, NULL) == SQLITE_OK;
		sqlite3_finalize(p);
		sqlite3_free(probe);
		char *sql = sqlite3_mprintf("CREATE TEMP %s \"%w\" AS", is_runs ? "TABLE" : "VIEW",
					    name);
		for (int k = 0; sql && k < (per_run ? n : 1); k++)
			sql = sqlite3_mprintf("%z%s SELECT %s* FROM r%d.\"%w\"", sql,
					      k ? " UNION ALL" : "", rowid ? "rowid AS rowid, " : "",
					      k, name);
		rc = sql && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
		sqlite3_free(sql);
	}
	sqlite3_finalize(t);
	return rc;
}

sqlite3 *db_run_open_set(struct db_reader *r, const char *const *public_ids, int n, char *err,
			 size_t errlen)
{
	sqlite3 *db = NULL;
	struct db_catalog_run rows[8];
	int k = 0, files = 0, catalog = 0, rc = 0;
	char *keep = sqlite3_mprintf("DELETE FROM temp.runs WHERE id NOT IN (0");
	if (n > 8)
		n = 8;
	if (!keep || sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
							      SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "out of memory");
		sqlite3_free(keep);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 30000);
	for (int i = 0; i < n && rc == 0; i++) {
		char path[4096], name[16];
		int dup = 0;
		if (lookup(r->cat, public_ids[i], &rows[k]) != 0)
			continue;
		int64_t id = rows[k].run.id, v = rows[k].version;
		for (int j = 0; j < k; j++)
			dup |= rows[j].run.id == id;
		if (dup) {
			db_run_clear(&rows[k].run);
			continue;
		}
		k++;
		keep = sqlite3_mprintf("%z,%lld", keep, (long long)id);
		if (v == 0 && catalog++) /* rows still in the catalog: attached once */
			continue;
		if (v == 0)
			snprintf(path, sizeof path, "%s", db_store_catalog_path(r->st));
		else
			db_store_run_path(r->st, id, v, path, sizeof path);
		snprintf(name, sizeof name, "r%d", files++);
		rc = attach_ro(db, path, name);
	}
	keep = sqlite3_mprintf("%z)", keep);
	if (rc == 0 && k == 0) {
		snprintf(err, errlen, "no such run");
		rc = 1;
	} else if (rc == 0) {
		rc = union_views(db, files);
		/* the catalog, when attached, holds every run's row */
		if (rc == 0)
			rc = keep && sqlite3_exec(db, keep, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
		for (int j = 0; j < k && rc == 0; j++)
			rc = overlay(db, &rows[j], "temp", 0);
		if (rc != 0)
			snprintf(err, errlen, "cannot open the runs: %s", sqlite3_errmsg(db));
	} else {
		snprintf(err, errlen, "cannot open the runs: %s", sqlite3_errmsg(db));
	}
	sqlite3_free(keep);
	for (int j = 0; j < k; j++)
		db_run_clear(&rows[j].run);
	if (rc != 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}
