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
 * Memory: the kept nodes (at most 1 / floor per level: siblings' values sum to at most
 * their parent's), plus one part of one level's candidates (the children of kept nodes),
 * at most FLOOR_MAP_LOG2 map slots: a level with more candidates is walked in parts, each
 * holding the candidates whose key hashes to it, and kept only once every part is walked.
 * Not the whole run's distinct stacks. The kept nodes are at most 1 / floor per level,
 * but that times a deep stack's levels is millions when the floor is a sample or two (a
 * short trace whose stacks never repeat: 786 k kept nodes, ~100 MB, on a 1 s trace with
 * 251 random frames a sample): the caller gives a bound on the kept nodes, and a tree that
 * would pass it is refused (413) before any of its next level is kept.
 * Time: one walk of the stacks per kept level and part, plus one; a walk reads the path of
 * a live leaf only. A leaf is dead once its stack ends above the level being expanded or
 * passes a node under the floor (both decided by the kept levels above it, which never
 * change): it adds nothing to this level nor to any deeper one, so later walks pass it over
 * (api_stk_each_leaf's skip) without reading its path — on real traces most stacks leave the
 * kept tree within a few levels, and reading every path at every level was the build's cost
 * (issue 13). A leaf is never marked dead for what it adds at the level (its self), so a
 * level walked again in more parts counts the same. The dead set is a bit per stored node id
 * (16.5 M nodes: 2 MB), in chunks allocated as ids reach them. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "api_stacks.h"

struct cand {
	int64_t value;
	int64_t leaves; /* stacks (leaves) that named it in the walk */
	uint64_t offset;
	int32_t parent, module, sym_module;
	uint8_t kernel;
};

/* a level's candidates are held FLOOR_MAP_LOG2 map slots at most (2.5 MiB, with their
 * array 2 MiB): a level with more is walked in parts, each holding the candidates whose key
 * hashes to it, the number of parts doubled until each fits. 2^16, not 2^17: the build runs
 * beside the reader's node arrays, and on the 60 s uniform kernel story (1.34 M nodes) the
 * 2^17 slots made the frame trees the after-ingest peak (58.0 MB of XPRESS's, bench/README.md
 * "kstacks4"); 49 k candidates a part still hold any level of the realistic 60 s story
 * (29,375 stored nodes in all) */
#ifndef FLOOR_MAP_LOG2 /* a build may lower it to walk levels in parts (tests) */
#define FLOOR_MAP_LOG2 16
#endif
#define FLOOR_MAX_PARTS 4096

struct floor_build {
	struct api_stk_tree *t;
	int depth;          /* the kept level this pass expands */
	size_t lo, hi;      /* its nodes: t->v[lo .. hi) */
	unsigned part, parts;
	struct stk_map map; /* (kept parent, canonical module, offset) → candidate + 1 */
	struct cand *c;     /* this part's candidates */
	size_t n, cap;
	struct cand *keep;  /* the level's candidates at or above the floor, kept when every */
	size_t nkeep, capkeep; /* part is walked */
	int64_t *nchild, *self; /* per node of the level, [i - lo] */
	int64_t total;      /* depth 0: the samples */
	size_t max_nodes;   /* the tree's bound, root included */
	int over;           /* a part had more candidates than the map holds */
	size_t passing;     /* the leaves through this level's kept candidates */
	size_t bound;       /* the last level's passing: at most as many candidates here */
	uint8_t **dead;     /* bit per leaf node id, in DEAD_CHUNK-byte chunks (NULL: none set) */
	int nomem;          /* marking a leaf dead failed */
};

/* The dead set is mapped from the system (zeroed pages), chunk by chunk as ids reach it,
 * and unmapped at the end, outside malloc: a bitmap grown by realloc raised glibc's mmap
 * threshold when its old blocks were freed (+4.4 MB peak RSS on a 1.3 M-node run), and
 * chunks from malloc pinned the heap's top above the freed maps (+3 MB on the PerfView
 * sample). 4096 chunks of 64 KB cover 2^31 node ids. */
#define DEAD_CHUNK 65536u
#define DEAD_CHUNKS 4096u

static void *map_zeroed(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int is_dead(void *ud, int64_t node)
{
	const struct floor_build *b = ud;
	uint64_t i = (uint64_t)node, c = i / 8 / DEAD_CHUNK;
	return b->dead && c < DEAD_CHUNKS && b->dead[c] &&
	       (b->dead[c][i / 8 % DEAD_CHUNK] >> (i % 8) & 1);
}

/* Mark node's leaf dead (0, or -1 out of memory: the walk stops with 500). */
static int mark_dead(struct floor_build *b, int64_t node)
{
	uint64_t i = (uint64_t)node, c = i / 8 / DEAD_CHUNK;
	if (node < 0 || c >= DEAD_CHUNKS)
		return 0; /* not a stored node id: walked every time, as before */
	if ((!b->dead && !(b->dead = map_zeroed(DEAD_CHUNKS * sizeof *b->dead))) ||
	    (!b->dead[c] && !(b->dead[c] = map_zeroed(DEAD_CHUNK)))) {
		b->nomem = 1;
		return -1;
	}
	b->dead[c][i / 8 % DEAD_CHUNK] |= (uint8_t)(1u << (i % 8));
	return 0;
}

static unsigned part_of(uint64_t parent, uint64_t mod, uint64_t off, unsigned parts)
{
	uint64_t h = (parent * 0x9e3779b97f4a7c15ull) ^ (mod * 0xc2b2ae3d27d4eb4full) ^ off;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return (unsigned)(h % parts);
}

static const struct db_stk_frame *frame_at(const struct api_stk_tree *t,
					   const struct db_stk_frame *fr, int n, int j)
{
	return &fr[t->inverted ? n - 1 - j : j];
}

static int on_stack(void *ud, int64_t node, const struct db_stk_frame *fr, int n,
		    int64_t count)
{
	struct floor_build *b = ud;
	struct api_stk_tree *t = b->t;
	if (b->depth == 0 && b->part == 0)
		b->total += count;
	int32_t at = 0;
	for (int j = 0; j < b->depth; j++) {
		if (j == n) /* ended above this level: counted in an earlier pass */
			return mark_dead(b, node);
		const struct db_stk_frame *f = frame_at(t, fr, n, j);
		struct stk_entry *e = stk_map_get(&t->map, (uint64_t)(int64_t)at,
						  (uint64_t)(int64_t)api_stk_canon(t->q, f->module_id),
						  f->offset);
		if (!e) /* goes through a node under the floor */
			return mark_dead(b, node);
		at = (int32_t)(e->v - 1);
	}
	if (b->depth == n) {
		if (b->part == 0)
			b->self[(size_t)at - b->lo] += count;
		return 0;
	}
	const struct db_stk_frame *f = frame_at(t, fr, n, b->depth);
	int32_t mod = api_stk_canon(t->q, f->module_id);
	if (b->parts > 1 &&
	    part_of((uint64_t)(int64_t)at, (uint64_t)(int64_t)mod, f->offset, b->parts) != b->part)
		return 0;
	struct stk_entry *e = stk_map_put_grow(&b->map, (uint64_t)(int64_t)at, (uint64_t)(int64_t)mod,
					       f->offset, FLOOR_MAP_LOG2);
	if (!e) {
		b->over = 1; /* full (or out of memory): walked again in more parts */
		return -1;
	}
	if (!e->v) {
		if (api_grow((void **)&b->c, b->n, &b->cap, sizeof *b->c))
			return -1;
		b->c[b->n] = (struct cand){.offset = f->offset, .parent = at, .module = mod,
					   .sym_module = f->module_id,
					   .kernel = (uint8_t)api_stk_frame_kernel(t->q, f)};
		e->v = (int64_t)++b->n;
	}
	b->c[e->v - 1].value += count;
	b->c[e->v - 1].leaves++;
	return 0;
}

/* This part's candidates: counted in their parent's children, kept aside when at or above
 * floor. 0 or -1 (out of memory). */
static int pick(struct floor_build *b, double floor)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct cand *c = &b->c[i];
		b->nchild[(size_t)c->parent - b->lo]++;
		if ((double)c->value < floor)
			continue;
		b->passing += (size_t)c->leaves;
		if (api_grow((void **)&b->keep, b->nkeep, &b->capkeep, sizeof *b->keep))
			return -1;
		b->keep[b->nkeep++] = *c;
	}
	return 0;
}

