/* api_stacks_pre.c — the pre-aggregated call trees and butterflies (db/db_stk_pretree.c): built after
 * ingest by the tree builders a request uses (over the whole run, once per mode: module
 * trees by api_stk_tree_build, frame trees by api_stk_tree_build_floor, which never holds
 * the nodes under the floor), and read back for whole-run requests by frame or module so that a request
 * reads only the nodes above its min_share instead of walking every distinct stack. The
 * Every module's butterfly (by module) is stored the same way, for the whole run. The
 * answers are the same as the walk's: same nodes, same counts, same names (a node's name
 * comes from its module and offset at read time, so symbols loaded later still name it).
 * Frame trees are stored down to DB_STK_PRE_FLOOR of the total (requests with a smaller
 * min_share walk), each node with its number of children in the whole tree; module trees whole, with per-slice counts of their nodes for windows,
 * and per CPU, process and thread counts for filters (api_stacks_prefilt.c, written in the
 * same slice pass, with the butterflies of every slice and of every filter key).
 * A mode whose tree does not fit the builder's map (413) is not stored: its requests walk
 * the stacks as before. One stack reader, preloaded, serves every mode. A tag filter on a
 * module tree of a run without symbols is served from the same counts (keep_tags). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_params.h"
#include "api_stacks.h"
#include "api_stacks_bfmemo.h"
#include "api_tags.h"

/* The frame trees' bound on kept nodes (api_stk_tree_build_floor): 72 bytes a node and
 * ≤ 2 map slots of 40, so ≤ 10 MB of the ingest's peak. Real stacks repeat: the trees at
 * DB_STK_PRE_FLOOR hold a few thousand nodes (the 120 s field story ~1,000); a short trace
 * whose deep stacks never repeat keeps nearly every node (a sample or two is the floor),
 * and such a mode is not stored (its requests walk the stacks, as for any 413). */
#define PRE_FRAME_TREE_MAX_NODES 65536

/* One build: the run, its preloaded stack reader (every mode resolves the same leaves), the
 * inserts, the error. */
struct pre {
	sqlite3 *db;
	const char *public_id;
	int64_t run_id;
	struct db_stk_reader *r;
	size_t leaf_bytes; /* the slice pass's leaf cache (PRE_LEAF_BYTES, PRE_LEAF_MAP_LOG2) */
	unsigned leaf_map_log2;
	sqlite3_stmt *ins, *sins, *bins; /* trees, slice counts, butterflies */
	char *err;
	size_t errlen;
};

/* The whole run's selection, Idle left out or kept, reading through p's reader: 0, or -1
 * with err set. */
static int whole_run(struct pre *p, int idle, struct api_stk_query *q)
{
	struct api_request rq = {.query = idle ? "idle=1" : "idle=0"};
	cJSON *out = NULL;
	if (!api_stk_query_parse(p->db, p->public_id, &rq, 0, q, &out)) {
		q->reader = p->r;
		return 0;
	}
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(out, "error");
	snprintf(p->err, p->errlen, "%s", cJSON_IsString(m) ? m->valuestring : "no stack store");
	cJSON_Delete(out);
	return -1;
}

static int build_bfly(struct pre *p, int idle)
{
	struct api_stk_query q;
	if (whole_run(p, idle, &q))
		return -1;
	int rc = api_stk_bfly_pre_build(p->db, &q, p->bins, p->err, p->errlen);
	api_stk_query_clear(&q);
	return rc;
}

/* Build mode's tree into t over q (parsed here; both cleared by the caller) and store it;
 * frame trees only down to DB_STK_PRE_FLOOR of the total, built without the nodes under
 * it (api_stk_tree_build_floor; module trees whole: windows recount them). 0, 1 when too large to hold (nothing stored), -1 with err set. */
