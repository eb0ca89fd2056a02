/* kb_gen_csv.c — RFC 4180 splitting of one drivers.csv line into unquoted fields, and the
 * error record (offending text escaped and truncated) used by all generator checks. */
#include <stdio.h>
#include <string.h>
#include "kb_gen.h"

int kb_gen_fail(struct kb_gen_error *err, const char *what, const char *text, size_t len)
{
	snprintf(err->what, sizeof err->what, "%s", what);
	size_t o = 0, shown = len < KB_GEN_TEXT_MAX ? len : KB_GEN_TEXT_MAX;
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c < 0x7f)
			err->text[o++] = (char)c;
		else
			o += (size_t)snprintf(err->text + o, sizeof err->text - o, "\\x%02x", c);
	}
	if (shown < len) {
		memcpy(err->text + o, "...", 3);
		o += 3;
	}
	err->text[o] = '\0';
	return -1;
}

int kb_gen_split(const char *line, size_t len, struct kb_gen_fields *out, struct kb_gen_error *err)
{
	size_t pos = 0, o = 0;
	out->n = 0;
	for (;;) {
		char *field = out->buf + o;
		if (pos < len && line[pos] == '"') {
			size_t open = pos++;
			for (;;) {
				if (pos >= len)
					return kb_gen_fail(err, "unterminated quote", line + open,
							   len - open);
				if (line[pos] == '"') {
					if (pos + 1 < len && line[pos + 1] == '"') {
						out->buf[o++] = '"';
						pos += 2;
						continue;
					}
					pos++;
					break;
				}
				out->buf[o++] = line[pos++];
			}
			if (pos < len && line[pos] != ',')
				return kb_gen_fail(err, "text after a closing quote", line + open,
						   len - open);
		} else {
			size_t start = pos;
			while (pos < len && line[pos] != ',') {
				if (line[pos] == '"')
					return kb_gen_fail(err, "quote inside an unquoted field",
							   line + start, len - start);
				out->buf[o++] = line[pos++];
			}
		}
		out->buf[o++] = '\0';
		if (out->n < KB_GEN_FIELDS)
			out->f[out->n] = field;
		out->n++;
		if (pos >= len)
			return 0;
		pos++; /* the comma; a comma at the end starts one more, empty field */
	}
}
