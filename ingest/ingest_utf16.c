/* ingest_utf16.c — UTF-16 text files as a UTF-8 stream (see ingest_utf16.h): fopencookie
 * over the original FILE, iconv in 64 KiB blocks; memory is two fixed buffers. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include "ingest_utf16.h"

#define U16_IN (64u << 10)
#define U16_OUT (U16_IN / 2 * 3 + 16) /* a UTF-16 code unit is at most 3 UTF-8 bytes */

struct u16 {
	FILE *in;
	iconv_t cd;
	char in_buf[U16_IN];
	size_t in_len;  /* bytes kept in in_buf (a cut character from the last read) */
	char out_buf[U16_OUT];
	size_t out_pos, out_len;
	int eof;
};

const char *ingest_utf16_bom(const unsigned char *h, size_t n)
{
	if (n >= 2 && h[0] == 0xFF && h[1] == 0xFE)
		return "UTF-16LE";
	if (n >= 2 && h[0] == 0xFE && h[1] == 0xFF)
		return "UTF-16BE";
	return NULL;
}

size_t ingest_utf16_ascii(const unsigned char *h, size_t n, int big_endian, unsigned char *out,
			  size_t cap)
{
	size_t w = 0;
	for (size_t i = 2; i + 1 < n && w < cap; i += 2) {
		unsigned lo = big_endian ? h[i + 1] : h[i], hi = big_endian ? h[i] : h[i + 1];
		out[w++] = hi == 0 && lo < 0x80 ? (unsigned char)lo : '?';
	}
	return w;
}

/* Convert more input into out_buf; 1 if there is output, 0 at the end, -1 on bad input. */
static int u16_fill(struct u16 *u)
{
	u->out_pos = u->out_len = 0;
	while (u->out_len == 0) {
		if (!u->eof && u->in_len < U16_IN) {
			size_t got = fread(u->in_buf + u->in_len, 1, U16_IN - u->in_len, u->in);
			u->in_len += got;
			if (got == 0) {
				if (ferror(u->in))
					return -1;
				u->eof = 1;
			}
		}
		if (u->in_len == 0)
			return 0;
		char *in = u->in_buf, *w = u->out_buf;
		size_t in_left = u->in_len, w_left = U16_OUT;
		size_t rc = iconv(u->cd, &in, &in_left, &w, &w_left);
		if (rc == (size_t)-1 && errno == EILSEQ)
			return -1;
		if (rc == (size_t)-1 && errno == EINVAL && u->eof)
			return -1; /* a character cut by the end of the file */
		memmove(u->in_buf, in, in_left);
		u->in_len = in_left;
		u->out_len = (size_t)(w - u->out_buf);
		if (u->out_len == 0 && u->eof && u->in_len)
			return -1;
	}
	return 1;
}

static ssize_t u16_read(void *cookie, char *buf, size_t size)
{
	struct u16 *u = cookie;
	size_t done = 0;
	while (done < size) {
		if (u->out_pos == u->out_len) {
			int rc = u16_fill(u);
			if (rc < 0) {
				errno = EILSEQ;
				return done ? (ssize_t)done : -1;
			}
			if (rc == 0)
				break;
		}
		size_t k = u->out_len - u->out_pos;
		if (k > size - done)
			k = size - done;
		memcpy(buf + done, u->out_buf + u->out_pos, k);
		u->out_pos += k;
		done += k;
	}
	return (ssize_t)done;
}

static int u16_close(void *cookie)
{
	struct u16 *u = cookie;
	iconv_close(u->cd);
	free(u);
	return 0;
}

FILE *ingest_utf16_open(FILE *in, const char *charset)
{
	struct u16 *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->in = in;
	u->cd = iconv_open("UTF-8", charset);
	if (u->cd == (iconv_t)-1) {
		free(u);
		return NULL;
	}
	cookie_io_functions_t io = {.read = u16_read, .close = u16_close};
	FILE *f = fopencookie(u, "rb", io);
	if (!f)
		u16_close(u);
	return f;
}
