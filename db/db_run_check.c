/* db_run_check.c — a run file from outside (POST /api/runs/import) is untrusted input: it is
 * opened read-only on a fresh connection with SQLite's defensive settings (no triggers, no
 * views, untrusted schema, bounded lengths), must pass quick_check, must carry our header
 * (application_id, schema version), must have exactly our schema (every sqlite_master row
 * equal to a fresh database's, so every table and column), one run, rows of that run only,
 * bounded counts and values of the declared types, per-slice fact blobs that decode whole.
 * Its rows are then copied value by value into a fresh run file built by our own code
 * (db_store_run_begin); none of its SQL runs on our connections, and derived documents
 * (findings) are computed again, not copied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "db_factblob.h"
#include "db_store.h"

#define IMPORT_MAX_ROWS 200000000LL /* per table */
#define IMPORT_MAX_VALUE (64 << 20) /* bytes of one text or blob */

sqlite3 *db_run_file_open_untrusted(const char *path, char *why, size_t len)
{
	sqlite3 *u = NULL;
	if (sqlite3_open_v2(path, &u, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(why, len, "not an SQLite database");
		sqlite3_close(u);
		return NULL;
	}
	sqlite3_db_config(u, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(u, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(u, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(u, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(u, SQLITE_LIMIT_LENGTH, IMPORT_MAX_VALUE);
	sqlite3_limit(u, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_exec(u, "PRAGMA cell_size_check=ON; PRAGMA mmap_size=0;", NULL, NULL, NULL);
	return u;
}

void db_run_file_close_untrusted(sqlite3 *u, const char *path)
{
	static const char *const companions[] = { "", "-wal", "-shm", "-journal" };
	char name[4200];
	sqlite3_close(u);
	for (size_t i = 0; i < sizeof companions / sizeof companions[0]; i++)
		if ((size_t)snprintf(name, sizeof name, "%s%s", path, companions[i]) < sizeof name)
			unlink(name);
}

/* One integer from a query on db, or fallback on any error. */
static int64_t int_of(sqlite3 *db, const char *sql, int64_t fallback)
{
	sqlite3_stmt *q;
	int64_t v = fallback;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return fallback;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_INTEGER)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static const char master_sql[] =
	"SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name";

/* Every sqlite_master row of u equal to ref's (same count, same text). */
static int same_schema(sqlite3 *u, sqlite3 *ref, char *why, size_t len)
{
	sqlite3_stmt *a = NULL, *b = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(u, master_sql, -1, &a, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ref, master_sql, -1, &b, NULL) != SQLITE_OK) {
		snprintf(why, len, "the file's schema cannot be read");
		rc = 1;
	}
	while (rc == 0) {
		int sa = sqlite3_step(a), sb = sqlite3_step(b);
		if (sa == SQLITE_DONE && sb == SQLITE_DONE)
			break;
		if (sa != SQLITE_ROW || sb != SQLITE_ROW) {
			snprintf(why, len, "the file's schema differs from this server's (%s)",
				 sa == SQLITE_ROW ? "an object too many" : "an object missing");
			rc = 1;
			break;
		}
		for (int c = 0; c < 4 && rc == 0; c++)
			if (strcmp((const char *)sqlite3_column_text(a, c),
				   (const char *)sqlite3_column_text(b, c)) != 0) {
				/* names are fixed strings of ours; the file's are not echoed */
				snprintf(why, len, "the file's schema differs from this server's at %s %s",
					 (const char *)sqlite3_column_text(b, 0),
					 (const char *)sqlite3_column_text(b, 1));
				rc = 1;
			}
	}
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return rc;
}

/* The SQL that counts a table's bad rows: another run's, or a value not of its column's
 * declared type (and any text or blob over the size limit). NULL when out of memory. */
static char *bad_rows_sql(sqlite3 *ref, const char *table, int64_t run_id)
{
	sqlite3_stmt *q;
	char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\" WHERE 0", table);
	if (sqlite3_prepare_v2(ref, "SELECT name, upper(type), \"notnull\" FROM pragma_table_info(?)",
			       -1, &q, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		return NULL;
	}
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	while (sql && sqlite3_step(q) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(q, 0);
		const char *type = (const char *)sqlite3_column_text(q, 1);
		const char *ok = strstr(type, "INT")    ? "'integer'"
				 : strstr(type, "REAL") ? "'real','integer'"
				 : strstr(type, "TEXT") ? "'text'"
				 : strstr(type, "BLOB") ? "'blob'"
							: "'integer','real','text','blob'";
		sql = sqlite3_mprintf("%z OR typeof(\"%w\") NOT IN (%s%s) OR length(\"%w\") > %d", sql,
				      col, ok, sqlite3_column_int(q, 2) ? "" : ",'null'", col,
				      IMPORT_MAX_VALUE);
		if (sql && strcmp(col, "run_id") == 0)
			sql = sqlite3_mprintf("%z OR run_id <> %lld", sql, (long long)run_id);
	}
	sqlite3_finalize(q);
	return sql;
}

/* Rows: one run; every per-run row of it; counts bounded; values of the declared types. */
static int sane_rows(sqlite3 *u, sqlite3 *ref, int64_t *run_id, char *why, size_t len)
{
	sqlite3_stmt *t;
	int rc = 0;
	if (int_of(u, "SELECT count(*) FROM runs", -1) != 1) {
		snprintf(why, len, "a run file holds exactly one run");
		return 1;
	}
	*run_id = int_of(u, "SELECT id FROM runs", -1);
	if (*run_id < 1) {
		snprintf(why, len, "the run's id is not valid");
		return 1;
	}
	if (sqlite3_prepare_v2(ref, "SELECT name FROM sqlite_master WHERE type='table'"
				    " ORDER BY name", -1, &t, NULL) != SQLITE_OK)
		return -1;
	while (rc == 0 && sqlite3_step(t) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(t, 0);
		char *count = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", name);
		char *bad = bad_rows_sql(ref, name, *run_id);
		int64_t n = count ? int_of(u, count, -1) : -1, b = bad ? int_of(u, bad, -1) : -1;
		if (n < 0 || b < 0) {
			snprintf(why, len, "the table %s cannot be read", name);
			rc = 1;
		} else if (n > IMPORT_MAX_ROWS) {
			snprintf(why, len, "the table %s has %lld rows; at most %lld are accepted", name,
				 (long long)n, IMPORT_MAX_ROWS);
			rc = 1;
		} else if (b > 0) {
			snprintf(why, len, "the table %s has %lld rows of another run or with values of"
					   " the wrong type or size", name, (long long)b);
			rc = 1;
		}
		sqlite3_free(count);
		sqlite3_free(bad);
	}
	sqlite3_finalize(t);
	return rc;
}

static int no_entry(void *ud, const struct db_factblob_entry *e)
{
	(void)ud;
	(void)e;
	return 0;
}

/* The packed per-slice facts: every blob decodes whole (db_factblob.h), so a crafted one is
 * refused here rather than found damaged by each query that reads it. */
static int sane_facts(sqlite3 *u, char *why, size_t len)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(u, "SELECT domain, slice, facts FROM etw_fact_blobs", -1, &q, NULL) !=
	    SQLITE_OK) {
		snprintf(why, len, "the table etw_fact_blobs cannot be read");
		return 1;
	}
	int rc, bad = 0;
	while (!bad && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const uint8_t *b = sqlite3_column_blob(q, 2);
		if (db_factblob_decode(b ? b : (const uint8_t *)"", (size_t)sqlite3_column_bytes(q, 2),
				       no_entry, NULL)) {
			snprintf(why, len, "a blob of per-slice facts is damaged (domain %d, slice %lld)",
				 sqlite3_column_int(q, 0), (long long)sqlite3_column_int64(q, 1));
			bad = 1;
		}
	}
	if (!bad && rc != SQLITE_DONE) {
		snprintf(why, len, "the table etw_fact_blobs cannot be read");
		bad = 1;
	}
	sqlite3_finalize(q);
	return bad;
}

int db_run_file_validate(sqlite3 *u, int64_t *run_id, char *why, size_t len)
{
	char err[256];
	sqlite3_stmt *q; /* first: a cut or foreign file fails here, before its header is read */
	int ok = sqlite3_prepare_v2(u, "PRAGMA quick_check", -1, &q, NULL) == SQLITE_OK &&
		 sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0) &&
		 strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0 &&
		 sqlite3_step(q) == SQLITE_DONE;
	sqlite3_finalize(q);
	if (!ok) {
		snprintf(why, len, "not an SQLite database, or damaged or truncated (quick_check failed)");
		return 1;
	}
	if (int_of(u, "PRAGMA application_id", 0) != DB_RUN_FILE_APP_ID) {
		snprintf(why, len, "not an etlscope run file (wrong application id)");
		return 1;
	}
	int64_t v = int_of(u, "PRAGMA user_version", -1);
	if (v != db_schema_version()) {
		snprintf(why, len, "the run file has schema version %lld; this server reads %d",
			 (long long)v, db_schema_version());
		return 1;
	}
	sqlite3 *ref = db_open(":memory:", DB_READWRITE, err, sizeof err);
	if (!ref) {
		snprintf(why, len, "%s", err);
		return -1;
	}
	int rc = same_schema(u, ref, why, len);
	if (rc == 0)
		rc = sane_rows(u, ref, run_id, why, len);
	if (rc == 0)
		rc = sane_facts(u, why, len);
	db_close(ref);
	return rc;
}

/* The tables copied: every table with a run_id column but the derived findings, the stored
 * call trees (their parent links come from the file: a crafted cycle must never reach the
 * tree reader; the importer builds them again from the copied stacks) and the upload job
 * of another server. */
static const char copy_tables_sql[] =
	"SELECT m.name FROM sqlite_master m WHERE m.type='table' AND m.name NOT LIKE 'sqlite_%'"
	" AND m.name NOT IN ('run_findings', 'upload_jobs', 'stk_pretree', 'stk_prebfly',"
	" 'stk_preslice')"
	" AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name='run_id')"
	" ORDER BY m.name";

/* Copy the rows of table from u (select) into w (insert), the run_id column (index rid,
 * or -1) replaced by to_id. */
static int copy_rows(sqlite3 *u, sqlite3 *w, const char *table, int64_t to_id, char *err,
		     size_t errlen)
{
	sqlite3_stmt *cols, *sel = NULL, *ins = NULL;
	char *names = NULL, *marks = NULL;
	int n = 0, rid = -1, rc = -1;
	if (sqlite3_prepare_v2(w, "SELECT name FROM pragma_table_info(?)", -1, &cols, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(cols, 1, table, -1, SQLITE_STATIC);
	while (sqlite3_step(cols) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(cols, 0);
		if (strcmp(c, "run_id") == 0)
			rid = n;
		names = sqlite3_mprintf(n ? "%z,\"%w\"" : "%z\"%w\"", names, c);
		marks = sqlite3_mprintf(n ? "%z,?" : "%z?", marks);
		n++;
	}
	sqlite3_finalize(cols);
	char *s1 = sqlite3_mprintf("SELECT %s FROM \"%w\"", names, table);
	char *s2 = sqlite3_mprintf("INSERT INTO \"%w\"(%s) VALUES (%s)", table, names, marks);
	if (s1 && s2 && sqlite3_prepare_v2(u, s1, -1, &sel, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(w, s2, -1, &ins, NULL) == SQLITE_OK) {
		int s;
		rc = 0;
		while (rc == 0 && (s = sqlite3_step(sel)) == SQLITE_ROW) {
			for (int i = 0; i < n; i++)
				if (i == rid)
					sqlite3_bind_int64(ins, i + 1, to_id);
				else
					sqlite3_bind_value(ins, i + 1, sqlite3_column_value(sel, i));
			rc = sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
			sqlite3_reset(ins);
		}
		if (rc == 0 && s != SQLITE_DONE)
			rc = -1;
	}
	if (rc != 0)
		snprintf(err, errlen, "cannot copy %s: %s", table, sqlite3_errmsg(w));
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sqlite3_free(s1);
	sqlite3_free(s2);
	sqlite3_free(names);
	sqlite3_free(marks);
	return rc;
}

int db_run_file_copy(sqlite3 *u, sqlite3 *w, int64_t to_id, const char *name, char *err,
		     size_t errlen)
{
	char pub[DB_PUBLIC_ID_LEN + 1], token[DB_PUBLIC_ID_LEN + 1];
	sqlite3_stmt *t = NULL, *q = NULL;
	int rc = -1;
	if (db_random_hex(pub, DB_PUBLIC_ID_LEN / 2) || db_random_hex(token, DB_PUBLIC_ID_LEN / 2)) {
		snprintf(err, errlen, "no randomness available for run ids");
		return -1;
	}
	if (sqlite3_exec(w, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	/* the run: new id, public id, token and creation time; the rest as recorded */
	if (sqlite3_prepare_v2(u, "SELECT name, notes, file_name, file_size, format, status,"
				  " start_utc_us, duration_us, summary FROM runs", -1, &t, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(t) == SQLITE_ROW &&
	    sqlite3_prepare_v2(w, "INSERT INTO runs(id, public_id, edit_token, created_us, name,"
				  " notes, file_name, file_size, format, status, start_utc_us,"
				  " duration_us, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, to_id);
		sqlite3_bind_text(q, 2, pub, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, token, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, db_now_us());
		for (int c = 0; c < 9; c++)
			sqlite3_bind_value(q, 5 + c, sqlite3_column_value(t, c));
		if (name)
			sqlite3_bind_text(q, 5, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
	}
	if (rc != 0)
		snprintf(err, errlen, "cannot copy the run: %s", sqlite3_errmsg(w));
	sqlite3_finalize(t);
	sqlite3_finalize(q);
	t = NULL;
	if (rc == 0 && sqlite3_prepare_v2(w, copy_tables_sql, -1, &t, NULL) != SQLITE_OK)
		rc = -1;
	while (rc == 0 && sqlite3_step(t) == SQLITE_ROW)
		rc = copy_rows(u, w, (const char *)sqlite3_column_text(t, 0), to_id, err, errlen);
	sqlite3_finalize(t);
	if (rc == 0 && sqlite3_exec(w, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot copy the run: %s", sqlite3_errmsg(w));
		rc = -1;
	}
	if (rc != 0)
		sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
