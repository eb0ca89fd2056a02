/* api_stacks.h — the call-stack endpoints (issue 13; docs/api.md): their shared filter
 * (from, to, cpus, pid, tid, module, idle) and the walk over the selected samples with
 * their resolved stacks. Internal to api/. */
#ifndef ETLSCOPE_API_STACKS_H
#define ETLSCOPE_API_STACKS_H

#include <stdint.h>
#include "api.h"
#include "api_dpc.h"
#include "db.h"
#include "db_etw.h"
#include "db_stacks.h"
#include "db_stk_cache.h"
#include "db_stk_map.h"

#define API_STK_MAX_MODULES 16

struct api_stk_query {
	struct db_run run;
	int64_t start_us;      /* trace start, µs since the epoch */
	unsigned trace_cpus;   /* CPUs of the machine (run summary), ≥ 1 */
	int64_t win_from_ns, win_to_ns; /* the window, clipped to the trace */
	struct db_cpu_set cpus;
	struct db_stk_filter f; /* points into this struct: do not copy the query */
	char modules[API_STK_MAX_MODULES][256]; /* ?module= names (case-insensitive) */
	size_t nmodules;
	struct api_module_names names;
	int32_t *canon;  /* module id → the lowest id of the same name (case-insensitive) */
	size_t ncanon;
	struct api_stk_syms *syms; /* the run's function names; NULL when it has none */
	/* ?tag= (the default tag set): tag_sel[i] 1 when tag i is selected, [ntags] untagged */
	size_t ntag_filters;
	struct api_tag_set *tagset;
	uint8_t *tag_sel;
	struct api_stk_tagger *tagger;
	struct db_stk_reader *reader; /* borrowed by api_stk_each when set (else its own) */
	struct db_stk_cache *stk_cache; /* from the request: the run's kept node arrays */
	int64_t version;
	char key[DB_STK_CACHE_KEY_MAX + 1]; /* the run's public id ("" = not kept) */
};

/* Look up the run and parse the filter; idle_default is the Idle inclusion when ?idle= is
 * absent. 0, or an HTTP status with *out set (404 unknown run or no stack store, 400). */
int api_stk_query_parse(sqlite3 *db, const char *run_id, const struct api_request *rq,
			int idle_default, struct api_stk_query *q, cJSON **out);
void api_stk_query_clear(struct api_stk_query *q);
/* Room for one more element in an array of n (doubling from 64). 0 or -1 (ENOMEM). */
int api_grow(void **v, size_t n, size_t *cap, size_t elem);
/* A module's name, or NULL when unresolved/unknown. */
const char *api_stk_module(const struct api_stk_query *q, int32_t id);
/* The module id that stands for every module of id's name (one image loaded in several
 * processes is one module in trees and butterflies); id itself when unknown. */
int32_t api_stk_canon(const struct api_stk_query *q, int32_t id);
/* 1 if the frame's address is in kernel space. */
int api_stk_frame_kernel(const struct api_stk_query *q, const struct db_stk_frame *f);

/* Function names of frames (api_stacks_names.c). *syms NULL when the run has no stored
 * symbol. 0, or -1 (database error or out of memory). */
struct api_stk_syms;
int api_stk_syms_open(sqlite3 *db, int64_t run_id, struct api_stk_syms **syms);
void api_stk_syms_free(struct api_stk_syms *s);
/* 1 with the function's name (valid until the next lookup: copy it) and the frame's offset
 * inside the function, 0 when the frame has no name. name and func_off may be NULL. */
int api_stk_frame_sym(struct api_stk_query *q, int32_t module_id, uint64_t offset,
		      const char **name, uint32_t *func_off);
/* A frame's label: module!function+0xOFF (module!function without with_offset) when named,
 * else module+0xOFFSET, or 0xADDRESS outside every module. */
void api_stk_frame_name(struct api_stk_query *q, int32_t module_id, uint64_t offset,
			int with_offset, char *buf, size_t n);

/* One selected (stack, pid, tid) with its sample count; frames root first. */
typedef int (*api_stk_fn)(void *ud, const struct db_stk_frame *fr, int n, uint32_t pid,
			  uint32_t tid, int64_t count);
