/* db_agg_build.c — building multi-level aggregates while streaming: records go into open
 * level-0 (1 ms) slices; a slice is flushed once time has moved LOOKAHEAD past its end,
 * adding its records into the open parent slice (16× coarser) and writing its blobs. A
 * slice that receives records after it was written (out-of-order input) is reopened
 * holding only the late records; its flush adds them to the parent and merges them with
 * the stored blob (read-modify-write), so results are exact for any input order. Memory
 * is bounded by the slices open inside the lookahead plus one per level. Encoded blobs
 * are queued per (output, level) and inserted in batches, so a level's consecutive slices
 * sit together in the file and a cold read of a long window is mostly sequential. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"

#define LOOKAHEAD_NS (32 * AGG_MS) /* default; agg_builder_set_lookahead */
#define MAX_OUTS 4
#define MAX_OPEN0 256 /* open level-0 slices before late ones are flushed anyway */
/* Open level-0 slices by idx, direct-mapped: CPU samples reach the store up to ~64 ms late
 * per CPU, so consecutive records jump between ~80 open 1 ms slices and the list scan of
 * get_slice walked dozens of them per record. */
#define NEAR0 256
/* A slice back in the pool keeps its arrays only up to this many records (~50 KB): a
 * flushed coarse slice holds every key of its span, and the pool, reused LIFO for the
 * next 1 ms slice, kept that capacity in circulation, so more and more pooled slices held
 * a coarse slice's arrays (RSS grew ~0.1 MB per second of a 24-CPU kernel trace). */
#define POOL_KEEP_RECS 128
#define QUEUE_ROWS 256
/* Queued blobs go INS_ROWS to a statement ("VALUES (…),(…),…"): the per-statement cost
 * (step, halt, reset) was ~3 k of the ~14 k instructions a one-row insert took. Built here,
 * not with db_batch, which buffers int64 columns only: these rows carry a blob. */
#define INS_ROWS 32
#define QUEUE_BYTES (512 * 1024)
/* The queues' arrays together: past this many bytes every queue is written and its array
 * freed. Each queue alone flushes at QUEUE_BYTES, but a coarse level fills its 256 rows over
 * minutes to hours of trace, and 4 outputs × 11 levels of arrays kept at their largest grew
 * with the trace's length (1.5 MB from 24 s to 60 s of the busy 24-CPU trace), up to ~44 MB. */
#ifndef QUEUE_TOTAL_BYTES /* a test build may lower it */
#define QUEUE_TOTAL_BYTES (2 * 1024 * 1024)
#endif

/* Encoded slices of one (output, level) waiting to be inserted. */
struct queue {
	uint8_t *data;
	size_t n, cap;
	int64_t *idx;
	size_t *off;
	uint32_t rows, caprows;
};

struct agg_builder {
	sqlite3 *db;
	int64_t run_id;
	struct agg_out outs[MAX_OUTS];
	int nouts;
	unsigned max_mask;
	struct agg_slice *open[AGG_LEVELS];
	uint32_t nopen0; /* open level-0 slices */
	struct agg_slice *last0;
	struct agg_slice *near0[NEAR0]; /* invariant: NULL or an open level-0 slice */
	struct agg_slice *pool;
	int64_t hi_flushed[AGG_LEVELS];
	int64_t wm, checked;
	int64_t lookahead_ns;
	/* The least record time at which agg_builder_advance has work (agg_builder_due):
	 * (checked + 1) ms + lookahead, or INT64_MIN while more than MAX_OPEN0 level-0
	 * slices are open (every record must then reach advance). */
	int64_t due;
	sqlite3_stmt *ins, *ins_many, *sel; /* ins_many: INS_ROWS rows */
	struct agg_buf buf;
	struct queue queues[MAX_OUTS][AGG_LEVELS];
	size_t queue_bytes; /* Σ cap of the queues' data arrays (QUEUE_TOTAL_BYTES) */
	struct agg_slice group; /* scratch for grouped outputs */
	int64_t counts[AGG_KINDS][AGG_LEVELS];
	uint64_t rmw;
	char err[256];
};

