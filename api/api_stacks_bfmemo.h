/* api_stacks_bfmemo.h — internal: the slice pass's memo of butterfly rows by stored stack
 * node (api_stacks_bfmemo.c). */
#ifndef ETLSCOPE_API_STACKS_BFMEMO_H
#define ETLSCOPE_API_STACKS_BFMEMO_H

#include <stddef.h>
#include <stdint.h>
#include "db_stacks.h"
#include "db_stk_map.h"

struct api_stk_query;

/* One row api_stk_bfly_chain emits: a sample of the stack adds one to (target, kind, other). */
struct api_stk_bfrow {
	int32_t target, other;
	int32_t kind;
};

/* ≤ 3 rows per link of a stack's module chain (≤ DB_STK_MAX_DEPTH links) and the exclusive */
#define API_STK_BFMEMO_SCRATCH (3 * DB_STK_MAX_DEPTH + 1)

struct api_stk_bfmemo {
	const struct api_stk_query *q;  /* module names and canonical ids (borrowed) */
	struct db_stk_reader *r;        /* node → frames (borrowed) */
	struct stk_dense at;            /* node → 1 + index of its header row in rows */
	struct api_stk_bfrow *rows;     /* per memoised node: a header (kind = count), its rows */
	size_t n, cap, max;             /* rows used, allocated, bound */
	struct api_stk_bfrow scratch[API_STK_BFMEMO_SCRATCH]; /* the last walked node's rows */
	int nscratch;
	uint64_t hits, walks;           /* statistics (tests, benchmarks) */
};

/* m over q and r (both must outlive it), node ids expected up to max_node (those past it
 * are indexed in a map that forgets): 0, or -1 (ENOMEM; api_stk_bfmemo_clear it anyway). */
int api_stk_bfmemo_init(struct api_stk_bfmemo *m, const struct api_stk_query *q,
			struct db_stk_reader *r, int64_t max_node);
void api_stk_bfmemo_clear(struct api_stk_bfmemo *m);
/* The rows api_stk_bfly_chain emits for node's stack, in its order, at *rows (valid until
 * the next call or clear): their count (≥ 0), or -1 when the path could not be read. */
int api_stk_bfmemo_rows(struct api_stk_bfmemo *m, int64_t node,
			const struct api_stk_bfrow **rows);

#endif
