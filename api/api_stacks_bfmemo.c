/* api_stacks_bfmemo.c — the after-ingest slice pass's memo of butterfly rows by stored stack
 * node (api_stacks_pre.c). What api_stk_bfly_chain emits for a stack is a function of its
 * frames alone (the pass's query is fixed), and a stored node is its frame path, so each
 * distinct node's rows are computed once — its path read and its chain walked — and every
 * later expansion of that node's summed counts (api_stacks_prefilt.c) replays them, in the
 * same order. Memory is bounded: the
 * rows sit in one array of at most BFMEMO_ROWS_MAX_BYTES, and nodes past it are walked
 * every time (as before the memo); the node → rows index is a stk_dense of at most
 * BFMEMO_INDEX_BYTES, whose overflow map forgets (a forgotten node is walked again and
 * stored again while the array has room). */
#include <stdlib.h>
#include <string.h>
#include "api_stacks.h"
#include "api_stacks_bfmemo.h"

/* The rows' bound: 12 bytes a row; the 60 s kernel story's 26 k nodes need ~1 MB. Both
 * bounds are small because this runs within the ingest's 64 MB peak: at 4 MiB and 2 MiB the
 * worst-case stacks trace (every sample its own leaf, 170 k nodes) peaked at 70 MB */
#define BFMEMO_ROWS_MAX_BYTES (512u << 10)
/* The index: 4 bytes a node, dense up to 64 Ki nodes; the rest in 2^14 map slots */
#define BFMEMO_INDEX_BYTES (256u << 10)
#define BFMEMO_MAP_LOG2 14

int api_stk_bfmemo_init(struct api_stk_bfmemo *m, const struct api_stk_query *q,
			struct db_stk_reader *r, int64_t max_node)
{
	memset(m, 0, sizeof *m);
	m->q = q;
	m->r = r;
	m->max = BFMEMO_ROWS_MAX_BYTES / sizeof *m->rows;
	return stk_dense_init(&m->at, max_node, 1, BFMEMO_INDEX_BYTES, BFMEMO_MAP_LOG2);
}

void api_stk_bfmemo_clear(struct api_stk_bfmemo *m)
{
	stk_dense_free(&m->at);
	free(m->rows);
	memset(m, 0, sizeof *m);
}

/* Append one row to the scratch list. */
static int to_scratch(void *ud, int32_t target, int kind, int32_t other)
{
	struct api_stk_bfmemo *m = ud;
	if (m->nscratch >= API_STK_BFMEMO_SCRATCH)
		return -1; /* cannot happen: ≤ 3 rows per chain link + 1 */
	m->scratch[m->nscratch++] = (struct api_stk_bfrow){target, other, kind};
	return 0;
}

/* Room for need more rows in the array (doubled up to m->max): 1, or 0 when it is full. */
static int room(struct api_stk_bfmemo *m, size_t need)
{
	if (m->n + need <= m->cap)
		return 1;
	if (m->n + need > m->max)
		return 0;
	size_t cap = m->cap ? m->cap : 4096;
	while (cap < m->n + need)
		cap *= 2;
	if (cap > m->max)
		cap = m->max;
	struct api_stk_bfrow *v = realloc(m->rows, cap * sizeof *v);
	if (!v)
		return 0; /* out of memory: this node is walked every time, no error */
	m->rows = v;
	m->cap = cap;
	return 1;
}

int api_stk_bfmemo_rows(struct api_stk_bfmemo *m, int64_t node, const struct api_stk_bfrow **rows)
{
	int32_t at = stk_dense_get(&m->at, node, 0);
	if (at) {
		const struct api_stk_bfrow *h = &m->rows[at - 1]; /* header: its count in kind */
		*rows = h + 1;
		m->hits++;
		return h->kind;
	}
	struct db_stk_frame fr[DB_STK_MAX_DEPTH];
	int depth = db_stk_path(m->r, node, fr, DB_STK_MAX_DEPTH);
	m->nscratch = 0;
	if (depth < 0 || api_stk_bfly_chain(m->q, fr, depth, to_scratch, m))
		return -1;
	m->walks++;
	*rows = m->scratch;
	int n = m->nscratch;
	if (room(m, (size_t)n + 1) && m->n + 1 < INT32_MAX) {
		m->rows[m->n] = (struct api_stk_bfrow){0, 0, n};
		memcpy(&m->rows[m->n + 1], m->scratch, (size_t)n * sizeof *m->scratch);
		stk_dense_put(&m->at, node, 0, (int32_t)(m->n + 1));
		m->n += (size_t)n + 1;
	}
	return n;
}
