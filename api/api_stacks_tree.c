/* api_stacks_tree.c — GET /api/runs/{id}/stacks/tree: the call tree of the selected
 * samples, top-down (root → leaf, caller first) or inverted (leaf first), by frame
 * (module!function+0xOFF when the run's symbols name it, else module+0xOFF), by function
 * (frames of one named function merged: module!function, as WPA and PerfView show them) or
 * by module (consecutive frames of one module folded into one), with
 * inclusive ("value") and exclusive ("self") sample counts. Children under min_share of
 * the total are folded into one "(rest)" node per parent; "pruned" says how much.
 *
 * The tree is built in memory from the stored stacks: nodes in a flat array, children as
 * sibling lists, the child of (parent, frame) found through a bounded hash map — a
 * selection with more distinct tree nodes than the map holds answers 413. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_params.h"
#include "api_stacks.h"
#include "db_stk_map.h"



static int32_t child(struct api_stk_tree *t, int32_t parent, const struct db_stk_frame *f, int kernel)
{
	uint64_t off = t->by_module && f->module_id >= 0 ? 0 : f->offset, key = off;
	uint32_t fo;
	if (t->by_function && api_stk_frame_sym(t->q, f->module_id, f->offset, NULL, &fo))
		key = API_STK_FUNC_KEY | (f->offset - fo); /* every frame of the function */
	int32_t mod = api_stk_canon(t->q, f->module_id);
	struct stk_entry *e = stk_map_put_grow(&t->map, (uint64_t)(int64_t)parent,
					       (uint64_t)(int64_t)mod, key, API_STK_TREE_MAP_LOG2);
	if (!e)
		return -1;
	if (e->v)
		return (int32_t)(e->v - 1);
	if (t->n == t->cap) {
		/* the map admits at most 3/4 of its bound as nodes, plus the root: no slot past that */
		size_t most = ((size_t)1 << API_STK_TREE_MAP_LOG2) / 4 * 3 + 1;
		size_t cap = t->cap ? t->cap * 2 : 1024;
		if (cap > most)
			cap = most > t->cap ? most : t->cap + 1;
		struct api_stk_tnode *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	int32_t i = (int32_t)t->n++;
	t->v[i] = (struct api_stk_tnode){.offset = off, .module = mod, .kernel = (uint8_t)kernel,
					 .first = -1, .next = t->v[parent].first, .key = key,
					 .sym_module = f->module_id};
	t->v[parent].first = i;
	e->v = i + 1;
	return i;
}

int32_t api_stk_tree_add(struct api_stk_tree *t, const struct db_stk_frame *fr, int n,
			 int64_t count)
{
	int32_t at = 0;
	t->v[0].value += count;
	t->total += count;
	int32_t prev_mod = INT32_MIN;
	for (int k = 0; k < n; k++) {
		const struct db_stk_frame *f = &fr[t->inverted ? n - 1 - k : k];
		int32_t mod = api_stk_canon(t->q, f->module_id);
		if (t->by_module && mod == prev_mod)
			continue; /* one module's consecutive frames are one node */
		prev_mod = mod;
		at = child(t, at, f, api_stk_frame_kernel(t->q, f));
		if (at < 0)
			return -1;
		t->v[at].value += count;
	}
	t->v[at].self += count;
	return at;
}

static int add_stack(void *ud, const struct db_stk_frame *fr, int n, uint32_t pid, uint32_t tid,
		     int64_t count)
{
	(void)pid;
	(void)tid;
	return api_stk_tree_add(ud, fr, n, count) < 0 ? -1 : 0;
}

void api_stk_tree_name(const struct api_stk_tree *t, int32_t i, char *buf, size_t n)
{
	const struct api_stk_tnode *v = &t->v[i];
	const char *m = api_stk_module(t->q, v->module);
	if (t->by_module)
		snprintf(buf, n, "%s", m ? m : "?");
	else if (!m)
		snprintf(buf, n, "0x%llx", (unsigned long long)v->offset);
	else
		api_stk_frame_name(t->q, v->sym_module, v->offset, !t->by_function, buf, n);
}

