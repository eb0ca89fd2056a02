/* pdh_fields.h — splitting one text-log line into quoted or bare fields (CSV/TSV, with
 * RFC-4180 "" inside quotes). Inline: it runs once per cell on the hot path. */
#ifndef ETLSCOPE_PDH_FIELDS_H
#define ETLSCOPE_PDH_FIELDS_H

#include <stddef.h>
#include <string.h>

struct pdh_field {
	const char *s;    /* raw text between the quotes (or the bare text) */
	size_t len;
	int quoted;
	int escaped;      /* contains "" pairs: use pdh_field_unescape() for the text */
	int unterminated; /* opening quote without a closing one (a cut line) */
	int junk;         /* text after the closing quote before the separator (ignored) */
};

struct pdh_fields {
	const char *p, *e;
	char sep;
	int done;
};

static inline void pdh_fields_init(struct pdh_fields *it, const char *line, size_t len, char sep)
{
	it->p = line;
	it->e = line + len;
	it->sep = sep;
	it->done = 0;
}

/* Next field; returns 0 when the line has no more. "a," has two fields, "" has one. */
static inline int pdh_fields_next(struct pdh_fields *it, struct pdh_field *f)
{
	const char *p = it->p, *e = it->e, *q;
	if (it->done)
		return 0;
	f->quoted = f->escaped = f->unterminated = f->junk = 0;
	if (p < e && *p == '"') {
		f->quoted = 1;
		f->s = ++p;
		for (;;) {
			q = memchr(p, '"', (size_t)(e - p));
			if (!q) {
				f->len = (size_t)(e - f->s);
				f->unterminated = 1;
				it->done = 1;
				it->p = e;
				return 1;
			}
			if (q + 1 < e && q[1] == '"') {
				f->escaped = 1;
				p = q + 2;
				continue;
			}
			break;
		}
		f->len = (size_t)(q - f->s);
		p = q + 1;
		if (p < e && *p != it->sep) {
			f->junk = 1;
			q = memchr(p, it->sep, (size_t)(e - p));
			p = q ? q : e;
		}
	} else {
		f->s = p;
		q = memchr(p, it->sep, (size_t)(e - p));
		if (!q)
			q = e;
		f->len = (size_t)(q - p);
		p = q;
	}
	if (p >= e)
		it->done = 1;
	else
		p++; /* the separator */
	it->p = p;
	return 1;
}

/* Copy f's text into dst (capacity f->len + 1), turning "" into ". Returns the length. */
static inline size_t pdh_field_unescape(const struct pdh_field *f, char *dst)
{
	size_t n = 0;
	for (size_t i = 0; i < f->len; i++) {
		dst[n++] = f->s[i];
		if (f->escaped && f->s[i] == '"' && i + 1 < f->len && f->s[i + 1] == '"')
			i++;
	}
	dst[n] = '\0';
	return n;
}

#endif