static int build_tree(struct pre *p, int mode, struct api_stk_query *q, struct api_stk_tree *t)
{
	cJSON *out = NULL;
	if (whole_run(p, mode & DB_STK_PRE_IDLE, q))
		return -1;
	t->inverted = !!(mode & DB_STK_PRE_INVERTED);
	t->by_module = !!(mode & DB_STK_PRE_MODULE);
	int st = t->by_module ? api_stk_tree_build(p->db, q, t, &out)
			      : api_stk_tree_build_floor(p->db, q, t, DB_STK_PRE_FLOOR,
							 PRE_FRAME_TREE_MAX_NODES, &out);
	int rc = 0;
	if (st == 413) {
		rc = 1; /* too large to hold: requests of this mode walk the stacks */
	} else if (st) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(out, "error");
		snprintf(p->err, p->errlen, "%s", cJSON_IsString(m) ? m->valuestring : "a tree");
		rc = -1;
	}
	cJSON_Delete(out);
	int64_t *parent = rc ? NULL : malloc((t->n ? t->n : 1) * sizeof *parent);
	if (!rc && !parent) {
		snprintf(p->err, p->errlen, "out of memory");
		rc = -1;
	}
	for (size_t i = 0; !rc && i < t->n; i++)
		for (int32_t c = t->v[i].first; c >= 0; c = t->v[c].next)
			parent[c] = (int64_t)i;
	double floor = mode & DB_STK_PRE_MODULE ? 0 : DB_STK_PRE_FLOOR * (double)t->total;
	for (size_t i = 0; !rc && i < t->n; i++) {
		const struct api_stk_tnode *v = &t->v[i];
		if ((double)v->value < floor)
			continue; /* a parent's value is at least its child's: a whole subtree */
		struct db_stk_prenode n = {.id = (int64_t)i, .parent = i ? parent[i] : -1,
					   .value = v->value, .self = v->self,
					   .module = v->module, .sym_module = v->sym_module,
					   .offset = v->offset, .kernel = v->kernel};
		if (!t->by_module)
			n.nchild = v->rest_n; /* children in the whole tree, stored or not */
		for (int32_t c = v->first; t->by_module && c >= 0; c = t->v[c].next)
			n.nchild++;
		if (db_stk_pretree_put(p->ins, q->run.id, mode, &n)) {
			snprintf(p->err, p->errlen, "storing a call tree: %s", sqlite3_errmsg(p->db));
			rc = -1;
		}
	}
	free(parent);
	return rc;
}

/* The slice pass's leaf → tree node cache: an array indexed by stored node id (every
 * count row looks its leaf up once per tree; nodes are dense from 1) while the run's nodes ×
 * trees fit this many bytes (4 a cell, 16 a node with the 4 module trees: 2 MiB holds
 * 131 k nodes; the 5 s realistic kernel story has 16.6 k), the ids past it in a map of
 * 2^14 slots (640 KiB) forgotten when full. A forgotten leaf is walked again (its path
 * and the tree's lookup), which costs nothing the cache could save where it happens: a run
 * of millions of nodes is one whose leaves seldom repeat (the 60 s uniform story: 1.34 M
 * nodes, 0.8 M leaves for 1.4 M samples). Bounded because the pass runs beside the
 * reader's node arrays (26 MB there): 8 MiB and 2^16 slots made the after-ingest peak of
 * that story 64.4 MB (bench/README.md, "kstacks4"). */
#define PRE_LEAF_BYTES (2u << 20)
#define PRE_LEAF_MAP_LOG2 14

/* The per-slice pass over the module trees: every stored count of the run, in slice order,
 * mapped to the node its stack ends at in each tree (a lookup: the trees hold every stack
 * already), the samples per (slice, tree, node) written whenever the slice moves on or the
 * map fills. */
#define PRE_TREES 4
struct slices {
	struct pre *p;
	struct api_stk_pf *pf; /* the window and filter aggregates (api_stacks_prefilt.c) */
	struct api_stk_tree *t[PRE_TREES];
	int mode[PRE_TREES], n, failed;
	int64_t slice;
	struct stk_dense leaf; /* (stored leaf node, tree) → tree node + 1 (see PRE_LEAF_BYTES) */
	struct stk_map acc;  /* (tree, tree node) → samples in this slice */
	struct api_stk_bfmemo bm; /* stored leaf node → its butterfly rows */
};

static int slices_flush(struct slices *s)
{
	for (size_t i = 0; i < s->acc.cap; i++) {
		const struct stk_entry *e = &s->acc.e[i];
		if (e->used && db_stk_preslice_put(s->p->sins, s->p->run_id, s->mode[e->k[0]],
						   s->slice, (int64_t)e->k[1], e->v))
			return -1;
	}
	stk_map_reset(&s->acc);
	return 0;
}

