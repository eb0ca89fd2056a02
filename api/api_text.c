/* api_text.c — validation of user-supplied strings (api_text.h): a strict UTF-8 decoder
 * that also refuses control characters, the character-boundary cut, and the NUL check
 * for JSON bodies. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <civetweb.h>
#include "api_text.h"

#define QUERY_VALUE_MAX 4096 /* decoded bytes of a parameter we look at, at most */

/* Decode one UTF-8 character at s[0..n): its length, or 0 if the bytes are not valid
 * UTF-8 (overlong, surrogate, beyond U+10FFFF, bad or missing continuation). */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2; v = c & 0x1F; min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3; v = c & 0x0F; min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4; v = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

static int is_control(uint32_t cp, enum api_text_rule rule)
{
	if (rule == API_TEXT_NOTES && (cp == '\n' || cp == '\r' || cp == '\t'))
		return 0;
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

int api_text_check(const char *field, const char *s, size_t len, size_t max,
		   enum api_text_rule rule, char *msg, size_t msglen)
{
	const unsigned char *p = (const unsigned char *)s;
	if (len > max) {
		snprintf(msg, msglen, "'%s' is %zu bytes long; at most %zu are accepted", field, len,
			 max);
		return -1;
	}
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_char(p + i, len - i, &cp);
		if (n == 0) {
			snprintf(msg, msglen, "'%s' is not valid UTF-8 text (byte %zu)", field, i);
			return -1;
		}
		if (is_control(cp, rule)) {
			snprintf(msg, msglen, "'%s' contains a control character (U+%04X at byte %zu)%s",
				 field, (unsigned)cp, i,
				 rule == API_TEXT_NOTES ? "; only newline and tab are allowed" : "");
			return -1;
		}
		i += n;
	}
	return 0;
}

size_t api_text_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	/* step back over continuation bytes to the start of the cut character */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int api_json_has_nul(const char *json, size_t len)
{
	if (memchr(json, 0, len))
		return 1;
	for (size_t i = 0; i + 1 < len; i++) {
		if (json[i] != '\\')
			continue;
		if (json[i + 1] == 'u' && len - i >= 6 && !memcmp(json + i + 2, "0000", 4))
			return 1;
		i++; /* skip the escaped character: "\\u0000" is a backslash and text */
	}
	return 0;
}

/* Decode parameter var of query into buf[QUERY_VALUE_MAX]: its length (NULs included), 0
 * when absent, -1 (msg set) when longer than the buffer. */
static long query_value(const char *query, const char *var, char *buf, char *msg,
			size_t msglen)
{
	buf[0] = 0;
	if (!query)
		return 0;
	int n = mg_get_var(query, strlen(query), var, buf, QUERY_VALUE_MAX);
	if (n == -1)
		return 0;
	if (n < 0) {
		snprintf(msg, msglen, "'%s' is longer than %d bytes", var, QUERY_VALUE_MAX - 1);
		return -1;
	}
	return n;
}

int api_text_upload_params(const char *query, char *name, char *file, char *msg,
			   size_t msglen)
{
	char buf[QUERY_VALUE_MAX];
	long n = query_value(query, "name", buf, msg, msglen);
	if (n < 0 || api_text_check("name", buf, (size_t)n, API_TEXT_MAX, API_TEXT_LINE, msg,
				    msglen))
		return -1;
	memcpy(name, buf, (size_t)n + 1);
	n = query_value(query, "file", buf, msg, msglen);
	if (n < 0 || api_text_check("file", buf, (size_t)n, (size_t)n, API_TEXT_LINE, msg, msglen))
		return -1;
	/* the client's word for the file, trimmed to its last path part */
	const char *base = buf;
	for (const char *p = buf; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	if (!*base)
		base = "upload";
	size_t len = api_text_cut(base, strlen(base), API_TEXT_MAX);
	memcpy(file, base, len);
	file[len] = 0;
	return 0;
}
