/* api_tags.c — reading a .stacktags file (expat, streaming, every count and length bounded)
 * and matching one frame against its rules (see api_tags.h). */
#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api_stacks.h"
#include "api_tags.h"

struct parse {
	XML_Parser p;
	struct api_tag_set *set;
	int32_t stack[API_TAGS_MAX_DEPTH]; /* open <Tag> elements (tag index) */
	int depth;                         /* open elements of any kind */
	int ntag_open;
	size_t cap_tags, cap_rules;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct parse *ps, const char *msg)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "stack tags, line %lu: %s",
			 (unsigned long)XML_GetCurrentLineNumber(ps->p), msg);
	ps->failed = 1;
	XML_StopParser(ps->p, XML_FALSE);
}

static const char *attr(const XML_Char **a, const char *name)
{
	for (; a[0]; a += 2)
		if (strcmp(a[0], name) == 0)
			return a[1];
	return NULL;
}

static void open_tag(struct parse *ps, const XML_Char **a)
{
	struct api_tag_set *s = ps->set;
	const char *name = attr(a, "Name"), *prio = attr(a, "Priority");
	if (!name)
		name = "";
	if (strlen(name) > API_TAGS_MAX_NAME || (prio && strlen(prio) > 12)) {
		fail(ps, "a Name or Priority is too long");
		return;
	}
	long p = 0;
	if (prio) {
		char *end;
		errno = 0;
		p = strtol(prio, &end, 10);
		if (end == prio || *end || errno || p < -1000000000L || p > 1000000000L) {
			fail(ps, "Priority takes a whole number");
			return;
		}
	}
	if (s->ntags == API_TAGS_MAX_TAGS) {
		fail(ps, "too many Tag elements");
		return;
	}
	if (api_grow((void **)&s->tags, s->ntags, &ps->cap_tags, sizeof *s->tags)) {
		fail(ps, "out of memory");
		return;
	}
	const char *parent = ps->ntag_open ? s->tags[ps->stack[ps->ntag_open - 1]].path : "";
	size_t n = strlen(parent) + strlen(name) + 2;
	char *path = malloc(n);
	if (!path) {
		fail(ps, "out of memory");
		return;
	}
	snprintf(path, n, "%s%s%s", parent, parent[0] && name[0] ? "\\" : "", name);
	s->tags[s->ntags] = (struct api_tag){path, (int)p};
	ps->stack[ps->ntag_open++] = (int32_t)s->ntags++;
}

static int only_stars(const char *p)
{
	for (; *p; p++)
		if (*p != '*')
			return 0;
	return 1;
}

static void add_rule(struct parse *ps, const XML_Char **a)
{
	struct api_tag_set *s = ps->set;
	const char *mod = attr(a, "Module"), *meth = attr(a, "Method");
	if (!ps->ntag_open) {
		fail(ps, "an Entrypoint outside any Tag");
		return;
	}
	if (!mod || !*mod) {
		fail(ps, "an Entrypoint without a Module");
		return;
	}
	if (!meth || !*meth)
		meth = "*";
	if (strlen(mod) > API_TAGS_MAX_NAME || strlen(meth) > API_TAGS_MAX_NAME) {
		fail(ps, "a Module or Method pattern is too long");
		return;
	}
	if (s->nrules == API_TAGS_MAX_RULES) {
		fail(ps, "too many Entrypoint elements");
		return;
	}
	if (api_grow((void **)&s->rules, s->nrules, &ps->cap_rules, sizeof *s->rules)) {
		fail(ps, "out of memory");
		return;
	}
	struct api_tag_rule *r = &s->rules[s->nrules];
	r->module = strdup(mod);
	r->method = strdup(meth);
	if (!r->module || !r->method) {
		free(r->module);
		free(r->method);
		fail(ps, "out of memory");
		return;
	}
	r->tag = ps->stack[ps->ntag_open - 1];
	r->any_method = (uint8_t)only_stars(meth);
	s->method_rules += !r->any_method;
	s->nrules++;
}

