/* api_stacks_export.c — GET /api/runs/{id}/stacks/export?format=folded|speedscope|pprof: the
 * selection's call tree (shared filter, ?group=frame|module, never pruned) as a download.
 * folded: Brendan Gregg's collapsed stacks, one "root;…;leaf N" line per distinct stack
 * with its samples. speedscope: one "sampled" profile per the file format schema
 * (https://www.speedscope.app/file-format-schema.json): shared frames, each distinct stack
 * once (frame indexes root first) with its samples as weight. pprof: gzip'd profile.proto
 * (api_stacks_pprof.c). Frame names are the tree's (module!function+0xOFF or
 * module+0xOFFSET, module!function in ?group=function, or the module). Idle is left out
 * unless ?idle=1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_params.h"
#include "api_stacks.h"

struct out_buf {
	char *p;
	size_t n, cap;
	int oom;
};

static void put(struct out_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->n + n + 1 > cap)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

void api_stk_tree_walk(const struct api_stk_tree *t, int32_t i, int32_t *path, int depth,
		       api_stk_visit_fn fn, void *ud)
{
	if (i && t->v[i].self)
		fn(ud, t, path, depth, t->v[i].self);
	for (int32_t c = t->v[i].first; c >= 0; c = t->v[c].next) {
		path[depth] = c;
		api_stk_tree_walk(t, c, path, depth + 1, fn, ud);
	}
}

static void folded_line(void *ud, const struct api_stk_tree *t, const int32_t *path, int n,
			int64_t self)
{
	struct out_buf *b = ud;
	char name[320], num[32];
	for (int k = 0; k < n; k++) {
		api_stk_tree_name(t, path[k], name, sizeof name);
		for (char *c = name; *c; c++)
			if (*c == ';' || *c == '\n' || *c == ' ')
				*c = '_'; /* the format's separators cannot appear in a name */
		if (k)
			put(b, ";", 1);
		put(b, name, strlen(name));
	}
	int l = snprintf(num, sizeof num, " %lld\n", (long long)self);
	put(b, num, (size_t)l);
}

struct ss {
	cJSON *frames, *samples, *weights;
	struct stk_map index; /* (module, node key) → frame index + 1 */
	int failed;
};

static void ss_stack(void *ud, const struct api_stk_tree *t, const int32_t *path, int n,
		     int64_t self)
{
	struct ss *s = ud;
	char name[320];
	cJSON *stack = cJSON_CreateArray();
	for (int k = 0; k < n; k++) {
		const struct api_stk_tnode *v = &t->v[path[k]];
		struct stk_entry *e = stk_map_put(&s->index, (uint64_t)(int64_t)v->module,
						  v->key, 0);
		if (!e) {
			s->failed = 1;
			break;
		}
		if (!e->v) {
			api_stk_tree_name(t, path[k], name, sizeof name);
			cJSON *f = cJSON_CreateObject();
			cJSON_AddStringToObject(f, "name", name);
			cJSON_AddItemToArray(s->frames, f);
			e->v = cJSON_GetArraySize(s->frames);
		}
		cJSON_AddItemToArray(stack, cJSON_CreateNumber((double)(e->v - 1)));
	}
	cJSON_AddItemToArray(s->samples, stack);
	cJSON_AddItemToArray(s->weights, cJSON_CreateNumber((double)self));
}

static char *speedscope(const struct api_stk_tree *t, const char *run_name, int32_t *path)
{
	struct ss s = {0};
	if (stk_map_init(&s.index, 20))
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "$schema", "https://www.speedscope.app/file-format-schema.json");
	cJSON_AddStringToObject(o, "name", run_name);
	cJSON_AddStringToObject(o, "exporter", "etlscope");
	cJSON *shared = cJSON_AddObjectToObject(o, "shared");
	s.frames = cJSON_AddArrayToObject(shared, "frames");
	cJSON *profiles = cJSON_AddArrayToObject(o, "profiles");
	cJSON *p = cJSON_CreateObject();
	cJSON_AddItemToArray(profiles, p);
	cJSON_AddStringToObject(p, "type", "sampled");
	cJSON_AddStringToObject(p, "name", run_name);
	cJSON_AddStringToObject(p, "unit", "none");
	cJSON_AddNumberToObject(p, "startValue", 0);
	cJSON_AddNumberToObject(p, "endValue", (double)t->total);
	s.samples = cJSON_AddArrayToObject(p, "samples");
	s.weights = cJSON_AddArrayToObject(p, "weights");
	api_stk_tree_walk(t, 0, path, 0, ss_stack, &s);
	char *text = s.failed ? NULL : cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	stk_map_free(&s.index);
	return text;
}

int api_run_stacks_export(sqlite3 *db, const char *run_id, const struct api_request *rq,
			  char **body, size_t *len, const char **mime, char *filename,
			  size_t fnlen, cJSON **out)
{
	char fmt[16];
	int got = api_param(rq, "format", 0, fmt, sizeof fmt);
	int folded = got == 1 && strcmp(fmt, "folded") == 0;
	int pprof = got == 1 && strcmp(fmt, "pprof") == 0;
	if (got != 1 || (!folded && !pprof && strcmp(fmt, "speedscope") != 0)) {
		*out = api_error("'format' takes folded, speedscope or pprof");
		return 400;
	}
	struct api_stk_query q;
	struct api_stk_tree t = {0};
	double min_share;
	int st = api_stk_tree_params(rq, &t.inverted, &t.by_module, &t.by_function, &min_share, out);
	if (st)
		return 400;
	t.inverted = 0; /* exports are root first */
	st = api_stk_query_parse(db, run_id, rq, 0, &q, out);
	if (st)
		return st;
	int32_t *path = malloc(DB_STK_MAX_DEPTH * sizeof *path);
	st = path ? api_stk_tree_build(db, &q, &t, out) : 500;
	if (!path)
		*out = api_error("out of memory");
	*body = NULL;
	if (!st && folded) {
		struct out_buf b = {0};
		put(&b, "", 0);
		api_stk_tree_walk(&t, 0, path, 0, folded_line, &b);
		if (b.oom)
			free(b.p);
		else
			*body = b.p, *len = b.n;
		*mime = "text/plain; charset=utf-8";
		snprintf(filename, fnlen, "%s.folded.txt", q.run.public_id);
	} else if (!st && pprof) {
		unsigned char *gz = NULL;
		if (api_stk_pprof(&t, api_sat_mul(q.start_us, 1000) + q.win_from_ns,
				  q.win_to_ns - q.win_from_ns, &gz, len) == 0)
			*body = (char *)gz;
		*mime = "application/octet-stream";
		snprintf(filename, fnlen, "%s.pb.gz", q.run.public_id);
	} else if (!st) {
		*body = speedscope(&t, q.run.name && q.run.name[0] ? q.run.name : q.run.public_id,
				   path);
		*len = *body ? strlen(*body) : 0;
		*mime = "application/json";
		snprintf(filename, fnlen, "%s.speedscope.json", q.run.public_id);
	}
	if (!st && !*body) {
		*out = api_error("out of memory");
		st = 500;
	}
	free(path);
	api_stk_tree_clear(&t);
	api_stk_query_clear(&q);
	return st ? st : 200;
}