/* The node of t where the stored stack node ends (cached), or -1 when t lacks it. */
static int32_t leaf_of(struct slices *s, int k, int64_t node)
{
	int32_t v = stk_dense_get(&s->leaf, node, (unsigned)k);
	if (v)
		return v - 1;
	struct db_stk_frame fr[DB_STK_MAX_DEPTH];
	int n = db_stk_path(s->p->r, node, fr, DB_STK_MAX_DEPTH);
	size_t before = s->t[k]->n;
	int32_t at = n < 0 ? -1 : api_stk_tree_add(s->t[k], fr, n, 0);
	if (at < 0 || s->t[k]->n != before)
		return -1; /* a stack the whole-run tree does not hold */
	stk_dense_put(&s->leaf, node, (unsigned)k, at + 1);
	return at;
}

static int on_slice_row(void *ud, int64_t slice, int64_t node, int idle, int64_t n,
			uint32_t cpu, uint32_t pid, uint32_t tid)
{
	struct slices *s = ud;
	if ((slice != s->slice || s->acc.n + PRE_TREES > s->acc.cap / 2) && slices_flush(s))
		goto fail;
	s->slice = slice;
	if (api_stk_pf_row(s->pf, slice, cpu, pid, tid, idle, n))
		goto fail;
	for (int k = 0; k < s->n; k++) {
		if (idle && !(s->mode[k] & DB_STK_PRE_IDLE))
			continue;
		int32_t at = leaf_of(s, k, node);
		struct stk_entry *e = at < 0 ? NULL : stk_map_put(&s->acc, (uint64_t)k, (uint64_t)at, 0);
		if (!e || (!(s->mode[k] & DB_STK_PRE_IDLE) && api_stk_pf_tree(s->pf, s->mode[k], at)))
			goto fail; /* filters with Idle kept walk: the UI never keeps it */
		e->v += n;
	}
	if (api_stk_pf_bfly(s->pf, node))
		goto fail;
	return 0;
fail:
	s->failed = 1;
	return 1;
}

static int build_slices(struct slices *s)
{
	int rc = -1;
	s->slice = -1;
	int64_t nodes = db_stk_run_nodes(s->p->db, s->p->run_id);
	if (!stk_dense_init(&s->leaf, nodes, (unsigned)s->n, s->p->leaf_bytes,
			    s->p->leaf_map_log2) &&
	    !stk_map_init(&s->acc, 12) &&
	    !api_stk_bfmemo_init(&s->bm, s->t[0]->q, s->p->r, nodes) &&
	    !api_stk_pf_begin(s->p->db, s->p->run_id, s->t[0]->q, &s->bm, &s->pf) &&
	    !db_stk_slice_rows(s->p->db, s->p->run_id, on_slice_row, s) && !s->failed &&
	    !slices_flush(s))
		rc = api_stk_pf_finish(s->pf, s->mode, s->n, DB_STK_PRE_IDLE);
	api_stk_pf_free(s->pf);
	stk_dense_free(&s->leaf);
	stk_map_free(&s->acc);
	api_stk_bfmemo_clear(&s->bm);
	if (rc)
		snprintf(s->p->err, s->p->errlen, "storing slice counts: %s", sqlite3_errmsg(s->p->db));
	return rc;
}

/* Every tree, the module trees' slice counts, the butterflies: 0 or -1 with err set. */
static int build_all(struct pre *p)
{
	/* the module trees first, kept for their slice pass */
	struct api_stk_query mq[PRE_TREES];
	struct api_stk_tree mt[PRE_TREES];
	struct slices s = {.p = p};
	int rc = 0, nq = 0;
	for (int mode = 0; !rc && mode < DB_STK_PRE_MODES; mode++) {
		if (!(mode & DB_STK_PRE_MODULE))
			continue;
		memset(&mt[nq], 0, sizeof mt[nq]);
		int b = build_tree(p, mode, &mq[nq], &mt[nq]);
		if (b < 0) {
			rc = -1;
			break;
		}
		nq++;
		if (b == 0) { /* stored: counted per slice below */
			s.t[s.n] = &mt[nq - 1];
			s.mode[s.n++] = mode;
		}
	}
	if (!rc && s.n && build_slices(&s))
		rc = -1;
	for (int k = 0; k < nq; k++) {
		api_stk_tree_clear(&mt[k]);
		api_stk_query_clear(&mq[k]);
	}
	for (int mode = 0; !rc && mode < DB_STK_PRE_MODES; mode++) {
		if (mode & DB_STK_PRE_MODULE)
			continue;
		struct api_stk_query q;
		struct api_stk_tree t = {0};
		if (build_tree(p, mode, &q, &t) < 0)
			rc = -1;
		api_stk_tree_clear(&t);
		api_stk_query_clear(&q);
	}
	for (int idle = 0; !rc && idle < 2; idle++)
		if (build_bfly(p, idle) < 0)
			rc = -1;
	return rc;
}