static void XMLCALL on_start(void *ud, const XML_Char *el, const XML_Char **a)
{
	struct parse *ps = ud;
	if (ps->failed)
		return;
	if (ps->depth == 0 && strcmp(el, "Tag") != 0) {
		fail(ps, "the root element must be <Tag>");
		return;
	}
	if (++ps->depth > API_TAGS_MAX_DEPTH) {
		fail(ps, "Tag elements nested too deep");
		return;
	}
	if (strcmp(el, "Tag") == 0)
		open_tag(ps, a);
	else if (strcmp(el, "Entrypoint") == 0)
		add_rule(ps, a);
	else if (strcmp(el, "HintTag") == 0)
		ps->set->hint_tags++;
	/* other elements are not part of the format: ignored */
}

static void XMLCALL on_end(void *ud, const XML_Char *el)
{
	struct parse *ps = ud;
	if (ps->failed)
		return;
	ps->depth--;
	if (strcmp(el, "Tag") == 0 && ps->ntag_open)
		ps->ntag_open--;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sys,
			       const XML_Char *pub, int internal)
{
	(void)name, (void)sys, (void)pub, (void)internal;
	fail(ud, "a DOCTYPE is not accepted");
}

int api_tags_parse(const char *xml, size_t len, struct api_tag_set *set, char *err,
		   size_t errlen)
{
	memset(set, 0, sizeof *set);
	if (len > API_TAGS_MAX_BYTES) {
		snprintf(err, errlen, "stack tags: the file is larger than %d bytes",
			 API_TAGS_MAX_BYTES);
		return -1;
	}
	struct parse ps = {.set = set, .err = err, .errlen = errlen};
	ps.p = XML_ParserCreate(NULL);
	if (!ps.p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	XML_SetUserData(ps.p, &ps);
	XML_SetElementHandler(ps.p, on_start, on_end);
	XML_SetStartDoctypeDeclHandler(ps.p, on_doctype);
	XML_SetParamEntityParsing(ps.p, XML_PARAM_ENTITY_PARSING_NEVER);
	enum XML_Status st = XML_Parse(ps.p, xml, (int)len, XML_TRUE);
	if (st != XML_STATUS_OK && !ps.failed) {
		snprintf(err, errlen, "stack tags, line %lu: %s",
			 (unsigned long)XML_GetCurrentLineNumber(ps.p),
			 XML_ErrorString(XML_GetErrorCode(ps.p)));
		ps.failed = 1;
	}
	if (!ps.failed && !set->ntags) {
		snprintf(err, errlen, "stack tags: no <Tag> element");
		ps.failed = 1;
	}
	XML_ParserFree(ps.p);
	if (ps.failed) {
		api_tags_clear(set);
		return -1;
	}
	return 0;
}

void api_tags_clear(struct api_tag_set *set)
{
	for (size_t i = 0; i < set->ntags; i++)
		free(set->tags[i].path);
	for (size_t i = 0; i < set->nrules; i++) {
		free(set->rules[i].module);
		free(set->rules[i].method);
	}
	free(set->tags);
	free(set->rules);
	memset(set, 0, sizeof *set);
}

int api_tags_glob(const char *pat, const char *s)
{
	/* iterative wildcard matching with one backtrack point (the last '*') */
	const char *star = NULL, *mark = NULL;
	while (*s) {
		if (*pat == '*') {
			star = pat++;
			mark = s;
		} else if (*pat == '?' ||
			   tolower((unsigned char)*pat) == tolower((unsigned char)*s)) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++mark;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == 0;
}

int32_t api_tags_match(const struct api_tag_set *set, const char *module, const char *method)
{
	int32_t best = -1;
	if (!module)
		return -1;
	for (size_t i = 0; i < set->nrules; i++) {
		const struct api_tag_rule *r = &set->rules[i];
		if (best >= 0 && set->tags[r->tag].priority <= set->tags[best].priority)
			continue;
		if (!api_tags_glob(r->module, module))
			continue;
		if (method ? !api_tags_glob(r->method, method) : !r->any_method)
			continue;
		best = r->tag;
	}
	return best;
}
