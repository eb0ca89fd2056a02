/* api_compare_stacks.c — GET /api/compare/stacks?runs=A,B[&base=A]: the differential call
 * tree of two runs, merged on the server. Each run's tree is built with the stacks/tree
 * code (same ?group= frame, function or module, ?invert=, ?cpus=, ?module=, ?idle=; by
 * function, names match across driver builds where offsets do not); nodes of the two trees are the
 * same node when the path of names from the root is the same (module ids differ between
 * runs, names do not). Every node carries both runs' sample counts ("base", "other"), their
 * shares of each run's own total ("base_share", "other_share": the normalisation by sample
 * totals), and d3-flame-graph's differential pair: "value" = the other run's count and
 * "delta" = other − base, both per second of trace when the runs' lengths differ by more
 * than 5 % ("normalised": "per_second"), else raw ("none"). A node present in one run only
 * has 0 for the other. Children whose share is under min_share in both runs fold into one
 * "(rest)" per parent. ?from/?to/?pid/?tid are refused: times and ids differ between runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_params.h"
#include "api_stacks.h"

struct side {
	struct api_stk_query q;
	struct api_stk_tree t;
	double per; /* count → the unit of value/delta (1, or 1 / seconds) */
	int parsed;
};

struct kid {
	char name[320];
	int32_t id; /* node in its tree */
	int side;   /* 0 base, 1 other */
};

struct cmp {
	struct side s[2];
	double min_share;
	int64_t pruned_nodes, pruned_base, pruned_other;
};

static int by_name(const void *a, const void *b)
{
	const struct kid *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->side - y->side;
}

static double share(const struct side *s, int64_t n)
{
	return s->t.total ? (double)n / (double)s->t.total : 0;
}

static void add_counts(cJSON *o, const struct cmp *c, int64_t nb, int64_t no)
{
	cJSON_AddNumberToObject(o, "base", (double)nb);
	cJSON_AddNumberToObject(o, "other", (double)no);
	cJSON_AddNumberToObject(o, "base_share", share(&c->s[0], nb));
	cJSON_AddNumberToObject(o, "other_share", share(&c->s[1], no));
	cJSON_AddNumberToObject(o, "value", (double)no * c->s[1].per);
	cJSON_AddNumberToObject(o, "delta", (double)no * c->s[1].per - (double)nb * c->s[0].per);
}

/* The children of node ia (base tree, -1 = absent) and ib (other tree) as (name, side, id),
 * sorted by name: a name in both trees is two neighbours. NULL on ENOMEM. */
static struct kid *kids_of(const struct cmp *c, int32_t ia, int32_t ib, size_t *n)
{
	size_t k = 0;
	int32_t at[2] = {ia, ib};
	for (int s = 0; s < 2; s++)
		for (int32_t x = at[s] >= 0 ? c->s[s].t.v[at[s]].first : -1; x >= 0; x = c->s[s].t.v[x].next)
			k++;
	struct kid *v = malloc((k ? k : 1) * sizeof *v);
	if (!v)
		return NULL;
	k = 0;
	for (int s = 0; s < 2; s++)
		for (int32_t x = at[s] >= 0 ? c->s[s].t.v[at[s]].first : -1; x >= 0; x = c->s[s].t.v[x].next) {
			api_stk_tree_name(&c->s[s].t, x, v[k].name, sizeof v[k].name);
			v[k].id = x;
			v[k++].side = s;
		}
	qsort(v, k, sizeof *v, by_name);
	*n = k;
	return v;
}

static int64_t count(const struct cmp *c, int s, int32_t id)
{
	return id >= 0 ? c->s[s].t.v[id].value : 0;
}

static cJSON *merge(struct cmp *c, int32_t ia, int32_t ib, const char *name);

struct item {
	cJSON *o;
	double weight; /* the larger of the node's two shares */
};

