/* db_store_adopt.c — moving runs whose rows are still in the catalog into run files: a
 * single-file database written by releases before run files (converted on the first start,
 * after a copy of it is kept), and runs `etlscope ingest` wrote into the catalog since.
 * Each run: a fresh file built by db_open (our schema), its rows copied table by table
 * (every per-run table has a run_id column), flushed and renamed into place; then one
 * catalog transaction records the file and deletes the rows it now holds. A crash before
 * that transaction leaves a file the catalog does not name (removed at the next start) and
 * the rows still in the catalog (adopted again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "db_store.h"

/* The per-run tables (with a run_id column) of the new file "f" that the catalog has too
 * (copy), and of the catalog, but for what stays there (delete). */
static const char copy_tables_sql[] =
	"SELECT m.name FROM f.sqlite_master m WHERE m.type='table' AND m.name NOT LIKE 'sqlite_%'"
	" AND EXISTS (SELECT 1 FROM pragma_table_info(m.name, 'f') c WHERE c.name='run_id')"
	" AND EXISTS (SELECT 1 FROM main.sqlite_master o WHERE o.type='table' AND o.name=m.name)"
	" ORDER BY m.name";
static const char delete_tables_sql[] =
	"SELECT m.name FROM main.sqlite_master m WHERE m.type='table'"
	" AND m.name NOT LIKE 'sqlite_%' AND m.name NOT IN ('run_files', 'upload_jobs')"
	" AND EXISTS (SELECT 1 FROM pragma_table_info(m.name, 'main') c WHERE c.name='run_id')"
	" ORDER BY m.name";

