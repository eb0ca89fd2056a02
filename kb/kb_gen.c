/* kb_gen.c — build-time generator: `kb_gen drivers.csv kb_table.c`. Reads the driver CSV,
 * validates every line (kb_gen_check.c), and on the first malformed line prints
 * "drivers.csv:LINE: what is wrong (offending text)" and exits 1, writing nothing. On
 * success writes the table as C (kb_gen_emit.c): literal names sorted for binary search,
 * then pattern rows; patterns and rename rules (kb_gen_rules.c) in their own list; and the
 * version "<rows> drivers, <12 hex digits of FNV-1a 64 of the file bytes>". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kb.h"
#include "kb_gen.h"

#define KB_GEN_FILE_MAX (64u << 20) /* a knowledge base, not a trace */

struct kb_gen {
	const char *path;
	struct kb_gen_row *rows;
	size_t n, cap;
};

static int fail_line(const struct kb_gen *g, unsigned long line, const struct kb_gen_error *err)
{
	fprintf(stderr, "%s:%lu: %s (%s)\n", g->path, line, err->what, err->text);
	return 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "kb_gen: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *bigger = cap < KB_GEN_FILE_MAX ? realloc(buf, cap * 2) : NULL;
			if (!bigger) {
				fprintf(stderr, "kb_gen: %s: larger than %u bytes\n", path,
					KB_GEN_FILE_MAX);
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				fprintf(stderr, "kb_gen: %s: read error\n", path);
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static uint64_t fnv1a64(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int add_row(struct kb_gen *g, const struct kb_gen_fields *fl, unsigned long line,
		   bool is_pattern)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 4096;
		struct kb_gen_row *rows = realloc(g->rows, cap * sizeof *rows);
		if (!rows)
			return -1;
		g->rows = rows;
		g->cap = cap;
	}
	size_t total = 0;
	for (int k = 0; k < KB_GEN_FIELDS; k++)
		total += strlen(fl->f[k]) + 1;
	char *mem = malloc(total);
	if (!mem)
		return -1;
	struct kb_gen_row *r = &g->rows[g->n++];
	for (int k = 0; k < KB_GEN_FIELDS; k++) {
		size_t len = strlen(fl->f[k]) + 1;
		memcpy(mem, fl->f[k], len);
		r->field[k] = mem;
		mem += len;
	}
	r->line = line;
	r->is_pattern = is_pattern;
	return 0;
}

/* Parses and validates every line; 0, or 1 after printing the first error. */
static int parse(struct kb_gen *g, const char *data, size_t len)
{
	struct kb_gen_fields fields;
	struct kb_gen_error err;
	const char *p = data, *end = data + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a UTF-8 byte-order mark, as spreadsheets write it */
	if (p == end) {
		kb_gen_fail(&err, "empty file: expected the header line", "", 0);
		return fail_line(g, 1, &err);
	}
	for (unsigned long line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = nl ? nl + 1 : end;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		bool is_pattern = false;
		if (n > KB_GEN_LINE_MAX) {
			char what[64];
			snprintf(what, sizeof what, "line longer than %d bytes", KB_GEN_LINE_MAX);
			kb_gen_fail(&err, what, p, n);
			return fail_line(g, line, &err);
		}
		if (kb_gen_check_line(p, n, &err) || kb_gen_split(p, n, &fields, &err))
			return fail_line(g, line, &err);
		if (line == 1) {
			if (kb_gen_check_header(&fields, &err))
				return fail_line(g, line, &err);
		} else {
			if (kb_gen_check_row(&fields, &is_pattern, &err))
				return fail_line(g, line, &err);
			if (add_row(g, &fields, line, is_pattern)) {
				fprintf(stderr, "kb_gen: out of memory\n");
				return 1;
			}
		}
		p = next;
	}
	return 0;
}

/* Literal names before patterns; then by name (byte order: names are lower case); then by
 * CSV line, so that rows sharing a name keep the file's order. */
static int row_cmp(const void *a, const void *b)
{
	const struct kb_gen_row *x = a, *y = b;
	if (x->is_pattern != y->is_pattern)
		return x->is_pattern ? 1 : -1;
	int c = strcmp(x->field[KB_DRIVER], y->field[KB_DRIVER]);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The same (driver, vendor) twice means a merge went wrong; report the later line. */
static int check_duplicates(const struct kb_gen *g)
{
	const struct kb_gen_row *dup = NULL, *first = NULL;
	for (size_t i = 0; i < g->n; i++)
		for (size_t j = i + 1; j < g->n &&
		     strcmp(g->rows[i].field[KB_DRIVER], g->rows[j].field[KB_DRIVER]) == 0; j++)
			if (strcmp(g->rows[i].field[KB_VENDOR], g->rows[j].field[KB_VENDOR]) == 0 &&
			    (!dup || g->rows[j].line < dup->line)) {
				dup = &g->rows[j];
				first = &g->rows[i];
			}
	if (!dup)
		return 0;
	struct kb_gen_error err;
	char what[80];
	snprintf(what, sizeof what, "duplicate driver and vendor (also on line %lu)", first->line);
	kb_gen_fail(&err, what, dup->field[KB_DRIVER], strlen(dup->field[KB_DRIVER]));
	return fail_line(g, dup->line, &err);
}

/* rows[*first .. *first+*count) are the literal rows named name. */
static void exact_range(const struct kb_gen *g, size_t exact_n, const char *name, size_t *first,
			size_t *count)
{
	size_t lo = 0, hi = exact_n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(g->rows[mid].field[KB_DRIVER], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < exact_n && strcmp(g->rows[end].field[KB_DRIVER], name) == 0)
		end++;
	*first = lo;
	*count = end - lo;
}

/* Pattern rows grouped by name, then the rename rules; 0, or 1 after printing why not. */
static int build_patterns(const struct kb_gen *g, size_t exact_n, struct kb_gen_pattern *pat,
			  size_t *pat_n)
{
	size_t np = 0, reachable = 0, widest = 0;
	for (size_t i = exact_n; i < g->n; np++) {
		size_t j = i + 1;
		while (j < g->n && strcmp(g->rows[j].field[KB_DRIVER], g->rows[i].field[KB_DRIVER]) == 0)
			j++;
		pat[np] = (struct kb_gen_pattern){ g->rows[i].field[KB_DRIVER], i, j - i };
		reachable += j - i;
		i = j;
	}
	for (size_t r = 0; r < kb_gen_rules_n; r++, np++) {
		bool is_pattern;
		const char *why = kb_gen_check_name(kb_gen_rules[r].pattern, &is_pattern);
		if (why || !is_pattern) {
			fprintf(stderr, "kb_gen: rule %s: %s\n", kb_gen_rules[r].pattern,
				why ? why : "not a pattern");
			return 1;
		}
		size_t first, count;
		exact_range(g, exact_n, kb_gen_rules[r].target, &first, &count);
		if (count == 0) {
			fprintf(stderr, "%s: rule %s -> %s: no row named %s\n", g->path,
				kb_gen_rules[r].pattern, kb_gen_rules[r].target,
				kb_gen_rules[r].target);
			return 1;
		}
		/* kb_lookup skips a rule whose target is the exact name it found; two rules
		 * with one target could still return its rows twice. */
		for (size_t k = 0; k < r; k++)
			if (strcmp(kb_gen_rules[k].target, kb_gen_rules[r].target) == 0) {
				fprintf(stderr, "kb_gen: rules %s and %s share the target %s\n",
					kb_gen_rules[k].pattern, kb_gen_rules[r].pattern,
					kb_gen_rules[r].target);
				return 1;
			}
		pat[np] = (struct kb_gen_pattern){ kb_gen_rules[r].pattern, first, count };
		reachable += count;
	}
	for (size_t i = 0, j; i < exact_n; i = j) {
		for (j = i + 1; j < exact_n &&
		     strcmp(g->rows[j].field[KB_DRIVER], g->rows[i].field[KB_DRIVER]) == 0; j++)
			;
		if (j - i > widest)
			widest = j - i;
	}
	if (widest + reachable > KB_MATCH_MAX) {
		fprintf(stderr, "%s: a lookup could return %zu rows, more than KB_MATCH_MAX (%d)\n",
			g->path, widest + reachable, KB_MATCH_MAX);
		return 1;
	}
	*pat_n = np;
	return 0;
}

static int write_output(const char *path, const struct kb_gen *g, size_t exact_n,
			const struct kb_gen_pattern *pat, size_t pat_n, const char *version)
{
	size_t tmp_len = strlen(path) + 5;
	char *tmp = malloc(tmp_len);
	if (!tmp)
		return 1;
	snprintf(tmp, tmp_len, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = 1;
	if (!f) {
		fprintf(stderr, "kb_gen: %s: %s\n", tmp, strerror(errno));
	} else {
		int bad = kb_gen_emit(f, g->rows, g->n, exact_n, pat, pat_n, version);
		if (fclose(f) || bad)
			fprintf(stderr, "kb_gen: %s: write error\n", tmp);
		else if (rename(tmp, path))
			fprintf(stderr, "kb_gen: %s: %s\n", path, strerror(errno));
		else
			rc = 0;
		if (rc)
			remove(tmp);
	}
	free(tmp);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: kb_gen drivers.csv kb_table.c\n");
		return 2;
	}
	struct kb_gen g = { .path = argv[1] };
	size_t len;
	char *data = read_file(argv[1], &len);
	if (!data)
		return 2;
	int rc = parse(&g, data, len);
	size_t exact_n = 0, pat_n = 0;
	struct kb_gen_pattern *pat = NULL;
	if (rc == 0) {
		qsort(g.rows, g.n, sizeof *g.rows, row_cmp);
		while (exact_n < g.n && !g.rows[exact_n].is_pattern)
			exact_n++;
		rc = check_duplicates(&g);
	}
	if (rc == 0) {
		pat = calloc(g.n - exact_n + kb_gen_rules_n + 1, sizeof *pat);
		rc = pat ? build_patterns(&g, exact_n, pat, &pat_n) : 1;
	}
	if (rc == 0) {
		char version[64];
		snprintf(version, sizeof version, "%zu drivers, %012llx", g.n,
			 (unsigned long long)(fnv1a64(data, len) >> 16));
		rc = write_output(argv[2], &g, exact_n, pat, pat_n, version);
	}
	for (size_t i = 0; i < g.n; i++)
		free(g.rows[i].field[0]);
	free(g.rows);
	free(pat);
	free(data);
	return rc;
}