static int by_weight(const void *a, const void *b)
{
	double x = ((const struct item *)a)->weight, y = ((const struct item *)b)->weight;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The merged children of (ia, ib), heaviest first (by the larger of the two shares). */
static cJSON *merge_children(struct cmp *c, int32_t ia, int32_t ib)
{
	size_t n;
	struct kid *v = kids_of(c, ia, ib, &n);
	cJSON *arr = cJSON_CreateArray();
	if (!v) {
		cJSON_Delete(arr);
		return NULL;
	}
	struct item *items = malloc((n ? n : 1) * sizeof *items);
	size_t k = 0;
	int64_t rest_b = 0, rest_o = 0, rest_n = 0;
	for (size_t i = 0; items && i < n; i++) {
		int32_t a = -1, b = -1;
		const char *name = v[i].name;
		if (v[i].side == 0)
			a = v[i].id;
		else
			b = v[i].id;
		if (v[i].side == 0 && i + 1 < n && v[i + 1].side == 1 && strcmp(v[i + 1].name, name) == 0)
			b = v[++i].id;
		int64_t nb = count(c, 0, a), no = count(c, 1, b);
		double w = fmax(share(&c->s[0], nb), share(&c->s[1], no));
		if (w < c->min_share) {
			rest_b += nb;
			rest_o += no;
			rest_n++;
			continue;
		}
		cJSON *o = merge(c, a, b, name);
		if (!o)
			goto fail;
		items[k++] = (struct item){o, w};
	}
	if (!items)
		goto fail;
	qsort(items, k, sizeof *items, by_weight);
	for (size_t i = 0; i < k; i++) {
		cJSON_AddItemToArray(arr, items[i].o);
	}
	if (rest_n) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", "(rest)");
		cJSON_AddNullToObject(r, "module");
		add_counts(r, c, rest_b, rest_o);
		cJSON_AddItemToObject(r, "children", cJSON_CreateArray());
		cJSON_AddItemToArray(arr, r);
		c->pruned_nodes += rest_n;
		c->pruned_base += rest_b;
		c->pruned_other += rest_o;
	}
	free(items);
	free(v);
	return arr;
fail:
	for (size_t i = 0; i < k; i++)
		cJSON_Delete(items[i].o);
	free(items);
	free(v);
	cJSON_Delete(arr);
	return NULL;
}

/* One merged node: ia in the base tree, ib in the other (-1 = absent; 0, 0 = the roots). */
static cJSON *merge(struct cmp *c, int32_t ia, int32_t ib, const char *name)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	if (ia != 0 || ib != 0) { /* not the root */
		int s = ia >= 0 ? 0 : 1;
		const struct api_stk_tnode *v = &c->s[s].t.v[s ? ib : ia];
		const char *m = api_stk_module(&c->s[s].q, v->module);
		if (m)
			cJSON_AddStringToObject(o, "module", m);
		else
			cJSON_AddNullToObject(o, "module");
		cJSON_AddBoolToObject(o, "kernel", v->kernel);
	}
	add_counts(o, c, count(c, 0, ia), count(c, 1, ib));
	cJSON *kids = merge_children(c, ia, ib);
	if (!kids) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddItemToObject(o, "children", kids);
	return o;
}

/* ?runs=A,B: exactly two distinct run ids into a and b. 0, or an HTTP status with *out. */
static int parse_pair(const struct api_request *rq, char *a, char *b, cJSON **out)
{
	char buf[160];
	char *comma;
	if (api_param(rq, "runs", 0, buf, sizeof buf) != 1 || !(comma = strchr(buf, ',')) ||
	    strchr(comma + 1, ',')) {
		*out = api_error("name two runs: ?runs=ID,ID");
		return 400;
	}
	*comma = 0;
	if (!api_valid_run_id(buf) || !api_valid_run_id(comma + 1)) {
		*out = api_error("no such run");
		return 404;
	}
	if (strcmp(buf, comma + 1) == 0) {
		*out = api_error("a run is named twice");
		return 400;
	}
	/* valid ids are DB_PUBLIC_ID_LEN characters: they fit */
	memcpy(a, buf, DB_PUBLIC_ID_LEN + 1);
	memcpy(b, comma + 1, DB_PUBLIC_ID_LEN + 1);
	return 0;
}

/* Refuse the filters that name times or ids of one run. */
static int refuse_run_filters(const struct api_request *rq, cJSON **out)
{
	static const char *const per_run[] = {"from", "to", "pid", "tid"};
	char buf[8];
	for (size_t i = 0; i < sizeof per_run / sizeof *per_run; i++)
		if (api_param(rq, per_run[i], 0, buf, sizeof buf) != 0) {
			*out = api_error("'%s' is not taken here: times and ids differ between runs "
					 "(cpus, module, idle, group, invert and min_share are)", per_run[i]);
			return 400;
		}
	return 0;
}

