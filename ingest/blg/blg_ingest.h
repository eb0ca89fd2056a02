/* blg_ingest.h — perfmon binary logs (.blg): reads the ETL container with the ETL event
 * reader, decodes the PDH events in it, cooks the raw counters as perfmon displays them,
 * and emits counters, samples (UTC), warnings and a summary to a sink. */
#ifndef ETLSCOPE_BLG_INGEST_H
#define ETLSCOPE_BLG_INGEST_H

#include <stdio.h>
#include "ingest.h"

/* Parse a whole .blg from f (positioned at its start). Returns INGEST_OK (possibly with
 * warnings), INGEST_EFORMAT (not a BLG / no PDH data; err says why), INGEST_EIO,
 * INGEST_ENOMEM, or the sink's error. */
int blg_ingest(FILE *f, const struct ingest_sink *sink, struct ingest_error *err);

#endif
