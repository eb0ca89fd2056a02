/* api_stacks_floor.c — a frame call tree (top-down or inverted) holding only the nodes whose
 * value reaches a floor, built without materialising the rest (issue 17: the post-ingest
 * build of the stored frame trees, api_stacks_pre.c, kept every node of the whole run's
 * tree, up to 786 k of them, to store the ~1,000 above DB_STK_PRE_FLOOR).
 *
 * Level by level: pass d walks every selected stack (api_stk_each, the order a full build
 * reads them) down the nodes kept so far; a stack that reaches a kept node at depth d adds
 * its samples to that node's self (it ends there) or to the candidate child its next frame
 * names, keyed exactly as api_stk_tree_add keys a child (canonical module, offset). A
 * candidate's value is then exact: every stack through it passes its kept ancestors. After
 * the pass the candidates at or above the floor are kept; every candidate counts in its
 * parent's number of children (rest_n), kept or not. Passes stop at the first level where
 * nothing is kept.
 *
 * Invariants: the tree equals the full build's tree (api_stk_tree_build) cut at the floor:
 * same nodes, value, self, kernel and sym_module (both set by the first stack reaching the
 * node, in api_stk_each's order, as in the full build), and rest_n is the full tree's number
 * of children. A node below the floor has no descendant at or above it (a child's value is
 * at most its parent's), so pruning a candidate never drops a node the full tree keeps.
 * Memory: the kept nodes, plus one level's candidates (the children of kept nodes) — not
 * the whole run's distinct stacks. Time: one walk of the stacks per kept level, plus one. */
#include <stdlib.h>
#include "api_stacks.h"

struct cand {
	int64_t value;
	uint64_t offset;
	int32_t parent, module, sym_module;
	uint8_t kernel;
};

struct floor_build {
	struct api_stk_tree *t;
	int depth;          /* the kept level this pass expands */
	struct stk_map map; /* (kept parent, canonical module, offset) → candidate + 1 */
	struct cand *c;
	size_t n, cap;
};

static const struct db_stk_frame *frame_at(const struct api_stk_tree *t,
					   const struct db_stk_frame *fr, int n, int j)
{
	return &fr[t->inverted ? n - 1 - j : j];
}

static int on_stack(void *ud, const struct db_stk_frame *fr, int n, uint32_t pid, uint32_t tid,
		    int64_t count)
{
	struct floor_build *b = ud;
	struct api_stk_tree *t = b->t;
	(void)pid;
	(void)tid;
	if (b->depth == 0) {
		t->v[0].value += count;
		t->total += count;
	}
	int32_t at = 0;
	for (int j = 0; j < b->depth; j++) {
		if (j == n)
			return 0; /* ended above this level: counted in an earlier pass */
		const struct db_stk_frame *f = frame_at(t, fr, n, j);
		struct stk_entry *e = stk_map_get(&t->map, (uint64_t)(int64_t)at,
						  (uint64_t)(int64_t)api_stk_canon(t->q, f->module_id),
						  f->offset);
		if (!e)
			return 0; /* goes through a node under the floor */
		at = (int32_t)(e->v - 1);
	}
	if (b->depth == n) {
		t->v[at].self += count;
		return 0;
	}
	const struct db_stk_frame *f = frame_at(t, fr, n, b->depth);
	int32_t mod = api_stk_canon(t->q, f->module_id);
	struct stk_entry *e = stk_map_put_grow(&b->map, (uint64_t)(int64_t)at, (uint64_t)(int64_t)mod,
					       f->offset, API_STK_TREE_MAP_LOG2);
	if (!e)
		return -1;
	if (!e->v) {
		if (api_grow((void **)&b->c, b->n, &b->cap, sizeof *b->c))
			return -1;
		b->c[b->n] = (struct cand){.offset = f->offset, .parent = at, .module = mod,
					   .sym_module = f->module_id,
					   .kernel = (uint8_t)api_stk_frame_kernel(t->q, f)};
		e->v = (int64_t)++b->n;
	}
	b->c[e->v - 1].value += count;
	return 0;
}

/* The candidates at or above the floor into t, every one counted in its parent's rest_n:
 * the number kept, or -1 (out of memory). */
static int keep(struct floor_build *b, double share)
{
	struct api_stk_tree *t = b->t;
	double floor = share * (double)t->total;
	int kept = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct cand *c = &b->c[i];
		t->v[c->parent].rest_n++;
		if ((double)c->value < floor)
			continue;
		struct stk_entry *e = stk_map_put_grow(&t->map, (uint64_t)(int64_t)c->parent,
						       (uint64_t)(int64_t)c->module, c->offset,
						       API_STK_TREE_MAP_LOG2);
		if (!e || api_grow((void **)&t->v, t->n, &t->cap, sizeof *t->v))
			return -1;
		int32_t k = (int32_t)t->n++;
		t->v[k] = (struct api_stk_tnode){
			.value = c->value, .offset = c->offset, .module = c->module,
			.kernel = c->kernel, .first = -1, .next = t->v[c->parent].first,
			.key = c->offset, .sym_module = c->sym_module};
		t->v[c->parent].first = k;
		e->v = k + 1;
		kept++;
	}
	return kept;
}

int api_stk_tree_build_floor(sqlite3 *db, struct api_stk_query *q, struct api_stk_tree *t,
			     double share, cJSON **out)
{
	struct floor_build b = {.t = t};
	t->q = q;
	t->by_module = t->by_function = 0;
	if (api_grow((void **)&t->v, 0, &t->cap, sizeof *t->v) ||
	    stk_map_init(&t->map, API_STK_TREE_MAP_START_LOG2)) {
		*out = api_error("out of memory");
		return 500;
	}
	t->n = 1;
	t->v[0] = (struct api_stk_tnode){.module = -1, .first = -1, .next = -1, .sym_module = -1};
	q->f.no_ids = 1;
	int st = 0;
	for (int kept = 1; !st && kept > 0 && b.depth <= DB_STK_MAX_DEPTH; b.depth++) {
		b.n = 0;
		if (stk_map_init(&b.map, API_STK_TREE_MAP_START_LOG2)) {
			*out = api_error("out of memory");
			st = 500;
			break;
		}
		st = api_stk_each(db, q, on_stack, &b, out);
		kept = st ? 0 : keep(&b, share);
		stk_map_free(&b.map);
		if (kept < 0) {
			*out = api_error("out of memory");
			st = 500;
		}
	}
	free(b.c);
	return st;
}
