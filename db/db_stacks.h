/* db_stacks.h — the per-run stack store (issue 13): frames (module + offset, deduplicated),
 * a prefix tree of stacks (node = parent node + frame, root first, the way the Firefox
 * Profiler's stackTable and pprof store them), processes and threads from the trace's
 * lifetime events, and sample counts per (100 ms slice, CPU, pid, tid, leaf node).
 *
 * Exactness: counts are exact per slice; a time window selects whole slices (every slice
 * that overlaps [from, to)), so its counts are exact at 100 ms resolution. CPU, process
 * and thread filters are exact.
 *
 * Memory at ingest is bounded: frame and node ids are cached in hash maps that grow up to a
 * fixed size and are forgotten when full (a miss then looks the id up in SQLite by its
 * unique key, unless the map's Bloom filter shows the key was never seen: db_stk_map.h),
 * and counts are accumulated in a fixed-size map: a sample two slices past the oldest held flushes
 * (adds into the table) the slices before its previous one, which stays held because its
 * samples still come; a full map flushes everything. */
#ifndef ETLSCOPE_DB_STACKS_H
#define ETLSCOPE_DB_STACKS_H

#include <sqlite3.h>
#include <stdint.h>
#include "db_etw.h"
#include "sink.h"

#define DB_STK_SLICE_NS 100000000LL /* 100 ms */
/* The thread id under which the Idle process's samples taken in a DPC or ISR are counted:
 * busy time (sink_sample_idle), kept apart from the idle thread 0 so that leaving Idle out
 * keeps them. Not a multiple of 4, so never a real Windows thread id. */
#define DB_STK_TID_INTERRUPTS 0xFFFFFFFEu
/* The same rule in SQL over stk_counts: a count that is Idle time. */
#define DB_STK_IDLE_SQL "(pid=0 AND tid<>4294967294)"
_Static_assert(DB_STK_TID_INTERRUPTS == 4294967294u, "DB_STK_IDLE_SQL spells the pseudo-thread");
#define DB_STK_MAX_DEPTH 256        /* frames per stored stack (the sink gives ≤ 128) */

/* ---- writing (inside the run's ingest transaction) ---- */
struct db_stacks;
struct db_stacks *db_stacks_begin(sqlite3 *db, int64_t run_id);
/* The same with id caches of 2^cache_log2 slots and Bloom filters of 2^bloom_log2 bits, and
 * a leaf totals map no larger than the caches (tests make them tiny to exercise forgetting
 * and flushing; db_stacks_begin picks the ingest's sizes). */
struct db_stacks *db_stacks_begin_sized(sqlite3 *db, int64_t run_id, unsigned cache_log2,
					unsigned bloom_log2);
/* A module's base, by its store id (to turn a stackless sample's IP into an offset). */
int db_stacks_module(struct db_stacks *w, int32_t id, uint64_t base);
int db_stacks_sample(struct db_stacks *w, const struct sink_cpu_sample *s);
int db_stacks_task(struct db_stacks *w, const struct sink_task *t);
int db_stacks_finish(struct db_stacks *w);
const char *db_stacks_error(const struct db_stacks *w);
void db_stacks_free(struct db_stacks *w);

/* ---- reading ---- */
#define DB_STK_MAX_IDS 64
struct db_stk_filter {
	int64_t from_ns, to_ns;            /* trace-relative, [from, to); open = INT64_MIN/MAX */
	const uint64_t *cpu_words;         /* DB_MAX_CPUS bits, NULL = all CPUs */
	uint32_t pids[DB_STK_MAX_IDS], tids[DB_STK_MAX_IDS];
	unsigned npids, ntids;             /* 0 = all */
	int idle;                          /* 1: keep pid 0 (Idle) samples */
	int no_ids;                        /* 1: the caller ignores pid and tid, so counts may
					    * come summed over them (given as 0) */
};
/* 1 if f selects the whole run and its caller ignores pids and tids: the stored per-leaf
 * totals answer it. */
static inline int db_stk_filter_whole(const struct db_stk_filter *f)
{
	return f->no_ids && f->from_ns <= 0 && f->to_ns == INT64_MAX && !f->cpu_words &&
	       !f->npids && !f->ntids;
}
/* Samples per leaf node (and pid, tid) under the filter: cb per row; a non-zero return
 * stops. 0, or -1 with err set. */
typedef int (*db_stk_count_fn)(void *ud, int64_t node, uint32_t pid, uint32_t tid,
			       int64_t slice, int64_t n);
int db_stk_counts(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f, int by_slice,
		  db_stk_count_fn cb, void *ud, char *err, size_t errlen);

