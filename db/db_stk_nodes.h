/* db_stk_nodes.h — a run's stack nodes and frames as flat arrays (node → parent, frame;
 * frame → module, offset), loaded from the stack store in two sequential scans. A run's
 * stack store never changes after ingest, so one load can serve every request on the run:
 * the stack reader borrows the arrays (db_stk_reader_new_nodes) and the server keeps them
 * in a cache shared by its worker threads (db_stk_cache.h). Node and frame ids are dense
 * from 1 (the store numbers them); a run whose ids are not is not loaded. */
#ifndef ETLSCOPE_DB_STK_NODES_H
#define ETLSCOPE_DB_STK_NODES_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct db_stk_nodes {
	int64_t nn, nf;        /* node ids 1..nn, frame ids 1..nf */
	int32_t *parent;       /* by node id; 0 = the root */
	int32_t *frame;        /* by node id */
	int32_t *fmod;         /* by frame id: module id (-1 outside every module) */
	uint64_t *foff;        /* by frame id */
	/* Optional (db_stk_nodes_load_slices; nslices 0 without): the stored counts of each
	 * 100 ms slice s as rows (leaf node, samples, CPU, pid, tid), k 0 for busy rows and 1
	 * for Idle ones (DB_STK_IDLE_SQL), rows [at[k][s], at[k][s + 1]) of the row arrays —
	 * a window's and a filter's samples per leaf without a scan of SQLite. Without
	 * slice_filters, rows hold no CPU, pid or tid (cpu, pid, tid NULL): windows only. */
	int64_t nslices;
	int slice_filters;
	uint32_t *at[2];
	struct db_stk_rows {
		int32_t *leaf;
		uint32_t *n, *pid, *tid;
		uint16_t *cpu;
		size_t len, cap;
	} rows[2];
};

/* The bytes a run of nn nodes and nf frames takes in arrays. */
size_t db_stk_nodes_bytes(int64_t nn, int64_t nf);
/* The run's node and frame counts (stk_runs): 0, 1 when the run has no stack store, -1. */
int db_stk_nodes_count(sqlite3 *db, int64_t run_id, int64_t *nn, int64_t *nf);
/* Load the run's arrays into n (emptied first) when they take at most max_bytes: 0 loaded,
 * 1 not (no stack store, larger than max_bytes, or ids not dense; n left empty), -1 on an
 * SQL error or out of memory (n left empty). */
int db_stk_nodes_load(sqlite3 *db, int64_t run_id, size_t max_bytes, struct db_stk_nodes *n);
/* The bytes n's arrays take (nodes, frames and slice rows), and its slice rows alone. */
size_t db_stk_nodes_size(const struct db_stk_nodes *n);
size_t db_stk_nodes_slices_size(const struct db_stk_nodes *n);
/* Free n's slice rows only (nslices 0 after). */
void db_stk_nodes_clear_slices(struct db_stk_nodes *n);
/* Add the run's slice rows to loaded arrays n (db_stk_leafslices.c) when, with them, n
 * takes at most max_bytes — with their CPU, pid and tid when those fit too: 0 added, 1 not
 * (too large, or a row out of range: n keeps its nodes and no slices), -1 on an SQL error
 * (likewise). */
int db_stk_nodes_load_slices(sqlite3 *db, int64_t run_id, size_t max_bytes,
			     struct db_stk_nodes *n);
/* As db_stk_leaf_sums (db_stacks.h) from n's slice rows: samples per leaf node in f's
 * window under its CPU, pid and tid sets, Idle per f->idle, cb once per node in increasing
 * node order. 0; 1 when n has no slice rows, or f filters and they have no filter columns
 * (cb not called); -1 out of memory. */
struct db_stk_filter;
typedef int (*db_stk_count_fn)(void *ud, int64_t node, uint32_t pid, uint32_t tid,
			       int64_t slice, int64_t n);
int db_stk_nodes_leaf_sums(const struct db_stk_nodes *n, const struct db_stk_filter *f,
			   db_stk_count_fn cb, void *ud);
/* Empty n (a caller-owned struct), freeing its arrays. */
void db_stk_nodes_clear(struct db_stk_nodes *n);

#endif
