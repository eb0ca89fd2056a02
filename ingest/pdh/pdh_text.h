/* pdh_text.h — perfmon text logs (PDH-CSV / PDH-TSV as written by perfmon, relog,
 * typeperf and Export-Counter): counter paths, local timestamps, streaming rows. */
#ifndef ETLSCOPE_PDH_TEXT_H
#define ETLSCOPE_PDH_TEXT_H

#include <stdio.h>
#include "../ingest.h"

/* Parse a whole PDH text log from f (positioned at its start), separator ',' or '\t'.
 * Emits one sink->counter per counter column, one sink->sample per data row (NAN for
 * blank cells), warnings for tolerated damage, and sink->summary at the end. */
int pdh_text_parse(FILE *f, char sep, const struct ingest_sink *sink, struct ingest_error *err);

/* Limits of one parse; 0 in a field means its default. */
#define PDH_TEXT_MAX_LINE (64u << 20) /* longest line accepted: 64 MiB */
#define PDH_TEXT_BLOCK (64u << 10)    /* bytes per fread */
struct pdh_text_options {
	size_t max_line;
	size_t block;
};

/* pdh_text_parse() with explicit limits (tests use tiny ones to reach the edges). */
int pdh_text_parse_ex(FILE *f, char sep, const struct pdh_text_options *opt,
		      const struct ingest_sink *sink, struct ingest_error *err);

#endif