static int set_err(struct agg_builder *b, const char *what)
{
	snprintf(b->err, sizeof b->err, "%s: %s", what, sqlite3_errmsg(b->db));
	return -1;
}

struct agg_builder *agg_builder_new(sqlite3 *db, int64_t run_id, const struct agg_out *outs,
				    int nouts, unsigned max_mask, char *err, size_t errlen)
{
	struct agg_builder *b = calloc(1, sizeof *b);
	if (!b || nouts > MAX_OUTS) {
		snprintf(err, errlen, "out of memory");
		free(b);
		return NULL;
	}
	b->db = db;
	b->run_id = run_id;
	memcpy(b->outs, outs, sizeof *outs * (size_t)nouts);
	b->nouts = nouts;
	b->max_mask = max_mask;
	b->wm = -1;
	b->checked = -1;
	b->lookahead_ns = LOOKAHEAD_NS;
	b->due = LOOKAHEAD_NS;
	for (int l = 0; l < AGG_LEVELS; l++)
		b->hi_flushed[l] = -1;
	char many[128 + INS_ROWS * 12];
	int l = snprintf(many, sizeof many,
			 "INSERT OR REPLACE INTO etw_agg(run_id, agg, level, slice, data) VALUES ");
	for (int r = 0; r < INS_ROWS; r++)
		l += snprintf(many + l, sizeof many - (size_t)l, "%s(?,?,?,?,?)", r ? "," : "");
	if (sqlite3_prepare_v2(db,
			       "INSERT OR REPLACE INTO etw_agg(run_id, agg, level, slice, data)"
			       " VALUES (?,?,?,?,?)",
			       -1, &b->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, many, -1, &b->ins_many, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT data FROM etw_agg WHERE run_id=? AND agg=? AND level=?"
			       " AND slice=?",
			       -1, &b->sel, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "preparing aggregates: %s", sqlite3_errmsg(db));
		agg_builder_free(b);
		return NULL;
	}
	return b;
}

/* b->due from checked, the lookahead and the open level-0 slices. */
static void set_due(struct agg_builder *b)
{
	b->due = b->nopen0 > MAX_OPEN0 ? INT64_MIN : (b->checked + 1) * AGG_MS + b->lookahead_ns;
}

void agg_builder_set_lookahead(struct agg_builder *b, int64_t ns)
{
	b->lookahead_ns = ns;
	set_due(b);
}

const int64_t *agg_builder_due(const struct agg_builder *b)
{
	return &b->due;
}

const char *agg_builder_error(const struct agg_builder *b)
{
	return b->err;
}

size_t agg_builder_pool_bytes(const struct agg_builder *b, size_t *nslices)
{
	size_t bytes = 0, n = 0;
	for (const struct agg_slice *s = b->pool; s; s = s->next, n++)
		bytes += s->cap * sizeof *s->recs + s->tabcap * sizeof *s->tab;
	if (nslices)
		*nslices = n;
	return bytes;
}

uint64_t agg_builder_rmw_count(const struct agg_builder *b)
{
	return b->rmw;
}

/* s (unlinked) into the pool, its arrays freed when above POOL_KEEP_RECS. */
static void pool_put(struct agg_builder *b, struct agg_slice *s)
{
	if (s->cap > POOL_KEEP_RECS) {
		free(s->recs);
		free(s->tab);
		s->recs = NULL;
		s->tab = NULL;
		s->n = s->cap = s->tabcap = 0;
	}
	s->next = b->pool;
	b->pool = s;
}

static struct agg_slice **near0(struct agg_builder *b, int64_t idx)
{
	return &b->near0[(uint64_t)idx % NEAR0];
}