/* The level walked in every part: its nodes' self and number of children, the kept
 * candidates appended to t as the next level. 0 or -1 (out of memory). */
static int commit(struct floor_build *b)
{
	struct api_stk_tree *t = b->t;
	if (b->depth == 0)
		t->v[0].value = t->total = b->total;
	for (size_t i = b->lo; i < b->hi; i++) {
		t->v[i].self = b->self[i - b->lo];
		t->v[i].rest_n = b->nchild[i - b->lo];
	}
	for (size_t i = 0; i < b->nkeep; i++) {
		const struct cand *c = &b->keep[i];
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
	}
	return 0;
}

/* A part's map, sized up front for its level's bound on candidates, so that it never
 * rehashes as it fills (the maps' doubling was 8 % of the build, issue 13): each candidate
 * is named by a stack (a stored leaf) at least, so level 0 has at most as many as the run
 * has stored nodes, and level d + 1 at most as many as the leaves that named the kept
 * candidates of level d. Within API_STK_TREE_MAP_START_LOG2 .. FLOOR_MAP_LOG2; once a part
 * overflowed the largest map, the level's parts start there. */
static unsigned map_log2(size_t bound)
{
	unsigned l = API_STK_TREE_MAP_START_LOG2;
	while (l < FLOOR_MAP_LOG2 && ((size_t)1 << l) / 4 * 3 < bound)
		l++;
	return l;
}

