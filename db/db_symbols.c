/* db_symbols.c — symbols per run and module (db_symbols.h): modules with a debug identity,
 * the routine addresses of a module's stored DPC/ISR events, and the names found for them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_dpc_chunks.h"
#include "db_etw.h"
#include "db_symbols.h"

static int fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

static const char *text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

int db_sym_modules(sqlite3 *db, int64_t run_id,
		   int (*cb)(void *ud, const struct db_sym_module *m), void *ud, char *err,
		   size_t errlen)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db,
			       "SELECT m.id, m.name, m.base, m.size, s.pdb, s.guid, s.age, s.status"
			       " FROM etw_module_symbols s JOIN etw_modules m"
			       " ON m.run_id = s.run_id AND m.id = s.module_id"
			       " WHERE s.run_id=? AND s.pdb IS NOT NULL ORDER BY m.id",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(db, "reading module identities", err, errlen);
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_sym_module m = {
			sqlite3_column_int(st, 0), text(st, 1),
			(uint64_t)sqlite3_column_int64(st, 2), (uint64_t)sqlite3_column_int64(st, 3),
			text(st, 4), text(st, 5), (uint32_t)sqlite3_column_int64(st, 6), text(st, 7),
		};
		if (cb(ud, &m)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		fail(db, "reading module identities", err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Routine addresses as they are collected: unsorted, possibly repeated, bounded. */
struct rva_set {
	uint32_t *v;
	size_t n, cap;
	uint64_t base, size;
	int too_many, oom;
};

