/* kb.c — the small accessors of the knowledge base: version, row count and rows, category
 * labels, and the first-party (Microsoft) test. */
#include <string.h>
#include "kb_category.h"
#include "kb_table.h"

const char *kb_version(void)
{
	return kb_table_version;
}

size_t kb_count(void)
{
	return kb_table_rows_n;
}

const struct kb_entry *kb_at(size_t i)
{
	return i < kb_table_rows_n ? &kb_table_rows[i] : NULL;
}

const char *kb_category_label(const char *category)
{
	const struct kb_category *c = kb_category_find(category);
	return c ? c->label : NULL;
}

bool kb_is_microsoft(const struct kb_entry *entry)
{
	return entry && entry->vendor && strcmp(entry->vendor, "Microsoft") == 0;
}
