/* db_stacks.c — writing one run's stack store (see db_stacks.h): each sample's frames are
 * interned (frame id by module + offset), its stack walked root first through the prefix
 * tree (node id by parent + frame), and one count added for (slice, CPU, pid, tid, leaf);
 * a flush packs each (slice, CPU)'s counts into one blob of stk_count_blobs.
 *
 * Invariants: ids are dense from 1 in first-seen order (node 0 is the root, frame ids
 * from 1); a cache miss asks SQLite before creating an id unless the key is surely new, so
 * forgetting a full cache never duplicates a frame or node; counts are added with an
 * blob per (slice, CPU) (db_stk_blobs.h); a (slice, CPU) met again at a later flush (a late
 * sample, or a full map flushed early) is merged into its stored blob, so it still sums
 * exactly.
 * A node key is surely new on a miss when its parent or its frame is younger than the node
 * cache's last reset (id ≥ node_mark or frame_mark): the node would have been created, and
 * so cached, after that reset. In the worst case (a new leaf frame per sample) this spares
 * nearly every node lookup the Bloom filter cannot rule out.
 * A new frame or node is written to SQLite only when its id cache is about to forget (or at
 * the end): its slot in the cache is its only copy until then. The ids from the table's
 * `unwritten` mark up are exactly the cache's slots created since the last forget (a key
 * created is always cached, and the cache forgets only through write_new), so a key missing
 * from the cache is either in SQLite already or new: a lookup never has to flush first.
 * write_new sorts those slots in place by the table's unique index key and inserts them in
 * full multi-row batches (db_batch.h): the batch's ids are one contiguous range at the
 * table's right edge, and each index page is touched once per batch rather than once per
 * row (inserting in id order sent each row to a random leaf of an index larger than the
 * page cache: a read and a write of a page per row). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_batch.h"
#include "db_stacks.h"
#include "db_stk_blobs.h"
#include "db_stk_map.h"
#include "db_stk_totals.h"

#define ID_CACHE_LOG2 17    /* 128 Ki slots per id cache (2 MiB each, 98 Ki ids) */
#define ID_CACHE_START_LOG2 12 /* each starts at 4 Ki slots (64 KiB) and doubles as it fills */
#define ID_BLOOM_LOG2 23    /* 8 Mi bits (1 MiB) of Bloom filter per id cache */
#define COUNT_CACHE_LOG2 15 /* 32 Ki (slice, cpu, thread, node) cells before a flush */
#define TOTALS_MAP_LOG2 14  /* 16 Ki (idle, leaf) sums before a flush (640 KB) */
#define MEMO_SLOTS 64       /* CPUs' memo sets (cpu mod 64) */
#define MEMO_WAYS 4         /* the last distinct stacks remembered per set */
#define MEMO_DEPTH 16       /* frames of a remembered stack (deeper ones are not) */

/* A stack recently seen in a memo set (its CPU mod MEMO_SLOTS): its frames as interned
 * (offset, module id), leaf first, the leaf node they led to, and its last count cell. A
 * sample whose frames equal them has the same node (a node is a function of its frame
 * sequence); one whose count key also equals the cell's, while the count map is at the same
 * generation (not flushed since), adds to the same cell. Idle and busy-loop samples repeat
 * their CPU's few recent stacks, and each intern is a cache miss in a 2 MiB id cache. */
struct stk_memo {
	uint32_t n; /* frames; 0: empty */
	int64_t node;
	uint64_t off[MEMO_DEPTH];
	int32_t mod[MEMO_DEPTH];
	uint64_t k[3];        /* the count cell's key */
	uint64_t gen;         /* w->counts_gen when cell was found; 0: none */
	struct stk_entry *cell;
};

