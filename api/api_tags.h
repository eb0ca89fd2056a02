/* api_tags.h — stack tags in WPA's .stacktags XML format: a tree of <Tag Name=… Priority=…>
 * elements holding <Entrypoint Module="pattern" Method="pattern"/> rules (patterns with *
 * and ?, case-insensitive). A stack's tag is the tag of its matching frames with the
 * highest priority; among equals, the frame nearest the leaf (WPA: "the bottom most mapped
 * frame tag is typically made the stack tag unless there is priority specified"). A tag is
 * named by its path from the root ("Network\Windows Firewall"; empty names left out).
 * A rule's priority is that of the Tag element holding it (0 when it has none: priorities
 * are not inherited). HintTag elements are counted and not applied. */
#ifndef ETLSCOPE_API_TAGS_H
#define ETLSCOPE_API_TAGS_H

#include <stddef.h>
#include <stdint.h>

#define API_TAGS_MAX_BYTES (1024 * 1024) /* a tag file's size */
#define API_TAGS_MAX_TAGS 8192
#define API_TAGS_MAX_RULES 32768
#define API_TAGS_MAX_DEPTH 32
#define API_TAGS_MAX_NAME 1024 /* bytes of one name or pattern */

struct api_tag {
	char *path;
	int priority;
};

struct api_tag_rule {
	char *module, *method;
	int32_t tag;
	uint8_t any_method; /* the method pattern is only '*': matches frames without a name */
};

struct api_tag_set {
	struct api_tag *tags;
	size_t ntags;
	struct api_tag_rule *rules;
	size_t nrules;
	size_t hint_tags;    /* HintTag elements seen (not applied) */
	size_t method_rules; /* rules that need function names (symbols) */
};

/* Parse a .stacktags document into set (caller-owned, zeroed). 0, or -1 with err set
 * (not XML, a DOCTYPE, a root that is not <Tag>, a limit above exceeded). */
int api_tags_parse(const char *xml, size_t len, struct api_tag_set *set, char *err,
		   size_t errlen);
void api_tags_clear(struct api_tag_set *set);

/* The tag of one frame: module is its module's name (NULL when unknown), method its function
 * name (NULL when the frame has none, e.g. module+0xOFFSET). The matching rule's tag index
 * with the highest priority (the first such rule in the file), or -1. */
int32_t api_tags_match(const struct api_tag_set *set, const char *module, const char *method);

/* 1 if s matches the pattern (* any run, ? one character, ASCII case-insensitive). */
int api_tags_glob(const char *pat, const char *s);

#endif
