/* etl_buffer.c — reads ETL buffers one at a time: header, bounds, used length (Win7 header
 * buffer pitfall: SavedOffset 0, use Offset), per-CPU index rule, XPRESS decompression. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "etl_buffer.h"
#include "etl_le.h"
#include "etl_xpress.h"
#include "ingest_grow.h"

void etl_buffer_header_parse(const uint8_t *p, struct etl_buffer_header *h)
{
	h->buffer_size = etl_le32(p + 0x00);
	h->saved_offset = etl_le32(p + 0x04);
	h->timestamp = etl_le64(p + 0x10);
	h->sequence = (int64_t)etl_le64(p + 0x18);
	h->state = etl_le32(p + 0x2C);
	h->offset = etl_le32(p + 0x30);
	h->flags = etl_le16(p + 0x34);
	h->type = etl_le16(p + 0x36);
	h->logger_id = etl_le16(p + 0x2A);
	/* Win7 files have no PROC_INDEX flag and an alignment byte of 8 at 0x29. */
	if (h->flags & ETL_BUF_PROC_INDEX)
		h->cpu = etl_le16(p + 0x28) & 0x07FF;
	else
		h->cpu = p[0x28];
}

int etl_file_fd(FILE *f)
{
	int fd = fileno(f);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	return fd;
}

size_t etl_pread_at(int fd, uint64_t off, void *dst, size_t n, int *err)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (uint8_t *)dst + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = 1;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

size_t etl_read_at(int fd, struct ingest_grow *grow, uint64_t off, void *dst, size_t n, int *err)
{
	if (!grow)
		return etl_pread_at(fd, off, dst, n, err);
	int64_t got = off > INT64_MAX ? 0 : ingest_grow_pread(grow, dst, n, (int64_t)off);
	if (got < 0) {
		*err = 1;
		return 0;
	}
	return (size_t)got;
}

void etl_walker_init(struct etl_walker *w, FILE *f)
{
	etl_walker_init_grow(w, f, NULL);
}

void etl_walker_init_grow(struct etl_walker *w, FILE *f, struct ingest_grow *grow)
{
	memset(w, 0, sizeof *w);
	w->f = f;
	w->grow = grow;
	w->fd = grow ? -1 : etl_file_fd(f);
	w->file_size = UINT64_MAX;
	/* knowing the size lets a damaged BufferSize fail before any allocation. An upload
	 * still being written tells its announced length; a chunked one has none, and its
	 * SEEK_END would wait for the last byte: walk it unsized (its reads wait for each
	 * buffer and come back short only at the end, so a cut buffer is still caught). */
	if (grow) {
		int64_t expected = ingest_grow_expected(grow);
		if (expected >= 0)
			w->file_size = (uint64_t)expected;
		return;
	}
	off_t cur = ftello(f);
	if (cur >= 0 && fseeko(f, 0, SEEK_END) == 0) {
		off_t end = ftello(f);
		if (end >= 0)
			w->file_size = (uint64_t)end;
		fseeko(f, cur, SEEK_SET);
	}
}

void etl_walker_seek(struct etl_walker *w, uint64_t off, uint32_t index)
{
	w->off = off;
	w->index = index;
}

void etl_walker_free(struct etl_walker *w)
{
	if (w->budget)
		w->budget->held -= w->raw_cap + w->data_cap;
	free(w->raw);
	free(w->data);
	w->raw = w->data = NULL;
	w->raw_cap = w->data_cap = 0;
}

/* Grow a walker buffer to need bytes: 0, -1 out of memory, -2 over the budget. */
static int grow(struct etl_walker *w, uint8_t **buf, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	struct etl_mem_budget *b = w->budget;
	/* a header's worth is always granted, so every stream can at least be walked */
	if (b && need > ETL_BUFFER_HEADER_SIZE && (b->held > b->max || need - *cap > b->max - b->held))
		return -2;
	uint8_t *n = realloc(*buf, need);
	if (!n)
		return -1;
	if (b)
		b->held += need - *cap;
	*buf = n;
	*cap = need;
	return 0;
}

/* Reads by offset (pread of a regular file, or of a growing upload): no stdio. */
static int by_offset(const struct etl_walker *w)
{
	return w->fd >= 0 || w->grow;
}

/* Read up to n bytes at file offset off; returns bytes read. Seekable files are positioned
 * as needed; a pipe is read sequentially and only forward reads in order succeed. */
static size_t read_at(struct etl_walker *w, uint64_t off, uint8_t *dst, size_t n)
{
	if (by_offset(w))
		return etl_read_at(w->fd, w->grow, off, dst, n, &w->read_error);
	off_t cur = ftello(w->f);
	if (cur >= 0) {
		if ((uint64_t)cur != off && fseeko(w->f, (off_t)off, SEEK_SET) != 0)
			return 0;
	} else if (w->stream_pos != off) {
		return 0;
	}
	size_t got = fread(dst, 1, n, w->f);
	w->stream_pos = off + got;
	return got;
}

static int read_failed(const struct etl_walker *w)
{
	return w->read_error || ferror(w->f);
}