struct db_stacks {
	sqlite3 *db;
	int64_t run_id;
	struct stk_ids frames, nodes;
	struct stk_map counts;
	struct db_stk_totals totals; /* per leaf, summed as the counts are written */
	int64_t next_frame, next_node, n_samples;
	int64_t unwritten_frame, unwritten_node; /* ids from here on are only in the cache */
	/* ids from here on were created after the node cache's last reset (INT64_MAX: none) */
	int64_t node_mark, frame_mark;
	uint64_t node_resets; /* w->nodes.resets when the marks were set */
	int64_t min_slice; /* oldest slice in counts */
	int64_t max_flushed; /* newest slice ever flushed (-1: none): newer cells are new blobs */
	uint64_t counts_gen; /* from 1, bumped by every flush: the memos' cells are stale */
	struct stk_memo memo[MEMO_SLOTS][MEMO_WAYS];
	uint8_t memo_next[MEMO_SLOTS]; /* the way a set replaces next (round robin) */
	sqlite3_stmt *sel_frame, *sel_node;
	struct db_batch ins_frame, ins_node; /* written in batches */
	struct db_stk_blob_writer blobs;     /* the counts, a blob per (slice, CPU) */
	struct db_stkblob_rec *group;        /* one (slice, CPU)'s records while flushing */
	size_t group_cap;
	sqlite3_stmt *ins_proc, *end_proc, *ins_thread, *end_thread, *ins_tname;
	uint64_t *base; /* module bases by id */
	size_t nbase;
	char err[256];
};

static int fail(struct db_stacks *w, const char *what)
{
	snprintf(w->err, sizeof w->err, "%s: %s", what, sqlite3_errmsg(w->db));
	return -1;
}