static int add_routine(struct rva_set *s, uint64_t routine)
{
	if (routine < s->base || routine - s->base >= (s->size ? s->size : 1))
		return 0;
	if (s->n == s->cap) {
		/* room for repeats: the set is compacted when it fills */
		if (s->cap >= 4 * (size_t)DB_SYM_MAX_RVAS) {
			s->too_many = 1;
			return 1;
		}
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint32_t *v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			s->oom = 1;
			return 1;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (uint32_t)(routine - s->base);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void compact(struct rva_set *s)
{
	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof *s->v, cmp_u32);
	size_t k = 1;
	for (size_t i = 1; i < s->n; i++)
		if (s->v[i] != s->v[k - 1])
			s->v[k++] = s->v[i];
	s->n = k;
}

static int visit_event(void *ud, const struct db_dpc_event *e)
{
	struct rva_set *s = ud;
	if (s->n == s->cap)
		compact(s);
	return add_routine(s, e->routine);
}

int db_sym_routines(sqlite3 *db, int64_t run_id, const struct db_sym_module *m,
		    uint32_t **rvas, size_t *n, char *err, size_t errlen)
{
	struct rva_set s = {.base = m->base, .size = m->size};
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;
	*rvas = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT kind, n, data FROM etw_dpc_chunks WHERE run_id=?1 AND"
			       " module_id=?2",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(db, "reading DPC/ISR routines", err, errlen);
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, m->id);
	while (!s.too_many && !s.oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *p = sqlite3_column_blob(st, 2);
		int len = sqlite3_column_bytes(st, 2);
		int vr = db_dpc_chunk_decode(p, (size_t)len, (uint64_t)sqlite3_column_int64(st, 1),
					     sqlite3_column_int(st, 0), m->id, visit_event, &s);
		if (vr < 0) {
			sqlite3_finalize(st);
			free(s.v);
			snprintf(err, errlen, "a stored DPC/ISR event chunk of %s is damaged", m->name);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE && !s.too_many && !s.oom) {
		if (sqlite3_prepare_v2(db,
				       "SELECT DISTINCT routine FROM etw_dpc_samples WHERE run_id=?1"
				       " AND module_id=?2",
				       -1, &st, NULL) != SQLITE_OK) {
			free(s.v);
			return fail(db, "reading DPC/ISR routines", err, errlen);
		}
		sqlite3_bind_int64(st, 1, run_id);
		sqlite3_bind_int(st, 2, m->id);
		while (!s.too_many && !s.oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (s.n == s.cap)
				compact(&s);
			add_routine(&s, (uint64_t)sqlite3_column_int64(st, 0));
		}
		sqlite3_finalize(st);
	}
	compact(&s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		free(s.v);
		return fail(db, "reading DPC/ISR routines", err, errlen);
	}
	if (s.oom || s.too_many || s.n > DB_SYM_MAX_RVAS) {
		free(s.v);
		snprintf(err, errlen, s.oom ? "out of memory" : "%s has more than %u DPC/ISR routines",
			 m->name, DB_SYM_MAX_RVAS);
		return -1;
	}
	*rvas = s.v;
	*n = s.n;
	return 0;
}

int db_sym_frames(sqlite3 *db, int64_t run_id, int32_t module_id, uint32_t **rvas, size_t *n,
		  size_t *total, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;
	*rvas = NULL;
	*n = *total = 0;
	/* stk_frames_key (run_id, module_id, offset) serves both the count and the ordered scan */
	if (sqlite3_prepare_v2(db,
			       "SELECT offset, count(*) OVER () FROM stk_frames WHERE run_id=?1 AND"
			       " module_id=?2 AND offset BETWEEN 0 AND 4294967295 ORDER BY offset"
			       " LIMIT ?3",
			       -1, &st, NULL) != SQLITE_OK) {
		/* a database from before the stack store (migration 10) has no frames */
		if (strstr(sqlite3_errmsg(db), "no such table"))
			return 0;
		return fail(db, "reading stack frames", err, errlen);
	}
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, module_id);
	sqlite3_bind_int64(st, 3, DB_SYM_MAX_FRAMES);
	uint32_t *v = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!v) {
			*total = (size_t)sqlite3_column_int64(st, 1);
			v = malloc((*total < DB_SYM_MAX_FRAMES ? *total : DB_SYM_MAX_FRAMES) * sizeof *v + 1);
			if (!v) {
				sqlite3_finalize(st);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		v[(*n)++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = *total = 0;
		return fail(db, "reading stack frames", err, errlen);
	}
	*rvas = v;
	return 0;
}

int db_sym_syscalls(sqlite3 *db, int64_t run_id, const struct db_sym_module *m, uint32_t **rvas,
		    size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;
	size_t cap = 0;
	*rvas = NULL;
	*n = 0;
	/* at most one row per (pid, address): a few thousand services at most */
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT address - ?3 AS rva FROM etw_syscalls WHERE run_id=?1"
			       " AND module_id=?2 AND address >= ?3 AND address - ?3 < ?4"
			       " ORDER BY rva LIMIT ?5",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(db, "reading syscall addresses", err, errlen);
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, m->id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)m->base);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)(m->size ? m->size : 1));
	sqlite3_bind_int64(st, 5, DB_SYM_MAX_RVAS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			uint32_t *v = realloc(*rvas, cap * sizeof *v);
			if (!v) {
				rc = SQLITE_NOMEM;
				break;
			}
			*rvas = v;
		}
		(*rvas)[(*n)++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	free(*rvas);
	*rvas = NULL;
	*n = 0;
	if (rc == SQLITE_NOMEM) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return fail(db, "reading syscall addresses", err, errlen);
}

/* Runs sql with run_id bound to its one parameter: 1 done, 0 failed. */
static int db_sym_exec_run(sqlite3 *db, const char *sql, int64_t run_id)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, run_id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE;
}

