/* api_text.h — the one validator for strings people send us (run names, file names, notes),
 * used by the upload handler (server/upload.c) and by run edits (api_edit.c), so every
 * entry point takes and refuses the same things. Policy (docs/api.md, SECURITY.md):
 *   - every field must be valid UTF-8 (RFC 3629: no overlongs, surrogates, > U+10FFFF)
 *     and must not hold NUL or another control character (C0, DEL, C1); notes may keep
 *     newline, carriage return and tab;
 *   - a run name over API_TEXT_MAX bytes is refused (400); a file name (the client's
 *     label for the upload, not typed by a person) is cut to API_TEXT_MAX bytes on a
 *     character boundary; notes over API_NOTES_MAX bytes are refused. */
#ifndef ETLSCOPE_API_TEXT_H
#define ETLSCOPE_API_TEXT_H

#include <stddef.h>

#define API_TEXT_MAX 200     /* bytes of a run name or a file name */
#define API_NOTES_MAX 20000  /* bytes of a run's notes */

enum api_text_rule {
	API_TEXT_LINE,  /* one line: no control character at all */
	API_TEXT_NOTES  /* free text: newline, carriage return and tab allowed */
};

/* Check s[0..len) (len counts any NUL inside): 0 when it is acceptable text of at most
 * max bytes under rule, else -1 with msg saying why, naming field, for a 400 answer. */
int api_text_check(const char *field, const char *s, size_t len, size_t max,
		   enum api_text_rule rule, char *msg, size_t msglen);

/* The longest prefix of the valid UTF-8 text s[0..len) of at most max bytes that ends on a
 * character boundary: its length. */
size_t api_text_cut(const char *s, size_t len, size_t max);

/* The `name` and `file` parameters of an upload's query string (NULL = none), validated
 * under the policy above: name[API_TEXT_MAX + 1] (empty when absent), file[API_TEXT_MAX +
 * 1] (the last path part, cut on a character boundary; "upload" when absent). 0, or -1
 * with msg saying why for a 400 answer. */
int api_text_upload_params(const char *query, char *name, char *file, char *msg,
			   size_t msglen);

/* 1 if a JSON text holds a NUL, raw or escaped as \u0000 (cJSON would silently end the
 * string there), else 0. */
int api_json_has_nul(const char *json, size_t len);

#endif
