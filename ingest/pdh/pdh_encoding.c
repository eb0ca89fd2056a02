/* pdh_encoding.c — detect a perfmon text log's code page from its header and convert it to
 * UTF-8 (see pdh_encoding.h). Order: valid UTF-8 (a BOM is removed before); then every
 * common ANSI code page in which the header decodes, scored by how many of the localised
 * Processor / Process names of pdh_names.def that carry non-ASCII letters it then contains
 * (ASCII names read the same in every code page and tell nothing); the best score wins,
 * ties to the earlier page; no name at all: Windows-1252, as before. */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pdh_encoding.h"
#include "pdh_names.h"
#include "pdh_utf8.h"

/* The ANSI code pages of Windows' display languages that perfmon logs come in. */
static const int pdh_codepages[] = {1252, 1250, 1251, 1253, 1254, 932, 936, 949, 950};

int pdh_encoding_supported(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= PDH_ENCODING_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || strchr("-_.:", name[i])))
			return 0;
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

/* Bytes of the header that decide its code page: plenty of paths, bounded work. */
#define PDH_DETECT_BYTES (256u << 10)

/* Convert s[0..len) from charset to UTF-8. Returns the new string (*out_len bytes) or NULL
 * if the charset is unknown, the bytes are invalid in it (*bad = 1), or memory ran out.
 * prefix: s is a cut piece, so a character cut at its end is not an error. */
static char *pdh_iconv(const char *charset, const char *s, size_t len, int prefix,
		       size_t *out_len, int *bad)
{
	*bad = 0;
	iconv_t cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		*bad = 1;
		return NULL;
	}
	/* one byte of these pages is at most 3 UTF-8 bytes (e.g. U+20AC, halfwidth kana);
	 * a user-named charset may need more: E2BIG then fails the conversion */
	size_t cap = len * 3 + 8;
	char *out = len < ((size_t)-1 - 8) / 3 ? malloc(cap) : NULL;
	char *in = (char *)s, *w = out;
	size_t in_left = len, w_left = cap - 1;
	if (out && iconv(cd, &in, &in_left, &w, &w_left) == (size_t)-1 &&
	    !(prefix && errno == EINVAL)) {
		*bad = errno == EILSEQ || errno == EINVAL || errno == E2BIG;
		free(out);
		out = NULL;
	}
	iconv_close(cd);
	if (!out)
		return NULL;
	*w = '\0';
	*out_len = (size_t)(w - out);
	if (memchr(out, '\0', *out_len)) { /* a NUL in a header is damage, not text */
		*bad = 1;
		free(out);
		return NULL;
	}
	return out;
}

/* How many non-ASCII table names the (folded) UTF-8 text holds; *lang gets the language of
 * the first one. */
static int pdh_names_score(const char *folded, const char **lang)
{
	size_t n;
	const struct pdh_name *t = pdh_names_table(&n);
	int score = 0;
	for (size_t i = 0; i < n; i++) {
		char name[128];
		size_t k = strlen(t[i].localised);
		int ascii = 1;
		for (size_t j = 0; j < k; j++)
			ascii &= (unsigned char)t[i].localised[j] < 0x80;
		if (ascii || k >= sizeof name)
			continue;
		memcpy(name, t[i].localised, k + 1);
		pdh_names_fold(name, k);
		if (strstr(folded, name)) {
			if (score++ == 0)
				*lang = t[i].language;
		}
	}
	return score;
}

static char *pdh_dup(const char *s, size_t len, size_t *out_len)
{
	char *d = malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
		*out_len = len;
	}
	return d;
}

int pdh_encoding_header(const char *line, size_t len, const char *explicit_enc,
			struct pdh_encoding *enc, char **out, size_t *out_len,
			struct ingest_error *err)
{
	int bad;
	memset(enc, 0, sizeof *enc);
	*out = NULL;
	if (explicit_enc && *explicit_enc) {
		enc->how = PDH_ENC_EXPLICIT;
		snprintf(enc->name, sizeof enc->name, "%s", explicit_enc);
		if (!pdh_encoding_supported(explicit_enc)) {
			ingest_error_set(err, "unknown text encoding \"%s\" (try UTF-8, CP1251, "
					      "CP1252, CP932, …)", enc->name);
			return INGEST_EFORMAT;
		}
		*out = pdh_iconv(explicit_enc, line, len, 0, out_len, &bad);
		if (*out)
			return INGEST_OK;
		if (!bad)
			return INGEST_ENOMEM;
		ingest_error_set(err, "the header is not valid %s text", enc->name);
		return INGEST_EFORMAT;
	}
	if (pdh_utf8_valid(line, len)) {
		enc->how = PDH_ENC_UTF8;
		snprintf(enc->name, sizeof enc->name, "UTF-8");
		*out = pdh_dup(line, len, out_len);
		return *out ? INGEST_OK : INGEST_ENOMEM;
	}
	int best = 0;
	size_t probe = len < PDH_DETECT_BYTES ? len : PDH_DETECT_BYTES;
	for (size_t i = 0; i < sizeof pdh_codepages / sizeof pdh_codepages[0]; i++) {
		char cs[16];
		size_t n;
		const char *lang = NULL;
		snprintf(cs, sizeof cs, "CP%d", pdh_codepages[i]);
		char *u = pdh_iconv(cs, line, probe, probe < len, &n, &bad);
		if (!u) {
			if (!bad)
				return INGEST_ENOMEM;
			continue; /* not text in this code page */
		}
		pdh_names_fold(u, n);
		int score = pdh_names_score(u, &lang);
		free(u);
		if (score > best) {
			best = score;
			enc->how = PDH_ENC_NAMES;
			snprintf(enc->name, sizeof enc->name, "%s", cs);
			enc->language = lang;
		}
	}
	if (best > 0) {
		*out = pdh_iconv(enc->name, line, len, 0, out_len, &bad);
		if (*out)
			return INGEST_OK;
		if (!bad)
			return INGEST_ENOMEM;
		/* decodes at the start, not further on: the fallback below reads every byte */
	}
	enc->how = PDH_ENC_FALLBACK;
	enc->language = NULL;
	snprintf(enc->name, sizeof enc->name, "CP1252");
	*out = pdh_utf8_from_cp1252(line, len);
	if (!*out)
		return INGEST_ENOMEM;
	*out_len = strlen(*out);
	return INGEST_OK;
}
