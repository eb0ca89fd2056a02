/* sym_path.c — parses the _NT_SYMBOL_PATH syntax (see sym_path.h) into symbol sources. */
#include "sym_err.h"
#include "sym_path.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_http(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

/* Splits one element at '*' into at most max fields (copies, NUL-terminated in buf). */
static int split_star(char *buf, char **f, int max)
{
	int n = 0;
	f[n++] = buf;
	for (char *s = buf; *s; s++)
		if (*s == '*') {
			if (n == max)
				return -1;
			*s = '\0';
			f[n++] = s + 1;
		}
	return n;
}

static int add_server(sym_path *p, char **f, int nf, const char *cache, char *err, size_t errlen)
{
	const char *where = f[nf - 1];
	if (!*where)
		return sym_errf(err, errlen,
				"\"srv*\" needs a server URL or directory after the last '*'");
	if (nf - 1 > SYM_PATH_MAX_STORES)
		return sym_errf(err, errlen, "too many '*' in a srv* element (at most %d stores)",
				SYM_PATH_MAX_STORES);
	sym_source *s = &p->src[p->n];
	memset(s, 0, sizeof *s);
	s->kind = SYM_SRC_SERVER;
	s->is_http = is_http(where);
	s->where = strdup(where);
	for (int i = 0; i < nf - 1; i++) {
		const char *store = *f[i] ? f[i] : cache; /* srv**URL: the default cache */
		if (store && *store)
			s->stores[s->nstores++] = strdup(store);
	}
	if (nf == 1 && cache && *cache)
		s->stores[s->nstores++] = strdup(cache);
	p->n++;
	return 0;
}

static int add_element(sym_path *p, char *e, char **cache, const char *default_cache, char *err,
		       size_t errlen)
{
	char *f[SYM_PATH_MAX_STORES + 3];
	int nf = split_star(e, f, SYM_PATH_MAX_STORES + 3);
	if (nf < 0)
		return sym_errf(err, errlen, "too many '*' in \"%s\" (at most %d stores)", e,
				SYM_PATH_MAX_STORES);
	if (nf > 1 && !strcasecmp(f[0], "cache")) {
		if (nf > 2)
			return sym_errf(err, errlen, "\"cache*\" takes one directory");
		free(*cache);
		*cache = strdup(*f[1] ? f[1] : default_cache ? default_cache : "");
		return 0;
	}
	if (p->n == SYM_PATH_MAX_SOURCES)
		return sym_errf(err, errlen, "more than %d symbol sources", SYM_PATH_MAX_SOURCES);
	const char *c = *cache && **cache ? *cache : default_cache;
	if (nf > 1 && !strcasecmp(f[0], "srv"))
		return add_server(p, f + 1, nf - 1, c, err, errlen);
	if (nf > 2 && !strcasecmp(f[0], "symsrv"))
		return add_server(p, f + 2, nf - 2, c, err, errlen);
	if (nf > 1)
		return sym_errf(
			err, errlen,
			"unknown symbol path element \"%s*…\" (expected srv*, symsrv*, cache* "
			"or a directory)",
			f[0]);
	if (is_http(f[0]))
		return sym_errf(err, errlen, "a URL needs \"srv*\" before it: srv*%s", f[0]);
	sym_source *s = &p->src[p->n++];
	memset(s, 0, sizeof *s);
	s->kind = SYM_SRC_DIR;
	s->where = strdup(f[0]);
	return 0;
}

int sym_path_parse(const char *text, const char *default_cache, sym_path *p, char *err,
		   size_t errlen)
{
	memset(p, 0, sizeof *p);
	char *copy = strdup(text ? text : ""), *cache = NULL, *save = NULL;
	if (!copy)
		return sym_errf(err, errlen, "out of memory");
	int rc = 0;
	for (char *e = strtok_r(copy, ";", &save); e && rc == 0; e = strtok_r(NULL, ";", &save)) {
		while (*e == ' ' || *e == '\t')
			e++;
		size_t len = strlen(e);
		while (len && (e[len - 1] == ' ' || e[len - 1] == '\t'))
			e[--len] = '\0';
		if (*e)
			rc = add_element(p, e, &cache, default_cache, err, errlen);
	}
	free(copy);
	free(cache);
	if (rc != 0)
		sym_path_clear(p);
	return rc;
}

void sym_path_clear(sym_path *p)
{
	for (int i = 0; i < p->n; i++) {
		free(p->src[i].where);
		for (int j = 0; j < p->src[i].nstores; j++)
			free(p->src[i].stores[j]);
	}
	memset(p, 0, sizeof *p);
}