/* Every part of the level once (parts doubled while one overflows), then commit: 0, or an
 * HTTP status with *out set. */
static int level(sqlite3 *db, struct api_stk_query *q, struct floor_build *b, double share,
		 cJSON **out)
{
	size_t w = b->hi - b->lo;
	b->nchild = calloc(w, sizeof *b->nchild);
	b->self = calloc(w, sizeof *b->self);
	int st = b->nchild && b->self ? 0 : 500;
	for (b->parts = 1; !st;) {
		memset(b->nchild, 0, w * sizeof *b->nchild);
		memset(b->self, 0, w * sizeof *b->self);
		b->total = 0;
		b->passing = 0;
		b->nkeep = 0;
		b->over = 0;
		for (b->part = 0; !st && !b->over && b->part < b->parts; b->part++) {
			b->n = 0;
			if (stk_map_init(&b->map, map_log2(b->bound))) {
				st = 500;
				break;
			}
			st = api_stk_each_leaf(db, q, is_dead, on_stack, b, out);
			if (b->nomem) {
				cJSON_Delete(*out);
				*out = NULL;
				st = 500;
			}
			/* the floor is known once part 0 of level 0 has counted every sample */
			double total = b->depth == 0 ? (double)b->total : (double)b->t->total;
			if (!st && pick(b, share * total))
				st = 500;
			stk_map_free(&b->map);
		}
		if (!b->over) {
			b->bound = b->passing;
			break;
		}
		cJSON_Delete(*out); /* the overflow's 413: walk again in twice as many parts */
		*out = NULL;
		st = 0;
		b->bound = SIZE_MAX; /* a part filled the largest map: the parts start there */
		if ((b->parts *= 2) > FLOOR_MAX_PARTS) {
			*out = api_error("the selection has too many distinct frames under one call "
					 "tree level");
			st = 413;
		}
	}
	if (!st && b->t->n + b->nkeep > b->max_nodes) {
		*out = api_error("the call tree has more than %zu nodes above its floor",
				 b->max_nodes);
		st = 413;
	}
	if (!st && commit(b))
		st = 500;
	free(b->nchild);
	free(b->self);
	b->nchild = b->self = NULL;
	if (st == 500 && !*out)
		*out = api_error("out of memory");
	return st;
}

int api_stk_tree_build_floor(sqlite3 *db, struct api_stk_query *q, struct api_stk_tree *t,
			     double share, size_t max_nodes, cJSON **out)
{
	int64_t nodes = db_stk_run_nodes(db, q->run.id); /* level 0's bound (-1: unknown) */
	struct floor_build b = {.t = t, .max_nodes = max_nodes,
				.bound = nodes > 0 ? (size_t)nodes : 0};
	t->by_module = t->by_function = 0;
	if (api_stk_tree_init(t, q)) {
		*out = api_error("out of memory");
		return 500;
	}
	q->f.no_ids = 1;
	int st = 0;
	for (b.hi = 1; !st && b.hi > b.lo && b.depth <= DB_STK_MAX_DEPTH; b.depth++) {
		st = level(db, q, &b, share, out);
		b.lo = b.hi;
		b.hi = t->n;
	}
	free(b.c);
	free(b.keep);
	for (unsigned c = 0; b.dead && c < DEAD_CHUNKS; c++)
		if (b.dead[c])
			munmap(b.dead[c], DEAD_CHUNK);
	if (b.dead)
		munmap(b.dead, DEAD_CHUNKS * sizeof *b.dead);
	return st;
}
