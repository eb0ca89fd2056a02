/* kb_gen.h — shared pieces of the build-time generator kb_gen (drivers.csv -> kb_table.c):
 * line splitting (kb_gen_csv.c), validation (kb_gen_check.c), rename rules
 * (kb_gen_rules.c) and C output (kb_gen_emit.c). Not part of the library. */
#ifndef ETLSCOPE_KB_GEN_H
#define ETLSCOPE_KB_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KB_GEN_FIELDS 6
#define KB_GEN_LINE_MAX 4096 /* bytes per line, without the line end */
#define KB_GEN_TEXT_MAX 40   /* bytes of offending text quoted in an error */

enum { KB_DRIVER, KB_VENDOR, KB_PRODUCT, KB_CATEGORY, KB_ALTITUDE, KB_SOURCE };

/* What is wrong with a line: printed as "FILE:LINE: what (text)". */
struct kb_gen_error {
	char what[160];
	char text[KB_GEN_TEXT_MAX * 4 + 8]; /* escaped and truncated */
};

/* Records what is wrong and the offending bytes (escaped, truncated); returns -1. */
int kb_gen_fail(struct kb_gen_error *err, const char *what, const char *text, size_t len);

/* One line split into fields, unquoted (RFC 4180: "" inside quotes is one "). */
struct kb_gen_fields {
	char buf[KB_GEN_LINE_MAX + 1];
	char *f[KB_GEN_FIELDS]; /* the first KB_GEN_FIELDS fields, pointing into buf */
	size_t n;               /* how many fields the line has (may exceed KB_GEN_FIELDS) */
};

/* Splits line[0..len) (no line end, len <= KB_GEN_LINE_MAX); -1 and err on an
 * unterminated quote, text after a closing quote, or a quote inside an unquoted field. */
int kb_gen_split(const char *line, size_t len, struct kb_gen_fields *out, struct kb_gen_error *err);

/* Line-level checks before splitting: no control characters, valid UTF-8. */
int kb_gen_check_line(const char *line, size_t len, struct kb_gen_error *err);

/* The header line must be exactly driver,vendor,product,category,altitude,source. */
int kb_gen_check_header(const struct kb_gen_fields *fields, struct kb_gen_error *err);

/* A data line: 6 fields, valid driver name, vendor, category and altitude. Sets
 * *is_pattern when the driver name contains '?' or '*'. */
int kb_gen_check_row(const struct kb_gen_fields *fields, bool *is_pattern,
		     struct kb_gen_error *err);

/* A driver file name: NULL when valid (and *is_pattern says whether it is a pattern),
 * else what is wrong with it. */
const char *kb_gen_check_name(const char *name, bool *is_pattern);

/* A documented rename rule: names matching pattern are the driver target. */
struct kb_gen_rule {
	const char *pattern;
	const char *target;
};
extern const struct kb_gen_rule kb_gen_rules[];
extern const size_t kb_gen_rules_n;

/* A validated data row (fields owned by the row, in one allocation). */
struct kb_gen_row {
	char *field[KB_GEN_FIELDS];
	unsigned long line;
	bool is_pattern;
};

/* A pattern entry of the output: rows[first .. first+count). */
struct kb_gen_pattern {
	const char *pattern;
	size_t first, count;
};

/* Writes kb_table.c: rows (exact rows sorted, then pattern rows), patterns, version.
 * Returns 0, or -1 when writing fails. */
int kb_gen_emit(FILE *f, const struct kb_gen_row *rows, size_t n, size_t exact_n,
		const struct kb_gen_pattern *patterns, size_t patterns_n, const char *version);

#endif
