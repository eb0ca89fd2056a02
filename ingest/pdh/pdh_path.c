/* pdh_path.c — counter-path splitting and Processor/Processor Information → CPU mapping. */
#include <stdlib.h>
#include <string.h>
#include "pdh_path.h"

static const char *pdh_find_close(const char *p, const char *e)
{
	for (; p + 1 < e; p++)
		if (p[0] == ')' && p[1] == '\\')
			return p;
	return NULL;
}

static char *pdh_put(char **w, const char *s, size_t n)
{
	char *r = *w;
	memcpy(r, s, n);
	r[n] = '\0';
	*w += n + 1;
	return r;
}

int pdh_path_parse(const char *path, size_t len, struct pdh_path *out)
{
	const char *p = path, *e = path + len, *ms = p, *me = p, *os, *oe, *is = NULL,
		   *ie = NULL, *cs;
	char *w;

	memset(out, 0, sizeof *out);
	if (len < 2 || p[0] != '\\')
		return -1;
	if (p[1] == '\\') { /* \\MACHINE\… */
		ms = p + 2;
		me = memchr(ms, '\\', (size_t)(e - ms));
		if (!me)
			return -1;
		p = me + 1;
	} else {            /* \Object…: a path without a machine */
		p++;
	}
	os = p;
	while (p < e && *p != '(' && *p != '\\')
		p++;
	oe = p;
	if (p >= e || oe == os)
		return -1;
	if (*p == '(') {
		is = p + 1;
		ie = pdh_find_close(is, e);
		if (!ie)
			return -1;
		cs = ie + 2;
	} else {
		cs = p + 1;
	}
	if (cs >= e)
		return -1;
	out->storage = malloc(len + 4);
	if (!out->storage)
		return -2;
	w = out->storage;
	out->machine = pdh_put(&w, ms, (size_t)(me - ms));
	out->object = pdh_put(&w, os, (size_t)(oe - os));
	out->instance = is ? pdh_put(&w, is, (size_t)(ie - is)) : NULL;
	out->counter = pdh_put(&w, cs, (size_t)(e - cs));
	return 0;
}

void pdh_path_free(struct pdh_path *p)
{
	free(p->storage);
	memset(p, 0, sizeof *p);
}

static int pdh_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int pdh_path_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (pdh_lower((unsigned char)*a) != pdh_lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* A plain decimal in s[0..n) no larger than max; -1 otherwise. */
static int pdh_small_uint(const char *s, size_t n, int max)
{
	int v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

struct pdh_cpu_ref pdh_cpu_classify(const char *object, const char *instance)
{
	struct pdh_cpu_ref r = {PDH_CPU_NONE, 0, -1};
	if (!object || !instance)
		return r;
	if (pdh_path_ieq(object, "Processor")) {
		int n = pdh_small_uint(instance, strlen(instance), PDH_CPU_MAX_INDEX);
		if (n >= 0) {
			r.kind = PDH_CPU_PROCESSOR;
			r.index = n;
		}
	} else if (pdh_path_ieq(object, "Processor Information")) {
		const char *comma = strchr(instance, ',');
		if (comma) {
			int node = pdh_small_uint(instance, (size_t)(comma - instance),
						  PDH_CPU_MAX_NODES - 1);
			int idx = pdh_small_uint(comma + 1, strlen(comma + 1), PDH_CPU_MAX_INDEX);
			if (node >= 0 && idx >= 0) {
				r.kind = PDH_CPU_PROCINFO;
				r.node = node;
				r.index = idx;
			}
		}
	}
	return r;
}

void pdh_cpu_nodes_init(struct pdh_cpu_nodes *n)
{
	for (int i = 0; i < PDH_CPU_MAX_NODES; i++)
		n->max_index[i] = -1;
}

void pdh_cpu_nodes_add(struct pdh_cpu_nodes *n, struct pdh_cpu_ref r)
{
	if (r.kind == PDH_CPU_PROCINFO && r.index > n->max_index[r.node])
		n->max_index[r.node] = r.index;
}

int pdh_cpu_number(const struct pdh_cpu_nodes *n, struct pdh_cpu_ref r)
{
	int base = 0;
	switch (r.kind) {
	case PDH_CPU_PROCESSOR:
		return r.index;
	case PDH_CPU_PROCINFO:
		for (int j = 0; j < r.node; j++) {
			if (n->max_index[j] < 0)
				return -1;
			base += n->max_index[j] + 1;
		}
		return base + r.index;
	default:
		return -1;
	}
}
