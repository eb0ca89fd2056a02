/* ingest_names.c — error text and format names shared by every parser (kept apart from
 * ingest.c so a parser's tests link without pulling in the whole dispatch). */
#include <stdarg.h>
#include <stdio.h>
#include "ingest.h"

void ingest_error_set(struct ingest_error *err, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
}

const char *ingest_format_name(enum ingest_format fmt)
{
	switch (fmt) {
	case INGEST_FMT_PDH_CSV: return "pdh-csv";
	case INGEST_FMT_PDH_TSV: return "pdh-tsv";
	case INGEST_FMT_ETL: return "etl";
	case INGEST_FMT_BLG: return "blg";
	case INGEST_FMT_XPERF_DPCISR: return "xperf-dpcisr";
	case INGEST_FMT_WPA_CSV: return "wpa-csv";
	default: return "unknown";
	}
}
