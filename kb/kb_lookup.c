/* kb_lookup.c — kb_lookup(): from a module name or image path to the matching rows of the
 * generated table; binary search over literal names, then the short pattern list. No
 * allocation, no state: the key lives on the stack and is bounded by KB_NAME_MAX. */
#include <stdbool.h>
#include <string.h>
#include "kb_table.h"

static bool is_separator(char c)
{
	return c == '\\' || c == '/';
}

/* The last path component of image, ignoring trailing separators. */
static const char *last_component(const char *image, size_t *len)
{
	size_t end = strlen(image);
	while (end > 0 && is_separator(image[end - 1]))
		end--;
	size_t start = end;
	while (start > 0 && !is_separator(image[start - 1]))
		start--;
	*len = end - start;
	return image + start;
}

/* '?' matches one character, '*' any run (possibly empty); iterative, O(len(s)*len(p)). */
static bool glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* First literal row named key, and how many rows share that name. */
static size_t exact_range(const char *key, size_t *first)
{
	size_t lo = 0, hi = kb_table_exact_n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(kb_table_rows[mid].driver, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < kb_table_exact_n && strcmp(kb_table_rows[end].driver, key) == 0)
		end++;
	*first = lo;
	return end - lo;
}

static size_t store(const struct kb_entry **out, size_t max, size_t n, size_t first,
		    size_t count)
{
	for (size_t i = 0; i < count && n < max; i++)
		out[n++] = &kb_table_rows[first + i];
	return n;
}

size_t kb_lookup(const char *image, const struct kb_entry **out, size_t max)
{
	if (!image || !out || max == 0)
		return 0;
	size_t len;
	const char *name = last_component(image, &len);
	if (len == 0 || len > KB_NAME_MAX)
		return 0;
	char key[KB_NAME_MAX + sizeof ".sys"];
	bool has_dot = false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		key[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		has_dot |= c == '.';
	}
	if (has_dot)
		key[len] = '\0';
	else
		memcpy(key + len, ".sys", sizeof ".sys"); /* names listed without extension */

	size_t first, count = exact_range(key, &first);
	size_t n = store(out, max, 0, first, count);
	for (size_t i = 0; i < kb_table_patterns_n && n < max; i++) {
		const struct kb_pattern *p = &kb_table_patterns[i];
		if (count && p->first == first)
			continue; /* a rule whose target is the exact name: rows already stored */
		if (glob_match(p->pattern, key))
			n = store(out, max, n, p->first, p->count);
	}
	return n;
}
