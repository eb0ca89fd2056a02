/* pdh_utf8.h — text encoding of header strings: keep valid UTF-8, read anything else as
 * Windows-1252 (what PDH writes on Western-European Windows) and convert it to UTF-8. */
#ifndef ETLSCOPE_PDH_UTF8_H
#define ETLSCOPE_PDH_UTF8_H

#include <stddef.h>

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, surrogates or NUL bytes). */
int pdh_utf8_valid(const char *s, size_t len);

/* Convert Windows-1252 s[0..len) to UTF-8 in a new NUL-terminated string (malloc);
 * NUL and undefined bytes become U+FFFD. NULL when out of memory. */
char *pdh_utf8_from_cp1252(const char *s, size_t len);

/* Copy at most cap-1 bytes of s[0..len) into out for a message: whole UTF-8 characters
 * only, invalid bytes and control characters replaced by '?', "..." appended when cut.
 * out is always NUL-terminated valid UTF-8 (cap >= 4). Returns out. */
char *pdh_utf8_snippet(const char *s, size_t len, char *out, size_t cap);

#endif