/* Every selected stack (module filter applied: the stack holds one of the modules).
 * 0, or an HTTP status with *out set. */
int api_stk_each(sqlite3 *db, struct api_stk_query *q, api_stk_fn cb, void *ud, cJSON **out);
/* api_stk_each for a caller that ignores pids and tids and remembers stacks by their stored
 * leaf node: skip (may be NULL) is asked first, and a leaf it answers 1 for is passed over
 * without reading its path; cb gets the leaf node with the stack. A leaf may come more than
 * once (its counts split by pid and tid unless q->f.no_ids). Same answer as api_stk_each. */
typedef int (*api_stk_skip_fn)(void *ud, int64_t node);
typedef int (*api_stk_leaf_fn)(void *ud, int64_t node, const struct db_stk_frame *fr, int n,
			       int64_t count);
int api_stk_each_leaf(sqlite3 *db, struct api_stk_query *q, api_stk_skip_fn skip,
		      api_stk_leaf_fn cb, void *ud, cJSON **out);
/* A stack reader for q's run on the server's kept node arrays when the cache holds them
 * (*nodes set: give them back with db_stk_cache_release after db_stk_reader_free), else
 * one that reads SQLite (*nodes NULL). NULL when out of memory or on an SQL error. */
struct db_stk_reader *api_stk_reader_for(sqlite3 *db, struct api_stk_query *q,
					 const struct db_stk_nodes **nodes);
/* How a walk over the stored stacks ended, as api_stk_each answers: rc (the read's 0 or -1,
 * err its message), failed (1 a path could not be read, 2 the callback gave up: too many
 * distinct frames). 0, or 500 / 413 with *out set. */
int api_stk_walk_status(int rc, int failed, const char *err, cJSON **out);

/* The call tree of the selection (api_stacks_tree.c): nodes in a flat array, node 0 the
 * root, children as sibling lists (-1 = none), keyed through a bounded map. */
struct api_stk_tnode {
	int64_t value, self;
	uint64_t offset;       /* 0 in module mode for a resolved module; in function mode the
				* offset of the node's first frame */
	int32_t module;        /* canonical module id (api_stk_canon), -1 unresolved */
	uint8_t kernel;
	int32_t first, next;
	uint64_t key;          /* what tells siblings apart: offset, or in function mode
				* API_STK_FUNC_KEY | the function's start for a named frame */
	int32_t sym_module;    /* the module id whose symbols name the node */
	int64_t rest;          /* a tree read from the stored trees: the samples and number */
	int64_t rest_n;        /* of the children not read (under min_share), else 0 */
};
#define API_STK_FUNC_KEY (1ull << 63)
struct api_stk_tree {
	struct api_stk_query *q;
	int by_module, inverted;
	int by_function; /* frames of one function are one node (module!function) */
	struct api_stk_tnode *v;
	size_t n, cap;
	struct stk_map map;
	int64_t total;
};
/* A stack's tag under a tag set (api_stacks_tags.c; the rule in api_tags.h), frames named
 * as the call tree names them, each distinct frame's tag remembered. */
struct api_tag_set;
struct api_stk_tagger {
	struct api_stk_query *q;
	const struct api_tag_set *set;
	struct api_stk_tnode one; /* the frame being named, as a one-node tree */
	struct api_stk_tree view;
	struct stk_map frames;    /* (canonical module, offset) → tag + 2, or 1 = none */
	int32_t *modtag;          /* run without symbols: by canonical module id, tag + 2,
				   * 1 = none, 0 = not yet; NULL when the run has symbols */
};
/* 0, or -1 (out of memory). */
int api_stk_tagger_init(struct api_stk_tagger *g, struct api_stk_query *q,
			const struct api_tag_set *set);
void api_stk_tagger_clear(struct api_stk_tagger *g);
/* The tag index of the stack (frames root first), or -1 when untagged. */
int32_t api_stk_stack_tag(struct api_stk_tagger *g, const struct db_stk_frame *fr, int n);

/* ?invert=, ?group=frame|function|module, ?min_share= (default 0.001). 0, or -1 with *out
 * set. */
