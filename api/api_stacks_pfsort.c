/* api_stacks_pfsort.c — the slice pass's rows for stk_prefilt and stk_bfslice, held in a
 * bounded buffer and handed back in primary-key order with equal keys summed. The slice
 * pass produces them slice by slice, but both tables' keys put the slice after the mode,
 * dimension and key, so rows inserted as they come land all over the WITHOUT ROWID B-tree
 * (a page read and written per row once the tree outgrows SQLite's cache); inserted in key
 * order a batch touches each leaf page once, in sequence. Every row is a count, so summing
 * equal keys in the buffer and again in the table (ON CONFLICT … +excluded) is the same
 * sum in any order: the stored rows do not depend on the batch size. */
#include <stdlib.h>
#include <string.h>
#include "api_stacks_pfsort.h"

int api_stk_pfsort_init(struct api_stk_pfsort *b, size_t cap)
{
	b->n = 0;
	b->cap = cap ? cap : 1;
	b->r = malloc(b->cap * sizeof *b->r);
	return b->r ? 0 : -1;
}

int api_stk_pfsort_add(struct api_stk_pfsort *b, const int64_t *k, int ncols, int64_t v)
{
	struct api_stk_pfrow *r = &b->r[b->n++];
	memset(r->k, 0, sizeof r->k);
	memcpy(r->k, k, (size_t)ncols * sizeof *k);
	r->v = v;
	return b->n == b->cap;
}

int api_stk_pfsort_cmp(const struct api_stk_pfrow *a, const struct api_stk_pfrow *b)
{
	for (int i = 0; i < API_STK_PFSORT_COLS; i++)
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	return 0;
}

static int row_cmp(const void *pa, const void *pb)
{
	return api_stk_pfsort_cmp(pa, pb);
}

size_t api_stk_pfsort_sort(struct api_stk_pfsort *b)
{
	if (b->n < 2)
		return b->n;
	qsort(b->r, b->n, sizeof *b->r, row_cmp);
	size_t w = 0;
	for (size_t i = 1; i < b->n; i++) {
		if (!row_cmp(&b->r[w], &b->r[i]))
			b->r[w].v += b->r[i].v;
		else
			b->r[++w] = b->r[i];
	}
	b->n = w + 1;
	return b->n;
}

void api_stk_pfsort_reset(struct api_stk_pfsort *b)
{
	b->n = 0;
}

void api_stk_pfsort_clear(struct api_stk_pfsort *b)
{
	free(b->r);
	b->r = NULL;
	b->n = b->cap = 0;
}