/* "col","col",… of table in schema, or NULL. sqlite3_free the result. */
static char *columns(sqlite3 *db, const char *schema, const char *table)
{
	sqlite3_stmt *q;
	char *cols = NULL;
	if (sqlite3_prepare_v2(db, "SELECT group_concat(printf('\"%w\"', name), ',')"
				   " FROM pragma_table_info(?, ?)", -1, &q, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, schema, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		cols = sqlite3_mprintf("%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return cols;
}

/* Run one statement built from table, its columns and run_id. */
static int per_table(sqlite3 *db, const char *fmt, const char *table, const char *cols,
		     int64_t run_id)
{
	char *sql = sqlite3_mprintf(fmt, table, cols ? cols : "", cols ? cols : "", table);
	sqlite3_stmt *q;
	int rc = -1;
	if (sql && sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, run_id);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(q);
	}
	sqlite3_free(sql);
	return rc;
}

/* For each per-run table: copy (copy=1) the run's rows from main into f, or delete them
 * from main (copy=0; runs and upload_jobs stay: they are the catalog's). */
static int each_table(sqlite3 *cat, int64_t run_id, int copy)
{
	sqlite3_stmt *t;
	int rc = 0;
	if (sqlite3_prepare_v2(cat, copy ? copy_tables_sql : delete_tables_sql, -1, &t, NULL) !=
	    SQLITE_OK)
		return -1;
	if (copy) { /* runs first (the others refer to it); it has id, not run_id */
		char *cols = columns(cat, "f", "runs");
		rc = cols ? per_table(cat, "INSERT INTO f.\"%w\"(%s) SELECT %s FROM main.\"%w\""
					   " WHERE id=?1", "runs", cols, run_id)
			  : -1;
		sqlite3_free(cols);
	}
	while (rc == 0 && sqlite3_step(t) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(t, 0);
		char *cols = copy ? columns(cat, "f", name) : NULL;
		if (copy && !cols)
			rc = -1;
		else if (copy)
			rc = per_table(cat, "INSERT INTO f.\"%w\"(%s) SELECT %s FROM main.\"%w\""
					    " WHERE run_id=?1", name, cols, run_id);
		else
			rc = per_table(cat, "DELETE FROM main.\"%w\" WHERE run_id=?1", name, NULL, run_id);
		sqlite3_free(cols);
	}
	sqlite3_finalize(t);
	return rc;
}

static int attach(sqlite3 *db, const char *path)
{
	sqlite3_stmt *q;
	int rc = -1;
	if (sqlite3_prepare_v2(db, "ATTACH ? AS f", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(q);
	}
	return rc;
}

static int adopt_one(struct db_store *st, sqlite3 *cat, int64_t run_id, db_store_fn finish,
		     void *ud, char *err, size_t errlen)
{
	char tmp[4096];
	int rc = -1;
	snprintf(tmp, sizeof tmp, "%s/.tmp-run-%lld.db", db_store_dir(st), (long long)run_id);
	sqlite3 *f = db_store_file_create(tmp, err, errlen);
	if (!f)
		return -1;
	db_close(f);
	if (attach(cat, tmp) != 0) {
		snprintf(err, errlen, "cannot convert run %lld: %s", (long long)run_id,
			 sqlite3_errmsg(cat));
		unlink(tmp);
		return -1;
	}
	sqlite3_exec(cat, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
	if (sqlite3_exec(cat, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
		rc = each_table(cat, run_id, 1);
		rc = rc == 0 && per_table(cat, "UPDATE f.\"%w\" SET edit_token='' WHERE id=?1", "runs",
					  NULL, run_id) == 0 ? 0 : -1;
		if (rc == 0 && sqlite3_exec(cat, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			rc = -1;
		if (rc != 0) {
			snprintf(err, errlen, "cannot convert run %lld: %s", (long long)run_id,
				 sqlite3_errmsg(cat));
			sqlite3_exec(cat, "ROLLBACK", NULL, NULL, NULL);
		}
	}
	sqlite3_exec(cat, "DETACH f", NULL, NULL, NULL);
	sqlite3_exec(cat, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	if (rc == 0 && finish) { /* e.g. findings the old release never stored */
		f = db_open(tmp, DB_PRIVATE, err, errlen);
		rc = f ? finish(ud, f, run_id, err, errlen) : -1;
		if (f && sqlite3_close(f) != SQLITE_OK)
			rc = -1;
	}
	if (rc == 0)
		rc = db_store_place(st, tmp, run_id, 1, err, errlen);
	if (rc != 0) {
		unlink(tmp);
		return -1;
	}
	/* The file is in place: record it and drop the rows it now holds, together. */
	if (sqlite3_exec(cat, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		char sql[128];
		snprintf(sql, sizeof sql, "INSERT INTO run_files(run_id, version) VALUES (%lld, 1)",
			 (long long)run_id);
		rc = sqlite3_exec(cat, sql, NULL, NULL, NULL) == SQLITE_OK &&
				     each_table(cat, run_id, 0) == 0 &&
				     sqlite3_exec(cat, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
			     ? 0
			     : -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot record converted run %lld: %s", (long long)run_id,
			 sqlite3_errmsg(cat));
		sqlite3_exec(cat, "ROLLBACK", NULL, NULL, NULL);
		db_store_run_path(st, run_id, 1, tmp, sizeof tmp);
		unlink(tmp);
	}
	return rc;
}

int db_store_adopt(struct db_store *st, sqlite3 *cat, db_store_fn finish, void *ud, char *err,
		   size_t errlen)
{
	sqlite3_stmt *q;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (sqlite3_prepare_v2(cat, "SELECT id FROM runs WHERE id NOT IN (SELECT run_id FROM"
				    " run_files) ORDER BY id", -1, &q, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the catalog: %s", sqlite3_errmsg(cat));
		return -1;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *more = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof *ids);
			if (!more) {
				rc = -1;
				break;
			}
			ids = more;
		}
		ids[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (rc == 0 && n > 0) {
		/* The first conversion keeps the single-file database as it was. */
		char bak[4200];
		snprintf(bak, sizeof bak, "%s.single-file.bak", db_store_catalog_path(st));
		if (access(bak, F_OK) != 0) {
			char *sql = sqlite3_mprintf("VACUUM INTO %Q", bak);
			if (!sql || sqlite3_exec(cat, sql, NULL, NULL, NULL) != SQLITE_OK) {
				snprintf(err, errlen, "cannot keep a copy of the database at %s: %s", bak,
					 sqlite3_errmsg(cat));
				rc = -1;
			}
			sqlite3_free(sql);
		}
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = adopt_one(st, cat, ids[i], finish, ud, err, errlen);
	free(ids);
	if (rc == 0 && n > 0) /* give the moved rows' pages back */
		sqlite3_exec(cat, "VACUUM", NULL, NULL, NULL);
	return rc;
}
