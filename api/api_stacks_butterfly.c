/* api_stacks_butterfly.c — GET /api/runs/{id}/stacks/butterfly?module=NAME: callers and
 * callees of one module at module level (xperf -a stack -butterfly). Each selected stack
 * is reduced to its module chain root first (consecutive frames of one module folded,
 * unresolved frames as null); where the module occurs, the module just before it is a
 * caller and the one just after a callee. A sample counts once per distinct caller and
 * callee; "inclusive" counts samples with the module anywhere on the stack, "exclusive"
 * those whose leaf frame is in it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_stacks.h"
#include "db_stk_map.h"

#define NB_MAP_LOG2 14 /* distinct caller/callee modules (ids are per run) */

struct bfly {
	struct api_stk_query *q;
	const char *module;
	int64_t total, inclusive, exclusive;
	struct stk_map callers, callees; /* (module id + 1) → samples */
};

static int is_target(const struct bfly *b, int32_t id)
{
	const char *m = api_stk_module(b->q, id);
	return m && strcasecmp(m, b->module) == 0;
}

/* Count id once for this sample in map m (seen lists the ids counted already). */
static int once(struct stk_map *m, int32_t id, int32_t *seen, int *nseen, int64_t n)
{
	for (int i = 0; i < *nseen; i++)
		if (seen[i] == id)
			return 0;
	seen[(*nseen)++] = id;
	struct stk_entry *e = stk_map_put(m, (uint64_t)(int64_t)id + 1, 0, 0);
	if (!e)
		return -1;
	e->v += n;
	return 0;
}

static int add_stack(void *ud, const struct db_stk_frame *fr, int n, uint32_t pid, uint32_t tid,
		     int64_t count)
{
	struct bfly *b = ud;
	int32_t chain[DB_STK_MAX_DEPTH], seen_up[DB_STK_MAX_DEPTH], seen_down[DB_STK_MAX_DEPTH];
	int k = 0, nu = 0, nd = 0, hit = 0;
	(void)pid;
	(void)tid;
	b->total += count;
	for (int i = 0; i < n; i++)
		if (!k || chain[k - 1] != api_stk_canon(b->q, fr[i].module_id))
			chain[k++] = api_stk_canon(b->q, fr[i].module_id);
	for (int i = 0; i < k; i++) {
		if (!is_target(b, chain[i]))
			continue;
		hit = 1;
		if (i > 0 && once(&b->callers, chain[i - 1], seen_up, &nu, count))
			return -1;
		if (i + 1 < k && once(&b->callees, chain[i + 1], seen_down, &nd, count))
			return -1;
	}
	if (hit)
		b->inclusive += count;
	if (k && is_target(b, chain[k - 1]))
		b->exclusive += count;
	return 0;
}

static int by_value(const void *a, const void *b)
{
	int64_t x = ((const struct stk_entry *)a)->v, y = ((const struct stk_entry *)b)->v;
	return x < y ? 1 : x > y ? -1 : 0;
}

static cJSON *list(const struct bfly *b, const struct stk_map *m)
{
	cJSON *arr = cJSON_CreateArray();
	struct stk_entry *v = malloc((m->n ? m->n : 1) * sizeof *v);
	size_t n = 0;
	if (!v)
		return arr;
	for (size_t i = 0; i < m->cap; i++)
		if (m->e[i].used)
			v[n++] = m->e[i];
	qsort(v, n, sizeof *v, by_value);
	for (size_t i = 0; i < n; i++) {
		const char *name = api_stk_module(b->q, (int32_t)((int64_t)v[i].k[0] - 1));
		cJSON *o = cJSON_CreateObject();
		if (name)
			cJSON_AddStringToObject(o, "name", name);
		else
			cJSON_AddNullToObject(o, "name");
		cJSON_AddNumberToObject(o, "value", (double)v[i].v);
		cJSON_AddItemToArray(arr, o);
	}
	free(v);
	return arr;
}

int api_run_stacks_butterfly(sqlite3 *db, const char *run_id, const struct api_request *rq,
			     cJSON **out)
{
	struct api_stk_query q;
	int st = api_stk_query_parse(db, run_id, rq, 0, &q, out);
	if (st)
		return st;
	if (q.nmodules != 1) {
		api_stk_query_clear(&q);
		*out = api_error("'module' (one module name) is required");
		return 400;
	}
	/* the butterfly's module is not a filter: every selected stack counts in the total */
	struct bfly b = {.q = &q, .module = q.modules[0]};
	q.nmodules = 0;
	if (stk_map_init(&b.callers, NB_MAP_LOG2) || stk_map_init(&b.callees, NB_MAP_LOG2)) {
		stk_map_free(&b.callers);
		api_stk_query_clear(&q);
		*out = api_error("out of memory");
		return 500;
	}
	st = api_stk_each(db, &q, add_stack, &b, out);
	if (!st) {
		*out = cJSON_CreateObject();
		cJSON_AddStringToObject(*out, "module", b.module);
		cJSON_AddNumberToObject(*out, "total", (double)b.total);
		cJSON_AddNumberToObject(*out, "inclusive", (double)b.inclusive);
		cJSON_AddNumberToObject(*out, "exclusive", (double)b.exclusive);
		cJSON_AddItemToObject(*out, "callers", list(&b, &b.callers));
		cJSON_AddItemToObject(*out, "callees", list(&b, &b.callees));
	}
	stk_map_free(&b.callers);
	stk_map_free(&b.callees);
	api_stk_query_clear(&q);
	return st ? st : 200;
}