static struct agg_slice *get_slice(struct agg_builder *b, int level, int64_t idx)
{
	if (level == 0 && *near0(b, idx) && (*near0(b, idx))->idx == idx)
		return *near0(b, idx);
	for (struct agg_slice *s = b->open[level]; s; s = s->next)
		if (s->idx == idx) {
			if (level == 0)
				*near0(b, idx) = s;
			return s;
		}
	struct agg_slice *s = b->pool;
	if (s)
		b->pool = s->next;
	else if (!(s = calloc(1, sizeof *s)))
		return NULL;
	agg_slice_reset(s, level, idx);
	s->next = b->open[level];
	b->open[level] = s;
	if (level == 0) {
		if (++b->nopen0 > MAX_OPEN0)
			b->due = INT64_MIN;
		*near0(b, idx) = s;
	}
	return s;
}

struct agg_rec *agg_builder_rec(struct agg_builder *b, int64_t t_ns, uint64_t key)
{
	int64_t idx = t_ns / AGG_MS;
	struct agg_slice *s = b->last0;
	if (!s || s->idx != idx) {
		if (!(s = get_slice(b, 0, idx))) {
			snprintf(b->err, sizeof b->err, "out of memory");
			return NULL;
		}
		b->last0 = s;
	}
	struct agg_rec *r = agg_slice_rec(s, key);
	if (!r)
		snprintf(b->err, sizeof b->err, "out of memory");
	return r;
}

struct rmw_ctx {
	struct agg_slice *s;
	const struct agg_out *o;
	unsigned max_mask;
};

static int rmw_visit(void *ud, const struct agg_view *v)
{
	struct rmw_ctx *c = ud;
	struct agg_rec tmp, *d = agg_slice_rec(c->s, v->key);
	if (!d)
		return -2;
	memset(tmp.v, 0, sizeof tmp.v);
	for (int k = 0; k < c->o->nvals; k++)
		tmp.v[c->o->val_idx[k]] = v->v[k];
	tmp.hmask = v->has_hist ? v->hmask : 0;
	for (uint64_t m = tmp.hmask; m; m &= m - 1) {
		int bk = __builtin_ctzll(m);
		tmp.hist[bk] = v->hist[bk];
	}
	agg_rec_merge(d, &tmp, c->max_mask);
	return 0;
}

#define DEAD_ROW INT64_MIN /* a queued row superseded by a later one of its slice */

/* Row r of q bound as row k (0-based) of st, whose rows are 5 parameters each. */
static void bind_row(struct agg_builder *b, sqlite3_stmt *st, int k, const struct queue *q,
		     uint32_t r, int out, int level)
{
	size_t end = r + 1 < q->rows ? q->off[r + 1] : q->n;
	sqlite3_bind_int64(st, 5 * k + 1, b->run_id);
	sqlite3_bind_int(st, 5 * k + 2, b->outs[out].agg);
	sqlite3_bind_int(st, 5 * k + 3, level);
	sqlite3_bind_int64(st, 5 * k + 4, q->idx[r]);
	sqlite3_bind_blob(st, 5 * k + 5, q->data + q->off[r], (int)(end - q->off[r]),
			  SQLITE_STATIC);
}

/* The queue's live rows inserted in queue order (a slice is live in it at most once). */
static int flush_queue(struct agg_builder *b, int out, int level)
{
	struct queue *q = &b->queues[out][level];
	uint32_t live = 0;
	for (uint32_t r = 0; r < q->rows; r++)
		live += q->idx[r] != DEAD_ROW;
	uint32_t r = 0;
	for (; live >= INS_ROWS; live -= INS_ROWS) {
		sqlite3_stmt *st = b->ins_many;
		sqlite3_reset(st);
		for (int k = 0; k < INS_ROWS; r++)
			if (q->idx[r] != DEAD_ROW)
				bind_row(b, st, k++, q, r, out, level);
		if (sqlite3_step(st) != SQLITE_DONE)
			return set_err(b, "storing aggregates");
	}
	for (; r < q->rows; r++) {
		if (q->idx[r] == DEAD_ROW)
			continue;
		sqlite3_stmt *st = b->ins;
		sqlite3_reset(st);
		bind_row(b, st, 0, q, r, out, level);
		if (sqlite3_step(st) != SQLITE_DONE)
			return set_err(b, "storing aggregate");
	}
	q->rows = 0;
	q->n = 0;
	return 0;
}

