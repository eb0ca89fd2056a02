/* api_stacks_prefilt.c — the stored aggregates for windows and filters (db/db_stk_prefilt.c,
 * migration 16): built in the post-ingest slice pass of api_stacks_pre.c over every stored
 * (slice, CPU, pid, tid, stack) count, and chosen at request time for a selection they
 * answer exactly:
 *   - module trees under one CPU set, process list or thread list (with or without a
 *     window), Idle left out: per (CPU | pid | tid, slice) and per (CPU | pid | tid) over
 *     the whole run, the samples ending at each node of the stored module trees (the
 *     stk_pretree ids; with Idle kept — the UI never keeps it — filters walk);
 *   - module butterflies of a window (per 100 ms slice) or of the whole run under one such
 *     filter: the rows stk_prebfly holds, per slice or per key, Idle samples' rows apart.
 * A selection is the sum of its keys' and slices' rows: a sample has one CPU, process and
 * thread, so the sums are exact (a window selects whole slices, as the walk does).
 * Frame trees, function grouping, module and tag filters, and two filters together walk.
 *
 * A butterfly's count is first summed per leaf node (per slice, and per key over the run)
 * and expanded into its rows (api_stacks_bfmemo.c: a node's rows are the same for every
 * count of it) only when that map is written out: a row per node and key, not per count.
 *
 * Memory: six bounded maps (per slice and whole run: trees, butterflies, butterfly counts
 * by node; the whole-run ones grow up to PF_WHOLE_MAP_LOG2 first, the node counts' only to
 * PF_NODE_WHOLE_LOG2), flushed whenever the slice moves on or a map fills into two bounded
 * row buffers (trees, butterflies; api_stacks_pfsort.c), which are
 * sorted by primary key whenever they fill and kept as runs in a temporary file
 * (api_stacks_pfruns.c); at the end, or every PF_RUNS_MAX runs, the runs are merged into
 * the table in key order (inserts add to a row: a merge after the first adds to rows of
 * the one before). A pass whose rows fit one buffer writes no file. */
#include <stdlib.h>
#include <string.h>
#include "api_stacks.h"
#include "api_stacks_bfmemo.h"
#include "api_stacks_pfruns.h"
#include "api_stacks_pfsort.h"
#include "db_batch.h"

/* 4 Ki slots (160 KB) per map: a slice's rows of the field story (24 CPUs) fit in one
 * map; more keys flush more often (the inserts add up), the ingest's peak RSS stays put */
#ifndef PF_MAP_LOG2 /* a build may lower it to flush nearly every row (tests) */
#define PF_MAP_LOG2 12
#endif
/* The whole-run maps' bound (40 bytes a slot: 2.5 MiB each at 2^16). They start at
 * PF_MAP_LOG2 and double while full: every (key, node) and butterfly row of the whole run
 * is summed in the map and inserted once, where a map of 4 Ki slots flushes again and again
 * and each flush re-inserts (upserts) the rows of the keys it met since (the busy I/O
 * trace's 10 s: 91,684 inserts for 11,871 butterfly rows, 272,448 for 234,686 tree rows). */
#ifndef PF_WHOLE_MAP_LOG2 /* a build may set it to PF_MAP_LOG2 (no growth; tests) */
#define PF_WHOLE_MAP_LOG2 16
#endif
/* The per-node butterfly totals' whole-run map grows only to 2^13 slots (320 KiB): its rows
 * expand into bwhole when it is full, so a smaller bound costs instructions, not results —
 * at 2^16 it took the worst-case stacks trace (every sample its own leaf) from 61 to 70 MB
 * peak RSS with the memo's arrays (api_stacks_bfmemo.c), over the 64 MB budget */
#ifndef PF_NODE_WHOLE_LOG2
#define PF_NODE_WHOLE_LOG2 (PF_WHOLE_MAP_LOG2 < 13 ? PF_WHOLE_MAP_LOG2 : 13)
#endif
/* rows per sorted buffer (64 bytes each: 2 MiB per table); a bigger batch appends more of
 * a table at a time, but the ingest's peak RSS is within a few MB of its 64 MB budget */
