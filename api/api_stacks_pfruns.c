/* api_stacks_pfruns.c — the slice pass's sorted batches of stk_prefilt and stk_bfslice rows
 * (api_stacks_pfsort.c), kept as runs in an unnamed temporary file and merged back in
 * primary-key order, equal keys summed, so that each table is filled by appends in key
 * order with each row inserted once. Inserted batch by batch instead, every batch spans
 * the whole key range (the keys put the slice after the mode, dimension and key, and a
 * batch holds a few slices): each row costs a B-tree descent from the root and an upsert,
 * which on the busy I/O trace's 60 s was most of the stored trees' build (bench/README.md,
 * h-busyio6). The file sits beside the run's database (or in the system's temporary
 * directory); memory is one read buffer per run being merged. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "api_stacks_pfruns.h"

/* rows read at a time from each run while merging (64 bytes each: 8 KiB a run) */
#define PFRUNS_READ_ROWS 128

static FILE *temp_file(const char *dir)
{
#ifdef O_TMPFILE
	if (dir && *dir) {
		int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0) {
			FILE *f = fdopen(fd, "w+b");
			if (f)
				return f;
			close(fd);
		}
	}
#endif
	return tmpfile();
}

int api_stk_pfruns_put(struct api_stk_pfruns *r, const struct api_stk_pfrow *rows, size_t n)
{
	if (!n)
		return 0;
	if (!r->f && !(r->f = temp_file(r->dir)))
		return -1;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		int64_t *e = realloc(r->end, cap * sizeof *e);
		if (!e)
			return -1;
		r->end = e;
		r->cap = cap;
	}
	if (fwrite(rows, sizeof *rows, n, r->f) != n)
		return -1;
	r->end[r->n] = (r->n ? r->end[r->n - 1] : 0) + (int64_t)n;
	r->n++;
	return 0;
}

/* One run being merged: rows buf[at..have) read, rows [next, end) of the file still to read */
struct cursor {
	struct api_stk_pfrow *buf;
	size_t at, have;
	int64_t next, end;
};

/* Read c's next rows: 0 (have is 0 at the run's end) or -1. */
static int fill(struct cursor *c, int fd)
{
	int64_t left = c->end - c->next;
	size_t want = left < PFRUNS_READ_ROWS ? (size_t)left : PFRUNS_READ_ROWS;
	size_t bytes = want * sizeof *c->buf, got = 0;
	while (got < bytes) {
		ssize_t k = pread(fd, (char *)c->buf + got, bytes - got,
				  (off_t)(c->next * (int64_t)sizeof *c->buf) + (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	c->next += (int64_t)want;
	c->at = 0;
	c->have = want;
	return 0;
}

static const struct api_stk_pfrow *head(const struct cursor *c)
{
	return &c->buf[c->at];
}

/* Restore the heap order of h[0..n) (by each cursor's head row) from slot i down. */
static void sift_down(const struct cursor *cur, int *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && api_stk_pfsort_cmp(head(&cur[h[l]]), head(&cur[h[m]])) < 0)
			m = l;
		if (l + 1 < n && api_stk_pfsort_cmp(head(&cur[h[l + 1]]), head(&cur[h[m]])) < 0)
			m = l + 1;
		if (m == i)
			return;
		int t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Forget r's runs and start its file again. 0 or -1. */
static int empty(struct api_stk_pfruns *r)
{
	r->n = 0;
	if (!r->f)
		return 0;
	return fflush(r->f) == 0 && ftruncate(fileno(r->f), 0) == 0 &&
			       fseeko(r->f, 0, SEEK_SET) == 0
		       ? 0
		       : -1;
}

int api_stk_pfruns_merge(struct api_stk_pfruns *r, api_stk_pfruns_fn fn, void *ud)
{
	if (!r->n)
		return 0;
	size_t k = r->n;
	struct cursor *cur = calloc(k, sizeof *cur);
	struct api_stk_pfrow *bufs = malloc(k * PFRUNS_READ_ROWS * sizeof *bufs);
	int *h = malloc(k * sizeof *h);
	int rc = !cur || !bufs || !h || fflush(r->f) ? -1 : 0;
	size_t hn = 0;
	int fd = r->f ? fileno(r->f) : -1;
	for (size_t i = 0; !rc && i < k; i++) {
		cur[i] = (struct cursor){.buf = bufs + i * PFRUNS_READ_ROWS,
					 .next = i ? r->end[i - 1] : 0, .end = r->end[i]};
		if (fill(&cur[i], fd))
			rc = -1;
		else if (cur[i].have)
			h[hn++] = (int)i;
	}
	for (size_t i = hn / 2; !rc && i-- > 0;)
		sift_down(cur, h, hn, i);
	struct api_stk_pfrow sum = {{0}, 0};
	int held = 0;
	while (!rc && hn) {
		struct cursor *c = &cur[h[0]];
		const struct api_stk_pfrow *row = head(c);
		if (held && api_stk_pfsort_cmp(&sum, row) == 0) {
			sum.v += row->v;
		} else {
			if (held && (rc = fn(ud, &sum)))
				break;
			sum = *row;
			held = 1;
		}
		if (++c->at == c->have && fill(c, fd))
			rc = -1;
		else if (!c->have)
			h[0] = h[--hn]; /* this run is done */
		sift_down(cur, h, hn, 0);
	}
	if (!rc && held)
		rc = fn(ud, &sum);
	free(cur);
	free(bufs);
	free(h);
	if (empty(r) && !rc)
		rc = -1;
	return rc;
}

void api_stk_pfruns_clear(struct api_stk_pfruns *r)
{
	if (r->f)
		fclose(r->f);
	free(r->end);
	r->f = NULL;
	r->end = NULL;
	r->n = r->cap = 0;
}
