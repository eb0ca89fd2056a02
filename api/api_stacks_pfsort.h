/* api_stacks_pfsort.h — a bounded buffer of stored-aggregate rows (stk_prefilt, stk_bfslice)
 * that hands them back sorted by key with equal keys summed (api_stacks_pfsort.c). */
#ifndef ETLSCOPE_API_STACKS_PFSORT_H
#define ETLSCOPE_API_STACKS_PFSORT_H
#include <stddef.h>
#include <stdint.h>

#define API_STK_PFSORT_COLS 7 /* key columns after run_id: stk_bfslice has 7, stk_prefilt 5 */

struct api_stk_pfrow {
	int64_t k[API_STK_PFSORT_COLS]; /* in the table's primary-key order; unused ones 0 */
	int64_t v;                      /* the count the row adds */
};

struct api_stk_pfsort {
	struct api_stk_pfrow *r;
	size_t n, cap;
};

/* Allocate room for cap rows (cap ≥ 1): 0 or -1 (out of memory). */
int api_stk_pfsort_init(struct api_stk_pfsort *b, size_t cap);
/* Append a row of ncols key columns (the rest 0) adding v. Returns 1 when the buffer is now
 * full (the caller drains it before adding more), 0 otherwise. */
int api_stk_pfsort_add(struct api_stk_pfsort *b, const int64_t *k, int ncols, int64_t v);
/* Compare two rows' keys (signed, column by column, as SQLite orders integers): <0, 0, >0. */
int api_stk_pfsort_cmp(const struct api_stk_pfrow *a, const struct api_stk_pfrow *b);
/* Sort the rows by key (signed, column by column, as SQLite orders integers) and sum the
 * values of equal keys into one row: returns the number of rows left, in b->r[0..n). */
size_t api_stk_pfsort_sort(struct api_stk_pfsort *b);
/* Empty the buffer (keeps its memory). */
void api_stk_pfsort_reset(struct api_stk_pfsort *b);
/* Release the memory; b is left empty. */
void api_stk_pfsort_clear(struct api_stk_pfsort *b);

#endif