#ifndef PF_SORT_ROWS /* a build may lower it to drain nearly every row (tests) */
#define PF_SORT_ROWS 32768
#endif
/* sorted buffers kept per table before they are merged into it (8 KiB each while merging);
 * the busy I/O trace's 60 s fills ~50 for stk_prefilt */
#ifndef PF_RUNS_MAX /* a build may lower it to merge more often (tests) */
#define PF_RUNS_MAX 256
#endif

struct api_stk_pf {
	sqlite3 *db;
	int64_t run_id;
	struct api_stk_query *q; /* module names and canonical ids */
	struct db_batch tins, bins; /* stk_prefilt, stk_bfslice */
	int64_t slice;
	/* trees: (mode | dim << 8, key, node) → samples ending there */
	struct stk_map tslice, twhole;
	/* butterflies: (dim << 32 | key, (target + 2) << 16 | kind << 1 | idle, other + 2) */
	struct stk_map bslice, bwhole;
	/* their samples by leaf node first, expanded into bslice and bwhole through the memo's
	 * rows when the slice moves on, when full, and at the end (a node's rows are the same
	 * for every count of it): (0, node, idle) in this slice; (dim << 32 | key, node, idle) */
	struct stk_map nslice, nwhole;
	struct api_stk_bfmemo *bm; /* leaf node → its butterfly rows (borrowed) */
	/* the maps' rows on their way to stk_prefilt and stk_bfslice, in key order */
	struct api_stk_pfsort tsort, bsort;
	struct api_stk_pfruns truns, bruns; /* the sorted buffers so far, to merge */
	char *dir;                          /* the database's directory, for their file */
	/* the row being added */
	uint32_t key[DB_STK_DIMS];
	int idle;
	int64_t count;
	int failed;
};

static int put_tree(void *ud, const struct api_stk_pfrow *r)
{
	struct api_stk_pf *pf = ud;
	const int64_t *k = r->k;
	return db_stk_prefilt_put(&pf->tins, (int)k[0], (int)k[1], k[2], k[3], k[4], r->v);
}

static int put_bfly(void *ud, const struct api_stk_pfrow *r)
{
	struct api_stk_pf *pf = ud;
	const int64_t *k = r->k;
	return db_stk_bfslice_put(&pf->bins, (int)k[4], (int)k[0], k[1], (int32_t)k[2], k[3],
				  (int)k[5], (int32_t)k[6], r->v);
}

/* Sort buffer b and empty it: into its table through put when final and no run is kept
 * (one buffer held every row), else as one more run, merged into the table through put
 * when final or when PF_RUNS_MAX runs are kept. 0 or -1. */
static int drain(struct api_stk_pf *pf, struct api_stk_pfsort *b, struct api_stk_pfruns *runs,
		 api_stk_pfruns_fn put, int final)
{
	size_t n = api_stk_pfsort_sort(b);
	int rc = 0;
	if (final && !runs->n) {
		for (size_t i = 0; !rc && i < n; i++)
			rc = put(pf, &b->r[i]);
	} else {
		rc = api_stk_pfruns_put(runs, b->r, n);
		if (!rc && (final || runs->n >= PF_RUNS_MAX))
			rc = api_stk_pfruns_merge(runs, put, pf);
	}
	api_stk_pfsort_reset(b);
	return rc ? -1 : 0;
}

/* A full buffer's drain (not the last): 0 or -1. */
static int drain_trees(struct api_stk_pf *pf)
{
	return drain(pf, &pf->tsort, &pf->truns, put_tree, 0);
}

static int drain_bflies(struct api_stk_pf *pf)
{
	return drain(pf, &pf->bsort, &pf->bruns, put_bfly, 0);
}

/* Move m's rows (of slice) into the tree buffer, in stk_prefilt's key order (mode, dim,
 * key, slice, id), draining it when full: 0 or -1. */
