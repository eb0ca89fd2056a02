/* api_stacks_tags.c — GET /api/runs/{id}/stacks/tags (our default tag set) and POST (a
 * .stacktags file in the body): the selected samples (shared filter) by stack tag, with the
 * busiest processes of each tag. A stack's tag follows api_tags.h (highest priority, then
 * the frame nearest the leaf); stacks with no matching frame are "untagged".
 *
 * Frames are named by the call tree's own naming (api_stk_tree_name, frame mode) and split
 * into module and function there ("module!function+0xOFF" → function), so rules with a
 * Method pattern start matching as soon as frames carry function names (symbols); until
 * then only rules whose Method is "*" match (module+0xOFFSET frames have no function). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_params.h"
#include "api_stacks.h"
#include "api_tags.h"
#include "db_stk_map.h"

#define TAGS_FRAME_CACHE_LOG2 18 /* distinct frames remembered (forgotten when full) */
#define TAGS_PROC_MAP_LOG2 16    /* (tag, pid) pairs */
#define TAGS_TOP_PROCESSES 5

struct tagger {
	struct api_stk_query *q;
	const struct api_tag_set *set;
	struct api_stk_tagger tg;
	struct stk_map per_process; /* (tag + 1, pid) → samples */
	int64_t *count;             /* per tag; count[ntags] = untagged */
	int64_t total;
};

/* The function part of a frame name "module!function[+0xOFF]" into buf, or NULL. */
static const char *function_of(const char *name, char *buf, size_t n)
{
	const char *bang = strchr(name, '!');
	if (!bang || !bang[1])
		return NULL;
	snprintf(buf, n, "%s", bang + 1);
	char *plus = strrchr(buf, '+');
	if (plus && plus != buf && plus[1] == '0' && plus[2] == 'x' &&
	    strspn(plus + 3, "0123456789abcdefABCDEF") == strlen(plus + 3) && plus[3])
		*plus = 0;
	return buf;
}

int api_stk_tagger_init(struct api_stk_tagger *g, struct api_stk_query *q,
			const struct api_tag_set *set)
{
	memset(g, 0, sizeof *g);
	g->q = q;
	g->set = set;
	g->view = (struct api_stk_tree){.q = q, .v = &g->one, .n = 1};
	/* without symbols no frame has a function name, so a frame's tag is its module's */
	if (!q->syms && q->ncanon && !(g->modtag = calloc(q->ncanon, sizeof *g->modtag)))
		return -1;
	return stk_map_init(&g->frames, TAGS_FRAME_CACHE_LOG2);
}

void api_stk_tagger_clear(struct api_stk_tagger *g)
{
	stk_map_free(&g->frames);
	free(g->modtag);
	g->modtag = NULL;
}

/* The tag of a frame of a run without symbols, from its module alone: -2 when the module
 * is not in the table or its name holds a '!' (which the frame's name would split). */
static int32_t module_tag(struct api_stk_tagger *g, int32_t mod, int32_t module_id)
{
	if (mod < 0 || (size_t)mod >= g->q->ncanon)
		return -2;
	int32_t *t = &g->modtag[mod];
	if (!*t) {
		const char *m = api_stk_module(g->q, mod), *own = api_stk_module(g->q, module_id);
		if ((m && strchr(m, '!')) || (own && strchr(own, '!')))
			return -2;
		*t = api_tags_match(g->set, m, NULL) + 2;
	}
	return *t - 2;
}

static int32_t frame_tag(struct api_stk_tagger *g, const struct db_stk_frame *f)
{
	int32_t mod = api_stk_canon(g->q, f->module_id);
	int32_t mt = g->modtag ? module_tag(g, mod, f->module_id) : -2;
	if (mt != -2)
		return mt;
	struct stk_entry *e = stk_map_get(&g->frames, (uint64_t)(int64_t)mod, f->offset, 0);
	if (e)
		return (int32_t)e->v - 2;
	char name[320], fn[320];
	g->one.module = mod;
	g->one.sym_module = f->module_id; /* whose symbols name the frame */
	g->one.offset = f->offset;
	api_stk_tree_name(&g->view, 0, name, sizeof name);
	int32_t t = api_tags_match(g->set, api_stk_module(g->q, mod), function_of(name, fn, sizeof fn));
	if (stk_map_full(&g->frames))
		stk_map_reset(&g->frames);
	e = stk_map_put(&g->frames, (uint64_t)(int64_t)mod, f->offset, 0);
	e->v = t + 2;
	return t;
}

int32_t api_stk_stack_tag(struct api_stk_tagger *g, const struct db_stk_frame *fr, int n)
{
	int32_t best = -1;
	for (int k = 0; k < n; k++) { /* root → leaf: an equal priority further down wins */
		int32_t t = frame_tag(g, &fr[k]);
		if (t >= 0 && (best < 0 || g->set->tags[t].priority >= g->set->tags[best].priority))
			best = t;
	}
	return best;
}

