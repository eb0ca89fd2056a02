/* api_stacks_butterfly.c — GET /api/runs/{id}/stacks/butterfly?module=NAME: callers and
 * callees of one module at module level (xperf -a stack -butterfly), or with
 * ?group=function of one function (module=ndis.sys!ndisMiniportDpc, the function view's
 * names: frames of one named function are one element, unnamed frames module+0xOFFSET).
 * Each selected stack is reduced to its chain root first (consecutive frames of one module —
 * or function — folded, unresolved frames as null); where the target occurs, the element
 * just before it is a caller and the one just after a callee. A sample counts once per distinct caller and
 * callee; "inclusive" counts samples with the module anywhere on the stack, "exclusive"
 * those whose leaf frame is in it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_params.h"
#include "api_stacks.h"
#include "db_stk_map.h"

#define NB_MAP_LOG2 16  /* distinct callers/callees (modules, or functions and frames) */
#define NB_SEEN_LOG2 18 /* function mode: ≤ 65 Ki distinct chain elements (3 entries each) */

struct bfly {
	struct api_stk_query *q;
	const char *module;   /* the target: a module name, or module!function (by_function) */
	int by_function;
	int64_t total, inclusive, exclusive;
	struct stk_map callers, callees; /* (module id + 1, key) → samples */
	/* by_function: (module id + 1, key, 0) → 1 the target, 2 not; (…, 1) → a frame offset in
	 * it and (…, 2) → its raw module id, to name it */
	struct stk_map seen;
};

/* One element of a stack's chain: a module (key 0), or in function mode a function
 * (API_STK_FUNC_KEY | its start) or an unnamed frame (its offset). */
struct link {
	int32_t mod;
	uint64_t key;
};

static struct link link_of(struct bfly *b, const struct db_stk_frame *f)
{
	struct link l = {api_stk_canon(b->q, f->module_id), 0};
	uint32_t fo;
	if (!b->by_function)
		return l;
	l.key = f->offset;
	if (api_stk_frame_sym(b->q, f->module_id, f->offset, NULL, &fo))
		l.key = API_STK_FUNC_KEY | (f->offset - fo);
	return l;
}

/* The label of a chain element: the module, or in function mode module!function
 * (module+0xOFFSET unnamed) — into buf. */
static const char *label(struct bfly *b, struct link l, char *buf, size_t n)
{
	if (!b->by_function)
		return api_stk_module(b->q, l.mod);
	struct stk_entry *off = stk_map_get(&b->seen, (uint64_t)(int64_t)l.mod + 1, l.key, 1);
	struct stk_entry *raw = stk_map_get(&b->seen, (uint64_t)(int64_t)l.mod + 1, l.key, 2);
	if (!api_stk_module(b->q, l.mod) || !off || !raw)
		return NULL;
	api_stk_frame_name(b->q, (int32_t)raw->v, (uint64_t)off->v, 0, buf, n);
	return buf;
}

/* Remembers how to name l (function mode): -1 when the map is full. */
static int remember(struct bfly *b, struct link l, const struct db_stk_frame *f)
{
	if (!b->by_function)
		return 0;
	struct stk_entry *e = stk_map_put(&b->seen, (uint64_t)(int64_t)l.mod + 1, l.key, 1);
	if (!e)
		return -1;
	if (e->v == 0) {
		e->v = (int64_t)f->offset;
		e = stk_map_put(&b->seen, (uint64_t)(int64_t)l.mod + 1, l.key, 2);
		if (!e)
			return -1;
		e->v = f->module_id;
	}
	return 0;
}

static int is_target(struct bfly *b, struct link l)
{
	char buf[1100];
	if (!b->by_function) {
		const char *m = api_stk_module(b->q, l.mod);
		return m && strcasecmp(m, b->module) == 0;
	}
	struct stk_entry *e = stk_map_put(&b->seen, (uint64_t)(int64_t)l.mod + 1, l.key, 0);
	if (e && e->v)
		return e->v == 1;
	const char *name = label(b, l, buf, sizeof buf);
	/* module part case-insensitive (Windows file names), function part exact */
	const char *bang = name ? strchr(name, '!') : NULL, *tb = strchr(b->module, '!');
	int hit = name && bang && tb && bang - name == tb - b->module &&
		  strncasecmp(name, b->module, (size_t)(bang - name)) == 0 && strcmp(bang, tb) == 0;
	if (name && !bang && !tb)
		hit = strcasecmp(name, b->module) == 0;
	if (e)
		e->v = hit ? 1 : 2;
	return hit;
}

