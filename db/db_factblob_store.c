/* db_factblob_store.c — writing the packed per-slice facts (db_factblob.h) into
 * etw_fact_blobs: a batch of facts becomes one blob per run of consecutive facts with the
 * same (domain, slice, CPU), each under the writer's next part number, so a batch is
 * appended and never merged into stored rows; and migration 15, which repacks the rows
 * of etw_slice_facts (migration 13) of older databases and run files into blobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_factblob.h"
#include "db_factblob_store.h"

void db_factblob_writer_clear(struct db_factblob_writer *w)
{
	sqlite3_finalize(w->ins);
	free(w->buf);
	memset(w, 0, sizeof *w);
}

static int fail(struct db_factblob_writer *w, char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot store the per-slice facts: %s", sqlite3_errmsg(w->db));
	return -1;
}

/* One blob of the n facts (all of f[0]'s domain, slice and CPU). */
static int put_blob(struct db_factblob_writer *w, int64_t run_id, const struct sink_slice_fact *f,
		    size_t n, char *err, size_t errlen)
{
	size_t need = db_factblob_bound(n);
	if (need > w->cap) {
		uint8_t *b = realloc(w->buf, need);
		if (!b) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		w->buf = b;
		w->cap = need;
	}
	size_t len = db_factblob_encode(f, n, w->buf);
	if (!w->ins && sqlite3_prepare_v2(w->db, "INSERT INTO etw_fact_blobs(run_id, domain, slice,"
					  " cpu, part, facts) VALUES (?,?,?,?,?,?)", -1, &w->ins,
					  NULL) != SQLITE_OK)
		return fail(w, err, errlen);
	sqlite3_reset(w->ins);
	sqlite3_bind_int64(w->ins, 1, run_id);
	sqlite3_bind_int(w->ins, 2, f[0].domain);
	sqlite3_bind_int64(w->ins, 3, f[0].slice);
	sqlite3_bind_int(w->ins, 4, f[0].cpu);
	sqlite3_bind_int64(w->ins, 5, w->part++);
	sqlite3_bind_blob(w->ins, 6, w->buf, (int)len, SQLITE_STATIC);
	return sqlite3_step(w->ins) == SQLITE_DONE ? 0 : fail(w, err, errlen);
}

int db_factblob_write(struct db_factblob_writer *w, int64_t run_id, const struct sink_slice_fact *f,
		      size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && f[j].domain == f[i].domain && f[j].slice == f[i].slice &&
		       f[j].cpu == f[i].cpu)
			j++;
		if (put_blob(w, run_id, f + i, j - i, err, errlen))
			return -1;
		i = j;
	}
	return 0;
}

/* ---- migration 15: etw_slice_facts rows → blobs ---- */

/* Rows of one (run, domain, slice, CPU) collected before they become a blob. */
struct group {
	int64_t run_id;
	struct sink_slice_fact *f;
	size_t n, cap;
};

static int group_push(struct group *g, const struct sink_slice_fact *x)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 1024;
		struct sink_slice_fact *f = realloc(g->f, cap * sizeof *f);
		if (!f)
			return -1;
		g->f = f;
		g->cap = cap;
	}
	g->f[g->n++] = *x;
	return 0;
}

static int table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int found = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int db_factblob_migrate(sqlite3 *db, char *err, size_t errlen)
{
	int has = table_exists(db, "etw_slice_facts");
	if (has <= 0) {
		if (has < 0)
			snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return has;
	}
	sqlite3_stmt *st;
	/* the primary key's order: each (run, domain, slice, CPU) comes as one run of rows */
	if (sqlite3_prepare_v2(db, "SELECT run_id, domain, slice, cpu, pid, tid, key, n, m, ns, bytes"
			       " FROM etw_slice_facts ORDER BY run_id, domain, slice, cpu, pid, tid,"
			       " key", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	struct db_factblob_writer w = {.db = db};
	struct group g = {0};
	int rc, bad = 0;
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t run_id = sqlite3_column_int64(st, 0);
		struct sink_slice_fact x = {
			(uint8_t)sqlite3_column_int(st, 1), (uint16_t)sqlite3_column_int(st, 3),
			(uint32_t)sqlite3_column_int64(st, 2), (uint32_t)sqlite3_column_int64(st, 4),
			(uint32_t)sqlite3_column_int64(st, 5), (uint64_t)sqlite3_column_int64(st, 6),
			(uint64_t)sqlite3_column_int64(st, 7), (uint64_t)sqlite3_column_int64(st, 8),
			(uint64_t)sqlite3_column_int64(st, 9), (uint64_t)sqlite3_column_int64(st, 10)};
		if (g.n && (run_id != g.run_id || x.domain != g.f[0].domain ||
			    x.slice != g.f[0].slice || x.cpu != g.f[0].cpu)) {
			bad = db_factblob_write(&w, g.run_id, g.f, g.n, err, errlen);
			g.n = 0;
		}
		g.run_id = run_id;
		if (!bad && group_push(&g, &x)) {
			snprintf(err, errlen, "out of memory");
			bad = 1;
		}
	}
	if (!bad && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		bad = 1;
	}
	if (!bad && g.n)
		bad = db_factblob_write(&w, g.run_id, g.f, g.n, err, errlen) != 0;
	sqlite3_finalize(st);
	db_factblob_writer_clear(&w);
	free(g.f);
	return bad ? -1 : 0;
}