int api_stk_pre_build(sqlite3 *db, const char *public_id, char *err, size_t errlen)
{
	return api_stk_pre_build_bounded(db, public_id, PRE_LEAF_BYTES, PRE_LEAF_MAP_LOG2, err,
					 errlen);
}

int api_stk_pre_build_bounded(sqlite3 *db, const char *public_id, size_t leaf_bytes,
			      unsigned leaf_map_log2, char *err, size_t errlen)
{
	struct db_run run;
	cJSON *out = NULL;
	if (api_find_run(db, public_id, &run, &out)) {
		cJSON_Delete(out);
		snprintf(err, errlen, "no such run");
		return -1;
	}
	struct pre p = {.db = db, .public_id = public_id, .run_id = run.id,
			.leaf_bytes = leaf_bytes, .leaf_map_log2 = leaf_map_log2, .err = err,
			.errlen = errlen};
	db_run_clear(&run);
	int present = db_stk_present(db, p.run_id);
	if (present <= 0)
		return present; /* no stack store: nothing to build */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "storing call trees: %s", sqlite3_errmsg(db));
		return -1;
	}
	int rc = -1;
	p.r = db_stk_reader_new(db, p.run_id);
	/* every mode walks the whole run's leaves, a frame tree once per level: read them once */
	if (!p.r || db_stk_reader_preload(p.r) < 0 || db_stk_reader_hold_totals(p.r) < 0 ||
	    db_stk_pretree_begin(db, p.run_id, &p.ins) ||
	    db_stk_preslice_begin(db, p.run_id, &p.sins) ||
	    db_stk_prebfly_begin(db, p.run_id, &p.bins))
		snprintf(err, errlen, "storing call trees: %s", sqlite3_errmsg(db));
	else
		rc = build_all(&p);
	sqlite3_finalize(p.ins);
	sqlite3_finalize(p.sins);
	sqlite3_finalize(p.bins);
	db_stk_reader_free(p.r);
	if (sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK && !rc) {
		snprintf(err, errlen, "storing call trees: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		rc = -1;
	}
	return rc;
}

/* ---- reading ---- */

struct load {
	struct api_stk_tree *t;
	struct stk_map ids; /* stored id → index + 1 in t->v */
	int failed;
};

static int on_node(void *ud, const struct db_stk_prenode *n)
{
	struct load *l = ud;
	struct api_stk_tree *t = l->t;
	int32_t parent = -1;
	if (n->id != 0) {
		struct stk_entry *p = stk_map_get(&l->ids, (uint64_t)n->parent, 0, 0);
		if (!p) { /* a parent below its child: not a tree this reader wrote */
			l->failed = 1;
			return 1;
		}
		parent = (int32_t)(p->v - 1);
	} else if (t->n) {
		l->failed = 1;
		return 1;
	}
	struct stk_entry *e = stk_map_put_grow(&l->ids, (uint64_t)n->id, 0, 0, API_STK_TREE_MAP_LOG2);
	if (!e || api_grow((void **)&t->v, t->n, &t->cap, sizeof *t->v)) {
		l->failed = 2;
		return 1;
	}
	int32_t i = (int32_t)t->n++;
	e->v = i + 1;
	/* what is not loaded of this node's children: the pruned ones, folded into "(rest)" */
	t->v[i] = (struct api_stk_tnode){
		.value = n->value, .self = n->self, .offset = n->offset, .module = n->module,
		.kernel = (uint8_t)n->kernel, .first = -1, .next = -1, .key = n->offset,
		.sym_module = n->sym_module, .rest = n->value - n->self, .rest_n = n->nchild};
	if (parent >= 0) {
		struct api_stk_tnode *p = &t->v[parent];
		t->v[i].next = p->first;
		p->first = i;
		p->rest -= n->value;
		p->rest_n--;
	}
	return 0;
}