static int flush_trees(struct api_stk_pf *pf, struct stk_map *m, int64_t slice)
{
	for (size_t i = 0; i < m->cap; i++) {
		const struct stk_entry *e = &m->e[i];
		if (!e->used)
			continue;
		const int64_t k[] = {(int64_t)(e->k[0] & 0xff), (int64_t)(e->k[0] >> 8),
				     (int64_t)e->k[1], slice, (int64_t)e->k[2]};
		if (api_stk_pfsort_add(&pf->tsort, k, 5, e->v) && drain_trees(pf))
			return -1;
	}
	stk_map_reset(m);
	return 0;
}

/* Move m's rows (of slice) into the butterfly buffer, in stk_bfslice's key order (dim, key,
 * target, slice, idle, kind, other), draining it when full: 0 or -1. */
static int flush_bflies(struct api_stk_pf *pf, struct stk_map *m, int64_t slice)
{
	for (size_t i = 0; i < m->cap; i++) {
		const struct stk_entry *e = &m->e[i];
		if (!e->used)
			continue;
		const int64_t k[] = {(int64_t)(e->k[0] >> 32), (int64_t)(e->k[0] & 0xffffffff),
				     (int64_t)((int32_t)(e->k[1] >> 16) - 2), slice,
				     (int64_t)(e->k[1] & 1), (int64_t)((e->k[1] >> 1) & 0x7fff),
				     (int64_t)((int32_t)e->k[2] - 2)};
		if (api_stk_pfsort_add(&pf->bsort, k, 7, e->v) && drain_bflies(pf))
			return -1;
	}
	stk_map_reset(m);
	return 0;
}

static int add(struct api_stk_pf *pf, struct stk_map *m, int trees, int64_t slice, uint64_t a,
	       uint64_t b, uint64_t c, int64_t n);

/* A butterfly map's middle key: target (+2, so none and unknown are ≥ 0), kind, idle. */
static inline uint64_t bfly_b(int32_t target, int kind, int idle)
{
	return (uint64_t)(target + 2) << 16 | (uint64_t)kind << 1 | (uint64_t)idle;
}

/* n samples of node's stack into butterfly map m (as slice) under a: the total, then each of
 * the node's rows: 0 or -1. */
static int expand(struct api_stk_pf *pf, struct stk_map *m, int64_t slice, uint64_t a,
		  int64_t node, int idle, int64_t n)
{
	const struct api_stk_bfrow *rows;
	int nrows = api_stk_bfmemo_rows(pf->bm, node, &rows);
	if (nrows < 0)
		return -1;
	if (add(pf, m, 0, slice, a, bfly_b(DB_STK_BF_NONE, DB_STK_BF_TOTAL, idle),
		(uint64_t)(DB_STK_BF_NONE + 2), n))
		return -1;
	for (int i = 0; i < nrows; i++)
		if (add(pf, m, 0, slice, a, bfly_b(rows[i].target, rows[i].kind, idle),
			(uint64_t)(rows[i].other + 2), n))
			return -1;
	return 0;
}

/* The node counts of src, keyed (a, node, idle), expanded into butterfly map dst as slice;
 * then src reset: 0 or -1. */
static int expand_nodes(struct api_stk_pf *pf, struct stk_map *src, struct stk_map *dst,
			int64_t slice)
{
	for (size_t i = 0; i < src->cap; i++) {
		const struct stk_entry *e = &src->e[i];
		if (e->used && expand(pf, dst, slice, e->k[0], (int64_t)e->k[1], (int)e->k[2], e->v))
			return -1;
	}
	stk_map_reset(src);
	return 0;
}

/* The slice's node counts into bslice; the whole run's so far into bwhole. */
static int expand_slice(struct api_stk_pf *pf)
{
	return expand_nodes(pf, &pf->nslice, &pf->bslice, pf->slice);
}

static int expand_whole(struct api_stk_pf *pf)
{
	return expand_nodes(pf, &pf->nwhole, &pf->bwhole, DB_STK_WHOLE);
}