int api_stk_tree_params(const struct api_request *rq, int *invert, int *by_module,
			int *by_function, double *min_share, cJSON **out);
/* An empty tree over q: its node array and map, and the root (node 0). Grouping and
 * direction are the caller's to set. 0, or -1 (out of memory; t holds nothing). */
int api_stk_tree_init(struct api_stk_tree *t, struct api_stk_query *q);
/* Build t (by_module, inverted set by the caller) over q. 0, or an HTTP status with *out. */
int api_stk_tree_build(sqlite3 *db, struct api_stk_query *q, struct api_stk_tree *t,
		       cJSON **out);
void api_stk_tree_clear(struct api_stk_tree *t);
/* Build t (inverted set by the caller; by frame) over q holding only the nodes whose value
 * is at least share of the total, each node's rest_n its number of children in the whole
 * tree (api_stacks_floor.c): the same nodes and counts as api_stk_tree_build cut there, in
 * memory for the kept nodes and a bounded part of one level's candidates. 0, or an HTTP
 * status with *out (413 when a level's candidates need more than 4096 parts, or when the
 * tree would hold more than max_nodes nodes, root included: t then holds the levels kept so
 * far, for api_stk_tree_clear). */
int api_stk_tree_build_floor(sqlite3 *db, struct api_stk_query *q, struct api_stk_tree *t,
			     double share, size_t max_nodes, cJSON **out);
/* Add count samples of one stack (frames root first) to t: the index of the node the stack
 * ends at, or -1 (the map is full, or out of memory). */
int32_t api_stk_tree_add(struct api_stk_tree *t, const struct db_stk_frame *fr, int n,
			 int64_t count);
#define API_STK_TREE_MAP_LOG2 20 /* up to 768 Ki tree nodes per request */
/* a tree's map starts at 2^this slots and doubles as nodes come (stk_map_put_grow): the
 * memory of a tree follows its nodes, not the bound (40 bytes a slot) */
#define API_STK_TREE_MAP_START_LOG2 12
/* The pre-aggregated trees (api_stacks_pre.c; built by api_stk_pre_build, api.h). Read t
 * (by_module, inverted set by the caller; not by_function) under q's Idle choice: for the
 * whole run only the nodes at or above min_share; for a window alone (by module) the
 * module tree recounted from its per-slice counts, and under one CPU, process or thread
 * filter (by module, Idle left out, with or without a window) from that filter's stored
 * counts (api_stacks_prefilt.c); a module filter (by module) keeps the counts of the nodes
 * whose chain of modules holds one of them. 0, -1 when nothing stored serves q
 * (walk the stacks instead), or an HTTP status with *out set. */
int api_stk_pre_read(sqlite3 *db, struct api_stk_query *q, struct api_stk_tree *t,
		     double min_share, cJSON **out);
/* api_stk_pre_build (api.h) with the slice pass's leaf cache bounded at leaf_bytes of array
 * and 2^leaf_map_log2 map slots instead of its own (PRE_LEAF_BYTES, PRE_LEAF_MAP_LOG2): the
 * stored rows do not depend on them (tests run it with a cache of one node). Same return. */
int api_stk_pre_build_bounded(sqlite3 *db, const char *public_id, size_t leaf_bytes,
			      unsigned leaf_map_log2, char *err, size_t errlen);
/* Store every module's butterfly over q's selection (the whole run, one Idle choice)
 * through ins (db_stk_prebfly_begin): 0, 1 when too many to hold (none stored), -1 with
 * err set (api_stacks_butterfly.c). */
int api_stk_bfly_pre_build(sqlite3 *db, struct api_stk_query *q, sqlite3_stmt *ins,
			   char *err, size_t errlen);
/* Every module's butterfly contributions of one stack (frames root first): emit per
 * (target, kind, other) that a sample of the stack adds one to — inclusive, distinct
 * callers and callees, exclusive; no total (api_stacks_butterfly.c). 0, or -1 when emit
 * failed. */
typedef int (*api_stk_bfly_emit_fn)(void *ud, int32_t target, int kind, int32_t other);
int api_stk_bfly_chain(const struct api_stk_query *q, const struct db_stk_frame *fr, int n,
		       api_stk_bfly_emit_fn emit, void *ud);
