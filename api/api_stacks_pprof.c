/* api_stacks_pprof.c — the selection's call tree as a pprof profile: profile.proto
 * (google/pprof, Apache-2.0, vendored in api/pprof/) encoded by protobuf-c's generated code,
 * gzip-compressed with zlib, as pprof reads it.
 *
 * One sample type ["samples", "count"]; one Function and one Location (id = function id,
 * one Line) per distinct frame (module+offset, or module when grouped), named by the tree's
 * naming; one Sample per distinct stack with its exclusive samples as value, location ids
 * leaf first as the format requires. time_nanos/duration_nanos give the window. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "api_stacks.h"
#include "db_stk_map.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__ValueType ValueType;

struct pp {
	struct stk_map index; /* (module, offset) → function id */
	Function *fn;         /* function i has id i + 1; its location too */
	Location *loc;
	Line *line;
	size_t nfn, capfn;
	char **strings;
	size_t nstr, capstr;
	struct slot {
		uint64_t *ids; /* location ids, leaf first */
		size_t n;
		int64_t value;
	} *slots;              /* one per distinct stack (the Samples are made at the end:
				* they point into this array, which moves while it grows) */
	size_t nslots, capslots;
	int failed;
};

static int64_t add_string(struct pp *p, const char *s)
{
	char *copy = strdup(s);
	if (!copy || api_grow((void **)&p->strings, p->nstr, &p->capstr, sizeof *p->strings)) {
		free(copy);
		p->failed = 1;
		return 0;
	}
	p->strings[p->nstr] = copy;
	return (int64_t)p->nstr++;
}

/* The function (and location) id of tree node i's frame. */
static uint64_t frame_id(struct pp *p, const struct api_stk_tree *t, int32_t i)
{
	const struct api_stk_tnode *v = &t->v[i];
	struct stk_entry *e = stk_map_put(&p->index, (uint64_t)(int64_t)v->module, v->offset, 0);
	if (!e) {
		p->failed = 1;
		return 0;
	}
	if (e->v)
		return (uint64_t)e->v;
	if (p->nfn == p->capfn) {
		size_t cap = p->capfn ? p->capfn * 2 : 256;
		Function *fn = realloc(p->fn, cap * sizeof *fn);
		if (fn)
			p->fn = fn;
		Location *loc = fn ? realloc(p->loc, cap * sizeof *loc) : NULL;
		if (loc)
			p->loc = loc;
		Line *line = loc ? realloc(p->line, cap * sizeof *line) : NULL;
		if (!line) {
			p->failed = 1;
			return 0;
		}
		p->line = line;
		p->capfn = cap;
	}
	char name[320];
	api_stk_tree_name(t, i, name, sizeof name);
	size_t k = p->nfn++;
	uint64_t id = k + 1;
	p->fn[k] = (Function)PERFTOOLS__PROFILES__FUNCTION__INIT;
	p->fn[k].id = id;
	p->fn[k].name = add_string(p, name);
	p->line[k] = (Line)PERFTOOLS__PROFILES__LINE__INIT;
	p->line[k].function_id = id;
	p->loc[k] = (Location)PERFTOOLS__PROFILES__LOCATION__INIT;
	p->loc[k].id = id;
	e->v = (int64_t)id;
	return id;
}

static void add_sample(void *ud, const struct api_stk_tree *t, const int32_t *path, int n,
		       int64_t self)
{
	struct pp *p = ud;
	if (p->failed)
		return;
	if (api_grow((void **)&p->slots, p->nslots, &p->capslots, sizeof *p->slots)) {
		p->failed = 1;
		return;
	}
	uint64_t *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
	if (!ids) {
		p->failed = 1;
		return;
	}
	for (int k = 0; k < n; k++) /* leaf first */
		ids[k] = frame_id(p, t, path[n - 1 - k]);
	p->slots[p->nslots++] = (struct slot){ids, (size_t)n, self};
}

/* gzip (RFC 1952) of in[0..n) into a malloc'd buffer. 0 or -1. */
static int gzip(const uint8_t *in, size_t n, unsigned char **out, size_t *len)
{
	z_stream z = {0};
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)n) + 32;
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int api_stk_pprof(const struct api_stk_tree *t, int64_t time_ns, int64_t duration_ns,
		  unsigned char **out, size_t *len)
{
	struct pp p = {0};
	int32_t *path = malloc(DB_STK_MAX_DEPTH * sizeof *path);
	int rc = -1;
	*out = NULL;
	if (!path || stk_map_init(&p.index, 20)) {
		free(path);
		return -1;
	}
	add_string(&p, ""); /* string_table[0] must be "" */
	ValueType st = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	st.type = add_string(&p, "samples");
	st.unit = add_string(&p, "count");
	api_stk_tree_walk(t, 0, path, 0, add_sample, &p);
	Sample *samples = malloc((p.nslots ? p.nslots : 1) * sizeof *samples);
	Sample **sp = malloc((p.nslots ? p.nslots : 1) * sizeof *sp);
	Location **lp = malloc((p.nfn ? p.nfn : 1) * sizeof *lp);
	Function **fp = malloc((p.nfn ? p.nfn : 1) * sizeof *fp);
	Line **linep = malloc((p.nfn ? p.nfn : 1) * sizeof *linep);
	if (!p.failed && samples && sp && lp && fp && linep) {
		for (size_t i = 0; i < p.nslots; i++) {
			samples[i] = (Sample)PERFTOOLS__PROFILES__SAMPLE__INIT;
			samples[i].n_location_id = p.slots[i].n;
			samples[i].location_id = p.slots[i].ids;
			samples[i].n_value = 1;
			samples[i].value = &p.slots[i].value;
			sp[i] = &samples[i];
		}
		for (size_t i = 0; i < p.nfn; i++) {
			linep[i] = &p.line[i];
			p.loc[i].n_line = 1;
			p.loc[i].line = &linep[i];
			lp[i] = &p.loc[i];
			fp[i] = &p.fn[i];
		}
		ValueType *stp = &st;
		Profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
		prof.n_sample_type = 1;
		prof.sample_type = &stp;
		prof.n_sample = p.nslots;
		prof.sample = sp;
		prof.n_location = p.nfn;
		prof.location = lp;
		prof.n_function = p.nfn;
		prof.function = fp;
		prof.n_string_table = p.nstr;
		prof.string_table = p.strings;
		prof.time_nanos = time_ns;
		prof.duration_nanos = duration_ns;
		size_t n = perftools__profiles__profile__get_packed_size(&prof);
		uint8_t *buf = malloc(n ? n : 1);
		if (buf) {
			perftools__profiles__profile__pack(&prof, buf);
			rc = gzip(buf, n, out, len);
			free(buf);
		}
	}
	free(samples);
	free(sp);
	free(lp);
	free(fp);
	free(linep);
	for (size_t i = 0; i < p.nslots; i++)
		free(p.slots[i].ids);
	for (size_t i = 0; i < p.nstr; i++)
		free(p.strings[i]);
	free(p.slots);
	free(p.strings);
	free(p.fn);
	free(p.loc);
	free(p.line);
	stk_map_free(&p.index);
	free(path);
	return rc;
}