static int on_slice(void *ud, int64_t id, int64_t self)
{
	struct load *l = ud;
	struct stk_entry *e = stk_map_get(&l->ids, (uint64_t)id, 0, 0);
	if (!e) {
		l->failed = 1;
		return 1;
	}
	l->t->v[e->v - 1].self += self; /* summed over a filter's keys */
	return 0;
}

/* The stored counts that serve q (in window): per-slice counts of the module tree (no
 * filter) or the per-key counts of its one filter, summed. */
struct recount {
	sqlite3 *db;
	struct api_stk_query *q;
	struct load *l;
	int mode, dim;
	int64_t lo, hi;
	char *err;
	size_t errlen;
};

static int recount_key(void *ud, int64_t key)
{
	struct recount *r = ud;
	if (r->dim == DB_STK_DIM_ALL)
		return db_stk_preslice_read(r->db, r->q->run.id, r->mode, r->lo, r->hi, on_slice,
					    r->l, r->err, r->errlen) ||
		       r->l->failed;
	return db_stk_prefilt_read(r->db, r->q->run.id, r->mode, r->dim, key, r->lo, r->hi,
				   on_slice, r->l, r->err, r->errlen) ||
	       r->l->failed;
}

/* A module filter on t (recounted, values not yet added up): samples count only at nodes
 * whose chain from the root holds one of q's modules — a stack holds a module exactly when
 * the chain of its module tree node does (a node per run of one module's frames; the
 * walk's test, api_stacks_params.c wanted). Parents come before their children in t. */
static int keep_modules(const struct api_stk_query *q, struct api_stk_tree *t,
			const int32_t *parent)
{
	uint8_t *has = calloc(t->n ? t->n : 1, 1);
	if (!has)
		return -1;
	t->v[0].self = 0; /* the root: an empty chain */
	for (size_t i = 1; i < t->n; i++) {
		const char *m = api_stk_module(q, t->v[i].module);
		has[i] = has[parent[i]];
		for (size_t k = 0; m && !has[i] && k < q->nmodules; k++)
			has[i] = strcasecmp(m, q->modules[k]) == 0;
		if (!has[i])
			t->v[i].self = 0;
	}
	free(has);
	return 0;
}

/* A tag filter on t (recounted, values not yet added up), as keep_modules: samples count
 * only at nodes whose chain's tag is selected. Served only where tags_by_module says a
 * stack's tag is its module chain's: the walk's rule (api_stk_stack_tag over the frames root
 * first, the highest priority, among equal ones the frame nearest the leaf) is the same over
 * the chain, a run of one module's frames all having that module's tag. Top-down chains run
 * root → leaf (an equal priority further down wins); inverted ones leaf → root (the first of
 * equal priorities stays). Parents come before their children in t. */
static int keep_tags(struct api_stk_query *q, struct api_stk_tree *t, const int32_t *parent)
{
	const struct api_tag *tags = q->tagset->tags;
	int32_t *best = malloc((t->n ? t->n : 1) * sizeof *best);
	if (!best)
		return -1;
	best[0] = -1;
	t->v[0].self = 0; /* the root: an empty chain */
	for (size_t i = 1; i < t->n; i++) {
		struct db_stk_frame f = {.module_id = t->v[i].module, .offset = t->v[i].offset};
		int32_t b = best[parent[i]], g = api_stk_stack_tag(q->tagger, &f, 1);
		if (g >= 0 && (b < 0 || (t->inverted ? tags[g].priority > tags[b].priority
						     : tags[g].priority >= tags[b].priority)))
			b = g;
		best[i] = b;
		if (!q->tag_sel[b < 0 ? q->tagset->ntags : (size_t)b])
			t->v[i].self = 0;
	}
	free(best);
	return 0;
}

/* 1 when q's tag filter can be applied to a module tree: the run has no symbols (a frame's
 * tag is its module's, api_stacks_tags.c) and no module name holds a '!' (such a frame's
 * name would be split into module and function). */
static int tags_by_module(const struct api_stk_query *q)
{
	if (!q->tagger || !q->tagger->modtag)
		return 0;
	for (size_t i = 0; i < q->names.n; i++)
		if (q->names.m[i].name && strchr(q->names.m[i].name, '!'))
			return 0;
	return 1;
}