static int prep(struct db_stacks *w, sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v2(w->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -1;
}

struct db_stacks *db_stacks_begin(sqlite3 *db, int64_t run_id)
{
	return db_stacks_begin_sized(db, run_id, ID_CACHE_LOG2, ID_BLOOM_LOG2);
}

struct db_stacks *db_stacks_begin_sized(sqlite3 *db, int64_t run_id, unsigned cache_log2,
					unsigned bloom_log2)
{
	struct db_stacks *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->db = db;
	w->run_id = run_id;
	w->next_frame = w->next_node = 1;
	w->unwritten_frame = w->unwritten_node = 1;
	w->node_mark = w->frame_mark = INT64_MAX;
	w->min_slice = INT64_MAX;
	w->max_flushed = -1;
	w->counts_gen = 1;
	w->blobs = (struct db_stk_blob_writer){.db = db, .run_id = run_id};
	if (stk_ids_init_growing(&w->frames, ID_CACHE_START_LOG2, cache_log2, bloom_log2) ||
	    stk_ids_init_growing(&w->nodes, ID_CACHE_START_LOG2, cache_log2, bloom_log2) ||
	    stk_map_init(&w->counts, COUNT_CACHE_LOG2) ||
	    db_stk_totals_begin(&w->totals, db, run_id,
				cache_log2 < TOTALS_MAP_LOG2 ? cache_log2 : TOTALS_MAP_LOG2) ||
	    prep(w, &w->sel_frame, "SELECT id FROM stk_frames WHERE run_id=? AND offset=?"
				   " AND module_id=?") ||
	    db_batch_init(&w->ins_frame, db, run_id, "INSERT OR FAIL INTO stk_frames(run_id, id, offset,"
			  " module_id) VALUES ", 3, "") ||
	    prep(w, &w->sel_node, "SELECT id FROM stk_nodes WHERE run_id=? AND parent=?"
				  " AND frame=?") ||
	    db_batch_init(&w->ins_node, db, run_id, "INSERT OR FAIL INTO stk_nodes(run_id, id, parent,"
			  " frame) VALUES ", 3, "") ||
	    prep(w, &w->ins_proc, "INSERT INTO etw_processes(run_id, pid, ppid, start_ns, end_ns,"
				  " name, command_line) VALUES (?,?,?,?,?,?,?)") ||
	    prep(w, &w->end_proc, "UPDATE etw_processes SET end_ns=?, name=CASE WHEN name=''"
				  " THEN ? ELSE name END, command_line=CASE WHEN"
				  " command_line='' THEN ? ELSE command_line END WHERE"
				  " rowid=(SELECT max(rowid) FROM etw_processes WHERE run_id=? AND"
				  " pid=? AND end_ns IS NULL)") ||
	    prep(w, &w->ins_thread, "INSERT INTO etw_threads(run_id, tid, pid, start_ns, end_ns)"
				    " VALUES (?,?,?,?,NULL)") ||
	    prep(w, &w->end_thread, "UPDATE etw_threads SET end_ns=? WHERE rowid=(SELECT"
				    " max(rowid) FROM etw_threads WHERE run_id=? AND tid=? AND"
				    " end_ns IS NULL)") ||
	    prep(w, &w->ins_tname, "INSERT INTO etw_thread_names(run_id, tid, pid, t_ns, name)"
				   " VALUES (?,?,?,?,?)")) {
		db_stacks_free(w);
		return NULL;
	}
	return w;
}

const char *db_stacks_error(const struct db_stacks *w)
{
	return w->err;
}

int db_stacks_module(struct db_stacks *w, int32_t id, uint64_t base)
{
	if (id < 0)
		return 0;
	if ((size_t)id >= w->nbase) {
		size_t n = (size_t)id + 64;
		uint64_t *b = realloc(w->base, n * sizeof *b);
		if (!b) {
			snprintf(w->err, sizeof w->err, "out of memory");
			return -1;
		}
		memset(b + w->nbase, 0, (n - w->nbase) * sizeof *b);
		w->base = b;
		w->nbase = n;
	}
	w->base[id] = base;
	return 0;
}

/* The rows a cache holds with ids from *unwritten up into SQLite, in the table's index key
 * order, then the cache forgotten (sorting left it no hash map); *unwritten moves to next. */
static int write_new(struct db_stacks *w, struct stk_ids *cache, struct db_batch *ins,
		     int64_t *unwritten, int64_t next, enum stk_ids_order order)
{
	/* past UINT32_MAX no id was made (intern refuses it), so nothing is unwritten */
	size_t n = *unwritten > UINT32_MAX ? 0 : stk_ids_sorted(cache, (uint32_t)*unwritten, order);
	for (size_t i = 0; i < n; i++) {
		const struct stk_id *e = &cache->e[i];
		/* b as its SQL column holds it: a frame's module id is signed (-1: none) */
		int64_t b_sql = order == STK_IDS_BY_B_A ? (int64_t)(int32_t)e->b : (int64_t)e->b;
		if (db_batch_add(ins, (const int64_t[]){e->v, (int64_t)e->a, b_sql}))
			return fail(w, "storing a stack");
	}
	if (db_batch_flush(ins))
		return fail(w, "storing a stack");
	stk_ids_forget(cache);
	*unwritten = next;
	return 0;
}

/* The id of (a, b) in a table (b as its SQL column holds it: b_sql): the cache, else SQLite
 * (only when the cache may have forgotten it and the key is not known new: fresh), else a
 * new id, kept only in the cache until write_new. -1 on error. Ids fit 32 bits (checked). */
static int64_t intern(struct db_stacks *w, struct stk_ids *cache, sqlite3_stmt *sel,
		      struct db_batch *ins, int64_t *next, int64_t *unwritten,
		      enum stk_ids_order order, int64_t a, uint32_t b, int64_t b_sql, int fresh)
{
	uint32_t got = stk_ids_get(cache, (uint64_t)a, b);
	if (got)
		return got;
	int64_t id = 0;
	if (cache->forgot && !fresh && !stk_ids_surely_new(cache, (uint64_t)a, b)) {
		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, w->run_id);
		sqlite3_bind_int64(sel, 2, a);
		sqlite3_bind_int64(sel, 3, b_sql);
		int rc = sqlite3_step(sel);
		if (rc == SQLITE_ROW)
			id = sqlite3_column_int64(sel, 0);
		else if (rc != SQLITE_DONE)
			return fail(w, "reading the stack store");
	}
	/* about to forget every cached id: what only the cache knows goes to SQLite first */
	if (stk_ids_full(cache) && write_new(w, cache, ins, unwritten, *next, order))
		return -1;
	if (!id) {
		if (*next > UINT32_MAX) {
			snprintf(w->err, sizeof w->err, "too many distinct stack frames or nodes");
			return -1;
		}
		id = (*next)++;
	}
	if (stk_ids_put(cache, (uint64_t)a, b, (uint32_t)id)) {
		snprintf(w->err, sizeof w->err, "storing a stack: out of memory");
		return -1;
	}
	return id;
}

/* One (slice, CPU)'s records, w->group[0..n), into its blob: a slice newer than any
 * flushed before is new; an older one (a late sample) may meet its blob, and is merged. */
static int put_group(struct db_stacks *w, uint64_t key, size_t n)
{
	int64_t slice = (int64_t)(key >> 16);
	return db_stk_blobs_put(&w->blobs, slice, (int64_t)(key & 0xffff), w->group, n,
				slice <= w->max_flushed, w->err, sizeof w->err);
}

