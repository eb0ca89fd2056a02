/* api_stacks_pre.c — the pre-aggregated call trees and butterflies (db/db_stk_pretree.c): built after
 * ingest by the same tree builder a request uses (api_stk_tree_build over the whole run),
 * once per mode, and read back for whole-run requests by frame or module so that a request
 * reads only the nodes above its min_share instead of walking every distinct stack. The
 * Every module's butterfly (by module) is stored the same way, for the whole run. The
 * answers are the same as the walk's: same nodes, same counts, same names (a node's name
 * comes from its module and offset at read time, so symbols loaded later still name it).
 * A mode whose tree does not fit the builder's map (413) is not stored: its requests walk
 * the stacks as before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_params.h"
#include "api_stacks.h"

/* The whole run's selection, Idle left out or kept: 0, or -1 with err set. */
static int whole_run(sqlite3 *db, const char *public_id, int idle, struct api_stk_query *q,
		     char *err, size_t errlen)
{
	struct api_request rq = {idle ? "idle=1" : "idle=0"};
	cJSON *out = NULL;
	if (!api_stk_query_parse(db, public_id, &rq, 0, q, &out))
		return 0;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(out, "error");
	snprintf(err, errlen, "%s", cJSON_IsString(m) ? m->valuestring : "no stack store");
	cJSON_Delete(out);
	return -1;
}

static int build_bfly(sqlite3 *db, const char *public_id, int idle, sqlite3_stmt *ins,
		      char *err, size_t errlen)
{
	struct api_stk_query q;
	if (whole_run(db, public_id, idle, &q, err, errlen))
		return -1;
	int rc = api_stk_bfly_pre_build(db, &q, ins, err, errlen);
	api_stk_query_clear(&q);
	return rc;
}

/* The per-slice pass of a module tree: every stored count of the run, in slice order,
 * mapped to the node its stack ends at in t (a lookup: t holds every stack already), the
 * samples per (slice, node) written whenever the slice moves on or the map fills. */
struct slices {
	struct api_stk_tree *t;
	struct db_stk_reader *r;
	sqlite3_stmt *ins;
	int mode, failed;
	int64_t slice;
	struct stk_map leaf;  /* stored leaf node → tree node + 1 (forgotten when full) */
	struct stk_map acc;   /* tree node → samples in this slice */
};

static int slices_flush(struct slices *s)
{
	for (size_t i = 0; i < s->acc.cap; i++) {
		const struct stk_entry *e = &s->acc.e[i];
		if (e->used && db_stk_preslice_put(s->ins, s->t->q->run.id, s->mode, s->slice,
						   (int64_t)e->k[0], e->v))
			return -1;
	}
	stk_map_reset(&s->acc);
	return 0;
}

static int on_slice_row(void *ud, int64_t slice, int64_t node, int idle, int64_t n)
{
	struct slices *s = ud;
	if (idle && !(s->mode & DB_STK_PRE_IDLE))
		return 0;
	if ((slice != s->slice || stk_map_full(&s->acc)) && slices_flush(s))
		goto fail;
	s->slice = slice;
	struct stk_entry *e = stk_map_get(&s->leaf, (uint64_t)node, 0, 0);
	int32_t at;
	if (e) {
		at = (int32_t)(e->v - 1);
	} else {
		struct db_stk_frame fr[DB_STK_MAX_DEPTH];
		int k = db_stk_path(s->r, node, fr, DB_STK_MAX_DEPTH);
		size_t before = s->t->n;
		at = k < 0 ? -1 : api_stk_tree_add(s->t, fr, k, 0);
		if (at < 0 || s->t->n != before)
			goto fail; /* a stack the whole-run tree does not hold */
		if (stk_map_full(&s->leaf))
			stk_map_reset(&s->leaf);
		stk_map_put(&s->leaf, (uint64_t)node, 0, 0)->v = at + 1;
	}
	e = stk_map_put(&s->acc, (uint64_t)at, 0, 0);
	if (!e)
		goto fail;
	e->v += n;
	return 0;
fail:
	s->failed = 1;
	return 1;
}

static int build_slices(sqlite3 *db, struct api_stk_tree *t, int mode, sqlite3_stmt *ins)
{
	struct slices s = {.t = t, .r = db_stk_reader_new(db, t->q->run.id), .ins = ins,
			   .mode = mode, .slice = -1};
	int rc = -1;
	if (s.r && !stk_map_init(&s.leaf, 16) && !stk_map_init(&s.acc, 12) &&
	    !db_stk_slice_rows(db, t->q->run.id, on_slice_row, &s) && !s.failed)
		rc = slices_flush(&s);
	db_stk_reader_free(s.r);
	stk_map_free(&s.leaf);
	stk_map_free(&s.acc);
	return rc;
}