int api_stk_tree_init(struct api_stk_tree *t, struct api_stk_query *q)
{
	t->q = q;
	t->cap = 1024;
	t->v = malloc(t->cap * sizeof *t->v);
	if (!t->v)
		return -1;
	if (stk_map_init(&t->map, API_STK_TREE_MAP_START_LOG2)) {
		free(t->v);
		t->v = NULL;
		return -1;
	}
	t->n = 1;
	t->v[0] = (struct api_stk_tnode){.module = -1, .first = -1, .next = -1, .sym_module = -1};
	return 0;
}

int api_stk_tree_build(sqlite3 *db, struct api_stk_query *q, struct api_stk_tree *t,
		       cJSON **out)
{
	if (api_stk_tree_init(t, q)) {
		*out = api_error("out of memory");
		return 500;
	}
	q->f.no_ids = 1; /* a tree needs no pid or tid: whole-run totals may serve it */
	return api_stk_each(db, q, add_stack, t, out);
}

void api_stk_tree_clear(struct api_stk_tree *t)
{
	stk_map_free(&t->map);
	free(t->v);
	t->v = NULL;
}

static int by_value(const void *a, const void *b, void *ud)
{
	const struct api_stk_tnode *v = ud, *p = &v[*(const int32_t *)a], *q = &v[*(const int32_t *)b];
	if (p->value != q->value)
		return p->value < q->value ? 1 : -1;
	/* equal: by frame, so that the order does not depend on the order samples were read */
	if (p->module != q->module)
		return p->module < q->module ? -1 : 1;
	return p->offset < q->offset ? -1 : p->offset > q->offset;
}

struct prune {
	double min; /* min_share × total */
	int64_t nodes, samples;
	char name[320]; /* one node's label: scratch shared by the recursion (up to
			 * DB_STK_MAX_DEPTH deep, on a server thread's stack) */
};

static void sort_children(const struct api_stk_tree *t, int32_t *ids, size_t k)
{
	qsort_r(ids, k, sizeof *ids, by_value, t->v);
}

static cJSON *emit(const struct api_stk_tree *t, int32_t i, struct prune *p);

static cJSON *emit_children(const struct api_stk_tree *t, int32_t i, struct prune *p)
{
	cJSON *arr = cJSON_CreateArray();
	size_t k = 0;
	for (int32_t c = t->v[i].first; c >= 0; c = t->v[c].next)
		k++;
	int32_t *ids = malloc((k ? k : 1) * sizeof *ids);
	if (!ids) {
		cJSON_Delete(arr);
		return NULL;
	}
	k = 0;
	for (int32_t c = t->v[i].first; c >= 0; c = t->v[c].next)
		ids[k++] = c;
	sort_children(t, ids, k);
	int64_t rest = 0, rest_n = 0;
	for (size_t j = 0; j < k; j++) {
		if ((double)t->v[ids[j]].value < p->min) {
			rest += t->v[ids[j]].value;
			rest_n++;
			continue;
		}
		cJSON *c = emit(t, ids[j], p);
		if (!c) {
			free(ids);
			cJSON_Delete(arr);
			return NULL;
		}
		cJSON_AddItemToArray(arr, c);
	}
	free(ids);
	rest += t->v[i].rest;
	rest_n += t->v[i].rest_n;
	if (rest_n) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", "(rest)");
		cJSON_AddNullToObject(r, "module");
		cJSON_AddNumberToObject(r, "value", (double)rest);
		cJSON_AddNumberToObject(r, "self", (double)rest);
		cJSON_AddItemToObject(r, "children", cJSON_CreateArray());
		cJSON_AddItemToArray(arr, r);
		p->nodes += rest_n;
		p->samples += rest;
	}
	return arr;
}