/* The accumulated counts of slices up to `upto` (INT64_MAX: all) into stk_count_blobs;
 * the cells of newer slices stay in the map. Sorted, a (slice, CPU)'s cells are
 * consecutive and in the blob's (pid, tid, node) order.
 * Keeping the newest slices back matters: samples of the slice before the newest still
 * come (the 10 s kernel story sent 26 % of its cells late when every flush took all). */
static int flush_counts(struct db_stacks *w, int64_t upto)
{
	int64_t newest = w->max_flushed;
	w->counts_gen++; /* the map is sorted and rebuilt: every memo's cell pointer is stale */
	/* the cells of slices up to upto first, sorted: (slice, cpu) first, blobs in index
	 * order; the kept cells after them (slice ≥ 0, so k[0] ≤ bound ⇔ slice ≤ upto) */
	uint64_t bound = upto >= INT64_MAX >> 16 ? UINT64_MAX : (uint64_t)upto << 16 | 0xffff;
	size_t n, m = stk_map_sorted_upto(&w->counts, bound, &n);
	size_t i = 0, g = 0;
	for (; i < m; i++) {
		const struct stk_entry *e = &w->counts.e[i];
		if (g && e->k[0] != w->counts.e[i - 1].k[0]) {
			if (put_group(w, w->counts.e[i - 1].k[0], g))
				return -1;
			g = 0;
		}
		if (g == w->group_cap) {
			size_t cap = g ? 2 * g : 1024;
			struct db_stkblob_rec *r = realloc(w->group, cap * sizeof *r);
			if (!r) {
				snprintf(w->err, sizeof w->err, "storing stack counts: out of memory");
				return -1;
			}
			w->group = r;
			w->group_cap = cap;
		}
		uint32_t pid = (uint32_t)(e->k[1] >> 32), tid = (uint32_t)(e->k[1] & 0xffffffffu);
		w->group[g++] = (struct db_stkblob_rec){pid, tid, (int64_t)e->k[2], e->v};
		if (db_stk_totals_add(&w->totals, pid == 0 && tid != DB_STK_TID_INTERRUPTS,
				      (int64_t)e->k[2], e->v))
			return fail(w, "storing stack counts");
	}
	if (g && put_group(w, w->counts.e[i - 1].k[0], g))
		return -1;
	if (i && (int64_t)(w->counts.e[i - 1].k[0] >> 16) > newest)
		newest = (int64_t)(w->counts.e[i - 1].k[0] >> 16); /* the last flushed: the newest */
	w->max_flushed = newest;
	/* the kept cells (fewer than the map held) back into the emptied map */
	size_t keep = n - i;
	struct stk_entry *kept = keep ? malloc(keep * sizeof *kept) : NULL;
	if (keep && !kept) {
		snprintf(w->err, sizeof w->err, "storing stack counts: out of memory");
		return -1;
	}
	if (keep)
		memcpy(kept, w->counts.e + i, keep * sizeof *kept);
	stk_map_reset_sorted(&w->counts, n);
	w->min_slice = INT64_MAX;
	for (size_t j = 0; j < keep; j++) {
		/* fewer than the map held before the reset: a slot is always free */
		struct stk_entry *e = stk_map_put(&w->counts, kept[j].k[0], kept[j].k[1],
						  kept[j].k[2]);
		if (!e) {
			free(kept);
			snprintf(w->err, sizeof w->err, "storing stack counts: map full");
			return -1;
		}
		e->v = kept[j].v;
		int64_t slice = (int64_t)(kept[j].k[0] >> 16);
		if (slice < w->min_slice)
			w->min_slice = slice;
	}
	free(kept);
	return 0;
}

/* The leaf node of f[0..n) (leaf first) if it is the memo's stack, else -1. */
static int64_t memo_node(const struct stk_memo *m, const struct sink_frame *f, uint32_t n)
{
	if (m->n != n)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (m->off[i] != f[i].offset || m->mod[i] != f[i].module_id)
			return -1;
	return m->node;
}

/* f[0..n) and its leaf node become the memo's stack (its count cell forgotten); a stack
 * deeper than MEMO_DEPTH empties the memo. */
static void memo_keep(struct stk_memo *m, const struct sink_frame *f, uint32_t n, int64_t node)
{
	m->n = n <= MEMO_DEPTH ? n : 0;
	for (uint32_t i = 0; i < m->n; i++) {
		m->off[i] = f[i].offset;
		m->mod[i] = f[i].module_id;
	}
	m->node = node;
	m->gen = 0;
}