int api_stk_pf_begin(sqlite3 *db, int64_t run_id, struct api_stk_query *q,
		     struct api_stk_bfmemo *bm, struct api_stk_pf **out)
{
	struct api_stk_pf *pf = calloc(1, sizeof *pf);
	*out = pf;
	if (!pf)
		return -1;
	pf->db = db;
	pf->run_id = run_id;
	pf->q = q;
	pf->bm = bm;
	pf->slice = -1;
	const char *file = sqlite3_db_filename(db, "main");
	const char *slash = file ? strrchr(file, '/') : NULL;
	if (slash && (pf->dir = strdup(file)))
		pf->dir[slash - file + (slash == file)] = 0; /* "/x.db": "/" */
	pf->truns.dir = pf->bruns.dir = pf->dir;
	return stk_map_init(&pf->tslice, PF_MAP_LOG2) || stk_map_init(&pf->twhole, PF_MAP_LOG2) ||
			       stk_map_init(&pf->bslice, PF_MAP_LOG2) ||
			       stk_map_init(&pf->bwhole, PF_MAP_LOG2) ||
			       stk_map_init(&pf->nslice, PF_MAP_LOG2) ||
			       stk_map_init(&pf->nwhole, PF_MAP_LOG2) ||
			       api_stk_pfsort_init(&pf->tsort, PF_SORT_ROWS) ||
			       api_stk_pfsort_init(&pf->bsort, PF_SORT_ROWS) ||
			       db_stk_prefilt_begin(db, run_id, &pf->tins, &pf->bins)
		       ? -1
		       : 0;
}

/* Add n to (a, b, c) of m, flushing m (as slice) first when full: 0 or -1. The whole-run
 * maps (slice DB_STK_WHOLE) first double up to PF_WHOLE_MAP_LOG2 slots instead. */
static int add(struct api_stk_pf *pf, struct stk_map *m, int trees, int64_t slice, uint64_t a,
	       uint64_t b, uint64_t c, int64_t n)
{
	struct stk_entry *e = stk_map_get(m, a, b, c);
	if (!e && slice == DB_STK_WHOLE)
		e = stk_map_put_grow(m, a, b, c, PF_WHOLE_MAP_LOG2);
	if (!e) {
		if (stk_map_full(m) &&
		    (trees ? flush_trees(pf, m, slice) : flush_bflies(pf, m, slice)))
			return -1;
		e = stk_map_put(m, a, b, c);
	}
	e->v += n;
	return 0;
}

int api_stk_pf_row(struct api_stk_pf *pf, int64_t slice, uint32_t cpu, uint32_t pid,
		   uint32_t tid, int idle, int64_t n)
{
	if (slice != pf->slice && (flush_trees(pf, &pf->tslice, pf->slice) || expand_slice(pf) ||
				   flush_bflies(pf, &pf->bslice, pf->slice)))
		return -1;
	pf->slice = slice;
	pf->key[DB_STK_DIM_ALL] = 0;
	pf->key[DB_STK_DIM_CPU] = cpu;
	pf->key[DB_STK_DIM_PID] = pid;
	pf->key[DB_STK_DIM_TID] = tid;
	pf->idle = idle;
	pf->count = n;
	return 0;
}

int api_stk_pf_tree(struct api_stk_pf *pf, int mode, int64_t node)
{
	for (int d = DB_STK_DIM_CPU; d < DB_STK_DIMS; d++) {
		uint64_t a = (uint64_t)mode | (uint64_t)d << 8;
		if (add(pf, &pf->tslice, 1, pf->slice, a, pf->key[d], (uint64_t)node, pf->count) ||
		    add(pf, &pf->twhole, 1, DB_STK_WHOLE, a, pf->key[d], (uint64_t)node, pf->count))
			return -1;
	}
	return 0;
}

int api_stk_pf_bfly(struct api_stk_pf *pf, int64_t node)
{
	uint64_t idle = (uint64_t)pf->idle;
	struct stk_entry *e = stk_map_put(&pf->nslice, 0, (uint64_t)node, idle);
	if (!e) { /* full: this slice's counts so far into bslice */
		if (expand_slice(pf))
			return -1;
		e = stk_map_put(&pf->nslice, 0, (uint64_t)node, idle);
	}
	e->v += pf->count;
	for (int d = DB_STK_DIM_CPU; d < DB_STK_DIMS; d++) {
		uint64_t a = (uint64_t)d << 32 | pf->key[d];
		e = stk_map_get(&pf->nwhole, a, (uint64_t)node, idle);
		if (!e)
			e = stk_map_put_grow(&pf->nwhole, a, (uint64_t)node, idle, PF_NODE_WHOLE_LOG2);
		if (!e) { /* full at the bound: the counts so far into bwhole */
			if (expand_whole(pf))
				return -1;
			e = stk_map_put(&pf->nwhole, a, (uint64_t)node, idle);
		}
		e->v += pf->count;
	}
	return 0;
}

