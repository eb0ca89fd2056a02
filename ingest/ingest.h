/* ingest.h — the ingest pipeline: detect a file's format by its content, run the
 * matching streaming parser, and emit normalized records to a sink (sink.h). */
#ifndef ETLSCOPE_INGEST_H
#define ETLSCOPE_INGEST_H

#include <stddef.h>
#include <stdio.h>
#include "sink.h"

enum ingest_format {
	INGEST_FMT_UNKNOWN = 0,
	INGEST_FMT_PDH_CSV,      /* perfmon text log, comma separated */
	INGEST_FMT_PDH_TSV,      /* perfmon text log, tab separated */
	INGEST_FMT_ETL,          /* ETW trace (.etl) */
	INGEST_FMT_BLG,          /* perfmon binary log: an ETL container of PDH events */
	INGEST_FMT_XPERF_DPCISR, /* `xperf -a dpcisr` text report */
	INGEST_FMT_WPA_CSV,      /* WPA / wpaexporter CSV export */
	INGEST_FMT_COUNT
};

/* Result codes shared by every parser. */
enum ingest_status {
	INGEST_OK = 0,
	INGEST_EFORMAT = -1, /* not this format, or damaged beyond use: nothing stored */
	INGEST_EIO = -2,     /* could not read the file */
	INGEST_ENOMEM = -3,
	INGEST_ESINK = -4    /* the sink refused a record (storage error) */
};

/* What went wrong, for people: filled by a parser that returns an error. */
struct ingest_error {
	char message[512];
};

void ingest_error_set(struct ingest_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *ingest_format_name(enum ingest_format fmt);

/* Cut an incomplete UTF-8 sequence off the end of s (what a truncating snprintf leaves
 * when it stops inside a character). Returns s. */
char *ingest_utf8_trim_tail(char *s);

/* Bytes ingest_detect() wants to see (fewer is fine for short files). */
#define INGEST_DETECT_BYTES 4096

/* Guess the format from the first bytes of a file. */
enum ingest_format ingest_detect(const unsigned char *head, size_t n);

/* Detect and parse one file into sink. *fmt_out receives the detected format. */
int ingest_file(const char *path, const struct ingest_sink *sink,
		enum ingest_format *fmt_out, struct ingest_error *err);

/* What the user may say about a file; NULL members mean "detect". */
struct ingest_options {
	const char *encoding; /* text encoding of a perfmon CSV/TSV log (iconv name) */
	/* The file is an upload still being written (ingest_grow.h): read it as it grows,
	 * and succeed only once the upload has completed. NULL: a whole file. */
	struct ingest_grow *grow;
	/* ETW traces: read in two passes (the way before issue 17) instead of one time-ordered
	 * pass that starts over in two only where it must (etl_ingest.h). Both store the same. */
	int etl_two_pass;
};

/* ingest_file() with options (opts may be NULL). */
int ingest_file_ex(const char *path, const struct ingest_options *opts,
		   const struct ingest_sink *sink, enum ingest_format *fmt_out,
		   struct ingest_error *err);

#endif
