/* db_stacks_read.c — reading the stack store (see db_stacks.h): filtered counts per leaf
 * node, node → frame path resolution with a cache, processes and threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_etw.h"
#include "db_stacks.h"
#include "db_stk_blobs.h"
#include "db_stk_map.h"
#include "db_stk_nodes.h"
#include "db_stk_totals.h"

#define READER_CACHE_LOG2 16
/* After this many node look-ups in SQLite, a reader loads the run's whole node and frame
 * tables into arrays (8 + 12 bytes per node and frame: db_stk_nodes.h) when they take at
 * most READER_PRELOAD_BYTES: a whole-run tree resolves every stored stack, and one
 * sequential scan is far cheaper than a B-tree search per node. A reader made on arrays
 * the server keeps (db_stk_reader_new_nodes) never looks a node up in SQLite. */
#define READER_PRELOAD_AFTER 20000
#define READER_PRELOAD_BYTES (2 * 1024 * 1024 * 20) /* 2 Mi nodes and frames */

void db_stk_slice_range(const struct db_stk_filter *f, int64_t *lo, int64_t *hi)
{
	*lo = f->from_ns <= 0 ? 0 : f->from_ns / DB_STK_SLICE_NS;
	*hi = f->to_ns == INT64_MAX ? INT64_MAX : f->to_ns <= 0 ? -1 : (f->to_ns - 1) / DB_STK_SLICE_NS;
}

/* db_stk_counts' selection, one record at a time into the temporary table */
struct sel {
	const struct db_stk_filter *f;
	int by_slice;
	sqlite3_stmt *ins;
	int rc;
};

static int sel_rec(void *ud, int64_t slice, int64_t cpu, const struct db_stkblob_rec *r)
{
	struct sel *s = ud;
	const struct db_stk_filter *f = s->f;
	if ((!f->idle && r->pid == 0 && r->tid != DB_STK_TID_INTERRUPTS) ||
	    !db_stk_filter_id(f->pids, f->npids, r->pid) ||
	    !db_stk_filter_id(f->tids, f->ntids, r->tid))
		return 0;
	sqlite3_reset(s->ins);
	sqlite3_bind_int64(s->ins, 1, r->node);
	sqlite3_bind_int64(s->ins, 2, r->pid);
	sqlite3_bind_int64(s->ins, 3, r->tid);
	sqlite3_bind_int64(s->ins, 4, s->by_slice ? slice : 0);
	sqlite3_bind_int64(s->ins, 5, f->cpu_words ? cpu : 0);
	sqlite3_bind_int64(s->ins, 6, r->n);
	s->rc = sqlite3_step(s->ins);
	return s->rc != SQLITE_DONE;
}

/* Grouping: the selection's records (decoded from the window's blobs, the filter tested
 * in C) go to a temporary table and SQLite groups them by node, pid, tid (slice, CPU) —
 * its sorter spills to the temporary store past its cache, where ~800 k groups of a 60 s
 * trace would not fit an in-memory map under the ingest's RSS bound. The table stays
 * (emptied) for the connection's next call. */