/* The same counts row by row as stored (db_stk_rows.c): cb per (slice, CPU, pid, tid, node)
 * row of the selection, in key order, so a (node, pid, tid) may come once per slice and CPU
 * — for callers that only add counts up; nothing is grouped, nothing sorted. cb's non-zero
 * return stops. 0, or -1 with err set. */
int db_stk_rows(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f,
		db_stk_count_fn cb, void *ud, char *err, size_t errlen);
/* The run's number of stack nodes (ids 1..n), or -1 when unknown or on error. */
int64_t db_stk_run_nodes(sqlite3 *db, int64_t run_id);

/* The same counts summed per leaf node alone (db_stk_leaves.c; pid, tid and slice given as
 * 0), cb once per node in increasing node order, from one scan without SQLite's sort: for
 * no_ids callers under a window or a CPU, pid or tid filter. r (may be NULL), the reader cb
 * resolves nodes with, preloads the run's nodes first when the leaves are many. 0, 1 when
 * it cannot (more than DB_STK_LEAF_MAX_NODES nodes in the run, or ids not dense: use
 * db_stk_counts; cb not called), or -1 with err set. */
#define DB_STK_LEAF_MAX_NODES (2 * 1024 * 1024) /* 8 bytes a node while summing (16 MB) */
struct db_stk_reader;
int db_stk_leaf_sums(sqlite3 *db, int64_t run_id, const struct db_stk_filter *f,
		     struct db_stk_reader *r, db_stk_count_fn cb, void *ud, char *err,
		     size_t errlen);

/* Does f's CPU set hold cpu (1 without a set)? Does ids (k of them; 0 = all) hold id?
 * Inline: the leaf-slice scan asks them for every row of every selected slice (millions for
 * a whole run filtered to one process). */