static int flush_queues(struct agg_builder *b)
{
	for (int l = 0; l < AGG_LEVELS; l++)
		for (int i = 0; i < b->nouts; i++)
			if (b->queues[i][l].rows && flush_queue(b, i, l))
				return -1;
	return 0;
}

/* Every queue written and its data array freed, when the arrays together would pass
 * QUEUE_TOTAL_BYTES by growing one of them to cap. 0 or -1. */
static int queues_budget(struct agg_builder *b, const struct queue *grown, size_t cap)
{
	if (b->queue_bytes - grown->cap + cap <= QUEUE_TOTAL_BYTES)
		return 0;
	if (flush_queues(b))
		return -1;
	for (int l = 0; l < AGG_LEVELS; l++)
		for (int i = 0; i < b->nouts; i++) {
			free(b->queues[i][l].data);
			b->queues[i][l].data = NULL;
			b->queues[i][l].cap = 0;
		}
	b->queue_bytes = 0;
	return 0;
}

size_t agg_builder_queue_bytes(const struct agg_builder *b)
{
	return b->queue_bytes;
}

static int enqueue(struct agg_builder *b, int out, int level, int64_t idx)
{
	struct queue *q = &b->queues[out][level];
	if (q->rows == q->caprows) {
		uint32_t cap = q->caprows ? q->caprows * 2 : 16;
		int64_t *ni = realloc(q->idx, sizeof *ni * cap);
		if (ni)
			q->idx = ni;
		size_t *no = ni ? realloc(q->off, sizeof *no * cap) : NULL;
		if (!ni || !no)
			goto oom;
		q->off = no;
		q->caprows = cap;
	}
	if (q->n + b->buf.n > q->cap) {
		size_t cap = q->cap ? q->cap : 16384;
		while (cap < q->n + b->buf.n)
			cap *= 2;
		if (queues_budget(b, q, cap))
			return -1;
		if (q->n + b->buf.n > q->cap) { /* still: the budget left this queue's array */
			cap = q->cap ? q->cap : 16384;
			while (cap < q->n + b->buf.n)
				cap *= 2;
			uint8_t *nd = realloc(q->data, cap);
			if (!nd)
				goto oom;
			q->data = nd;
			b->queue_bytes += cap - q->cap;
			q->cap = cap;
		}
	}
	memcpy(q->data + q->n, b->buf.p, b->buf.n);
	q->idx[q->rows] = idx;
	q->off[q->rows++] = q->n;
	q->n += b->buf.n;
	if (q->rows >= QUEUE_ROWS || q->n >= QUEUE_BYTES)
		return flush_queue(b, out, level);
	return 0;
oom:
	snprintf(b->err, sizeof b->err, "out of memory");
	return -1;
}

/* The queued blob of slice idx of (out, level), or NULL. A slice is queued once: when it
 * is written again after a late record, its queued rows are dropped (kill_queued). */
static const uint8_t *queued(const struct agg_builder *b, int out, int level, int64_t idx,
			     size_t *n)
{
	const struct queue *q = &b->queues[out][level];
	for (uint32_t r = q->rows; r-- > 0;)
		if (q->idx[r] == idx) {
			*n = (r + 1 < q->rows ? q->off[r + 1] : q->n) - q->off[r];
			return q->data + q->off[r];
		}
	return NULL;
}

static void kill_queued(struct agg_builder *b, int level, int64_t idx)
{
	for (int i = 0; i < b->nouts; i++) {
		struct queue *q = &b->queues[i][level];
		for (uint32_t r = q->rows; r-- > 0;)
			if (q->idx[r] == idx) {
				q->idx[r] = DEAD_ROW;
				break;
			}
	}
}