/* The stack f[0..n) (leaf first, n ≥ 1) walked root first through the prefix tree, each
 * frame and node interned: the leaf node's id, or -1 on error (w->err). */
static int64_t walk(struct db_stacks *w, const struct sink_frame *f, uint32_t n)
{
	int64_t node = 0;
	for (uint32_t i = n; i-- > 0;) { /* root (outermost frame) first */
		int64_t frame = intern(w, &w->frames, w->sel_frame, &w->ins_frame, &w->next_frame,
				       &w->unwritten_frame, STK_IDS_BY_B_A, (int64_t)f[i].offset,
				       (uint32_t)f[i].module_id, f[i].module_id, 0);
		if (frame < 0)
			return -1;
		node = intern(w, &w->nodes, w->sel_node, &w->ins_node, &w->next_node,
			      &w->unwritten_node, STK_IDS_BY_A_B, node, (uint32_t)frame, frame,
			      node >= w->node_mark || frame >= w->frame_mark);
		if (node < 0)
			return -1;
		if (w->nodes.resets != w->node_resets) { /* forgotten while caching node */
			w->node_resets = w->nodes.resets;
			w->node_mark = w->next_node;
			w->frame_mark = w->next_frame;
		}
	}
	return node;
}

int db_stacks_sample(struct db_stacks *w, const struct sink_cpu_sample *s)
{
	struct sink_frame buf[DB_STK_MAX_DEPTH];
	uint32_t n = s->frames ? s->n_frames : 0;
	const struct sink_frame *f = s->frames;
	if (n > DB_STK_MAX_DEPTH - 1)
		n = DB_STK_MAX_DEPTH - 1;
	/* the IP is the leaf: the whole stack when there is none, and put in front when the
	 * stack's innermost frame is not it (only the user half matched, say) */
	if (!n || f[0].addr != s->ip) {
		int32_t m = s->module_id;
		int known = m >= 0 && (size_t)m < w->nbase;
		buf[0] = (struct sink_frame){.addr = s->ip, .module_id = known ? m : -1,
					     .offset = known ? s->ip - w->base[m] : s->ip};
		if (n)
			memcpy(buf + 1, f, (size_t)n * sizeof *f);
		f = buf;
		n++;
	}
	struct stk_memo *set = w->memo[s->cpu % MEMO_SLOTS], *m = NULL;
	int64_t node = -1;
	for (unsigned i = 0; i < MEMO_WAYS && node < 0; i++)
		if ((node = memo_node(&set[i], f, n)) >= 0)
			m = &set[i];
	if (node < 0) {
		node = walk(w, f, n);
		if (node < 0)
			return -1;
		m = &set[w->memo_next[s->cpu % MEMO_SLOTS]++ % MEMO_WAYS];
		memo_keep(m, f, n, node);
	}
	int64_t slice = (s->t_ns < 0 ? 0 : s->t_ns) / DB_STK_SLICE_NS;
	/* samples arrive nearly in time order: a slice two behind the newest is closed, so it
	 * is flushed and the one before this sample's kept (all go when the map is full) */
	if (w->counts.n && stk_map_full(&w->counts) && flush_counts(w, INT64_MAX))
		return -1;
	if (w->counts.n && slice >= w->min_slice + 2 && flush_counts(w, slice - 2))
		return -1;
	uint32_t tid = s->pid == 0 && !sink_sample_idle(s) ? DB_STK_TID_INTERRUPTS : s->tid;
	uint64_t k0 = (uint64_t)slice << 16 | s->cpu, k1 = (uint64_t)s->pid << 32 | tid,
		 k2 = (uint64_t)node;
	struct stk_entry *e;
	if (m->gen == w->counts_gen && m->k[0] == k0 && m->k[1] == k1 && m->k[2] == k2) {
		e = m->cell;
	} else {
		e = stk_map_put(&w->counts, k0, k1, k2);
		if (!e) { /* not full: flushed above */
			snprintf(w->err, sizeof w->err, "storing stack counts: map full");
			return -1;
		}
		if (m->n) { /* the cell goes with the memo's stack */
			m->k[0] = k0;
			m->k[1] = k1;
			m->k[2] = k2;
			m->gen = w->counts_gen;
			m->cell = e;
		}
	}
	e->v++;
	if (slice < w->min_slice)
		w->min_slice = slice;
	w->n_samples++;
	return 0;
}