static inline int db_stk_filter_cpu(const struct db_stk_filter *f, int64_t cpu)
{
	return !f->cpu_words || (cpu >= 0 && cpu < DB_MAX_CPUS &&
				 (f->cpu_words[cpu / 64] >> (cpu % 64) & 1));
}
static inline int db_stk_filter_id(const uint32_t *ids, unsigned k, uint32_t id)
{
	if (!k)
		return 1;
	for (unsigned i = 0; i < k; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* The slices f's window selects: [*lo, *hi] (every slice that overlaps [from, to)). */
void db_stk_slice_range(const struct db_stk_filter *f, int64_t *lo, int64_t *hi);

/* Per-leaf totals (db_stk_totals.c, written by the store as it writes the counts): cb per
 * leaf node (twice when idle: its Idle and other samples) with pid, tid, slice 0 — 0, 1
 * when the run has no totals (ingested before them), -1 with err set. */
int db_stk_totals_counts(sqlite3 *db, int64_t run_id, int idle, db_stk_count_fn cb, void *ud,
			 char *err, size_t errlen);

/* Pre-aggregated call trees (db_stk_pretree.c), one per mode: DB_STK_PRE_INVERTED |
 * DB_STK_PRE_MODULE | DB_STK_PRE_IDLE (Idle kept); function grouping is not stored (it
 * follows the run's symbols, which may come after ingest). A node: id 0 is the root, module
 * the canonical module id, sym_module the module whose symbols name it. */
#define DB_STK_PRE_INVERTED 1
#define DB_STK_PRE_MODULE 2
#define DB_STK_PRE_IDLE 4
#define DB_STK_PRE_MODES 8
#define DB_STK_PRE_FLOOR 0.0001 /* frame trees keep nodes of at least this share */
struct db_stk_prenode {
	int64_t id, parent, value, self, nchild;
	int32_t module, sym_module;
	uint64_t offset;
	int kernel;
};
/* Writing, inside the caller's transaction: begin deletes the run's trees and prepares
 * *ins (finalize it); put stores one node. 0 or -1. */
int db_stk_pretree_begin(sqlite3 *db, int64_t run_id, sqlite3_stmt **ins);
int db_stk_pretree_put(sqlite3_stmt *ins, int64_t run_id, int mode,
		       const struct db_stk_prenode *n);
/* The nodes of one mode's tree whose value is >= min_share × the root's, by value
 * descending then id (a parent before its children): cb per node, a non-zero return stops.
 * 0, 1 when the run has no tree of that mode, -1 with err set. */
typedef int (*db_stk_prenode_fn)(void *ud, const struct db_stk_prenode *n);
int db_stk_pretree_read(sqlite3 *db, int64_t run_id, int mode, double min_share,
			db_stk_prenode_fn cb, void *ud, char *err, size_t errlen);

/* Pre-aggregated module butterflies, Idle left out (idle 0) or kept (1): per target module
 * (canonical id) rows of DB_STK_BF_* kind, other the caller's or callee's canonical module
 * (-1 unresolved; DB_STK_BF_NONE for the counts); the selection's total under target
 * and other DB_STK_BF_NONE, kind DB_STK_BF_TOTAL. put: 0 or -1. read: cb per row of target (and the
 * total), 0, 1 when the run has none stored, -1 with err set. */
enum { DB_STK_BF_CALLER, DB_STK_BF_CALLEE, DB_STK_BF_INCL, DB_STK_BF_EXCL, DB_STK_BF_TOTAL };
#define DB_STK_BF_NONE (-2)
int db_stk_prebfly_begin(sqlite3 *db, int64_t run_id, sqlite3_stmt **ins);
int db_stk_prebfly_put(sqlite3_stmt *ins, int64_t run_id, int idle, int32_t target, int kind,
		       int32_t other, int64_t value);
typedef int (*db_stk_prebfly_fn)(void *ud, int kind, int32_t other, int64_t value);
int db_stk_prebfly_read(sqlite3 *db, int64_t run_id, int idle, int32_t target,
			db_stk_prebfly_fn cb, void *ud, char *err, size_t errlen);

/* Per-slice counts of the stored trees' nodes (module modes): rows (slice, node id, samples
 * ending there). Writing: every stored count of the run, in slice order, with its Idle
 * flag (DB_STK_IDLE_SQL), CPU, pid and tid: cb per row (a non-zero return stops), 0 or -1; then put. Reading:
 * cb per node with its samples summed over slices [lo, hi]: 0, -1 with err set. */
typedef int (*db_stk_slice_row_fn)(void *ud, int64_t slice, int64_t node, int idle, int64_t n,
				   uint32_t cpu, uint32_t pid, uint32_t tid);
int db_stk_slice_rows(sqlite3 *db, int64_t run_id, db_stk_slice_row_fn cb, void *ud);
int db_stk_preslice_begin(sqlite3 *db, int64_t run_id, sqlite3_stmt **ins);
int db_stk_preslice_put(sqlite3_stmt *ins, int64_t run_id, int mode, int64_t slice, int64_t id,
			int64_t self);
int db_stk_preslice_read(sqlite3 *db, int64_t run_id, int mode, int64_t lo, int64_t hi,
			 int (*cb)(void *ud, int64_t id, int64_t self), void *ud, char *err,
			 size_t errlen);

/* The row writers of the stored aggregates: begin deletes the run's rows (del, the run id
 * bound to ?1) and prepares insert into *ins (finalize it); put binds v[0..n) to ins's
 * parameters in order and steps it. 0 or -1. */
int db_stk_rows_begin(sqlite3 *db, int64_t run_id, const char *del, const char *insert,
		      sqlite3_stmt **ins);
int db_stk_rows_put(sqlite3_stmt *ins, const int64_t *v, int n);

/* Stored aggregates for windows and filters (db_stk_prefilt.c, migration 16). A dimension
 * names what a row is counted under: DB_STK_DIM_ALL (key 0), one CPU, one process or one
 * thread; slice DB_STK_WHOLE for the whole run. stk_prefilt: per module tree mode the
 * samples ending at each node (the ids of stk_pretree); stk_bfslice: module butterfly rows
 * (as stk_prebfly, target DB_STK_BF_NONE kind DB_STK_BF_TOTAL the total) from Idle samples
 * (idle 1, DB_STK_IDLE_SQL) or the others (0). stk_prestored says which a run has: rows
 * are complete where a mark is — (DB_STK_STORED_TREE, a module tree mode): that mode's
 * rows of every dimension, per slice and whole; (DB_STK_STORED_BFLY, a dimension): its
 * butterfly rows (DB_STK_DIM_ALL per slice, the others over the whole run). */
enum { DB_STK_DIM_ALL, DB_STK_DIM_CPU, DB_STK_DIM_PID, DB_STK_DIM_TID, DB_STK_DIMS };
enum { DB_STK_STORED_TREE, DB_STK_STORED_BFLY };
#define DB_STK_WHOLE (-1)
/* Inside the caller's transaction: delete the run's rows of the three tables and set up
 * the two inserts (multi-row, db_batch.h: each row adds to an existing one; rows are in the
 * tables once db_batch_flush has written the last batch; db_batch_clear both). 0 or -1. */
struct db_batch;
int db_stk_prefilt_begin(sqlite3 *db, int64_t run_id, struct db_batch *tree_ins,
			 struct db_batch *bf_ins);
/* Buffer one row (written DB_BATCH_ROWS at a time): 0, or -1 (SQL error). */
int db_stk_prefilt_put(struct db_batch *ins, int mode, int dim, int64_t key, int64_t slice,
		       int64_t id, int64_t self);
int db_stk_bfslice_put(struct db_batch *ins, int idle, int dim, int64_t key, int32_t target,
		       int64_t slice, int kind, int32_t other, int64_t value);
int db_stk_prestored_put(sqlite3 *db, int64_t run_id, int what, int which);
/* 1 if the run has the rows of (what, which), 0 if not, -1 on error. */
int db_stk_prestored(sqlite3 *db, int64_t run_id, int what, int which);
/* Samples per node of one mode's module tree under (dim, key) in slices [lo, hi]
 * (DB_STK_WHOLE both: the whole run): cb per (slice, node) row — the caller sums a node's
 * rows. 0, or -1 with err set. */
int db_stk_prefilt_read(sqlite3 *db, int64_t run_id, int mode, int dim, int64_t key,
			int64_t lo, int64_t hi, int (*cb)(void *ud, int64_t id, int64_t self),
			void *ud, char *err, size_t errlen);
/* The butterfly rows of target and the total under (dim, key) in slices [lo, hi], Idle
 * samples' rows too when idle: cb per row (kind, other, value) — the caller sums rows of
 * one (kind, other). 0, or -1 with err set. */
int db_stk_bfslice_read(sqlite3 *db, int64_t run_id, int idle, int dim, int64_t key,
			int32_t target, int64_t lo, int64_t hi, db_stk_prebfly_fn cb, void *ud,
			char *err, size_t errlen);

/* A stack frame as stored. */
struct db_stk_frame {
	int32_t module_id;
	uint64_t offset;
};
/* Resolves nodes to their frame paths, caching what it read. */
struct db_stk_reader;
struct db_stk_reader *db_stk_reader_new(sqlite3 *db, int64_t run_id);
/* A reader over the run's arrays (db_stk_nodes.h), borrowed: they must outlive it. */
struct db_stk_nodes;
struct db_stk_reader *db_stk_reader_new_nodes(sqlite3 *db, int64_t run_id,
					      const struct db_stk_nodes *nodes);
/* Load the run's whole node and frame tables now (as a reader does by itself after many
 * look-ups) when the run is small enough: 0 loaded, 1 not (look-ups go to SQLite), -1. */
int db_stk_reader_preload(struct db_stk_reader *r);
/* Hold the run's per-leaf totals in memory (db_stk_totals.h: up to DB_STK_HELD_MAX
 * leaves), for a caller that walks the whole run many times: 0 held, 1 not (too many, or
 * none), -1 on error. Then db_stk_reader_totals answers as db_stk_totals_counts does, cb
 * per row in the same order: 0, or 1 when r holds none (read them from SQLite). */
int db_stk_reader_hold_totals(struct db_stk_reader *r);
int db_stk_reader_totals(const struct db_stk_reader *r, int idle, db_stk_count_fn cb, void *ud);
/* The frames of node's stack, root first, into out[0..max); returns the count (≤ max,
 * the deepest frames dropped beyond it), or -1 on error. */
int db_stk_path(struct db_stk_reader *r, int64_t node, struct db_stk_frame *out, int max);
void db_stk_reader_free(struct db_stk_reader *r);

struct db_stk_process {
	uint32_t pid, ppid;
	int64_t start_ns, end_ns; /* INT64_MIN: before the trace; INT64_MAX: after it */
	const char *name, *command_line;
};
struct db_stk_thread {
	uint32_t tid, pid;
	int64_t start_ns, end_ns;
};
int db_stk_processes(sqlite3 *db, int64_t run_id,
		     int (*cb)(void *ud, const struct db_stk_process *p), void *ud);
int db_stk_threads(sqlite3 *db, int64_t run_id,
		   int (*cb)(void *ud, const struct db_stk_thread *t), void *ud);
/* Each (tid, pid)'s latest name from Thread SetName events: cb per named thread (name
 * valid during the call). 0 or -1. */
int db_stk_thread_names(sqlite3 *db, int64_t run_id,
			int (*cb)(void *ud, uint32_t tid, uint32_t pid, const char *name),
			void *ud);
/* 1 if the run has a stack store (the run was ingested with it), 0 if not, -1 error. */
int db_stk_present(sqlite3 *db, int64_t run_id);

#endif