int db_stk_counts(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f, int by_slice,
		  db_stk_count_fn cb, void *ud, char *err, size_t errlen)
{
	if (!by_slice && db_stk_filter_whole(f)) {
		int rc = db_stk_totals_counts(db, run_id, f->idle, cb, ud, err, errlen);
		if (rc <= 0)
			return rc;
	}
	struct sel s = {f, by_slice, NULL, SQLITE_DONE};
	sqlite3_stmt *q = NULL;
	int rc = -1;
	if (sqlite3_exec(db, "CREATE TEMP TABLE IF NOT EXISTS stk_counts_sel(node INTEGER,"
			     " pid INTEGER, tid INTEGER, slice INTEGER, cpu INTEGER, n INTEGER);"
			     " DELETE FROM temp.stk_counts_sel", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO temp.stk_counts_sel VALUES (?,?,?,?,?,?)", -1,
			       &s.ins, NULL) != SQLITE_OK)
		goto sql_fail;
	int64_t lo, hi;
	db_stk_slice_range(f, &lo, &hi);
	if (db_stk_blobs_scan(db, run_id, lo, hi, f->cpu_words, sel_rec, &s, err, errlen))
		goto out;
	if (s.rc != SQLITE_DONE)
		goto sql_fail;
	if (sqlite3_prepare_v2(db, "SELECT node, pid, tid, slice, cpu, sum(n) FROM"
				   " temp.stk_counts_sel GROUP BY node, pid, tid, slice, cpu"
				   " ORDER BY node, pid, tid, slice, cpu", -1, &q, NULL) != SQLITE_OK)
		goto sql_fail;
	int st;
	while ((st = sqlite3_step(q)) == SQLITE_ROW)
		if (cb(ud, sqlite3_column_int64(q, 0), (uint32_t)sqlite3_column_int64(q, 1),
		       (uint32_t)sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
		       sqlite3_column_int64(q, 5)))
			break;
	if (st != SQLITE_ROW && st != SQLITE_DONE)
		goto sql_fail;
	rc = 0;
	goto out;
sql_fail:
	snprintf(err, errlen, "reading stacks: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(q);
	sqlite3_finalize(s.ins);
	sqlite3_exec(db, "DELETE FROM temp.stk_counts_sel", NULL, NULL, NULL);
	return rc;
}

/* ---- node paths ---- */

struct db_stk_reader {
	sqlite3 *db;
	int64_t run_id;
	sqlite3_stmt *node; /* id → parent, module_id, offset */
	struct stk_map cache; /* (node, 0) → parent, (node, 1) → module, (node, 2) → offset */
	int64_t misses;       /* look-ups that went to SQLite */
	int preload_tried;
	struct db_stk_nodes own;         /* what preload loaded */
	const struct db_stk_nodes *pre;  /* &own once loaded, or borrowed; NULL = none */
	struct db_stk_held held;         /* the leaf totals, when asked to hold them */
	int holding;
};

int db_stk_reader_preload(struct db_stk_reader *r)
{
	if (r->preload_tried)
		return r->pre ? 0 : 1;
	r->preload_tried = 1;
	int rc = db_stk_nodes_load(r->db, r->run_id, READER_PRELOAD_BYTES, &r->own);
	if (!rc) {
		r->pre = &r->own;
		/* node_get reads the arrays from now on, never the look-up cache: give its 2^16
		 * slots (2.5 MiB, full after the READER_PRELOAD_AFTER misses of a findings rule)
		 * back before the arrays' peak is added to them. */
		stk_map_free(&r->cache);
	}
	return rc;
}

static struct db_stk_reader *reader_new(sqlite3 *db, int64_t run_id,
					const struct db_stk_nodes *nodes)
{
	struct db_stk_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->db = db;
	r->run_id = run_id;
	if (nodes) { /* every node is in the arrays: no statement, no map */
		r->pre = nodes;
		r->preload_tried = 1;
		return r;
	}
	if (stk_map_init(&r->cache, READER_CACHE_LOG2) ||
	    sqlite3_prepare_v2(db, "SELECT n.parent, f.module_id, f.offset FROM stk_nodes n"
				   " JOIN stk_frames f ON f.run_id=n.run_id AND f.id=n.frame"
				   " WHERE n.run_id=? AND n.id=?", -1, &r->node, NULL) != SQLITE_OK) {
		db_stk_reader_free(r);
		return NULL;
	}
	return r;
}

struct db_stk_reader *db_stk_reader_new(sqlite3 *db, int64_t run_id)
{
	return reader_new(db, run_id, NULL);
}

struct db_stk_reader *db_stk_reader_new_nodes(sqlite3 *db, int64_t run_id,
					      const struct db_stk_nodes *nodes)
{
	return reader_new(db, run_id, nodes);
}

/* parent and frame of one node: 0, or -1 (unknown node or SQL error) */
static int node_get(struct db_stk_reader *r, int64_t id, int64_t *parent, struct db_stk_frame *f)
{
	const struct db_stk_nodes *n = r->pre;
	if (n && id >= 1 && id <= n->nn) {
		int32_t fr = n->frame[id];
		*parent = n->parent[id];
		f->module_id = n->fmod[fr];
		f->offset = n->foff[fr];
		return 0;
	}
	if (n) /* every stored node is in the arrays */
		return -1;
	struct stk_entry *p = stk_map_get(&r->cache, (uint64_t)id, 0, 0);
	if (p) { /* the three entries go in together */
		*parent = p->v;
		f->module_id = (int32_t)stk_map_get(&r->cache, (uint64_t)id, 1, 0)->v;
		f->offset = (uint64_t)stk_map_get(&r->cache, (uint64_t)id, 2, 0)->v;
		return 0;
	}
	if (!r->preload_tried && ++r->misses > READER_PRELOAD_AFTER &&
	    db_stk_reader_preload(r) == 0) /* on failure, nodes are looked up one by one */
		return node_get(r, id, parent, f);
	sqlite3_reset(r->node);
	sqlite3_bind_int64(r->node, 1, r->run_id);
	sqlite3_bind_int64(r->node, 2, id);
	if (sqlite3_step(r->node) != SQLITE_ROW)
		return -1;
	*parent = sqlite3_column_int64(r->node, 0);
	f->module_id = (int32_t)sqlite3_column_int64(r->node, 1);
	f->offset = (uint64_t)sqlite3_column_int64(r->node, 2);
	if (r->cache.n + 3 > r->cache.cap / 4 * 3)
		stk_map_reset(&r->cache);
	stk_map_put(&r->cache, (uint64_t)id, 1, 0)->v = f->module_id;
	stk_map_put(&r->cache, (uint64_t)id, 2, 0)->v = (int64_t)f->offset;
	stk_map_put(&r->cache, (uint64_t)id, 0, 0)->v = *parent;
	return 0;
}

int db_stk_path(struct db_stk_reader *r, int64_t node, struct db_stk_frame *out, int max)
{
	struct db_stk_frame rev[DB_STK_MAX_DEPTH];
	int n = 0;
	while (node != 0 && n < DB_STK_MAX_DEPTH) {
		int64_t parent;
		if (node_get(r, node, &parent, &rev[n]))
			return -1;
		n++;
		node = parent;
	}
	/* rev is leaf first; out is root first, cut at max */
	int k = n < max ? n : max;
	for (int i = 0; i < k; i++)
		out[i] = rev[n - 1 - i];
	return k;
}

void db_stk_reader_free(struct db_stk_reader *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->node);
	stk_map_free(&r->cache);
	db_stk_nodes_clear(&r->own);
	db_stk_held_clear(&r->held);
	free(r);
}

