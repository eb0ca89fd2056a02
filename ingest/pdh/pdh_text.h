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

#endif