int db_sym_store(sqlite3 *db, int64_t run_id, int32_t module_id, const char *status,
		 const char *why, const struct db_sym_name *names, size_t n, char *err,
		 size_t errlen)
{
	sqlite3_stmt *del = NULL, *ins = NULL, *upd = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "storing symbols", err, errlen);
	int ok = sqlite3_prepare_v2(db, "DELETE FROM etw_symbols WHERE run_id=? AND module_id=?",
				    -1, &del, NULL) == SQLITE_OK &&
		 sqlite3_prepare_v2(db,
				    "INSERT INTO etw_symbols(run_id, module_id, rva, name, offset)"
				    " VALUES (?,?,?,?,?)",
				    -1, &ins, NULL) == SQLITE_OK &&
		 sqlite3_prepare_v2(db,
				    "UPDATE etw_module_symbols SET status=?, why=? WHERE run_id=?"
				    " AND module_id=?",
				    -1, &upd, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_int64(del, 1, run_id);
		sqlite3_bind_int(del, 2, module_id);
		ok = sqlite3_step(del) == SQLITE_DONE;
	}
	for (size_t i = 0; ok && i < n; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, run_id);
		sqlite3_bind_int(ins, 2, module_id);
		sqlite3_bind_int64(ins, 3, names[i].rva);
		sqlite3_bind_text(ins, 4, names[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 5, names[i].offset);
		ok = sqlite3_step(ins) == SQLITE_DONE;
	}
	/* stored findings name routines from these names: recomputed on their next read */
	if (ok)
		ok = db_sym_exec_run(db, "DELETE FROM run_findings WHERE run_id=?", run_id);
	if (ok) {
		sqlite3_bind_text(upd, 1, status, -1, SQLITE_STATIC);
		sqlite3_bind_text(upd, 2, why ? why : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(upd, 3, run_id);
		sqlite3_bind_int(upd, 4, module_id);
		ok = sqlite3_step(upd) == SQLITE_DONE;
	}
	if (!ok)
		fail(db, "storing symbols", err, errlen);
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (ok)
		fail(db, "storing symbols", err, errlen);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int db_sym_set_pending(sqlite3 *db, int64_t run_id, const char *why, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "UPDATE etw_module_symbols SET status='pending', why=?2 WHERE run_id=?1"
			       " AND pdb IS NOT NULL",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(db, "marking symbols pending", err, errlen);
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, "marking symbols pending", err, errlen);
}

struct db_sym_lookup {
	sqlite3_stmt *st;
	int64_t run_id;
};

struct db_sym_lookup *db_sym_lookup_new(sqlite3 *db, int64_t run_id)
{
	struct db_sym_lookup *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT name, offset FROM etw_symbols WHERE run_id=? AND module_id=?"
			       " AND rva=?",
			       -1, &l->st, NULL) != SQLITE_OK) {
		sqlite3_finalize(l->st);
		free(l);
		return NULL;
	}
	l->run_id = run_id;
	return l;
}

int db_sym_lookup_find(struct db_sym_lookup *l, int32_t module_id, uint32_t rva, char *name,
		       size_t len, uint32_t *offset)
{
	int found = 0;
	sqlite3_reset(l->st);
	sqlite3_bind_int64(l->st, 1, l->run_id);
	sqlite3_bind_int(l->st, 2, module_id);
	sqlite3_bind_int64(l->st, 3, rva);
	if (sqlite3_step(l->st) == SQLITE_ROW) {
		snprintf(name, len, "%s", text(l->st, 0));
		*offset = (uint32_t)sqlite3_column_int64(l->st, 1);
		found = 1;
	}
	sqlite3_reset(l->st);
	return found;
}

void db_sym_lookup_free(struct db_sym_lookup *l)
{
	if (!l)
		return;
	sqlite3_finalize(l->st);
	free(l);
}

int db_sym_longest_routine(sqlite3 *db, int64_t run_id, int32_t module_id, int isr, char *name,
			   size_t len, char *err, size_t errlen)
{
	struct db_etw_filter f = {.run_id = run_id, .from_ns = INT64_MIN, .to_ns = INT64_MAX,
				  .modules = &module_id, .nmodules = 1,
				  .kind_mask = DB_SYM_KIND_MASK(isr)};
	struct db_dpc_event *ev = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	if (db_dpc_events(db, &f, -1, 1, &ev, &n, err, errlen) < 0)
		return -1;
	uint64_t routine = n ? ev[0].routine : 0;
	free(ev);
	if (!n)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT y.name FROM etw_symbols y JOIN etw_modules m ON m.run_id ="
			       " y.run_id AND m.id = y.module_id WHERE y.run_id=?1 AND y.module_id=?2"
			       " AND ?3 >= m.base AND y.rva = ?3 - m.base",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(db, "reading a routine's name", err, errlen);
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, module_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)routine);
	int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
	if (found)
		snprintf(name, len, "%s", text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(db, "reading a routine's name", err, errlen);
	return found;
}