int api_stk_pf_finish(struct api_stk_pf *pf, const int *tree_modes, int ntrees, int skip)
{
	if (flush_trees(pf, &pf->tslice, pf->slice) || expand_slice(pf) ||
	    flush_bflies(pf, &pf->bslice, pf->slice) || expand_whole(pf) ||
	    flush_trees(pf, &pf->twhole, DB_STK_WHOLE) ||
	    flush_bflies(pf, &pf->bwhole, DB_STK_WHOLE) ||
	    drain(pf, &pf->tsort, &pf->truns, put_tree, 1) ||
	    drain(pf, &pf->bsort, &pf->bruns, put_bfly, 1) || db_batch_flush(&pf->tins) ||
	    db_batch_flush(&pf->bins))
		return -1;
	for (int d = DB_STK_DIM_ALL; d < DB_STK_DIMS; d++)
		if (db_stk_prestored_put(pf->db, pf->run_id, DB_STK_STORED_BFLY, d))
			return -1;
	for (int k = 0; k < ntrees; k++)
		if (!(tree_modes[k] & skip) &&
		    db_stk_prestored_put(pf->db, pf->run_id, DB_STK_STORED_TREE, tree_modes[k]))
			return -1;
	return 0;
}

void api_stk_pf_free(struct api_stk_pf *pf)
{
	if (!pf)
		return;
	db_batch_clear(&pf->tins);
	db_batch_clear(&pf->bins);
	stk_map_free(&pf->tslice);
	stk_map_free(&pf->twhole);
	stk_map_free(&pf->bslice);
	stk_map_free(&pf->bwhole);
	stk_map_free(&pf->nslice);
	stk_map_free(&pf->nwhole);
	api_stk_pfsort_clear(&pf->tsort);
	api_stk_pfsort_clear(&pf->bsort);
	api_stk_pfruns_clear(&pf->truns);
	api_stk_pfruns_clear(&pf->bruns);
	free(pf->dir);
	free(pf);
}

/* ---- reading ---- */

int api_stk_pf_dim(const struct api_stk_query *q)
{
	return q->nmodules || q->ntag_filters ? -1 : api_stk_pf_dim_ids(q);
}

int api_stk_pf_dim_ids(const struct api_stk_query *q)
{
	int n = !!q->f.cpu_words + !!q->f.npids + !!q->f.ntids;
	if (n == 0)
		return DB_STK_DIM_ALL;
	if (n > 1)
		return -1;
	return q->f.cpu_words ? DB_STK_DIM_CPU : q->f.npids ? DB_STK_DIM_PID : DB_STK_DIM_TID;
}

int api_stk_pf_each_key(const struct api_stk_query *q, int dim,
			int (*cb)(void *ud, int64_t key), void *ud)
{
	switch (dim) {
	case DB_STK_DIM_CPU:
		for (unsigned c = 0; c < DB_MAX_CPUS; c++)
			if ((q->f.cpu_words[c / 64] >> (c % 64) & 1) && cb(ud, c))
				return -1;
		return 0;
	case DB_STK_DIM_PID:
	case DB_STK_DIM_TID: {
		const uint32_t *ids = dim == DB_STK_DIM_PID ? q->f.pids : q->f.tids;
		unsigned n = dim == DB_STK_DIM_PID ? q->f.npids : q->f.ntids;
		for (unsigned i = 0; i < n; i++) {
			unsigned j = 0;
			while (j < i && ids[j] != ids[i])
				j++;
			if (j == i && cb(ud, ids[i])) /* a repeated id counts once, as in SQL IN */
				return -1;
		}
		return 0;
	}
	default:
		return cb(ud, 0) ? -1 : 0;
	}
}
