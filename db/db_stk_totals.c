/* db_stk_totals.c — per-leaf sample totals of a run's stack store (stk_counts summed over
 * slices, CPUs and threads, Idle apart), so that a whole-run call tree reads one row per
 * distinct stack instead of grouping every (slice, CPU, thread, stack) count at each
 * request. Used by db_stk_counts for selections with no window, CPU, process or thread
 * filter whose caller does not need pids and tids (db_stk_filter.no_ids). Runs ingested
 * before have no totals: the counts are grouped as before.
 *
 * Written by the store itself (db_stacks.c) as it writes each count, not by reading the
 * counts again after ingest (issue 17): every count added here is also added to
 * stk_counts, so each (idle, node) row is the sum of that leaf's count rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_stacks.h"
#include "db_stk_totals.h"
#include "db_varint.h"

int db_stk_totals_begin(struct db_stk_totals *t, sqlite3 *db, int64_t run_id, unsigned map_log2)
{
	if (stk_map_init(&t->m, map_log2))
		return -1;
	return db_batch_init(&t->ins, db, run_id, "INSERT INTO stk_leaf_totals(run_id, idle, node,"
			     " n) VALUES ", 3, " ON CONFLICT(run_id, idle, node) DO UPDATE SET"
			     " n=n+excluded.n");
}

/* Every accumulated (idle, node) sum into the totals, in key order (added to a row an
 * earlier flush wrote; multi-row upserts, db_batch.h), and the map emptied. */
int db_stk_totals_flush(struct db_stk_totals *t)
{
	size_t n = stk_map_sorted(&t->m);
	for (size_t i = 0; i < n; i++) {
		const struct stk_entry *e = &t->m.e[i];
		if (db_batch_add(&t->ins, (const int64_t[]){(int64_t)e->k[0], (int64_t)e->k[1], e->v}))
			return -1;
	}
	stk_map_reset(&t->m);
	return db_batch_flush(&t->ins);
}

int db_stk_totals_add(struct db_stk_totals *t, int idle, int64_t node, int64_t n)
{
	struct stk_entry *e = stk_map_put(&t->m, (uint64_t)!!idle, (uint64_t)node, 0);
	if (!e) { /* full: write the sums so far, then this one starts a fresh map */
		if (db_stk_totals_flush(t))
			return -1;
		e = stk_map_put(&t->m, (uint64_t)!!idle, (uint64_t)node, 0);
	}
	e->v += n;
	return 0;
}

void db_stk_totals_clear(struct db_stk_totals *t)
{
	stk_map_free(&t->m);
	db_batch_clear(&t->ins);
}

int db_stk_totals_counts(sqlite3 *db, int64_t run_id, int idle, db_stk_count_fn cb, void *ud,
			 char *err, size_t errlen)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM stk_leaf_totals WHERE run_id=? LIMIT 1", -1, &q,
			       NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(q, 1, run_id);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return 1; /* no totals for this run */
	if (rc != SQLITE_ROW ||
	    /* in key order, no sort; with Idle a node may come twice (its two rows add up) */
	    sqlite3_prepare_v2(db, "SELECT node, n FROM stk_leaf_totals WHERE run_id=? AND"
				   " (idle=0 OR ?)", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int(q, 2, idle);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (cb(ud, sqlite3_column_int64(q, 0), 0, 0, 0, sqlite3_column_int64(q, 1)))
			break;
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
fail:
	snprintf(err, errlen, "reading stack totals: %s", sqlite3_errmsg(db));
	return -1;
}

/* Room for one more row in h (the buffer doubled, up to DB_STK_HELD_MAX bytes): 0, 1 when
 * at the bound, -1 out of memory. */
static int held_room(struct db_stk_held *h, size_t *cap)
{
	if (h->len + 2 * DB_VARINT_MAX <= *cap)
		return 0;
	if (*cap >= DB_STK_HELD_MAX)
		return 1;
	size_t n = *cap ? *cap * 2 : 64 * 1024;
	uint8_t *buf = realloc(h->buf, n);
	if (!buf)
		return -1;
	h->buf = buf;
	*cap = n;
	return 0;
}

int db_stk_held_load(struct db_stk_held *h, sqlite3 *db, int64_t run_id)
{
	memset(h, 0, sizeof *h);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT idle, node, n FROM stk_leaf_totals WHERE run_id=?"
				   " ORDER BY idle, node", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	size_t cap = 0;
	int64_t prev = 0;
	int rc, out = 0, idle = 0;
	while (!out && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t node = sqlite3_column_int64(q, 1), n = sqlite3_column_int64(q, 2);
		if (sqlite3_column_int(q, 0) && !idle) { /* the Idle rows start over from node 0 */
			idle = 1;
			h->busy = h->len;
			prev = 0;
		}
		if (node < prev || n < 0)
			out = 1; /* not in key order, or a negative count: read from SQLite */
		else if (!(out = held_room(h, &cap))) {
			uint8_t *p = put_varint(h->buf + h->len, (uint64_t)(node - prev));
			h->len = (size_t)(put_varint(p, (uint64_t)n) - h->buf);
			prev = node;
		}
	}
	sqlite3_finalize(q);
	if (!idle)
		h->busy = h->len;
	if (!out && rc != SQLITE_DONE)
		out = -1;
	if (!out && !h->len)
		out = 1; /* no totals: ingested before them */
	if (out)
		db_stk_held_clear(h);
	return out;
}

/* cb per row of buf[from, to), whose node steps start from 0: 0, or 1 when cb stopped. */
static int held_part(const struct db_stk_held *h, size_t from, size_t to, db_stk_count_fn cb,
		     void *ud)
{
	const uint8_t *p = h->buf + from, *end = h->buf + to;
	uint64_t node = 0, step, n;
	while (p < end && !get_varint(&p, end, &step) && !get_varint(&p, end, &n)) {
		node += step;
		if (cb(ud, (int64_t)node, 0, 0, 0, (int64_t)n))
			return 1;
	}
	return 0;
}

void db_stk_held_each(const struct db_stk_held *h, int idle, db_stk_count_fn cb, void *ud)
{
	if (!held_part(h, 0, h->busy, cb, ud) && idle)
		held_part(h, h->busy, h->len, cb, ud);
}

void db_stk_held_clear(struct db_stk_held *h)
{
	free(h->buf);
	memset(h, 0, sizeof *h);
}
