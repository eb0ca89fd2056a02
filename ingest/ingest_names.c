/* ingest_names.c — error text and format names shared by every parser (kept apart from
 * ingest.c so a parser's tests link without pulling in the whole dispatch). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ingest.h"

void ingest_error_set(struct ingest_error *err, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	ingest_utf8_trim_tail(err->message);
}

char *ingest_utf8_trim_tail(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char lead;
	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return s;
	lead = (unsigned char)s[i - 1];
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (need > 1 && n - (i - 1) < need)
		s[i - 1] = '\0';
	return s;
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
