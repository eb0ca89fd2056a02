/* blg_str.c — bounded UTF-16LE → UTF-8 conversion for names in PDH payloads, and ASCII
 * case-insensitive comparison. Unpaired surrogates become U+FFFD. */
#include <stdlib.h>
#include <string.h>
#include "blg_str.h"

static size_t put_utf8(char *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xC0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xE0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		d[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (char)(0xF0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	d[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Convert units p[0..nunits) (stopping at a NUL unit) into a new string. */
static char *convert(const uint8_t *p, size_t nunits)
{
	char *out = malloc(nunits * 3 + 1); /* a surrogate pair (2 units) needs 4 bytes */
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < nunits; i++) {
		uint32_t u = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
		if (u == 0)
			break;
		if (u >= 0xD800 && u < 0xDC00 && i + 1 < nunits) {
			uint32_t v = (uint32_t)p[2 * i + 2] | (uint32_t)p[2 * i + 3] << 8;
			if (v >= 0xDC00 && v < 0xE000) {
				o += put_utf8(out + o, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
				i++;
				continue;
			}
		}
		if (u >= 0xD800 && u < 0xE000)
			u = 0xFFFD;
		o += put_utf8(out + o, u);
	}
	out[o] = '\0';
	return out;
}

char *blg_utf16_dup(const uint8_t *p, size_t len, size_t off, size_t *consumed)
{
	size_t n = 0, avail;
	int terminated = 0;
	if (off > len)
		return NULL;
	avail = (len - off) / 2;
	if (avail > BLG_STR_MAX_UNITS)
		avail = BLG_STR_MAX_UNITS;
	while (n < avail) {
		if (p[off + 2 * n] == 0 && p[off + 2 * n + 1] == 0) {
			terminated = 1;
			break;
		}
		n++;
	}
	if (consumed)
		*consumed = 2 * n + (terminated ? 2 : 0);
	return convert(p + off, n);
}

char *blg_utf16_dup_n(const uint8_t *p, size_t nbytes)
{
	size_t n = nbytes / 2;
	if (n > BLG_STR_MAX_UNITS)
		n = BLG_STR_MAX_UNITS;
	return convert(p, n);
}

int blg_str_ieq(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

char *blg_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}