/* The tag slot of a stack: its tag, or ntags when untagged. */
static size_t stack_slot(struct tagger *g, const struct db_stk_frame *fr, int n)
{
	int32_t best = api_stk_stack_tag(&g->tg, fr, n);
	return best >= 0 ? (size_t)best : g->set->ntags;
}

/* count samples of pid under tag slot: 0, or -1 when the (tag, process) pairs are too many */
static int add_slot(struct tagger *g, size_t slot, uint32_t pid, int64_t count)
{
	g->count[slot] += count;
	g->total += count;
	struct stk_entry *e = stk_map_put(&g->per_process, slot + 1, pid, 0);
	if (!e)
		return -1; /* too many (tag, process) pairs: the caller answers 413 */
	e->v += count;
	return 0;
}

static int add_stack(void *ud, const struct db_stk_frame *fr, int n, uint32_t pid, uint32_t tid,
		     int64_t count)
{
	struct tagger *g = ud;
	(void)tid;
	return add_slot(g, stack_slot(g, fr, n), pid, count);
}

/* ---- every stored row once, each leaf node's tag worked out once ---- */

struct by_row {
	struct tagger *g;
	struct db_stk_reader *r;
	int32_t *memo; /* by node id - 1: its tag slot + 1, 0 = not yet; NULL: none kept */
	int64_t nn;
	int failed; /* 1 reading a path, 2 too many (tag, process) pairs */
};

static int on_row(void *ud, int64_t node, uint32_t pid, uint32_t tid, int64_t slice, int64_t n)
{
	struct by_row *b = ud;
	(void)tid;
	(void)slice;
	int32_t *m = b->memo && node >= 1 && node <= b->nn ? &b->memo[node - 1] : NULL;
	size_t slot;
	if (m && *m) {
		slot = (size_t)*m - 1;
	} else {
		struct db_stk_frame fr[DB_STK_MAX_DEPTH];
		int k = db_stk_path(b->r, node, fr, DB_STK_MAX_DEPTH);
		if (k < 0) {
			b->failed = 1;
			return 1;
		}
		slot = stack_slot(b->g, fr, k);
		if (m)
			*m = (int32_t)slot + 1;
	}
	if (add_slot(b->g, slot, pid, n)) {
		b->failed = 2;
		return 1;
	}
	return 0;
}

/* The selection's samples by tag from the stored rows in key order (db_stk_rows): no
 * grouping by (node, pid, tid), which had SQLite sort every selected row, and each
 * distinct leaf tagged once. Only without a tag or module filter (api_stk_each applies
 * those). 0, or an HTTP status with *out set. */
static int tag_rows(sqlite3 *db, struct tagger *g, cJSON **out)
{
	char err[256];
	const struct db_stk_nodes *nodes = NULL; /* the run's kept arrays, when the server has them */
	struct by_row b = {.g = g, .r = api_stk_reader_for(db, g->q, &nodes)};
	if (!b.r) {
		*out = api_error("cannot read the stack store: %s", sqlite3_errmsg(db));
		return 500;
	}
	/* without a process or thread filter nearly every stack of the window comes: load the
	 * node table at once rather than after the reader's 20,000 joins one by one */
	if (!g->q->f.npids && !g->q->f.ntids && db_stk_reader_preload(b.r) < 0) {
		db_stk_reader_free(b.r);
		db_stk_cache_release(g->q->stk_cache, nodes);
		*out = api_error("cannot read the stack store: %s", sqlite3_errmsg(db));
		return 500;
	}
	b.nn = db_stk_run_nodes(db, g->q->run.id);
	if (b.nn > 0 && b.nn <= DB_STK_LEAF_MAX_NODES)
		b.memo = calloc((size_t)b.nn, sizeof *b.memo); /* NULL: tag each row's stack */
	int rc = db_stk_rows(db, g->q->run.id, &g->q->f, on_row, &b, err, sizeof err);
	free(b.memo);
	db_stk_reader_free(b.r);
	db_stk_cache_release(g->q->stk_cache, nodes);
	return api_stk_walk_status(rc, b.failed, err, out);
}

static int collect_name(void *ud, const struct db_stk_process *p)
{
	cJSON *names = ud;
	char key[16];
	snprintf(key, sizeof key, "%u", p->pid);
	if (p->name) { /* a reused pid keeps its last name */
		cJSON_DeleteItemFromObjectCaseSensitive(names, key);
		cJSON_AddStringToObject(names, key, p->name);
	}
	return 0;
}

static int by_samples(const void *a, const void *b)
{
	int64_t x = ((const struct stk_entry *)a)->v, y = ((const struct stk_entry *)b)->v;
	if (x != y)
		return x < y ? 1 : -1;
	uint64_t p = ((const struct stk_entry *)a)->k[1], q = ((const struct stk_entry *)b)->k[1];
	return p < q ? -1 : p > q;
}