int api_compare_stacks(sqlite3 *db, const struct api_request *rq, cJSON **out)
{
	char ids[2][DB_PUBLIC_ID_LEN + 1], base[DB_PUBLIC_ID_LEN + 1];
	struct cmp c;
	int invert, by_module, by_function, st;
	memset(&c, 0, sizeof c);
	if ((st = parse_pair(rq, ids[0], ids[1], out)) ||
	    (st = refuse_run_filters(rq, out)))
		return st;
	if (api_stk_tree_params(rq, &invert, &by_module, &by_function, &c.min_share, out))
		return 400;
	for (int k = 0; k < 2 && !st; k++) {
		st = api_stk_query_parse(db, ids[k], rq, 0, &c.s[k].q, out);
		c.s[k].parsed = !st;
	}
	/* the baseline: ?base=, else the earlier trace start, else the first named */
	int br = api_param(rq, "base", 0, base, sizeof base), bi = 0;
	const char *rule = "the run chosen as baseline";
	if (!st && br != 0) {
		bi = br == 1 && strcmp(base, ids[1]) == 0;
		if (br < 0 || (!bi && strcmp(base, ids[0]) != 0)) {
			*out = api_error("'base' must be one of the compared runs");
			st = 400;
		}
	} else if (!st) {
		const struct db_run *r0 = &c.s[0].q.run, *r1 = &c.s[1].q.run;
		bi = r1->has_start && (!r0->has_start || r1->start_utc_us < r0->start_utc_us);
		rule = r0->has_start && r1->has_start && r0->start_utc_us != r1->start_utc_us
			       ? "the earlier trace start" : "the first run named";
	}
	if (!st && bi) {
		struct side tmp = c.s[0];
		c.s[0] = c.s[1];
		c.s[1] = tmp;
	}
	for (int k = 0; k < 2 && !st; k++) {
		/* the query's filter points into itself: it was moved, so point it again */
		c.s[k].q.f.cpu_words = c.s[k].q.f.cpu_words ? c.s[k].q.cpus.w : NULL;
		c.s[k].t.inverted = invert;
		c.s[k].t.by_module = by_module;
		c.s[k].t.by_function = by_function;
		st = api_stk_tree_build(db, &c.s[k].q, &c.s[k].t, out);
	}
	double sec[2] = {0, 0};
	for (int k = 0; k < 2 && !st; k++)
		sec[k] = (double)c.s[k].q.run.duration_us / 1e6;
	int per_second = !st && fmin(sec[0], sec[1]) > 0 && fmax(sec[0], sec[1]) / fmin(sec[0], sec[1]) > 1.05;
	for (int k = 0; k < 2; k++)
		c.s[k].per = per_second ? 1 / sec[k] : 1;
	cJSON *root = st ? NULL : merge(&c, 0, 0, "all");
	if (!st && !root) {
		*out = api_error("out of memory");
		st = 500;
	}
	if (!st) {
		*out = cJSON_CreateObject();
		cJSON_AddStringToObject(*out, "base", c.s[0].q.run.public_id);
		cJSON_AddStringToObject(*out, "other", c.s[1].q.run.public_id);
		cJSON_AddStringToObject(*out, "baseline_rule", rule);
		cJSON_AddNumberToObject(*out, "base_total", (double)c.s[0].t.total);
		cJSON_AddNumberToObject(*out, "other_total", (double)c.s[1].t.total);
		cJSON_AddNumberToObject(*out, "base_duration_ms", sec[0] * 1e3);
		cJSON_AddNumberToObject(*out, "other_duration_ms", sec[1] * 1e3);
		cJSON_AddStringToObject(*out, "normalised", per_second ? "per_second" : "none");
		cJSON_AddBoolToObject(*out, "idle_excluded", !c.s[0].q.f.idle);
		cJSON_AddStringToObject(*out, "group", by_module ? "module" : by_function ? "function" : "frame");
		cJSON_AddBoolToObject(*out, "inverted", invert);
		cJSON_AddNumberToObject(*out, "min_share", c.min_share);
		cJSON_AddItemToObject(*out, "root", root);
		cJSON *pr = cJSON_AddObjectToObject(*out, "pruned");
		cJSON_AddNumberToObject(pr, "nodes", (double)c.pruned_nodes);
		cJSON_AddNumberToObject(pr, "base", (double)c.pruned_base);
		cJSON_AddNumberToObject(pr, "other", (double)c.pruned_other);
	}
	for (int k = 0; k < 2; k++) {
		api_stk_tree_clear(&c.s[k].t);
		if (c.s[k].parsed)
			api_stk_query_clear(&c.s[k].q);
	}
	return st ? st : 200;
}
