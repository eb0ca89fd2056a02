/* api_stacks_pfruns.h — sorted batches of stored-aggregate rows (api_stacks_pfsort.h) kept in
 * an unnamed temporary file and merged back as one stream in primary-key order, equal keys
 * summed (api_stacks_pfruns.c). */
#ifndef ETLSCOPE_API_STACKS_PFRUNS_H
#define ETLSCOPE_API_STACKS_PFRUNS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "api_stacks_pfsort.h"

struct api_stk_pfruns {
	const char *dir; /* where the file goes (set by the caller; NULL: the system's temp dir) */
	FILE *f;       /* opened by the first api_stk_pfruns_put; NULL before */
	int64_t *end;  /* end[i]: rows in the file up to the end of run i */
	size_t n, cap; /* runs held */
};

/* Every row of the merge, in key order, once per key with the values summed: 0 to go on,
 * non-zero to stop (api_stk_pfruns_merge returns it). */
typedef int (*api_stk_pfruns_fn)(void *ud, const struct api_stk_pfrow *row);

/* Append rows[0..n), sorted by key with equal keys summed (api_stk_pfsort_sort's output),
 * as one run (none when n is 0). 0, or -1 (the temporary file or memory failed: r is then
 * only to be cleared). */
int api_stk_pfruns_put(struct api_stk_pfruns *r, const struct api_stk_pfrow *rows, size_t n);
/* Merge every run into one stream for fn (rows of equal keys across runs summed into one),
 * then empty r (its file is reused). 0, fn's non-zero, or -1 (reading or memory failed). A
 * merge that stopped leaves r empty too: its rows are not handed out again. */
int api_stk_pfruns_merge(struct api_stk_pfruns *r, api_stk_pfruns_fn fn, void *ud);
/* Close the file and free the run list; r is left empty (dir kept) and reusable. */
void api_stk_pfruns_clear(struct api_stk_pfruns *r);

#endif
