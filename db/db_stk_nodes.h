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
};

/* The bytes a run of nn nodes and nf frames takes in arrays. */
size_t db_stk_nodes_bytes(int64_t nn, int64_t nf);
/* The run's node and frame counts (stk_runs): 0, 1 when the run has no stack store, -1. */
int db_stk_nodes_count(sqlite3 *db, int64_t run_id, int64_t *nn, int64_t *nf);
/* Load the run's arrays into n (emptied first) when they take at most max_bytes: 0 loaded,
 * 1 not (no stack store, larger than max_bytes, or ids not dense; n left empty), -1 on an
 * SQL error or out of memory (n left empty). */
int db_stk_nodes_load(sqlite3 *db, int64_t run_id, size_t max_bytes, struct db_stk_nodes *n);
/* Empty n (a caller-owned struct), freeing its arrays. */
void db_stk_nodes_clear(struct db_stk_nodes *n);

#endif
