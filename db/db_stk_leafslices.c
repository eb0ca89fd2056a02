/* db_stk_leafslices.c — a run's stored counts per 100 ms slice kept beside its node arrays
 * (db_stk_nodes.h): one scan of the count blobs in (slice, CPU) order keeps each
 * row's leaf node, samples, CPU, pid and tid, busy and Idle rows apart, with where each
 * slice's rows begin. A window, a CPU, process or thread set, or several of them together,
 * then sum their rows into an array by node: what db_stk_leaf_sums does with an SQLite scan
 * per request (most of a 10 s window by frame once the nodes are kept). 18 bytes a row;
 * when that does not fit the bound, 8 (node and samples only: windows alone are served,
 * filters scan SQLite). The rows are the run's stored counts, so a window costs its rows,
 * not the run's. */
#include <stdlib.h>
#include <string.h>
#include "db_etw.h"
#include "db_stacks.h"
#include "db_stk_blobs.h"
#include "db_stk_nodes.h"

#define ROW_BYTES(filters) (sizeof(int32_t) + sizeof(uint32_t) + \
			    ((filters) ? 2 * sizeof(uint32_t) + sizeof(uint16_t) : 0))
#define OVER_BUDGET 2
_Static_assert(DB_MAX_CPUS <= 65536, "a CPU number fits a row's 16 bits");

static void rows_free(struct db_stk_rows *r)
{
	free(r->leaf);
	free(r->n);
	free(r->pid);
	free(r->tid);
	free(r->cpu);
	memset(r, 0, sizeof *r);
}

/* Resize r's arrays (the first two only without filters) to cap rows: 0, or -1 (ENOMEM;
 * r keeps what it had) */
static int rows_resize(struct db_stk_rows *r, size_t cap, int filters)
{
	void *p[5] = {r->leaf, r->n, r->pid, r->tid, r->cpu};
	const size_t sz[5] = {sizeof *r->leaf, sizeof *r->n, sizeof *r->pid, sizeof *r->tid,
			      sizeof *r->cpu};
	for (int i = 0; i < (filters ? 5 : 2); i++) {
		void *q = realloc(p[i], (cap ? cap : 1) * sz[i]);
		if (!q)
			return -1;
		p[i] = q;
		/* stored at once: a later failure leaves r consistent (each at least len) */
		switch (i) {
		case 0: r->leaf = q; break;
		case 1: r->n = q; break;
		case 2: r->pid = q; break;
		case 3: r->tid = q; break;
		default: r->cpu = q; break;
		}
	}
	r->cap = cap;
	return 0;
}

/* Room for one more row within budget bytes of rows in all: 0, OVER_BUDGET, -1 ENOMEM */
static int room(struct db_stk_rows *r, size_t *budget, int filters)
{
	if (r->len < r->cap)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 4096, more = (cap - r->cap) * ROW_BYTES(filters);
	if (cap > UINT32_MAX || more > *budget)
		return OVER_BUDGET;
	if (rows_resize(r, cap, filters))
		return -1;
	*budget -= more;
	return 0;
}

/* The run's last slice into *last (-1: no counts): 0 or -1 */
static int last_slice(sqlite3 *db, int64_t run_id, int64_t *last)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT max(slice) FROM stk_count_blobs WHERE run_id=?", -1, &q,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int st = sqlite3_step(q);
	*last = st == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL
			? sqlite3_column_int64(q, 0) : -1;
	sqlite3_finalize(q);
	return st == SQLITE_ROW ? 0 : -1;
}

/* Drop r[0..1]'s filter columns, giving their bytes back to *budget. */
static void drop_filters(struct db_stk_rows r[2], size_t *budget)
{
	for (int k = 0; k < 2; k++) {
		*budget += r[k].cap * (ROW_BYTES(1) - ROW_BYTES(0));
		free(r[k].cpu);
		free(r[k].pid);
		free(r[k].tid);
		r[k].cpu = NULL;
		r[k].pid = r[k].tid = NULL;
	}
}

struct scan_state {
	const struct db_stk_nodes *n;
	int64_t nslices, cur; /* slices before cur have their starts */
	struct db_stk_rows *r;
	uint32_t **at;
	size_t budget;
	int *filters;
	int rc;
};

