/* api_stacks_params.c — the filter every call-stack endpoint shares (from, to, cpus, pid,
 * tid, module, idle) and the walk over the selected stacks, resolved to frames. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_params.h"
#include "api_stacks.h"
#include "api_tags.h"
#include "assets.h"

static int parse_ids(const struct api_request *rq, const char *name, uint32_t *ids,
		     unsigned *n, cJSON **out)
{
	char buf[32];
	for (size_t nth = 0;; nth++) {
		int got = api_param(rq, name, nth, buf, sizeof buf);
		if (got == 0)
			return 0;
		char *end;
		errno = 0;
		unsigned long v = got == 1 ? strtoul(buf, &end, 10) : 0;
		if (got < 0 || end == buf || *end || errno || v > UINT32_MAX || buf[0] == '-') {
			*out = api_error("'%s' takes whole numbers (repeatable)", name);
			return -1;
		}
		if (*n == DB_STK_MAX_IDS) {
			*out = api_error("at most %d '%s' filters", DB_STK_MAX_IDS, name);
			return -1;
		}
		ids[(*n)++] = (uint32_t)v;
	}
}

static int parse_flag(const struct api_request *rq, const char *name, int def, int *v,
		      cJSON **out)
{
	char buf[8];
	int got = api_param(rq, name, 0, buf, sizeof buf);
	*v = def;
	if (got == 0)
		return 0;
	if (got < 0 || (strcmp(buf, "0") && strcmp(buf, "1"))) {
		*out = api_error("'%s' takes 0 or 1", name);
		return -1;
	}
	*v = buf[0] == '1';
	return 0;
}

static int parse_modules(const struct api_request *rq, struct api_stk_query *q, cJSON **out)
{
	for (size_t nth = 0;; nth++) {
		char *dst = q->nmodules < API_STK_MAX_MODULES ? q->modules[q->nmodules] : NULL;
		char tmp[256];
		int got = api_param(rq, "module", nth, dst ? dst : tmp, sizeof tmp);
		if (got == 0)
			return 0;
		if (got < 0 || !(dst ? dst : tmp)[0]) {
			*out = api_error("'module' takes a module name such as ndis.sys");
			return -1;
		}
		if (!dst) {
			*out = api_error("at most %d 'module' filters", API_STK_MAX_MODULES);
			return -1;
		}
		q->nmodules++;
	}
}

#define API_STK_MAX_TAG_FILTERS 16
#define API_STK_UNTAGGED "(untagged)"

/* 1 if the tag path is name or under it (name\…), case-insensitively. */
static int tag_under(const char *path, const char *name)
{
	size_t n = strlen(name);
	return strncasecmp(path, name, n) == 0 && (path[n] == 0 || path[n] == '\\');
}

/* ?tag=PATH (repeatable): the samples whose stack's tag (default tag set) is PATH or under
 * it, or untagged for "(untagged)". Sets q->tagset, tag_sel and tagger. 0, or an HTTP
 * status with *out set. */
static int parse_tags(const struct api_request *rq, struct api_stk_query *q, cJSON **out)
{
	char name[API_TAGS_MAX_NAME], err[256];
	for (size_t nth = 0;; nth++) {
		int got = api_param(rq, "tag", nth, name, sizeof name);
		if (got == 0)
			return 0;
		if (got < 0 || !name[0]) {
			*out = api_error("'tag' takes a tag path such as 'Network filters' (GET "
					 "…/stacks/tags lists them) or " API_STK_UNTAGGED);
			return 400;
		}
		if (++q->ntag_filters > API_STK_MAX_TAG_FILTERS) {
			*out = api_error("at most %d 'tag' filters", API_STK_MAX_TAG_FILTERS);
			return 400;
		}
		if (!q->tagset) {
			q->tagset = calloc(1, sizeof *q->tagset);
			q->tagger = calloc(1, sizeof *q->tagger);
			if (!q->tagset || !q->tagger) {
				*out = api_error("out of memory");
				return 500;
			}
			if (api_tags_parse((const char *)stacktags_default[0].data,
					   stacktags_default[0].len, q->tagset, err, sizeof err)) {
				*out = api_error("the default tag set: %s", err);
				return 500;
			}
			q->tag_sel = calloc(q->tagset->ntags + 1, 1);
			if (!q->tag_sel || api_stk_tagger_init(q->tagger, q, q->tagset)) {
				*out = api_error("out of memory");
				return 500;
			}
		}
		int hit = 0;
		if (strcmp(name, API_STK_UNTAGGED) == 0)
			hit = q->tag_sel[q->tagset->ntags] = 1;
		for (size_t i = 0; i < q->tagset->ntags; i++)
			if (tag_under(q->tagset->tags[i].path, name))
				hit = q->tag_sel[i] = 1;
		if (!hit) {
			*out = api_error("no tag '%s' in the default tag set (GET …/stacks/tags lists "
					 "them)", name);
			return 400;
		}
	}
}

