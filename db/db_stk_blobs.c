/* db_stk_blobs.c — the stack sample counts in stk_count_blobs (db_stk_blobs.h): one blob
 * per (run, slice, CPU) of db_stkblob.h records. The table's UNIQUE (run_id, slice, cpu)
 * index is its order, so a slice range is read without a sort, and a blob is decoded only
 * when its CPU is selected.
 *
 * Invariants: a stored blob's records are strictly increasing by (pid, tid, node), so a
 * scan in (slice, cpu) order gives records in the key order stk_counts had; the writer
 * stores a (slice, CPU) either once (merge 0: the store's flush saw all its cells) or
 * summed into what is stored (merge 1), so no (slice, CPU) ever has two rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_etw.h"
#include "db_stk_blobs.h"

struct scan {
	int64_t slice, cpu;
	db_stk_blob_fn cb;
	void *ud;
	int stopped;
};

static int on_rec(void *ud, const struct db_stkblob_rec *r)
{
	struct scan *s = ud;
	if (s->cb(s->ud, s->slice, s->cpu, r)) {
		s->stopped = 1;
		return 1;
	}
	return 0;
}

int db_stk_blobs_scan(sqlite3 *db, int64_t run_id, int64_t lo, int64_t hi,
		      const uint64_t *cpu_words, db_stk_blob_fn cb, void *ud, char *err,
		      size_t errlen)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT slice, cpu, counts FROM stk_count_blobs WHERE"
				   " run_id=?1 AND slice BETWEEN ?2 AND ?3 ORDER BY slice, cpu", -1,
			       &q, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading stacks: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int64(q, 2, lo);
	sqlite3_bind_int64(q, 3, hi);
	struct scan s = {.cb = cb, .ud = ud};
	int rc = SQLITE_DONE, bad = 0;
	while (!s.stopped && !bad && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		s.slice = sqlite3_column_int64(q, 0);
		s.cpu = sqlite3_column_int64(q, 1);
		if (cpu_words && (s.cpu < 0 || s.cpu >= DB_MAX_CPUS ||
				  !(cpu_words[s.cpu / 64] >> (s.cpu % 64) & 1)))
			continue;
		const uint8_t *p = sqlite3_column_blob(q, 2);
		int len = sqlite3_column_bytes(q, 2);
		if ((!p || db_stkblob_decode(p, (size_t)len, on_rec, &s)) && !s.stopped) {
			snprintf(err, errlen, "reading stacks: the counts of slice %lld, CPU %lld"
				 " are damaged", (long long)s.slice, (long long)s.cpu);
			bad = 1;
		}
	}
	if (!bad && !s.stopped && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading stacks: %s", sqlite3_errmsg(db));
		bad = 1;
	}
	sqlite3_finalize(q);
	return bad ? -1 : 0;
}

/* ---- writing ---- */

static int grow(void **p, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < want)
		c *= 2;
	void *q = realloc(*p, c * size);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int collect(void *ud, const struct db_stkblob_rec *r)
{
	struct db_stk_blob_writer *w = ud;
	/* the header's count bounded the array (count ≤ len / 4): never past old_cap */
	w->old[w->old_n++] = *r;
	return 0;
}

/* The stored blob of (slice, cpu) decoded into w->old: its record count, 0 when none is
 * stored (*rowid 0), -1 on error. */
static int64_t read_old(struct db_stk_blob_writer *w, int64_t slice, int64_t cpu,
			int64_t *rowid, char *err, size_t errlen)
{
	*rowid = 0;
	sqlite3_reset(w->sel);
	sqlite3_bind_int64(w->sel, 1, w->run_id);
	sqlite3_bind_int64(w->sel, 2, slice);
	sqlite3_bind_int64(w->sel, 3, cpu);
	int rc = sqlite3_step(w->sel);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "storing stack counts: %s", sqlite3_errmsg(w->db));
		return -1;
	}
	*rowid = sqlite3_column_int64(w->sel, 0);
	const uint8_t *p = sqlite3_column_blob(w->sel, 1);
	size_t len = (size_t)sqlite3_column_bytes(w->sel, 1);
	int64_t k = p ? db_stkblob_count(p, len) : -1;
	int64_t got = -1;
	if (k >= 0 && !grow((void **)&w->old, &w->old_cap, (size_t)k + 1, sizeof *w->old)) {
		w->old_n = 0;
		if (db_stkblob_decode(p, len, collect, w) == 0)
			got = (int64_t)w->old_n;
	}
	sqlite3_reset(w->sel);
	if (got < 0)
		snprintf(err, errlen, "storing stack counts: the stored counts of slice %lld,"
			 " CPU %lld are damaged", (long long)slice, (long long)cpu);
	return got;
}