/* Count l once for this sample in map m (seen lists the elements counted already). */
static int once(struct stk_map *m, struct link l, struct link *seen, int *nseen, int64_t n)
{
	for (int i = 0; i < *nseen; i++)
		if (seen[i].mod == l.mod && seen[i].key == l.key)
			return 0;
	seen[(*nseen)++] = l;
	struct stk_entry *e = stk_map_put(m, (uint64_t)(int64_t)l.mod + 1, l.key, 0);
	if (!e)
		return -1;
	e->v += n;
	return 0;
}

static int add_stack(void *ud, const struct db_stk_frame *fr, int n, uint32_t pid, uint32_t tid,
		     int64_t count)
{
	struct bfly *b = ud;
	struct link chain[DB_STK_MAX_DEPTH], seen_up[DB_STK_MAX_DEPTH], seen_down[DB_STK_MAX_DEPTH];
	int k = 0, nu = 0, nd = 0, hit = 0;
	(void)pid;
	(void)tid;
	b->total += count;
	for (int i = 0; i < n; i++) {
		struct link l = link_of(b, &fr[i]);
		if (k && chain[k - 1].mod == l.mod && chain[k - 1].key == l.key)
			continue;
		if (remember(b, l, &fr[i]))
			return -1;
		chain[k++] = l;
	}
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

/* By samples, then by element (module id, key): one order whatever the map's. */
static int by_value(const void *a, const void *b)
{
	const struct stk_entry *p = a, *q = b;
	if (p->v != q->v)
		return p->v < q->v ? 1 : -1;
	if (p->k[0] != q->k[0])
		return p->k[0] < q->k[0] ? -1 : 1;
	return p->k[1] < q->k[1] ? -1 : p->k[1] > q->k[1];
}

static cJSON *list(struct bfly *b, const struct stk_map *m)
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
		char buf[1100];
		struct link l = {(int32_t)((int64_t)v[i].k[0] - 1), v[i].k[1]};
		const char *name = label(b, l, buf, sizeof buf);
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

/* ---- every module's butterfly at once, stored after ingest (db_stk_prebfly_*) ---- */

struct bfly_all {
	struct api_stk_query *q;
	int64_t total, count; /* count: the stack being added */
	struct stk_map m; /* (target + 2, kind, other + 2) → samples */
};

static int bump(void *ud, int32_t target, int kind, int32_t other)
{
	struct bfly_all *a = ud;
	struct stk_entry *e = stk_map_put(&a->m, (uint64_t)(target + 2), (uint64_t)kind,
					  (uint64_t)(other + 2));
	if (!e)
		return -1;
	e->v += a->count;
	return 0;
}

/* What add_stack counts for a target module, for every named module of the stack: the
 * chain by module, each module's inclusive once, each distinct caller and callee of its
 * occurrences once, the leaf's exclusive. */
int api_stk_bfly_chain(const struct api_stk_query *q, const struct db_stk_frame *fr, int n,
		       api_stk_bfly_emit_fn emit, void *ud)
{
	int32_t chain[DB_STK_MAX_DEPTH];
	int k = 0;
	for (int i = 0; i < n; i++) {
		int32_t mod = api_stk_canon(q, fr[i].module_id);
		if (!k || chain[k - 1] != mod)
			chain[k++] = mod;
	}
	for (int i = 0; i < k; i++) {
		int32_t t = chain[i];
		if (!api_stk_module(q, t))
			continue; /* never a target: no name to ask for */
		int first = 1, new_up = i > 0, new_down = i + 1 < k;
		for (int j = 0; j < i; j++) {
			if (chain[j] != t)
				continue;
			first = 0;
			if (new_up && j > 0 && chain[j - 1] == chain[i - 1])
				new_up = 0;
			if (new_down && j + 1 < k && chain[j + 1] == chain[i + 1])
				new_down = 0;
		}
		if ((first && emit(ud, t, DB_STK_BF_INCL, DB_STK_BF_NONE)) ||
		    (new_up && emit(ud, t, DB_STK_BF_CALLER, chain[i - 1])) ||
		    (new_down && emit(ud, t, DB_STK_BF_CALLEE, chain[i + 1])))
			return -1;
	}
	if (k && api_stk_module(q, chain[k - 1]) &&
	    emit(ud, chain[k - 1], DB_STK_BF_EXCL, DB_STK_BF_NONE))
		return -1;
	return 0;
}

static int add_all(void *ud, const struct db_stk_frame *fr, int n, uint32_t pid, uint32_t tid,
		   int64_t count)
{
	struct bfly_all *a = ud;
	(void)pid;
	(void)tid;
	a->total += count;
	a->count = count;
	return api_stk_bfly_chain(a->q, fr, n, bump, a);
}

int api_stk_bfly_pre_build(sqlite3 *db, struct api_stk_query *q, sqlite3_stmt *ins,
			   char *err, size_t errlen)
{
	struct bfly_all a = {.q = q};
	cJSON *out = NULL;
	/* add_all needs no pid or tid: the whole run's stored per-leaf totals serve it, not
	 * SQLite's GROUP BY over every count row (~10 % of a kernel trace's ingest) */
	q->f.no_ids = 1;
	if (stk_map_init(&a.m, NB_MAP_LOG2)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int st = api_stk_each(db, q, add_all, &a, &out), rc = 0;
	if (st == 413) {
		rc = 1; /* more pairs than the map holds: requests walk the stacks */
	} else if (st) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(out, "error");
		snprintf(err, errlen, "%s", cJSON_IsString(m) ? m->valuestring : "a butterfly");
		rc = -1;
	} else if (db_stk_prebfly_put(ins, q->run.id, q->f.idle, DB_STK_BF_NONE, DB_STK_BF_TOTAL,
				      DB_STK_BF_NONE, a.total)) {
		rc = -1;
	}
	for (size_t i = 0; !rc && i < a.m.cap; i++) {
		const struct stk_entry *e = &a.m.e[i];
		if (e->used && db_stk_prebfly_put(ins, q->run.id, q->f.idle, (int32_t)e->k[0] - 2,
						  (int)e->k[1], (int32_t)e->k[2] - 2, e->v))
			rc = -1;
	}
	if (rc < 0 && !st)
		snprintf(err, errlen, "storing butterflies: %s", sqlite3_errmsg(db));
	cJSON_Delete(out);
	stk_map_free(&a.m);
	return rc;
}

static int on_pre(void *ud, int kind, int32_t other, int64_t value)
{
	struct bfly *b = ud;
	struct stk_entry *e = NULL;
	switch (kind) {
	case DB_STK_BF_TOTAL: b->total += value; return 0; /* summed: several keys' rows */
	case DB_STK_BF_INCL: b->inclusive += value; return 0;
	case DB_STK_BF_EXCL: b->exclusive += value; return 0;
	case DB_STK_BF_CALLER: e = stk_map_put(&b->callers, (uint64_t)(int64_t)other + 1, 0, 0); break;
	case DB_STK_BF_CALLEE: e = stk_map_put(&b->callees, (uint64_t)(int64_t)other + 1, 0, 0); break;
	default: return 0;
	}
	if (!e)
		return 1;
	e->v += value;
	return 0;
}

/* The stored rows of one key summed into b (api_stacks_prefilt.c). */
struct pf_read {
	sqlite3 *db;
	struct bfly *b;
	int dim;
	int32_t target;
	int64_t lo, hi;
	char err[256];
};

static int pf_key(void *ud, int64_t key)
{
	struct pf_read *r = ud;
	return db_stk_bfslice_read(r->db, r->b->q->run.id, r->b->q->f.idle, r->dim, key, r->target,
				   r->lo, r->hi, on_pre, r->b, r->err, sizeof r->err);
}

/* The stored butterfly of b's module: over the whole run (stk_prebfly), over a window alone
 * (the per-slice rows) or over the whole run under one CPU, process or thread filter (the
 * per-key rows). 0, 1 when nothing stored serves the selection, or an HTTP status with
 * *out set. */
static int pre_read(sqlite3 *db, struct bfly *b, cJSON **out)
{
	struct pf_read r = {.db = db, .b = b, .dim = api_stk_pf_dim(b->q),
			    .target = INT32_MIN}; /* no module of that name: an id no row has */
	int windowed = b->q->f.from_ns > 0 || b->q->f.to_ns != INT64_MAX;
	if (r.dim < 0 || (windowed && r.dim != DB_STK_DIM_ALL))
		return 1;
	for (size_t i = 0; i < b->q->names.n; i++) {
		const struct api_module_name *m = &b->q->names.m[i];
		if (m->name && strcasecmp(m->name, b->module) == 0) {
			r.target = api_stk_canon(b->q, m->id);
			break;
		}
	}
	int rc;
	if (!windowed && r.dim == DB_STK_DIM_ALL) {
		rc = db_stk_prebfly_read(db, b->q->run.id, b->q->f.idle, r.target, on_pre, b, r.err,
					 sizeof r.err);
	} else {
		rc = db_stk_prestored(db, b->q->run.id, DB_STK_STORED_BFLY, r.dim);
		if (rc == 1) {
			r.lo = r.hi = DB_STK_WHOLE;
			if (windowed)
				db_stk_slice_range(&b->q->f, &r.lo, &r.hi);
			rc = api_stk_pf_each_key(b->q, r.dim, pf_key, &r);
		} else if (rc == 0) {
			return 1; /* ingested before them */
		} else {
			snprintf(r.err, sizeof r.err, "reading the stored butterflies: %s",
				 sqlite3_errmsg(db));
		}
	}
	if (rc < 0) {
		*out = api_error("%s", r.err);
		return 500;
	}
	return rc;
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
	char grp[16];
	int got = api_param(rq, "group", 0, grp, sizeof grp);
	b.by_function = got == 1 && strcmp(grp, "function") == 0;
	if (got < 0 || (got == 1 && !b.by_function && strcmp(grp, "module"))) {
		api_stk_query_clear(&q);
		*out = api_error("'group' takes module or function (then 'module' is module!function)");
		return 400;
	}
	q.nmodules = 0;
	q.f.no_ids = 1; /* add_stack needs no pid or tid: stacks may come summed over them */
	if (stk_map_init(&b.callers, NB_MAP_LOG2) || stk_map_init(&b.callees, NB_MAP_LOG2) ||
	    (b.by_function && stk_map_init(&b.seen, NB_SEEN_LOG2))) {
		stk_map_free(&b.callers);
		stk_map_free(&b.callees);
		api_stk_query_clear(&q);
		*out = api_error("out of memory");
		return 500;
	}
	st = !b.by_function ? pre_read(db, &b, out) : 1;
	if (st == 1)
		st = api_stk_each(db, &q, add_stack, &b, out);
	if (!st) {
		*out = cJSON_CreateObject();
		cJSON_AddStringToObject(*out, "module", b.module);
		if (b.by_function) /* the module-level answer keeps its original shape */
			cJSON_AddStringToObject(*out, "group", "function");
		cJSON_AddNumberToObject(*out, "total", (double)b.total);
		cJSON_AddNumberToObject(*out, "inclusive", (double)b.inclusive);
		cJSON_AddNumberToObject(*out, "exclusive", (double)b.exclusive);
		cJSON_AddItemToObject(*out, "callers", list(&b, &b.callers));
		cJSON_AddItemToObject(*out, "callees", list(&b, &b.callees));
	}
	stk_map_free(&b.callers);
	stk_map_free(&b.callees);
	stk_map_free(&b.seen);
	api_stk_query_clear(&q);
	return st ? st : 200;
}
