/* sym_find.h — finds the PDB an image names (PDB file name + GUID + age, from the trace's
 * DbgID_RSDS event) along a symbol path (sym_path.h): local directories, SymStore
 * directories and symbol servers over HTTP(S) (libcurl), with a bounded download and a
 * bounded cache. Every PDB found is opened and its GUID and age checked before it is used.
 * Blocking: call it from a background job; opts.progress reports and can cancel. */
#ifndef SYM_FIND_H
#define SYM_FIND_H
#include <stddef.h>
#include <stdint.h>
#include "sym_path.h"

typedef enum sym_status {
	SYM_FOUND = 0,
	SYM_NOT_FOUND, /* no source has it (404, missing file) */
	SYM_MISMATCH,  /* a PDB of that name exists but its GUID/age differ */
	SYM_CORRUPT,   /* a PDB was found but does not read */
	SYM_TIMEOUT,   /* a server did not answer in time */
	SYM_TOO_LARGE, /* a download passed opts.max_download */
	SYM_NET_ERROR, /* connection refused, HTTP 5xx, … */
	SYM_BAD_NAME,  /* the image's PDB name is unusable (path tricks, odd characters) */
	SYM_CANCELLED, /* opts.progress asked to stop */
} sym_status;

typedef struct sym_want {
	const char *pdb_name; /* as the RSDS record has it; only its base name is used */
	uint8_t guid[16];
	uint32_t age;
} sym_want;

typedef struct sym_opts {
	long connect_timeout_ms; /* default 10 000 */
	long total_timeout_ms;   /* default 600 000 (a kernel PDB is tens of MB) */
	uint64_t max_download;   /* default 1 GiB; also the bound on an expanded .pd_ */
	uint64_t cache_cap;      /* bytes kept per cache directory (LRU); 0 = the default, 2 GiB */
	/* Called during downloads with bytes so far and the expected total (0 if unknown);
	 * a non-zero return cancels. May be NULL. */
	int (*progress)(void *ctx, uint64_t now, uint64_t total);
	void *ctx;
} sym_opts;

#define SYM_WHY_LEN 2048
typedef struct sym_result {
	sym_status status;
	char path[4096];       /* SYM_FOUND: a verified PDB on disk */
	char why[SYM_WHY_LEN]; /* one "source: reason" sentence per source tried, "; "-joined */
} sym_result;

/* Searches the sources in order; the first verified PDB wins. The status is SYM_FOUND, else
 * the most telling failure (mismatch > corrupt > too large > timeout > network > not found). */
sym_status sym_find(const sym_path *path, const sym_opts *opts, const sym_want *want,
		    sym_result *res);
/* SymStore key text "GUIDAGE" (32 hex digits + age in hex) → guid + age; 0 ok, -1 malformed. */
int sym_key_parse(const char *text, uint8_t guid[16], uint32_t *age);
/* The base name of a PDB path from an RSDS record ("d:\b\x.pdb" → "x.pdb") into out, if it is
 * usable as a file and URL component (letters, digits, . _ - + ~ $, ends in .pdb, no leading
 * dot, at most 200 bytes). 0 ok, -1 unusable. */
int sym_pdb_basename(const char *raw, char *out, size_t outlen);
const char *sym_status_name(sym_status s);
#endif