/* The top processes of tag slot, most samples first. */
static cJSON *top_processes(const struct tagger *g, size_t slot, const cJSON *names)
{
	cJSON *arr = cJSON_CreateArray();
	struct stk_entry *v = malloc((g->per_process.n ? g->per_process.n : 1) * sizeof *v);
	size_t n = 0;
	if (!v)
		return arr;
	for (size_t i = 0; i < g->per_process.cap; i++)
		if (g->per_process.e[i].used && g->per_process.e[i].k[0] == slot + 1)
			v[n++] = g->per_process.e[i];
	qsort(v, n, sizeof *v, by_samples);
	for (size_t i = 0; i < n && i < TAGS_TOP_PROCESSES; i++) {
		char key[16];
		snprintf(key, sizeof key, "%u", (unsigned)v[i].k[1]);
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(names, key);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "pid", (double)v[i].k[1]);
		if (cJSON_IsString(nm))
			cJSON_AddStringToObject(o, "name", nm->valuestring);
		else
			cJSON_AddNullToObject(o, "name");
		cJSON_AddNumberToObject(o, "samples", (double)v[i].v);
		cJSON_AddItemToArray(arr, o);
	}
	free(v);
	return arr;
}

static int by_count(const void *a, const void *b, void *ud)
{
	const int64_t *c = ud;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return c[x] != c[y] ? (c[x] < c[y] ? 1 : -1) : x < y ? -1 : x > y;
}

static cJSON *result(const struct tagger *g, sqlite3 *db, const char *set_name)
{
	size_t nt = g->set->ntags, k = 0;
	size_t *order = malloc((nt + 1) * sizeof *order);
	cJSON *names = cJSON_CreateObject();
	if (!order || db_stk_processes(db, g->q->run.id, collect_name, names)) {
		free(order);
		cJSON_Delete(names);
		return NULL;
	}
	for (size_t i = 0; i < nt; i++)
		if (g->count[i])
			order[k++] = i;
	qsort_r(order, k, sizeof *order, by_count, g->count);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "set", set_name);
	cJSON_AddNumberToObject(o, "total", (double)g->total);
	cJSON_AddBoolToObject(o, "idle_excluded", !g->q->f.idle);
	cJSON_AddNumberToObject(o, "rules", (double)g->set->nrules);
	cJSON_AddNumberToObject(o, "rules_needing_functions", (double)g->set->method_rules);
	cJSON_AddNumberToObject(o, "hint_tags_ignored", (double)g->set->hint_tags);
	cJSON *tags = cJSON_AddArrayToObject(o, "tags");
	for (size_t i = 0; i <= k; i++) {
		size_t slot = i < k ? order[i] : nt; /* untagged last */
		if (i == k && !g->count[nt])
			break;
		cJSON *t = cJSON_CreateObject();
		if (i < k)
			cJSON_AddStringToObject(t, "tag", g->set->tags[slot].path);
		else
			cJSON_AddNullToObject(t, "tag");
		cJSON_AddNumberToObject(t, "samples", (double)g->count[slot]);
		cJSON_AddNumberToObject(t, "share", g->total ? (double)g->count[slot] / (double)g->total : 0);
		cJSON_AddItemToObject(t, "processes", top_processes(g, slot, names));
		cJSON_AddItemToArray(tags, t);
	}
	cJSON_AddNumberToObject(o, "untagged", (double)g->count[nt]);
	free(order);
	cJSON_Delete(names);
	return o;
}

int api_run_stacks_tags(sqlite3 *db, const char *run_id, const struct api_request *rq,
			const char *xml, size_t len, const char *set_name, cJSON **out)
{
	char err[256];
	struct api_tag_set set;
	if (api_tags_parse(xml, len, &set, err, sizeof err)) {
		*out = api_error("%s", err);
		return 400;
	}
	struct api_stk_query q;
	int st = api_stk_query_parse(db, run_id, rq, 0, &q, out);
	if (st) {
		api_tags_clear(&set);
		return st;
	}
	struct tagger g = {.q = &q, .set = &set};
	g.count = calloc(set.ntags + 1, sizeof *g.count);
	if (api_stk_tagger_init(&g.tg, &q, &set) || !g.count ||
	    stk_map_init(&g.per_process, TAGS_PROC_MAP_LOG2)) {
		*out = api_error("out of memory");
		st = 500;
	}
	if (!st)
		st = q.tagger || q.nmodules ? api_stk_each(db, &q, add_stack, &g, out)
					    : tag_rows(db, &g, out);
	if (!st && !(*out = result(&g, db, set_name))) {
		*out = api_error("cannot read the processes");
		st = 500;
	}
	api_stk_tagger_clear(&g.tg);
	stk_map_free(&g.per_process);
	free(g.count);
	api_stk_query_clear(&q);
	api_tags_clear(&set);
	return st ? st : 200;
}
