/* pdh_reader.c — the bounded streaming line reader (see pdh_reader.h). Lines that fit in
 * the buffer are returned in place (no copy); a line crossing a block boundary is moved to
 * the buffer's front once, and the buffer only grows for lines longer than it. */
#include <stdlib.h>
#include <string.h>
#include "pdh_reader.h"

void pdh_reader_init(struct pdh_reader *r, FILE *f, size_t block, size_t max_line)
{
	memset(r, 0, sizeof *r);
	r->f = f;
	r->block = block;
	r->max_line = max_line;
}

void pdh_reader_free(struct pdh_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->start = r->scan = r->end = 0;
}

/* Make room for one more block after end: compact, then grow if still short. */
static int pdh_reader_room(struct pdh_reader *r)
{
	if (r->cap - r->end >= r->block)
		return 0;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < r->block) {
		size_t want = r->cap ? r->cap * 2 : 2 * r->block;
		char *nb;
		if (want < r->end + r->block)
			want = r->end + r->block;
		nb = realloc(r->buf, want);
		if (!nb)
			return -1;
		r->buf = nb;
		r->cap = want;
	}
	return 0;
}

int pdh_reader_next(struct pdh_reader *r, const char **line, size_t *len, int *terminated)
{
	for (;;) {
		char *nl = r->end > r->scan ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
		if (nl || (r->eof && r->start < r->end)) {
			size_t e = nl ? (size_t)(nl - r->buf) : r->end;
			size_t n = e - r->start;
			*line = r->buf + r->start;
			if (n > 0 && (*line)[n - 1] == '\r')
				n--;
			if (n > r->max_line)
				return PDH_READ_TOO_LONG;
			*len = n;
			*terminated = nl != NULL;
			r->start = r->scan = nl ? e + 1 : r->end;
			r->line_no++;
			return PDH_READ_LINE;
		}
		if (r->eof)
			return PDH_READ_EOF;
		r->scan = r->end;
		if (r->end - r->start > r->max_line + 1) /* +1: a '\r' may still be stripped */
			return PDH_READ_TOO_LONG;
		if (pdh_reader_room(r))
			return PDH_READ_ENOMEM;
		size_t got = fread(r->buf + r->end, 1, r->block, r->f);
		if (got < r->block) {
			if (ferror(r->f))
				return PDH_READ_EIO;
			if (got == 0)
				r->eof = 1;
		}
		r->end += got;
	}
}
