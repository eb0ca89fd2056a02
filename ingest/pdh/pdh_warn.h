/* pdh_warn.h — warnings of the PDH text parser: stable codes, the first few of each sent
 * to the sink with details, the rest counted and reported once at the end, so a damaged
 * million-row file yields a handful of warnings, not a million. */
#ifndef ETLSCOPE_PDH_WARN_H
#define ETLSCOPE_PDH_WARN_H

#include <stdint.h>
#include "../sink.h"

enum pdh_warn_code {
	PDH_W_SIGNATURE_MISSING,   /* first cell lacks "(PDH-CSV 4.0)" */
	PDH_W_NO_TIME_ZONE,        /* no zone/bias (typeperf stdout): times taken as UTC */
	PDH_W_HEADER_UNRECOGNISED, /* first cell is neither signature nor zone/bias */
	PDH_W_SEPARATOR_MISMATCH,  /* signature names the other separator */
	PDH_W_NON_PATH_COLUMN,     /* a header cell that is not a counter path: ignored */
	PDH_W_CPU_MAPPING,         /* Processor Information(node>0,…) CPU number unknowable */
	PDH_W_COLUMN_COUNT,        /* a row with more or fewer cells than the header */
	PDH_W_BAD_TIMESTAMP,       /* row skipped */
	PDH_W_BAD_VALUE,           /* cell stored as missing */
	PDH_W_DAY_MONTH_SWAPPED,   /* a DD/MM/YYYY stamp was read */
	PDH_W_TRUNCATED,           /* last line cut short: dropped */
	PDH_W_NO_SAMPLES,          /* header without data rows */
	PDH_W_ENCODING,            /* header text was not UTF-8: read as Windows-1252 */
	PDH_W_COUNT
};

/* Detailed warnings sent per code before the rest are only counted. */
#define PDH_WARN_DETAIL 5

struct pdh_warn {
	const struct ingest_sink *sink;
	uint64_t count[PDH_W_COUNT];
};

const char *pdh_warn_name(enum pdh_warn_code code);

/* Count one warning; send it to the sink while its code has sent < PDH_WARN_DETAIL.
 * Returns 0 or the sink's negative result. */
int pdh_warn(struct pdh_warn *w, enum pdh_warn_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* For every code over the detail limit, send one "N in total" warning. */
int pdh_warn_flush(struct pdh_warn *w);

/* Add {"code": count, …} for the codes seen (an empty object if none). */
int pdh_warn_json(const struct pdh_warn *w, struct cJSON *summary);

#endif