/* The stored aggregates for windows and filters (api_stacks_prefilt.c). Building, in the
 * post-ingest slice pass over every stored count in slice order: begin (q names modules:
 * keep it alive), then per count row once api_stk_pf_row, api_stk_pf_tree per module tree
 * mode with the node its stack ends at, api_stk_pf_bfly with that node (its butterfly
 * rows come from bm, api_stacks_bfmemo.h, when the counts are written; bm NULL: no
 * api_stk_pf_bfly call); finish writes
 * the rest and the marks (tree_modes: the module tree modes given, but those with a bit
 * of skip: none given to api_stk_pf_tree). 0 or -1 each. */
struct api_stk_pf;
struct api_stk_bfmemo;
int api_stk_pf_begin(sqlite3 *db, int64_t run_id, struct api_stk_query *q,
		     struct api_stk_bfmemo *bm, struct api_stk_pf **pf);
int api_stk_pf_row(struct api_stk_pf *pf, int64_t slice, uint32_t cpu, uint32_t pid,
		   uint32_t tid, int idle, int64_t n);
int api_stk_pf_tree(struct api_stk_pf *pf, int mode, int64_t node);
int api_stk_pf_bfly(struct api_stk_pf *pf, int64_t node);
int api_stk_pf_finish(struct api_stk_pf *pf, const int *tree_modes, int ntrees, int skip);
void api_stk_pf_free(struct api_stk_pf *pf);
/* Reading: the one dimension q filters on (DB_STK_DIM_ALL none; CPU, pid or tid), or -1
 * when no stored aggregate serves it (a module or tag filter, or two filters together);
 * cb per distinct key of that dimension in q (0 for DB_STK_DIM_ALL): 0, or -1 when cb
 * returned non-zero. */
int api_stk_pf_dim(const struct api_stk_query *q);
/* The same, module and tag filters left aside (a module tree applies a module filter to
 * its stored counts itself: api_stacks_pre.c). */
int api_stk_pf_dim_ids(const struct api_stk_query *q);
int api_stk_pf_each_key(const struct api_stk_query *q, int dim,
			int (*cb)(void *ud, int64_t key), void *ud);

/* 1 when q selects the whole run (no window, CPU, process, thread or module filter);
 * window_only: a window and no other filter. */
int api_stk_whole_run(const struct api_stk_query *q);
int api_stk_window_only(const struct api_stk_query *q);
/* A node's label: module!function+0xOFF (frame mode) or module!function (function mode) when
 * the run's symbols name the frame, else module+0xOFFSET; module in module mode; 0xADDRESS
 * or "?" (unresolved, module mode). */
void api_stk_tree_name(const struct api_stk_tree *t, int32_t i, char *buf, size_t n);

/* Depth-first over t from node i with the path from the root (node ids, root excluded;
 * path holds DB_STK_MAX_DEPTH): fn for every node with exclusive samples. */
typedef void (*api_stk_visit_fn)(void *ud, const struct api_stk_tree *t, const int32_t *path,
				 int n, int64_t self);
void api_stk_tree_walk(const struct api_stk_tree *t, int32_t i, int32_t *path, int depth,
		       api_stk_visit_fn fn, void *ud);
/* The tree as a pprof profile (gzip'd profile.proto, api_stacks_pprof.c): *out malloc'd.
 * 0, or -1 (out of memory). */
int api_stk_pprof(const struct api_stk_tree *t, int64_t time_ns, int64_t duration_ns,
		  unsigned char **out, size_t *len);

int api_run_stacks(sqlite3 *db, const char *run_id, const char *what,
		   const struct api_request *rq, cJSON **out);
int api_run_stacks_tree(sqlite3 *db, const char *run_id, const struct api_request *rq,
			cJSON **out);
int api_run_stacks_butterfly(sqlite3 *db, const char *run_id, const struct api_request *rq,
			     cJSON **out);
int api_run_threads(sqlite3 *db, const char *run_id, const struct api_request *rq,
		    cJSON **out);
int api_run_processes_etw(sqlite3 *db, const char *run_id, const struct api_request *rq,
			  cJSON **out);

#endif
