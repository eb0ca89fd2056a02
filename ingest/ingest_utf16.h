/* ingest_utf16.h — text exports saved as UTF-16 (typeperf redirected by PowerShell 5.1,
 * Excel's "Unicode text", Notepad): a read-only stream that hands the parsers UTF-8. */
#ifndef ETLSCOPE_INGEST_UTF16_H
#define ETLSCOPE_INGEST_UTF16_H

#include <stddef.h>
#include <stdio.h>

/* "UTF-16LE" or "UTF-16BE" when head[0..n) starts with that byte order mark, else NULL. */
const char *ingest_utf16_bom(const unsigned char *head, size_t n);

/* A stream of in's text from its current position (after the BOM) converted from charset
 * to UTF-8, 64 KiB at a time. Closing it does not close in. A byte sequence that is not
 * UTF-16 reads as a read error. NULL when out of memory. */
FILE *ingest_utf16_open(FILE *in, const char *charset);

/* For detection: the ASCII characters of UTF-16 head[2..n) (after the BOM), one byte per
 * code unit, others as '?'; returns the bytes written to out (at most cap). */
size_t ingest_utf16_ascii(const unsigned char *head, size_t n, int big_endian,
			  unsigned char *out, size_t cap);

#endif