/* t (the whole module tree, every node read) recounted for q's selection (dim: the filter
 * api_stk_pf_dim_ids names; q's module and tag filters applied by keep_modules and
 * keep_tags): each node's samples ending there summed over the window's slices and the
 * filter's keys (the whole run with no filter: the stored tree's own), values
 * added up from the leaves (children come after their parent in t), nodes without samples
 * unlinked. 0 or -1. */
static int window(sqlite3 *db, struct api_stk_query *q, struct load *l, int mode, int dim,
		  char *err, size_t errlen)
{
	struct api_stk_tree *t = l->t;
	int32_t *parent = malloc(t->n * sizeof *parent);
	if (!parent) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int windowed = q->f.from_ns > 0 || q->f.to_ns != INT64_MAX;
	int stored = dim == DB_STK_DIM_ALL && !windowed; /* the stored selves are the sums */
	for (size_t i = 0; i < t->n; i++) {
		for (int32_t c = t->v[i].first; c >= 0; c = t->v[c].next)
			parent[c] = (int32_t)i;
		t->v[i].value = t->v[i].rest = t->v[i].rest_n = 0;
		if (!stored)
			t->v[i].self = 0;
	}
	struct recount r = {db, q, l, mode, dim, DB_STK_WHOLE, DB_STK_WHOLE, err, errlen};
	if (windowed || dim == DB_STK_DIM_ALL)
		db_stk_slice_range(&q->f, &r.lo, &r.hi); /* a window: its slices */
	if (!stored && api_stk_pf_each_key(q, dim, recount_key, &r)) {
		if (l->failed)
			snprintf(err, errlen, "the stored slice counts name an unknown node");
		free(parent);
		return -1;
	}
	if ((q->nmodules && keep_modules(q, t, parent)) ||
	    (q->ntag_filters && keep_tags(q, t, parent))) {
		snprintf(err, errlen, "out of memory");
		free(parent);
		return -1;
	}
	for (size_t i = t->n; i-- > 0;) {
		t->v[i].value += t->v[i].self;
		if (i)
			t->v[parent[i]].value += t->v[i].value;
	}
	for (size_t i = 0; i < t->n; i++) {
		int32_t *link = &t->v[i].first;
		while (*link >= 0) {
			if (t->v[*link].value == 0)
				*link = t->v[*link].next;
			else
				link = &t->v[*link].next;
		}
	}
	free(parent);
	return 0;
}

int api_stk_pre_read(sqlite3 *db, struct api_stk_query *q, struct api_stk_tree *t,
		     double min_share, cJSON **out)
{
	char err[256];
	int mode = (t->inverted ? DB_STK_PRE_INVERTED : 0) | (t->by_module ? DB_STK_PRE_MODULE : 0) |
		   (q->f.idle ? DB_STK_PRE_IDLE : 0);
	int whole = api_stk_whole_run(q);
	int dim = t->by_module && (!q->ntag_filters || tags_by_module(q)) ? api_stk_pf_dim_ids(q)
									    : api_stk_pf_dim(q);
	struct load l = {t, {0}, 0};
	t->q = q;
	if (!whole && (dim < 0 || !t->by_module))
		return -1; /* frame trees are stored for the whole run only */
	if (!whole && dim != DB_STK_DIM_ALL && db_stk_prestored(db, q->run.id, DB_STK_STORED_TREE,
								mode) != 1)
		return -1; /* ingested before the filter counts, or a mode not stored */
	if (!t->by_module && min_share < DB_STK_PRE_FLOOR)
		return -1; /* frame trees are stored down to the floor only */
	if (stk_map_init(&l.ids, API_STK_TREE_MAP_START_LOG2)) {
		*out = api_error("out of memory");
		return 500;
	}
	/* a window reads the whole module tree (a few nodes per module) and its slices */
	int rc = db_stk_pretree_read(db, q->run.id, mode, whole ? min_share : 0, on_node, &l, err,
				     sizeof err);
	if (!rc && !l.failed && t->n && !whole && window(db, q, &l, mode, dim, err, sizeof err))
		rc = -1;
	stk_map_free(&l.ids);
	if (rc == 1)
		return -1;
	if (rc < 0 || l.failed || !t->n) {
		*out = l.failed == 2 ? api_error("the selection has too many tree nodes above "
						 "min_share: raise it")
		       : rc < 0      ? api_error("%s", err)
				     : api_error("the stored call tree is inconsistent");
		return l.failed == 2 ? 413 : 500;
	}
	t->total = t->v[0].value;
	return 0;
}