static void bind_time(sqlite3_stmt *q, int i, const struct sink_task *t)
{
	if (t->rundown)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_int64(q, i, t->t_ns);
}

int db_stacks_task(struct db_stacks *w, const struct sink_task *t)
{
	sqlite3_stmt *q;
	const char *name = t->name ? t->name : "", *cl = t->command_line ? t->command_line : "";
	switch (t->kind) {
	case SINK_PROCESS_START:
		q = w->ins_proc;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, w->run_id);
		sqlite3_bind_int64(q, 2, t->pid);
		sqlite3_bind_int64(q, 3, t->ppid);
		bind_time(q, 4, t);
		sqlite3_bind_null(q, 5);
		sqlite3_bind_text(q, 6, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 7, cl, -1, SQLITE_STATIC);
		break;
	case SINK_PROCESS_END:
		if (t->rundown)
			return 0; /* DCEnd: still running when the trace stopped */
		q = w->end_proc;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, t->t_ns);
		sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, cl, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, w->run_id);
		sqlite3_bind_int64(q, 5, t->pid);
		break;
	case SINK_THREAD_START:
		q = w->ins_thread;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, w->run_id);
		sqlite3_bind_int64(q, 2, t->tid);
		sqlite3_bind_int64(q, 3, t->pid);
		bind_time(q, 4, t);
		break;
	case SINK_THREAD_END:
		if (t->rundown)
			return 0;
		q = w->end_thread;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, t->t_ns);
		sqlite3_bind_int64(q, 2, w->run_id);
		sqlite3_bind_int64(q, 3, t->tid);
		break;
	case SINK_THREAD_NAME:
		q = w->ins_tname;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, w->run_id);
		sqlite3_bind_int64(q, 2, t->tid);
		sqlite3_bind_int64(q, 3, t->pid);
		sqlite3_bind_int64(q, 4, t->t_ns);
		sqlite3_bind_text(q, 5, name, -1, SQLITE_STATIC);
		break;
	default:
		return 0;
	}
	int rc = sqlite3_step(q);
	sqlite3_reset(q); /* the bound strings are the caller's */
	return rc == SQLITE_DONE ? 0 : fail(w, "storing a process or thread");
}

int db_stacks_finish(struct db_stacks *w)
{
	if (flush_counts(w, INT64_MAX))
		return -1;
	if (write_new(w, &w->frames, &w->ins_frame, &w->unwritten_frame, w->next_frame,
		      STK_IDS_BY_B_A) ||
	    write_new(w, &w->nodes, &w->ins_node, &w->unwritten_node, w->next_node,
		      STK_IDS_BY_A_B))
		return -1;
	if (db_stk_totals_flush(&w->totals))
		return fail(w, "storing stack totals");
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(w->db, "INSERT INTO stk_runs(run_id, slice_ns, n_frames, n_nodes,"
				      " n_samples) VALUES (?,?,?,?,?)", -1, &q, NULL) != SQLITE_OK)
		return fail(w, "storing stack facts");
	sqlite3_bind_int64(q, 1, w->run_id);
	sqlite3_bind_int64(q, 2, DB_STK_SLICE_NS);
	sqlite3_bind_int64(q, 3, w->next_frame - 1);
	sqlite3_bind_int64(q, 4, w->next_node - 1);
	sqlite3_bind_int64(q, 5, w->n_samples);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(w, "storing stack facts");
}

void db_stacks_free(struct db_stacks *w)
{
	if (!w)
		return;
	stk_ids_free(&w->frames);
	stk_ids_free(&w->nodes);
	stk_map_free(&w->counts);
	db_stk_totals_clear(&w->totals);
	sqlite3_finalize(w->sel_frame);
	db_batch_clear(&w->ins_frame);
	sqlite3_finalize(w->sel_node);
	db_batch_clear(&w->ins_node);
	db_stk_blob_writer_clear(&w->blobs);
	free(w->group);
	sqlite3_finalize(w->ins_proc);
	sqlite3_finalize(w->end_proc);
	sqlite3_finalize(w->ins_thread);
	sqlite3_finalize(w->end_thread);
	sqlite3_finalize(w->ins_tname);
	free(w->base);
	free(w);
}
