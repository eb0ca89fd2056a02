/* pdh_utf8.c — UTF-8 validation and the Windows-1252 fallback for header strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pdh_utf8.h"

int pdh_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *e = s + len;
	while (s < e) {
		unsigned c = *s, n;
		uint32_t cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(e - s) <= n)
			return 0;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		s += n + 1;
	}
	return 1;
}

/* Length of the valid UTF-8 character at s (bounded by e), 0 if invalid. */
static size_t pdh_utf8_char(const unsigned char *s, const unsigned char *e)
{
	size_t n = *s < 0x80 ? 1 : *s >= 0xC2 && *s <= 0xDF ? 2 : *s >= 0xE0 && *s <= 0xEF ? 3
		 : *s >= 0xF0 && *s <= 0xF4 ? 4 : 0;
	if (n == 0 || (size_t)(e - s) < n)
		return 0;
	return pdh_utf8_valid((const char *)s, n) ? n : 0;
}

char *pdh_utf8_snippet(const char *str, size_t len, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)str, *e = s + len;
	size_t w = 0;
	while (s < e) {
		size_t n = pdh_utf8_char(s, e);
		if (w + (n ? n : 1) + 4 > cap) { /* keep room for "..." and the NUL */
			memcpy(out + w, "...", 3);
			w += 3;
			break;
		}
		if (n == 0 || *s < 0x20 || *s == 0x7F) {
			out[w++] = '?';
			s++;
		} else {
			memcpy(out + w, s, n);
			w += n;
			s += n;
		}
	}
	out[w] = '\0';
	return out;
}

/* Windows-1252 0x80..0x9F; 0 marks the five undefined bytes. */
static const uint16_t pdh_cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
	0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

char *pdh_utf8_from_cp1252(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out, *w;
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	w = out;
	for (size_t i = 0; i < len; i++) {
		unsigned c = s[i];
		uint32_t cp = c >= 0x80 && c < 0xA0 ? pdh_cp1252_high[c - 0x80] : c;
		if (cp == 0)
			cp = 0xFFFD;
		if (cp < 0x80) {
			*w++ = (char)cp;
		} else if (cp < 0x800) {
			*w++ = (char)(0xC0 | cp >> 6);
			*w++ = (char)(0x80 | (cp & 0x3F));
		} else {
			*w++ = (char)(0xE0 | cp >> 12);
			*w++ = (char)(0x80 | (cp >> 6 & 0x3F));
			*w++ = (char)(0x80 | (cp & 0x3F));
		}
	}
	*w = '\0';
	return out;
}
