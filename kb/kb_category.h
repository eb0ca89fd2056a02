/* kb_category.h — the closed set of driver categories (drivers.md) and their labels;
 * shared by the build-time generator (validation) and the library (labels). */
#ifndef ETLSCOPE_KB_CATEGORY_H
#define ETLSCOPE_KB_CATEGORY_H

#include <stddef.h>

struct kb_category {
	const char *name;  /* as written in drivers.csv */
	const char *label; /* for people */
};

/* The categories, in drivers.md order. */
extern const struct kb_category kb_categories[];
extern const size_t kb_categories_n;

/* The category named name, or NULL when name is NULL or not a category. */
const struct kb_category *kb_category_find(const char *name);

#endif