static int build_mode(sqlite3 *db, const char *public_id, int mode, sqlite3_stmt *ins,
		      sqlite3_stmt *sins, char *err, size_t errlen)
{

	struct api_stk_query q;
	struct api_stk_tree t = {0};
	cJSON *out = NULL;
	if (whole_run(db, public_id, mode & DB_STK_PRE_IDLE, &q, err, errlen))
		return -1;
	t.inverted = !!(mode & DB_STK_PRE_INVERTED);
	t.by_module = !!(mode & DB_STK_PRE_MODULE);
	int st = api_stk_tree_build(db, &q, &t, &out);
	int rc = 0;
	if (st == 413) {
		rc = 1; /* too large to hold: requests of this mode walk the stacks */
	} else if (st) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(out, "error");
		snprintf(err, errlen, "%s", cJSON_IsString(m) ? m->valuestring : "building a tree");
		rc = -1;
	}
	int64_t *parent = rc ? NULL : malloc(t.n * sizeof *parent);
	if (!rc && !parent) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	for (size_t i = 0; !rc && i < t.n; i++)
		for (int32_t c = t.v[i].first; c >= 0; c = t.v[c].next)
			parent[c] = (int64_t)i;
	for (size_t i = 0; !rc && i < t.n; i++) {
		const struct api_stk_tnode *v = &t.v[i];
		struct db_stk_prenode n = {.id = (int64_t)i, .parent = i ? parent[i] : -1,
					   .value = v->value, .self = v->self,
					   .module = v->module, .sym_module = v->sym_module,
					   .offset = v->offset, .kernel = v->kernel};
		for (int32_t c = v->first; c >= 0; c = t.v[c].next)
			n.nchild++;
		if (db_stk_pretree_put(ins, q.run.id, mode, &n)) {
			snprintf(err, errlen, "storing a call tree: %s", sqlite3_errmsg(db));
			rc = -1;
		}
	}
	if (!rc && (mode & DB_STK_PRE_MODULE) && build_slices(db, &t, mode, sins)) {
		snprintf(err, errlen, "storing slice counts: %s", sqlite3_errmsg(db));
		rc = -1;
	}
	free(parent);
	cJSON_Delete(out);
	api_stk_tree_clear(&t);
	api_stk_query_clear(&q);
	return rc;
}

int api_stk_pre_build(sqlite3 *db, const char *public_id, char *err, size_t errlen)
{
	struct db_run run;
	cJSON *out = NULL;
	if (api_find_run(db, public_id, &run, &out)) {
		cJSON_Delete(out);
		snprintf(err, errlen, "no such run");
		return -1;
	}
	int64_t run_id = run.id;
	db_run_clear(&run);
	int present = db_stk_present(db, run_id);
	if (present <= 0)
		return present; /* no stack store: nothing to build */
	sqlite3_stmt *ins = NULL, *sins = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "storing call trees: %s", sqlite3_errmsg(db));
		return -1;
	}
	int rc = db_stk_pretree_begin(db, run_id, &ins) || db_stk_preslice_begin(db, run_id, &sins)
			 ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "storing call trees: %s", sqlite3_errmsg(db));
	for (int mode = 0; !rc && mode < DB_STK_PRE_MODES; mode++)
		if (build_mode(db, public_id, mode, ins, sins, err, errlen) < 0)
			rc = -1;
	sqlite3_finalize(ins);
	sqlite3_finalize(sins);
	ins = NULL;
	if (!rc && db_stk_prebfly_begin(db, run_id, &ins)) {
		snprintf(err, errlen, "storing butterflies: %s", sqlite3_errmsg(db));
		rc = -1;
	}
	for (int idle = 0; !rc && idle < 2; idle++)
		if (build_bfly(db, public_id, idle, ins, err, errlen) < 0)
			rc = -1;
	sqlite3_finalize(ins);
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
	struct stk_entry *e = stk_map_put(&l->ids, (uint64_t)n->id, 0, 0);
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
	l->t->v[e->v - 1].self = self;
	return 0;
}

/* t (the whole module tree, every node read) recounted for the window's slices: each
 * node's samples ending there summed over the slices, values added up from the leaves
 * (children come after their parent in t), nodes without samples unlinked. 0 or -1. */
static int window(sqlite3 *db, struct api_stk_query *q, struct load *l, int mode, char *err,
		  size_t errlen)
{
	struct api_stk_tree *t = l->t;
	int32_t *parent = malloc(t->n * sizeof *parent);
	if (!parent) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		for (int32_t c = t->v[i].first; c >= 0; c = t->v[c].next)
			parent[c] = (int32_t)i;
		t->v[i].value = t->v[i].self = t->v[i].rest = t->v[i].rest_n = 0;
	}
	int64_t lo, hi;
	db_stk_slice_range(&q->f, &lo, &hi);
	if (db_stk_preslice_read(db, q->run.id, mode, lo, hi, on_slice, l, err, errlen) ||
	    l->failed) {
		if (l->failed)
			snprintf(err, errlen, "the stored slice counts name an unknown node");
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
	struct load l = {t, {0}, 0};
	t->q = q;
	if (!whole && !api_stk_window_only(q))
		return -1;
	if (stk_map_init(&l.ids, API_STK_TREE_MAP_LOG2)) {
		*out = api_error("out of memory");
		return 500;
	}
	/* a window reads the whole module tree (a few nodes per module) and its slices */
	int rc = db_stk_pretree_read(db, q->run.id, mode, whole ? min_share : 0, on_node, &l, err,
				     sizeof err);
	if (!rc && !l.failed && t->n && !whole && window(db, q, &l, mode, err, sizeof err))
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
