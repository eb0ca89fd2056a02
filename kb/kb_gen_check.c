/* kb_gen_check.c — the strict rules a drivers.csv line must follow (drivers.md): no control
 * characters, valid UTF-8, the exact header, 6 fields, a lower-case driver file name with
 * an extension (or a documented pattern form), a vendor, a known category, an altitude. */
#include <stdio.h>
#include <string.h>
#include "kb_category.h"
#include "kb_gen.h"

static const char *const kb_gen_header[KB_GEN_FIELDS] = {
	"driver", "vendor", "product", "category", "altitude", "source",
};

/* Kernel images are .sys drivers plus a few .exe/.dll (ntoskrnl.exe, hal.dll, ci.dll). */
static const char *const kb_gen_extensions[] = { "sys", "dll", "exe" };

/* Literal characters a pattern must start with, so that no pattern matches everything. */
#define KB_GEN_PATTERN_PREFIX 3

static size_t utf8_sequence(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned int min, cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp >= 0x80 && cp <= 0x9f) /* C1 controls */
		return 0;
	return n;
}

int kb_gen_check_line(const char *line, size_t len, struct kb_gen_error *err)
{
	const unsigned char *s = (const unsigned char *)line;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return kb_gen_fail(err, "control character", line, len);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(s + i, len - i);
		if (n == 0)
			return kb_gen_fail(err, "invalid UTF-8 (or a C1 control character)", line + i,
					   len - i);
		i += n;
	}
	return 0;
}

int kb_gen_check_header(const struct kb_gen_fields *fields, struct kb_gen_error *err)
{
	bool ok = fields->n == KB_GEN_FIELDS;
	for (size_t i = 0; ok && i < KB_GEN_FIELDS; i++)
		ok = strcmp(fields->f[i], kb_gen_header[i]) == 0;
	if (ok)
		return 0;
	const char *first = fields->n ? fields->f[0] : "";
	return kb_gen_fail(err, "header must be driver,vendor,product,category,altitude,source",
			   first, strlen(first));
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-' || c == '$';
}

static bool known_extension(const char *ext)
{
	for (size_t i = 0; i < sizeof kb_gen_extensions / sizeof kb_gen_extensions[0]; i++)
		if (strcmp(ext, kb_gen_extensions[i]) == 0)
			return true;
	return false;
}

const char *kb_gen_check_name(const char *name, bool *is_pattern)
{
	size_t len = strlen(name), first_wild = len;
	*is_pattern = false;
	if (len == 0)
		return "empty driver name";
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c >= 'A' && c <= 'Z')
			return "driver name must be lower case";
		if (c == '?' || c == '*') {
			if (first_wild == len)
				first_wild = i;
			*is_pattern = true;
		} else if (!name_char(c)) {
			return "driver name has a character other than a-z 0-9 . _ - $ ? *";
		}
	}
	if (*is_pattern && first_wild < KB_GEN_PATTERN_PREFIX)
		return "pattern must start with at least 3 literal characters";
	/* klupd_* style: a trailing '*' stands for the rest of the name, extension included. */
	if (*is_pattern && name[len - 1] == '*')
		return NULL;
	const char *dot = strrchr(name, '.');
	if (!dot)
		return "driver name has no extension (.sys, .dll or .exe)";
	if (dot == name)
		return "driver name is only an extension";
	if (*is_pattern && first_wild > (size_t)(dot - name))
		return "wildcard in the extension";
	if (!known_extension(dot + 1))
		return "driver name extension is not .sys, .dll or .exe";
	return NULL;
}

/* digits(.digits)?(;digits(.digits)?)* or empty. */
static bool altitude_ok(const char *a)
{
	if (*a == '\0')
		return true;
	for (;;) {
		if (!(*a >= '0' && *a <= '9'))
			return false;
		while (*a >= '0' && *a <= '9')
			a++;
		if (*a == '.') {
			a++;
			if (!(*a >= '0' && *a <= '9'))
				return false;
			while (*a >= '0' && *a <= '9')
				a++;
		}
		if (*a == '\0')
			return true;
		if (*a != ';')
			return false;
		a++;
	}
}

int kb_gen_check_row(const struct kb_gen_fields *fields, bool *is_pattern,
		     struct kb_gen_error *err)
{
	if (fields->n != KB_GEN_FIELDS) {
		char what[64];
		snprintf(what, sizeof what, "expected %d fields, found %zu", KB_GEN_FIELDS,
			 fields->n);
		const char *first = fields->f[0];
		return kb_gen_fail(err, what, first, strlen(first));
	}
	const char *driver = fields->f[KB_DRIVER];
	const char *why = kb_gen_check_name(driver, is_pattern);
	if (why)
		return kb_gen_fail(err, why, driver, strlen(driver));
	if (fields->f[KB_VENDOR][0] == '\0')
		return kb_gen_fail(err, "empty vendor", driver, strlen(driver));
	const char *category = fields->f[KB_CATEGORY];
	if (!kb_category_find(category))
		return kb_gen_fail(err, "unknown category", category, strlen(category));
	const char *altitude = fields->f[KB_ALTITUDE];
	if (!altitude_ok(altitude))
		return kb_gen_fail(err, "altitude must be digits(.digits) separated by ';'",
				   altitude, strlen(altitude));
	return 0;
}