int etl_walker_next(struct etl_walker *w, struct etl_buffer *b)
{
	memset(b, 0, sizeof *b);
	if (grow(w, &w->raw, &w->raw_cap, ETL_BUFFER_HEADER_SIZE) != 0)
		return ETL_WALK_ENOMEM;
	/* By pread, take as much as the last buffer held (buffers of a trace are alike, and
	 * raw_cap already holds that much): usually the whole buffer in one call. Bytes past
	 * this buffer's end, if it is smaller, are never looked at. */
	size_t first = ETL_BUFFER_HEADER_SIZE;
	if (by_offset(w) && w->last_size > first && w->last_size <= w->raw_cap)
		first = w->last_size;
	size_t got = read_at(w, w->off, w->raw, first);
	if (got == 0)
		return read_failed(w) ? ETL_WALK_EIO : ETL_WALK_END;
	if (got < ETL_BUFFER_HEADER_SIZE)
		return ETL_WALK_TRUNCATED;

	struct etl_buffer_header *h = &b->hdr;
	etl_buffer_header_parse(w->raw, h);
	if (h->buffer_size < ETL_BUFFER_HEADER_SIZE || h->buffer_size > ETL_BUFFER_MAX_SIZE)
		return ETL_WALK_TRUNCATED; /* implausible: can't find the next buffer */
	/* A trace cut inside its first, uncompressed buffer still holds the trace header and
	 * whole events up to the cut: hand out what is there, marked cut. Later buffers cut
	 * short end the walk (the reader reports truncation). */
	int may_cut = w->index == 0 && !(h->flags & ETL_BUF_COMPRESSED);
	if (!may_cut && w->file_size != UINT64_MAX && w->off + h->buffer_size > w->file_size)
		return ETL_WALK_TRUNCATED;
	int g = grow(w, &w->raw, &w->raw_cap, h->buffer_size);
	if (g == -1)
		return ETL_WALK_ENOMEM;
	size_t rest = h->buffer_size - ETL_BUFFER_HEADER_SIZE, avail = h->buffer_size;
	size_t have = got < h->buffer_size ? got : h->buffer_size; /* of this buffer, read */
	/* over the memory budget (g == -2): skip the buffer unread, as over the limits */
	if (g == 0 && have < h->buffer_size) {
		size_t more = h->buffer_size - have;
		size_t got_rest = read_at(w, w->off + have, w->raw + have, more);
		if (got_rest != more) {
			if (read_failed(w))
				return ETL_WALK_EIO;
			if (!may_cut)
				return ETL_WALK_TRUNCATED;
			b->cut = 1;
			avail = have + got_rest;
		}
	}
	if (g == 0)
		w->last_size = h->buffer_size;

	if (w->index == 0)
		w->compression_format = (int)(h->state & 0xFFFF);
	b->file_offset = w->off;
	b->index = w->index;
	w->off += h->buffer_size;
	w->index++;
	if (g == -2) {
		b->bad = ETL_BAD_LIMIT;
		return ETL_WALK_OK;
	}

	if (h->flags & ETL_BUF_COMPRESSED) {
		/* Offset = uncompressed used size; the stream must expand to exactly that. */
		uint32_t used = h->offset ? h->offset : h->saved_offset;
		uint32_t cap = w->max_used ? w->max_used : ETL_BUFFER_MAX_SIZE;
		if (used < ETL_BUFFER_HEADER_SIZE || used > cap ||
		    (w->compression_format != ETL_COMPRESSION_XPRESS && w->compression_format != 0)) {
			b->bad = ETL_BAD_DECODE;
			return ETL_WALK_OK;
		}
		size_t want = used - ETL_BUFFER_HEADER_SIZE;
		if (want > (size_t)ETL_XPRESS_MAX_RATIO * rest + ETL_XPRESS_SLACK) {
			b->bad = ETL_BAD_LIMIT;
			return ETL_WALK_OK;
		}
		g = grow(w, &w->data, &w->data_cap, want ? want : 1);
		if (g == -1)
			return ETL_WALK_ENOMEM;
		if (g == -2) {
			b->bad = ETL_BAD_LIMIT;
			return ETL_WALK_OK;
		}
		long n = etl_xpress_decompress(w->raw + ETL_BUFFER_HEADER_SIZE, rest, w->data, want);
		if (n > 0)
			w->expanded += (uint64_t)n;
		if (n < 0 || (size_t)n != want) {
			b->bad = ETL_BAD_DECODE;
			return ETL_WALK_OK;
		}
		b->payload = w->data;
		b->payload_len = want;
		return ETL_WALK_OK;
	}

	size_t used = h->offset ? h->offset : h->saved_offset;
	if (used > avail)
		used = avail;
	if (used < ETL_BUFFER_HEADER_SIZE)
		used = ETL_BUFFER_HEADER_SIZE;
	b->payload = w->raw + ETL_BUFFER_HEADER_SIZE;
	b->payload_len = used - ETL_BUFFER_HEADER_SIZE;
	return ETL_WALK_OK;
}

int etl_walker_adopt(struct etl_walker *w, struct etl_buffer *b, const struct etl_buffer *src)
{
	/* the same growth (and budget) as etl_walker_next's raw and decompressed buffers */
	if (grow(w, &w->raw, &w->raw_cap, ETL_BUFFER_HEADER_SIZE) != 0 ||
	    grow(w, &w->raw, &w->raw_cap, src->hdr.buffer_size) != 0 ||
	    grow(w, &w->data, &w->data_cap, src->payload_len ? src->payload_len : 1) != 0)
		return 0;
	memcpy(w->data, src->payload, src->payload_len);
	*b = *src;
	b->payload = w->data;
	w->last_size = src->hdr.buffer_size;
	w->off = src->file_offset + src->hdr.buffer_size;
	w->index = src->index + 1;
	w->expanded += src->payload_len;
	return 1;
}