/* Merge what is already stored for this slice into it (late records only): from the queue
 * when its blob is still there (the usual case: samples leave the per-CPU holds up to ~64
 * ms late), else from the database. */
static int merge_stored(struct agg_builder *b, struct agg_slice *s)
{
	int in_queue = 0;
	for (int i = 0; i < b->nouts; i++) {
		const struct agg_out *o = &b->outs[i];
		if (!o->primary)
			continue;
		struct rmw_ctx c = {s, o, b->max_mask};
		size_t n;
		const uint8_t *p = queued(b, i, s->level, s->idx, &n);
		if (p) {
			b->rmw++;
			if (agg_decode(p, n, NULL, rmw_visit, &c)) {
				snprintf(b->err, sizeof b->err, "queued aggregate unreadable");
				return -1;
			}
			in_queue = 1;
			continue;
		}
		sqlite3_stmt *q = b->sel;
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, b->run_id);
		sqlite3_bind_int(q, 2, o->agg);
		sqlite3_bind_int(q, 3, s->level);
		sqlite3_bind_int64(q, 4, s->idx);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			b->rmw++;
			const void *blob = sqlite3_column_blob(q, 0);
			int nb = sqlite3_column_bytes(q, 0);
			if (agg_decode(blob, (size_t)nb, NULL, rmw_visit, &c)) {
				sqlite3_reset(q);
				snprintf(b->err, sizeof b->err, "stored aggregate unreadable");
				return -1;
			}
		} else if (rc != SQLITE_DONE) {
			return set_err(b, "reading aggregate");
		}
		sqlite3_reset(q);
	}
	if (in_queue) /* every output's queued row: write_slice queues the merged version */
		kill_queued(b, s->level, s->idx);
	return 0;
}

/* The slice's records summed under the output's coarser key. */
static const struct agg_slice *grouped(struct agg_builder *b, const struct agg_slice *s,
				       int group)
{
	agg_slice_reset(&b->group, s->level, s->idx);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct agg_rec *r = &s->recs[i];
		unsigned kind = agg_key_kind(r->key), cls = (DB_KIND_ISRS >> kind) & 1;
		uint64_t key = group == AGG_GROUP_CPU_CLASS ? agg_key(agg_key_cpu(r->key), -1, cls)
							    : agg_key(0, agg_key_module(r->key), cls);
		struct agg_rec *d = agg_slice_rec(&b->group, key);
		if (!d)
			return NULL;
		for (int k = 0; k < AGG_NVALS; k++)
			d->v[k] += r->v[k]; /* only sums are stored from grouped records */
	}
	return &b->group;
}

static int write_slice(struct agg_builder *b, struct agg_slice *s)
{
	for (int i = 0; i < b->nouts; i++) {
		const struct agg_slice *src = s;
		if (s->level < b->outs[i].min_level)
			continue;
		if (b->outs[i].group && !(src = grouped(b, s, b->outs[i].group))) {
			snprintf(b->err, sizeof b->err, "out of memory");
			return -1;
		}
		if (agg_encode(src, &b->outs[i], &b->buf)) {
			snprintf(b->err, sizeof b->err, "out of memory");
			return -1;
		}
		if (enqueue(b, i, s->level, s->idx))
			return -1;
		if (b->outs[i].agg >= 0 && b->outs[i].agg < AGG_KINDS)
			b->counts[b->outs[i].agg][s->level] += b->buf.nrec;
	}
	return 0;
}

void agg_builder_add_counts(const struct agg_builder *b, int64_t counts[AGG_KINDS][AGG_LEVELS])
{
	for (int a = 0; a < AGG_KINDS; a++)
		for (int l = 0; l < AGG_LEVELS; l++)
			counts[a][l] += b->counts[a][l];
}

/* s has just left its level's open list: forget every pointer to it as open. */
static void unlinked(struct agg_builder *b, struct agg_slice *s)
{
	if (s->level != 0)
		return;
	b->nopen0--;
	if (*near0(b, s->idx) == s)
		*near0(b, s->idx) = NULL;
	if (b->last0 == s)
		b->last0 = NULL;
}

