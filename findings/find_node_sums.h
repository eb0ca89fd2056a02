/* find_node_sums.h — stack sample counts summed per leaf node in a bounded map, for the
 * findings' stack rules whose per-stack work is additive in the count (issue 15).
 *
 * Invariants:
 * - every count added is handed to cb exactly once, summed with the other counts of its
 *   node added since the last flush; a node may reach cb more than once (once per flush),
 *   so cb must be additive: cb(node, a) then cb(node, b) ≡ cb(node, a + b);
 * - a flush hands the map's nodes in ascending node order, then empties the map; the map
 *   flushes itself when full at its bound, so its memory is bounded whatever the selection's
 *   size. */
#ifndef ETLSCOPE_FIND_NODE_SUMS_H
#define ETLSCOPE_FIND_NODE_SUMS_H

#include <stdint.h>
#include "db_stk_map.h"

/* A non-zero return stops: no further cb, and add/flush return 1 from then on. */
typedef int (*find_node_fn)(void *ud, int64_t node, int64_t n);

/* Caller-owned; find_node_sums_init fills it. */
struct find_node_sums {
	struct stk_map m;
	find_node_fn cb;
	void *ud;
	unsigned max_log2;
	int stopped;
};

/* A map of at most 2^cap_log2 slots, 2 ≤ cap_log2 ≤ 30 (it holds 3/4 of that many nodes
 * between flushes; it starts at 256 slots and doubles as nodes come): 0, or -1 (cap_log2
 * out of range, or out of memory; s is then cleared). */
int find_node_sums_init(struct find_node_sums *s, unsigned cap_log2, find_node_fn cb, void *ud);
/* Adds n samples to node (flushing first when the map is full): 0, or 1 once cb stopped. */
int find_node_sums_add(struct find_node_sums *s, int64_t node, int64_t n);
/* Hands every held sum to cb and empties the map: 0, or 1 once cb stopped. */
int find_node_sums_flush(struct find_node_sums *s);
/* Frees the map (the held sums are dropped: flush first). */
void find_node_sums_clear(struct find_node_sums *s);

#endif