static int canon_build(struct api_stk_query *q);

static double summary_num(const cJSON *sum, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(sum, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int api_stk_query_parse(sqlite3 *db, const char *run_id, const struct api_request *rq,
			int idle_default, struct api_stk_query *q, cJSON **out)
{
	char err[256];
	int64_t from_us, to_us;
	memset(q, 0, sizeof *q);
	int st = api_find_run(db, run_id, &q->run, out);
	if (st)
		return st;
	if (rq->stk_cache && rq->version > 0 && strlen(run_id) <= DB_STK_CACHE_KEY_MAX) {
		q->stk_cache = rq->stk_cache;
		q->version = rq->version;
		strcpy(q->key, run_id);
	}
	int has_cpus = 0;
	int present = db_stk_present(db, q->run.id);
	if (present <= 0) {
		*out = present < 0 ? api_error("cannot read the stack store: %s", sqlite3_errmsg(db))
				   : api_error("this run has no call stacks (they need an .etl "
					       "trace ingested by this version)");
		st = present < 0 ? 500 : 404;
		goto fail;
	}
	st = 400;
	if (api_param_window(rq, &from_us, &to_us, out) ||
	    (has_cpus = api_param_cpus(rq, &q->cpus, out)) < 0 ||
	    parse_ids(rq, "pid", q->f.pids, &q->f.npids, out) ||
	    parse_ids(rq, "tid", q->f.tids, &q->f.ntids, out) || parse_modules(rq, q, out) ||
	    parse_flag(rq, "idle", idle_default, &q->f.idle, out))
		goto fail;
	cJSON *sum = q->run.summary ? cJSON_Parse(q->run.summary) : NULL;
	q->start_us = q->run.has_start ? q->run.start_utc_us
				       : (int64_t)summary_num(sum, "start_utc_us");
	double cpus = summary_num(sum, "cpus");
	cJSON_Delete(sum);
	q->trace_cpus = cpus >= 1 && cpus <= DB_MAX_CPUS ? (unsigned)cpus : 1;
	api_window_ns(q->start_us, from_us, to_us, &q->f.from_ns, &q->f.to_ns);
	q->f.cpu_words = has_cpus ? q->cpus.w : NULL;
	int64_t dur_ns = api_sat_mul(q->run.duration_us, 1000);
	q->win_from_ns = q->f.from_ns < 0 ? 0 : q->f.from_ns;
	q->win_to_ns = q->f.to_ns > dur_ns ? dur_ns : q->f.to_ns;
	if (q->win_to_ns < q->win_from_ns)
		q->win_to_ns = q->win_from_ns;
	if (api_module_names_load(db, q->run.id, &q->names, err, sizeof err)) {
		*out = api_error("%s", err);
		st = 500;
		goto fail;
	}
	if (canon_build(q) || api_stk_syms_open(db, q->run.id, &q->syms)) {
		*out = q->canon ? api_error("cannot read the run's symbols: %s", sqlite3_errmsg(db))
				: api_error("out of memory");
		api_stk_query_clear(q);
		return 500;
	}
	/* after the module names and symbols: the tagger keeps a tag per module when the run has
	 * no symbols (api_stk_tagger_init), which the module trees' stored counts then serve */
	if ((st = parse_tags(rq, q, out)))
		goto fail;
	return 0;
fail:
	api_stk_query_clear(q);
	return st;
}

void api_stk_query_clear(struct api_stk_query *q)
{
	db_run_clear(&q->run);
	api_module_names_clear(&q->names);
	free(q->canon);
	q->canon = NULL;
	api_stk_syms_free(q->syms);
	q->syms = NULL;
	if (q->tagger)
		api_stk_tagger_clear(q->tagger);
	free(q->tagger);
	q->tagger = NULL;
	if (q->tagset)
		api_tags_clear(q->tagset);
	free(q->tagset);
	q->tagset = NULL;
	free(q->tag_sel);
	q->tag_sel = NULL;
}

static int by_name(const void *a, const void *b, void *ud)
{
	const struct api_module_names *n = ud;
	const struct api_module_name *x = &n->m[*(const size_t *)a], *y = &n->m[*(const size_t *)b];
	int c = strcasecmp(x->name ? x->name : "", y->name ? y->name : "");
	return c ? c : x->id < y->id ? -1 : x->id > y->id;
}

/* canon[id] = the lowest id among the modules of id's name: sort positions by (name, id)
 * and give each run of equal names its first id. */
static int canon_build(struct api_stk_query *q)
{
	const struct api_module_names *n = &q->names;
	int32_t max = -1;
	for (size_t i = 0; i < n->n; i++)
		if (n->m[i].id > max)
			max = n->m[i].id;
	q->ncanon = (size_t)max + 1;
	q->canon = malloc((q->ncanon ? q->ncanon : 1) * sizeof *q->canon);
	size_t *pos = malloc((n->n ? n->n : 1) * sizeof *pos);
	if (!q->canon || !pos) {
		free(pos);
		return -1;
	}
	for (size_t i = 0; i < q->ncanon; i++)
		q->canon[i] = (int32_t)i;
	for (size_t i = 0; i < n->n; i++)
		pos[i] = i;
	qsort_r(pos, n->n, sizeof *pos, by_name, (void *)n);
	for (size_t i = 0, first = 0; i < n->n; i++) {
		const char *a = i ? n->m[pos[i - 1]].name : NULL, *b = n->m[pos[i]].name;
		if (i && strcasecmp(a ? a : "", b ? b : "") != 0)
			first = i;
		if (n->m[pos[i]].id >= 0)
			q->canon[n->m[pos[i]].id] = n->m[pos[first]].id;
	}
	free(pos);
	return 0;
}

int api_stk_window_only(const struct api_stk_query *q)
{
	return !q->f.cpu_words && !q->f.npids && !q->f.ntids && !q->nmodules && !q->ntag_filters;
}

int api_stk_whole_run(const struct api_stk_query *q)
{
	return q->f.from_ns <= 0 && q->f.to_ns == INT64_MAX && api_stk_window_only(q);
}

int api_grow(void **v, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	void *p = realloc(*v, c * elem);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

int32_t api_stk_canon(const struct api_stk_query *q, int32_t id)
{
	return id >= 0 && (size_t)id < q->ncanon ? q->canon[id] : id;
}

const char *api_stk_module(const struct api_stk_query *q, int32_t id)
{
	const struct api_module_name *m = id >= 0 ? api_module_names_find(&q->names, id) : NULL;
	return m ? m->name : NULL;
}

int api_stk_frame_kernel(const struct api_stk_query *q, const struct db_stk_frame *f)
{
	const struct api_module_name *m =
		f->module_id >= 0 ? api_module_names_find(&q->names, f->module_id) : NULL;
	uint64_t a = m ? m->base + f->offset : f->offset;
	/* x64 kernel space is the top half; a 32-bit trace's kernel is above 2 GiB */
	return a >= 0xFFFF800000000000ull || (a >= 0x80000000ull && a <= 0xFFFFFFFFull);
}

/* ---- the walk ---- */

struct walk {
	struct api_stk_query *q;
	struct db_stk_reader *r;
	api_stk_fn cb;
	api_stk_leaf_fn leaf; /* instead of cb when set: the stack's leaf node given too */
	api_stk_skip_fn skip; /* NULL, or asked before a leaf's path is read */
	void *ud;
	int failed; /* 1 reading a path, 2 the callback */
};

static int wanted(const struct api_stk_query *q, const struct db_stk_frame *fr, int n)
{
	if (q->tagger) {
		int32_t t = api_stk_stack_tag(q->tagger, fr, n);
		if (!q->tag_sel[t < 0 ? q->tagset->ntags : (size_t)t])
			return 0;
	}
	if (!q->nmodules)
		return 1;
	for (int i = 0; i < n; i++) {
		const char *m = api_stk_module(q, fr[i].module_id);
		for (size_t k = 0; m && k < q->nmodules; k++)
			if (strcasecmp(m, q->modules[k]) == 0)
				return 1;
	}
	return 0;
}

static int on_count(void *ud, int64_t node, uint32_t pid, uint32_t tid, int64_t slice,
		    int64_t n)
{
	struct walk *w = ud;
	struct db_stk_frame fr[DB_STK_MAX_DEPTH];
	(void)slice;
	if (w->skip && w->skip(w->ud, node))
		return 0;
	int k = db_stk_path(w->r, node, fr, DB_STK_MAX_DEPTH);
	if (k < 0) {
		w->failed = 1;
		return 1;
	}
	if (!wanted(w->q, fr, k))
		return 0;
	if (w->leaf ? w->leaf(w->ud, node, fr, k, n) : w->cb(w->ud, fr, k, pid, tid, n)) {
		w->failed = 2;
		return 1;
	}
	return 0;
}

/* A reader for q's run: on the server's kept node arrays when it keeps them (*nodes set:
 * give them back after the reader is freed), else one that reads SQLite. NULL on ENOMEM. */
struct db_stk_reader *api_stk_reader_for(sqlite3 *db, struct api_stk_query *q,
					 const struct db_stk_nodes **nodes)
{
	*nodes = NULL;
	if (q->key[0] &&
	    db_stk_cache_get(q->stk_cache, db, q->run.id, q->key, q->version, nodes) == 0) {
		struct db_stk_reader *r = db_stk_reader_new_nodes(db, q->run.id, *nodes);
		if (r)
			return r;
		db_stk_cache_release(q->stk_cache, *nodes);
		*nodes = NULL;
	}
	/* not kept, or loading failed: as without the cache */
	return db_stk_reader_new(db, q->run.id);
}

static int each(sqlite3 *db, struct api_stk_query *q, struct walk w, cJSON **out)
{
	char err[256];
	const struct db_stk_nodes *nodes = NULL;
	w.q = q;
	w.r = q->reader ? q->reader : api_stk_reader_for(db, q, &nodes);
	if (!w.r) {
		*out = api_error("cannot read the stack store: %s", sqlite3_errmsg(db));
		return 500;
	}
	/* a caller that ignores pids and tids, under a window or filter: each stack once, its
	 * counts summed without SQLite's sort (db_stk_leaves.c); the whole run reads its totals,
	 * from memory when the reader holds them */
	const struct db_stk_filter *f = &q->f;
	int rc = 1;
	int part = f->from_ns > 0 || f->to_ns != INT64_MAX || f->cpu_words || f->npids || f->ntids;
	if (db_stk_filter_whole(f))
		rc = db_stk_reader_totals(w.r, f->idle, on_count, &w); /* 1: not held */
	else if (f->no_ids && part && nodes) /* from the kept slice rows (db_stk_leafslices.c) */
		rc = db_stk_nodes_leaf_sums(nodes, f, on_count, &w);
	if (rc < 0)
		snprintf(err, sizeof err, "out of memory");
	if (rc == 1 && f->no_ids && part)
		rc = db_stk_leaf_sums(db, q->run.id, f, w.r, on_count, &w, err, sizeof err);
	if (rc == 1)
		rc = db_stk_counts(db, q->run.id, f, 0, on_count, &w, err, sizeof err);
	if (w.r != q->reader)
		db_stk_reader_free(w.r);
	db_stk_cache_release(q->stk_cache, nodes);
	return api_stk_walk_status(rc, w.failed, err, out);
}

int api_stk_each(sqlite3 *db, struct api_stk_query *q, api_stk_fn cb, void *ud, cJSON **out)
{
	return each(db, q, (struct walk){.cb = cb, .ud = ud}, out);
}

int api_stk_each_leaf(sqlite3 *db, struct api_stk_query *q, api_stk_skip_fn skip,
		      api_stk_leaf_fn cb, void *ud, cJSON **out)
{
	return each(db, q, (struct walk){.leaf = cb, .skip = skip, .ud = ud}, out);
}

int api_stk_walk_status(int rc, int failed, const char *err, cJSON **out)
{
	if (rc || failed == 1) {
		*out = api_error("%s", rc ? err : "the stack store is inconsistent");
		return 500;
	}
	if (failed == 2) {
		*out = api_error("the selection has too many distinct frames: narrow the window or "
				 "group by module");
		return 413;
	}
	return 0;
}

int api_run_stacks(sqlite3 *db, const char *run_id, const char *what,
		   const struct api_request *rq, cJSON **out)
{
	if (strcmp(what, "tree") == 0)
		return api_run_stacks_tree(db, run_id, rq, out);
	if (strcmp(what, "butterfly") == 0)
		return api_run_stacks_butterfly(db, run_id, rq, out);
	*out = api_error("no such resource");
	return 404;
}