int db_stk_reader_hold_totals(struct db_stk_reader *r)
{
	if (r->holding)
		return 0;
	int rc = db_stk_held_load(&r->held, r->db, r->run_id);
	r->holding = rc == 0;
	return rc;
}

int db_stk_reader_totals(const struct db_stk_reader *r, int idle, db_stk_count_fn cb, void *ud)
{
	if (!r->holding)
		return 1;
	db_stk_held_each(&r->held, idle, cb, ud);
	return 0;
}

/* ---- processes and threads ---- */

static int64_t col_time(sqlite3_stmt *q, int i, int64_t absent)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? absent : sqlite3_column_int64(q, i);
}

int db_stk_processes(sqlite3 *db, int64_t run_id,
		     int (*cb)(void *ud, const struct db_stk_process *p), void *ud)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT pid, ppid, start_ns, end_ns, name, command_line FROM"
				   " etw_processes WHERE run_id=? ORDER BY rowid", -1, &q,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct db_stk_process p = {
			.pid = (uint32_t)sqlite3_column_int64(q, 0),
			.ppid = (uint32_t)sqlite3_column_int64(q, 1),
			.start_ns = col_time(q, 2, INT64_MIN), .end_ns = col_time(q, 3, INT64_MAX),
			.name = (const char *)sqlite3_column_text(q, 4),
			.command_line = (const char *)sqlite3_column_text(q, 5),
		};
		if (cb(ud, &p))
			break;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int db_stk_threads(sqlite3 *db, int64_t run_id,
		   int (*cb)(void *ud, const struct db_stk_thread *t), void *ud)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT tid, pid, start_ns, end_ns FROM etw_threads WHERE"
				   " run_id=? ORDER BY rowid", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct db_stk_thread t = {
			.tid = (uint32_t)sqlite3_column_int64(q, 0),
			.pid = (uint32_t)sqlite3_column_int64(q, 1),
			.start_ns = col_time(q, 2, INT64_MIN), .end_ns = col_time(q, 3, INT64_MAX),
		};
		if (cb(ud, &t))
			break;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int db_stk_thread_names(sqlite3 *db, int64_t run_id,
			int (*cb)(void *ud, uint32_t tid, uint32_t pid, const char *name),
			void *ud)
{
	sqlite3_stmt *q;
	/* SQLite: with max(), the bare column comes from the row holding the maximum */
	if (sqlite3_prepare_v2(db, "SELECT tid, pid, name, max(t_ns) FROM etw_thread_names"
				   " WHERE run_id=? GROUP BY tid, pid", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (cb(ud, (uint32_t)sqlite3_column_int64(q, 0), (uint32_t)sqlite3_column_int64(q, 1),
		       (const char *)sqlite3_column_text(q, 2)))
			break;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int db_stk_present(sqlite3 *db, int64_t run_id)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM stk_runs WHERE run_id=?", -1, &q, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
