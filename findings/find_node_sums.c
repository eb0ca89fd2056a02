/* find_node_sums.c — stack sample counts summed per leaf node in a bounded map, handed to
 * a callback when the map fills and at the end (find_node_sums.h). Owns no SQLite: the
 * rule scans the stored count blobs and adds each selected record here, where
 * db_stk_counts copied every record into a temporary table and sorted it to group them. */
#include <string.h>
#include "find_node_sums.h"

#define SUMS_FIRST_LOG2 8

int find_node_sums_init(struct find_node_sums *s, unsigned cap_log2, find_node_fn cb, void *ud)
{
	memset(s, 0, sizeof *s);
	/* 2 slots hold no node (3/4 rule); the map starts small and doubles up to the bound:
	 * a stretch's few hundred nodes fault in a few KB, not the bound's pages */
	if (cap_log2 < 2 || cap_log2 > 30 ||
	    stk_map_init(&s->m, cap_log2 < SUMS_FIRST_LOG2 ? cap_log2 : SUMS_FIRST_LOG2))
		return -1;
	s->max_log2 = cap_log2;
	s->cb = cb;
	s->ud = ud;
	return 0;
}

int find_node_sums_flush(struct find_node_sums *s)
{
	size_t n = stk_map_sorted(&s->m);
	for (size_t i = 0; i < n && !s->stopped; i++)
		s->stopped = s->cb(s->ud, (int64_t)s->m.e[i].k[0], s->m.e[i].v) != 0;
	stk_map_reset(&s->m);
	return s->stopped;
}

int find_node_sums_add(struct find_node_sums *s, int64_t node, int64_t n)
{
	if (s->stopped)
		return 1;
	struct stk_entry *e = stk_map_put_grow(&s->m, (uint64_t)node, 0, 0, s->max_log2);
	if (!e) { /* full at the bound (or no memory to grow): hand the sums on, then the map
		   * has room */
		if (find_node_sums_flush(s))
			return 1;
		e = stk_map_put(&s->m, (uint64_t)node, 0, 0);
		if (!e)
			return 1; /* not reached: an empty map of ≥ 4 slots has room */
	}
	e->v += n;
	return 0;
}

void find_node_sums_clear(struct find_node_sums *s)
{
	stk_map_free(&s->m);
	memset(s, 0, sizeof *s);
}
