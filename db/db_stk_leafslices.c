/* db_stk_leafslices.c — a run's stored counts per 100 ms slice kept beside its node arrays
 * (db_stk_nodes.h): one scan of stk_counts in primary-key order (slice first) keeps each row's
 * leaf node and samples, busy and Idle rows apart, with where each slice's rows begin. A
 * window then sums its slices' rows into an array by node — what db_stk_leaf_sums does
 * with an SQLite scan per request (most of a 10 s window by frame once the nodes are kept).
 * 8 bytes a row; the rows are the run's stored counts (CPUs, processes and threads apart,
 * as stored), so a window costs its rows, not the run's. */
#include <stdlib.h>
#include <string.h>
#include "db_stacks.h"
#include "db_stk_nodes.h"

struct rows {
	int32_t *leaf;
	uint32_t *n;
	size_t len, cap;
};

/* Room for one more row within budget bytes of rows in all: 0, 1 over budget, -1 ENOMEM */
static int room(struct rows *r, size_t *budget)
{
	if (r->len < r->cap)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 4096, more = (cap - r->cap) * 8;
	if (more > *budget)
		return 1;
	int32_t *leaf = realloc(r->leaf, cap * sizeof *leaf);
	if (leaf)
		r->leaf = leaf;
	uint32_t *n = leaf ? realloc(r->n, cap * sizeof *n) : NULL;
	if (!n)
		return -1;
	r->n = n;
	r->cap = cap;
	*budget -= more;
	return 0;
}

/* The run's last slice into *last (-1: no counts): 0 or -1 */
static int last_slice(sqlite3 *db, int64_t run_id, int64_t *last)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT max(slice) FROM stk_counts WHERE run_id=?", -1, &q,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int st = sqlite3_step(q);
	*last = st == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL
			? sqlite3_column_int64(q, 0) : -1;
	sqlite3_finalize(q);
	return st == SQLITE_ROW ? 0 : -1;
}

/* Scan the rows into r[0..1] and at[0..1] (nslices + 1 each): 0, 1, -1 as the loader */
static int scan(sqlite3 *db, int64_t run_id, const struct db_stk_nodes *n, int64_t nslices,
		struct rows r[2], uint32_t *at[2], size_t budget)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT slice, node, n, " DB_STK_IDLE_SQL " FROM stk_counts"
				   " WHERE run_id=? ORDER BY slice", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int64_t cur = 0; /* slices before cur have their starts */
	int st, rc = 0;
	at[0][0] = at[1][0] = 0;
	while (!rc && (st = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t s = sqlite3_column_int64(q, 0), node = sqlite3_column_int64(q, 1),
			cnt = sqlite3_column_int64(q, 2);
		int k = sqlite3_column_int(q, 3) ? 1 : 0;
		if (s < cur || s >= nslices || node < 1 || node > n->nn || cnt < 0 ||
		    cnt > UINT32_MAX) {
			rc = 1;
			break;
		}
		for (; cur < s; cur++) /* slices up to s end here */
			for (int j = 0; j < 2; j++)
				at[j][cur + 1] = (uint32_t)r[j].len;
		if (r[k].len >= UINT32_MAX || (rc = room(&r[k], &budget)))
			break;
		r[k].leaf[r[k].len] = (int32_t)node;
		r[k].n[r[k].len++] = (uint32_t)cnt;
	}
	if (!rc && st != SQLITE_DONE)
		rc = -1;
	sqlite3_finalize(q);
	for (; !rc && cur < nslices; cur++)
		for (int j = 0; j < 2; j++)
			at[j][cur + 1] = (uint32_t)r[j].len;
	return rc;
}

int db_stk_nodes_load_slices(sqlite3 *db, int64_t run_id, size_t max_bytes,
			     struct db_stk_nodes *n)
{
	int64_t last;
	if (last_slice(db, run_id, &last))
		return -1;
	int64_t nslices = last + 1;
	size_t used = db_stk_nodes_size(n), at_bytes = 2 * (size_t)(nslices + 1) * sizeof(uint32_t);
	if (nslices < 1 || used + at_bytes > max_bytes)
		return 1;
	struct rows r[2] = {{0}};
	uint32_t *at[2] = {malloc(at_bytes / 2), malloc(at_bytes / 2)};
	int rc = at[0] && at[1] ? scan(db, run_id, n, nslices, r, at, max_bytes - used - at_bytes)
				: -1;
	for (int k = 0; !rc && k < 2; k++) { /* give back the growth's spare room */
		size_t len = r[k].len ? r[k].len : 1;
		int32_t *leaf = realloc(r[k].leaf, len * sizeof *leaf);
		uint32_t *cnt = realloc(r[k].n, len * sizeof *cnt);
		r[k].leaf = leaf ? leaf : r[k].leaf;
		r[k].n = cnt ? cnt : r[k].n;
		rc = leaf && cnt ? 0 : -1;
	}
	if (!rc) {
		n->nslices = nslices;
		for (int k = 0; k < 2; k++) {
			n->at[k] = at[k];
			n->leaf[k] = r[k].leaf;
			n->n[k] = r[k].n;
			n->nrows[k] = r[k].len;
		}
		return 0;
	}
	for (int k = 0; k < 2; k++) {
		free(at[k]);
		free(r[k].leaf);
		free(r[k].n);
	}
	return rc;
}

int db_stk_nodes_leaf_sums(const struct db_stk_nodes *n, const struct db_stk_filter *f,
			   db_stk_count_fn cb, void *ud)
{
	if (!n->nslices || f->cpu_words || f->npids || f->ntids)
		return 1;
	int64_t lo, hi;
	db_stk_slice_range(f, &lo, &hi);
	if (hi >= n->nslices)
		hi = n->nslices - 1;
	int64_t *sum = calloc((size_t)n->nn + 1, sizeof *sum);
	if (!sum)
		return -1;
	for (int k = 0; k < 1 + !!f->idle; k++) {
		if (lo > hi)
			break;
		for (uint32_t i = n->at[k][lo]; i < n->at[k][hi + 1]; i++)
			sum[n->leaf[k][i]] += n->n[k][i];
	}
	for (int64_t i = 1; i <= n->nn; i++)
		if (sum[i] && cb(ud, i, 0, 0, 0, sum[i]))
			break;
	free(sum);
	return 0;
}
