/* pdh_encoding.h — the text encoding of a perfmon text log. Perfmon, relog and typeperf
 * write CSV/TSV logs in the machine's ANSI code page, so a Russian log arrives in
 * Windows-1251, a Japanese one in Shift_JIS. Only the header holds text (counter paths);
 * it is decided once and converted to UTF-8 with iconv before the paths are split (a
 * Shift_JIS or Big5 trail byte can be a '\'). */
#ifndef ETLSCOPE_PDH_ENCODING_H
#define ETLSCOPE_PDH_ENCODING_H

#include <stddef.h>
#include "../ingest.h"

enum pdh_encoding_how {
	PDH_ENC_UTF8,     /* valid UTF-8 (ASCII included) */
	PDH_ENC_EXPLICIT, /* named by the user (upload encoding=, ingest --encoding) */
	PDH_ENC_NAMES,    /* the code page in which the header spells localised Processor or
			   * Process names (pdh_names.def) */
	PDH_ENC_FALLBACK  /* none of those: read as Windows-1252 */
};

#define PDH_ENCODING_NAME_MAX 32

struct pdh_encoding {
	enum pdh_encoding_how how;
	char name[PDH_ENCODING_NAME_MAX]; /* "UTF-8", "CP1251", or the user's name */
	const char *language;             /* PDH_ENC_NAMES: language of the names found */
};

/* 1 if name is a plausible charset name (letters, digits, "-_.:", < 32 bytes) that iconv
 * can convert to UTF-8; 0 otherwise. */
int pdh_encoding_supported(const char *name);

/* Decide how the header line[0..len) is encoded (explicit: the user's choice or NULL) and
 * convert it to UTF-8: *out is a new NUL-terminated string (malloc) of *out_len bytes.
 * Returns INGEST_OK; INGEST_EFORMAT (err says so) when the explicit encoding cannot decode
 * the line or is unknown; INGEST_ENOMEM. */
int pdh_encoding_header(const char *line, size_t len, const char *explicit_enc,
			struct pdh_encoding *enc, char **out, size_t *out_len,
			struct ingest_error *err);

#endif