static int scan_rec(void *ud, int64_t s, int64_t cpu, const struct db_stkblob_rec *x)
{
	struct scan_state *c = ud;
	struct db_stk_rows *r = c->r;
	int k = x->pid == 0 && x->tid != DB_STK_TID_INTERRUPTS;
	if (s < c->cur || s >= c->nslices || x->node > c->n->nn || x->n > UINT32_MAX ||
	    cpu < 0 || cpu >= DB_MAX_CPUS) {
		c->rc = 1;
		return 1;
	}
	for (; c->cur < s; c->cur++) /* slices up to s end here */
		for (int j = 0; j < 2; j++)
			c->at[j][c->cur + 1] = (uint32_t)r[j].len;
	int rc;
	if ((rc = room(&r[k], &c->budget, *c->filters)) == OVER_BUDGET && *c->filters) {
		drop_filters(r, &c->budget);
		*c->filters = 0;
		rc = room(&r[k], &c->budget, *c->filters);
	}
	if (rc) {
		c->rc = rc;
		return 1;
	}
	size_t i = r[k].len++;
	r[k].leaf[i] = (int32_t)x->node;
	r[k].n[i] = (uint32_t)x->n;
	if (*c->filters) {
		r[k].cpu[i] = (uint16_t)cpu;
		r[k].pid[i] = x->pid;
		r[k].tid[i] = x->tid;
	}
	return 0;
}

/* Scan the rows into r[0..1] and at[0..1] (nslices + 1 each), with CPU, pid and tid while
 * they fit the budget (*filters 1), else without (the columns read so far dropped,
 * *filters 0): one scan either way, the blobs in (slice, CPU) order. 0, 1 (a row out of
 * range), OVER_BUDGET, -1 */
static int scan(sqlite3 *db, int64_t run_id, const struct db_stk_nodes *n, int64_t nslices,
		struct db_stk_rows r[2], uint32_t *at[2], size_t budget, int *filters)
{
	struct scan_state c = {n, nslices, 0, r, at, budget, filters, 0};
	char err[256];
	at[0][0] = at[1][0] = 0;
	if (db_stk_blobs_scan(db, run_id, 0, INT64_MAX, NULL, scan_rec, &c, err, sizeof err))
		return -1;
	int rc = c.rc;
	for (; !rc && c.cur < nslices; c.cur++)
		for (int j = 0; j < 2; j++)
			at[j][c.cur + 1] = (uint32_t)r[j].len;
	for (int k = 0; !rc && k < 2; k++) /* give back the growth's spare room */
		rc = rows_resize(&r[k], r[k].len, *filters);
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
	struct db_stk_rows r[2] = {{0}};
	uint32_t *at[2] = {malloc(at_bytes / 2), malloc(at_bytes / 2)};
	int rc = -1, filters = 1;
	if (at[0] && at[1])
		rc = scan(db, run_id, n, nslices, r, at, max_bytes - used - at_bytes, &filters);
	if (rc == OVER_BUDGET)
		rc = 1;
	if (!rc) {
		n->nslices = nslices;
		n->slice_filters = filters;
		for (int k = 0; k < 2; k++) {
			n->at[k] = at[k];
			n->rows[k] = r[k];
		}
		return 0;
	}
	for (int k = 0; k < 2; k++) {
		free(at[k]);
		rows_free(&r[k]);
	}
	return rc;
}

void db_stk_nodes_clear_slices(struct db_stk_nodes *n)
{
	for (int k = 0; k < 2; k++) {
		free(n->at[k]);
		n->at[k] = NULL;
		rows_free(&n->rows[k]);
	}
	n->nslices = 0;
	n->slice_filters = 0;
}

size_t db_stk_nodes_slices_size(const struct db_stk_nodes *n)
{
	size_t b = 0;
	if (n->nslices)
		for (int k = 0; k < 2; k++)
			b += (size_t)(n->nslices + 1) * sizeof *n->at[k] +
			     n->rows[k].len * ROW_BYTES(n->slice_filters);
	return b;
}

int db_stk_nodes_leaf_sums(const struct db_stk_nodes *n, const struct db_stk_filter *f,
			   db_stk_count_fn cb, void *ud)
{
	int any = f->cpu_words || f->npids || f->ntids;
	if (!n->nslices || (any && !n->slice_filters))
		return 1;
	int64_t lo, hi;
	db_stk_slice_range(f, &lo, &hi);
	if (hi >= n->nslices)
		hi = n->nslices - 1;
	int64_t *sum = calloc((size_t)n->nn + 1, sizeof *sum);
	if (!sum)
		return -1;
	for (int k = 0; k < 1 + !!f->idle && lo <= hi; k++) {
		const struct db_stk_rows *r = &n->rows[k];
		for (uint32_t i = n->at[k][lo]; i < n->at[k][hi + 1]; i++) {
			if (any && (!db_stk_filter_cpu(f, r->cpu[i]) ||
				    !db_stk_filter_id(f->pids, f->npids, r->pid[i]) ||
				    !db_stk_filter_id(f->tids, f->ntids, r->tid[i])))
				continue;
			sum[r->leaf[i]] += r->n[i];
		}
	}
	for (int64_t i = 1; i <= n->nn; i++)
		if (sum[i] && cb(ud, i, 0, 0, 0, sum[i]))
			break;
	free(sum);
	return 0;
}
