/* blg_str.h — strings inside PDH payloads: bounded UTF-16LE → UTF-8 copies and the small
 * case-insensitive comparisons counter paths need. */
#ifndef ETLSCOPE_BLG_STR_H
#define ETLSCOPE_BLG_STR_H

#include <stddef.h>
#include <stdint.h>

#define BLG_STR_MAX_UNITS 4096 /* longer names are cut (PDH paths are far shorter) */

/* Copy the NUL-terminated UTF-16LE string at p[off..len) into a new UTF-8 string.
 * The string ends at a NUL unit, at the end of the buffer, or after BLG_STR_MAX_UNITS.
 * *consumed (may be NULL) receives the bytes used including the terminator (the scan
 * length when there is none). Returns NULL on allocation failure or if off > len. */
char *blg_utf16_dup(const uint8_t *p, size_t len, size_t off, size_t *consumed);

/* Same, with an explicit byte length (no terminator needed, a NUL inside ends it). */
char *blg_utf16_dup_n(const uint8_t *p, size_t nbytes);

/* ASCII case-insensitive equality (PDH compares paths case-insensitively). */
int blg_str_ieq(const char *a, const char *b);

/* Duplicate a C string (NULL on failure). */
char *blg_strdup(const char *s);

#endif