static cJSON *emit(const struct api_stk_tree *t, int32_t i, struct prune *p)
{
	const struct api_stk_tnode *v = &t->v[i];
	cJSON *o = cJSON_CreateObject();
	if (i == 0) {
		cJSON_AddStringToObject(o, "name", "all");
	} else {
		api_stk_tree_name(t, i, p->name, sizeof p->name);
		const char *m = api_stk_module(t->q, v->module);
		cJSON_AddStringToObject(o, "name", p->name);
		if (m)
			cJSON_AddStringToObject(o, "module", m);
		else
			cJSON_AddNullToObject(o, "module");
		cJSON_AddBoolToObject(o, "kernel", v->kernel);
	}
	cJSON_AddNumberToObject(o, "value", (double)v->value);
	cJSON_AddNumberToObject(o, "self", (double)v->self);
	cJSON *c = emit_children(t, i, p);
	if (!c) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddItemToObject(o, "children", c);
	return o;
}

int api_stk_tree_params(const struct api_request *rq, int *invert, int *by_module,
			int *by_function, double *min_share, cJSON **out)
{
	char buf[32];
	int got = api_param(rq, "invert", 0, buf, sizeof buf);
	*invert = got == 1 && strcmp(buf, "1") == 0;
	if (got < 0 || (got == 1 && strcmp(buf, "0") && strcmp(buf, "1"))) {
		*out = api_error("'invert' takes 0 or 1");
		return -1;
	}
	got = api_param(rq, "group", 0, buf, sizeof buf);
	*by_module = got == 1 && strcmp(buf, "module") == 0;
	*by_function = got == 1 && strcmp(buf, "function") == 0;
	if (got < 0 || (got == 1 && strcmp(buf, "module") && strcmp(buf, "frame") &&
			strcmp(buf, "function"))) {
		*out = api_error("'group' takes frame, function or module");
		return -1;
	}
	got = api_param(rq, "min_share", 0, buf, sizeof buf);
	*min_share = 0.001;
	if (got == 1) {
		char *end;
		*min_share = strtod(buf, &end);
		if (end == buf || *end || !(*min_share >= 0 && *min_share <= 1))
			got = -1;
	}
	if (got < 0) {
		*out = api_error("'min_share' takes a fraction from 0 to 1 (default 0.001)");
		return -1;
	}
	return 0;
}

int api_run_stacks_tree(sqlite3 *db, const char *run_id, const struct api_request *rq,
			cJSON **out)
{
	struct api_stk_query q;
	struct api_stk_tree t = {0};
	double min_share;
	if (api_stk_tree_params(rq, &t.inverted, &t.by_module, &t.by_function, &min_share, out))
		return 400;
	int st = api_stk_query_parse(db, run_id, rq, 0, &q, out);
	if (st)
		return st;
	st = -1;
	if (!t.by_function && (t.by_module || api_stk_whole_run(&q)))
		st = api_stk_pre_read(db, &q, &t, min_share, out);
	if (st == -1) {
		api_stk_tree_clear(&t);
		st = api_stk_tree_build(db, &q, &t, out);
	}
	if (!st) {
		struct prune p = {.min = min_share * (double)t.total};
		cJSON *root = emit(&t, 0, &p);
		if (!root) {
			*out = api_error("out of memory");
			st = 500;
		} else {
			*out = cJSON_CreateObject();
			cJSON_AddNumberToObject(*out, "total", (double)t.total);
			cJSON_AddBoolToObject(*out, "idle_excluded", !q.f.idle);
			cJSON_AddStringToObject(*out, "group", t.by_module     ? "module"
							       : t.by_function ? "function"
									       : "frame");
			cJSON_AddBoolToObject(*out, "inverted", t.inverted);
			cJSON_AddNumberToObject(*out, "min_share", min_share);
			cJSON_AddItemToObject(*out, "root", root);
			cJSON *pr = cJSON_AddObjectToObject(*out, "pruned");
			cJSON_AddNumberToObject(pr, "nodes", (double)p.nodes);
			cJSON_AddNumberToObject(pr, "samples", (double)p.samples);
		}
	}
	api_stk_tree_clear(&t);
	api_stk_query_clear(&q);
	return st ? st : 200;
}