int db_stk_blobs_put(struct db_stk_blob_writer *w, int64_t slice, int64_t cpu,
		     const struct db_stkblob_rec *r, size_t n, int merge, char *err,
		     size_t errlen)
{
	if (!w->ins &&
	    (sqlite3_prepare_v2(w->db, "INSERT INTO stk_count_blobs(run_id, slice, cpu, counts)"
					" VALUES (?,?,?,?)", -1, &w->ins, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(w->db, "SELECT rowid, counts FROM stk_count_blobs WHERE"
					" run_id=? AND slice=? AND cpu=?", -1, &w->sel, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(w->db, "UPDATE stk_count_blobs SET counts=? WHERE rowid=?", -1,
				&w->upd, NULL) != SQLITE_OK)) {
		snprintf(err, errlen, "storing stack counts: %s", sqlite3_errmsg(w->db));
		return -1;
	}
	int64_t rowid = 0;
	if (merge) {
		/* a late count: its blob (if any) summed with these records */
		int64_t k = read_old(w, slice, cpu, &rowid, err, errlen);
		if (k < 0)
			return -1;
		if (k > 0) {
			if (grow((void **)&w->sum, &w->sum_cap, (size_t)k + n, sizeof *w->sum)) {
				snprintf(err, errlen, "storing stack counts: out of memory");
				return -1;
			}
			int64_t m = db_stkblob_merge(w->old, (size_t)k, r, n, w->sum);
			if (m < 0) {
				snprintf(err, errlen, "storing stack counts: a count overflows");
				return -1;
			}
			r = w->sum;
			n = (size_t)m;
		}
	}
	if (grow((void **)&w->buf, &w->cap, db_stkblob_bound(n), 1)) {
		snprintf(err, errlen, "storing stack counts: out of memory");
		return -1;
	}
	size_t len = db_stkblob_encode(r, n, w->buf);
	if (!len) {
		snprintf(err, errlen, "storing stack counts: records out of order or range");
		return -1;
	}
	sqlite3_stmt *q = rowid ? w->upd : w->ins;
	sqlite3_reset(q);
	if (rowid) {
		sqlite3_bind_blob(q, 1, w->buf, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, rowid);
	} else {
		sqlite3_bind_int64(q, 1, w->run_id);
		sqlite3_bind_int64(q, 2, slice);
		sqlite3_bind_int64(q, 3, cpu);
		sqlite3_bind_blob(q, 4, w->buf, (int)len, SQLITE_STATIC);
	}
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "storing stack counts: %s", sqlite3_errmsg(w->db));
		return -1;
	}
	return 0;
}

void db_stk_blob_writer_clear(struct db_stk_blob_writer *w)
{
	sqlite3_finalize(w->ins);
	sqlite3_finalize(w->sel);
	sqlite3_finalize(w->upd);
	free(w->buf);
	free(w->old);
	free(w->sum);
	sqlite3 *db = w->db;
	int64_t run_id = w->run_id;
	memset(w, 0, sizeof *w);
	w->db = db;
	w->run_id = run_id;
}

/* ---- migration 19 ---- */

static int table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int db_stk_blobs_migrate(sqlite3 *db, char *err, size_t errlen)
{
	int has = table_exists(db, "stk_counts");
	if (has <= 0) {
		if (has < 0)
			snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return has;
	}
	sqlite3_stmt *st;
	/* the primary key's order: each (run, slice, CPU) comes as one run of rows, its
	 * records in (pid, tid, node) order */
	if (sqlite3_prepare_v2(db, "SELECT run_id, slice, cpu, pid, tid, node, n FROM stk_counts"
				   " ORDER BY run_id, slice, cpu, pid, tid, node", -1, &st,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	struct db_stk_blob_writer w = {.db = db};
	struct db_stkblob_rec *g = NULL;
	size_t n = 0, cap = 0;
	int64_t slice = 0, cpu = 0;
	int rc = SQLITE_DONE, bad = 0;
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t run_id = sqlite3_column_int64(st, 0), s = sqlite3_column_int64(st, 1),
			c = sqlite3_column_int64(st, 2), pid = sqlite3_column_int64(st, 3),
			tid = sqlite3_column_int64(st, 4);
		if (n && (run_id != w.run_id || s != slice || c != cpu)) {
			bad = db_stk_blobs_put(&w, slice, cpu, g, n, 0, err, errlen);
			n = 0;
		}
		if (bad)
			break;
		if (pid < 0 || pid > UINT32_MAX || tid < 0 || tid > UINT32_MAX) {
			snprintf(err, errlen, "stk_counts: a pid or tid out of range");
			bad = 1;
			break;
		}
		if (grow((void **)&g, &cap, n + 1, sizeof *g)) {
			snprintf(err, errlen, "out of memory");
			bad = 1;
			break;
		}
		w.run_id = run_id;
		slice = s;
		cpu = c;
		g[n++] = (struct db_stkblob_rec){(uint32_t)pid, (uint32_t)tid,
						 sqlite3_column_int64(st, 5),
						 sqlite3_column_int64(st, 6)};
	}
	if (!bad && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		bad = 1;
	}
	if (!bad && n)
		bad = db_stk_blobs_put(&w, slice, cpu, g, n, 0, err, errlen) ? 1 : 0;
	sqlite3_finalize(st);
	db_stk_blob_writer_clear(&w);
	free(g);
	return bad ? -1 : 0;
}