/* Flush *link (an open slice at its level) and unlink it. */
static int flush(struct agg_builder *b, struct agg_slice **link)
{
	struct agg_slice *s = *link;
	int l = s->level;
	if (l + 1 < AGG_LEVELS) {
		struct agg_slice *p = get_slice(b, l + 1, s->idx / AGG_FANOUT);
		if (!p || agg_slice_merge(p, s, b->max_mask)) {
			snprintf(b->err, sizeof b->err, "out of memory");
			return -1;
		}
	}
	if (s->idx <= b->hi_flushed[l] && merge_stored(b, s))
		return -1;
	if (write_slice(b, s))
		return -1;
	if (s->idx > b->hi_flushed[l])
		b->hi_flushed[l] = s->idx;
	*link = s->next;
	unlinked(b, s);
	pool_put(b, s);
	return 0;
}

/* Link to the open slice of level l with the smallest idx below limit, or NULL. Flushing
 * in ascending order means only truly late slices are ever looked up in the database. */
static struct agg_slice **oldest(struct agg_builder *b, int l, int64_t limit)
{
	struct agg_slice **best = NULL;
	for (struct agg_slice **link = &b->open[l]; *link; link = &(*link)->next)
		if ((*link)->idx < limit && (!best || (*link)->idx < (*best)->idx))
			best = link;
	return best;
}

int agg_builder_advance(struct agg_builder *b, int64_t t_ns)
{
	b->wm = t_ns > b->wm ? t_ns : b->wm; /* a select: records' times come out of order */
	if (b->wm < b->lookahead_ns)
		return 0; /* only the lookahead's few slices can be open */
	int64_t done_ms = (b->wm - b->lookahead_ns) / AGG_MS; /* slices ending by here are done */
	/* Normally only when time passes a ms; also when many late slices are open (input
	 * far behind an earlier outlier), so memory stays bounded whatever the order. */
	if (done_ms <= b->checked && b->nopen0 <= MAX_OPEN0)
		return 0;
	b->checked = done_ms;
	for (int l = 0; l < AGG_LEVELS; l++) {
		struct agg_slice **link;
		while ((link = oldest(b, l, done_ms >> (4 * l))))
			if (flush(b, link))
				return -1;
	}
	set_due(b);
	return 0;
}

int agg_builder_finish(struct agg_builder *b, int top_level)
{
	for (int l = 0; l < AGG_LEVELS; l++) {
		struct agg_slice **link;
		while ((link = oldest(b, l, INT64_MAX))) {
			if (l <= top_level) {
				if (flush(b, link))
					return -1;
			} else {
				struct agg_slice *s = *link;
				*link = s->next;
				unlinked(b, s);
				pool_put(b, s);
			}
		}
	}
	b->last0 = NULL;
	return flush_queues(b);
}

int agg_top_level(int64_t t_max_ns)
{
	int64_t ms = t_max_ns < 0 ? 0 : t_max_ns / AGG_MS;
	int l = 0;
	while (l < AGG_LEVELS - 1 && ms >= agg_width_ms(l))
		l++;
	return l;
}

static void free_list(struct agg_slice *s)
{
	while (s) {
		struct agg_slice *n = s->next;
		agg_slice_free(s);
		s = n;
	}
}

void agg_builder_free(struct agg_builder *b)
{
	if (!b)
		return;
	for (int l = 0; l < AGG_LEVELS; l++)
		free_list(b->open[l]);
	free_list(b->pool);
	sqlite3_finalize(b->ins);
	sqlite3_finalize(b->ins_many);
	sqlite3_finalize(b->sel);
	free(b->buf.p);
	for (int i = 0; i < MAX_OUTS; i++)
		for (int l = 0; l < AGG_LEVELS; l++) {
			free(b->queues[i][l].data);
			free(b->queues[i][l].idx);
			free(b->queues[i][l].off);
		}
	free(b->group.recs);
	free(b->group.tab);
	free(b);
}
