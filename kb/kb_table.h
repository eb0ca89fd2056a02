/* kb_table.h — layout of the generated table (kb_table.c, written by kb_gen from
 * drivers.csv). Internal to kb/: the rest of the program uses kb.h. */
#ifndef ETLSCOPE_KB_TABLE_H
#define ETLSCOPE_KB_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "kb.h"

/* A name pattern ('?' one character, '*' any run, lower case) and the rows it selects:
 * kb_table_rows[first .. first+count). CSV rows whose driver is a pattern select
 * themselves; rename rules (mpksl*.sys -> mpksldrv.sys, ...) select their target's rows. */
struct kb_pattern {
	const char *pattern;
	uint32_t first, count;
};

/* All rows: first kb_table_exact_n rows with literal names, sorted by name (strcmp; names
 * are lower case) then by CSV line; then the rows whose name is a pattern. */
extern const struct kb_entry kb_table_rows[];
extern const size_t kb_table_rows_n;
extern const size_t kb_table_exact_n;

extern const struct kb_pattern kb_table_patterns[];
extern const size_t kb_table_patterns_n;

extern const char kb_table_version[];

#endif
