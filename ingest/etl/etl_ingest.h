/* etl_ingest.h — decode an ETW trace (.etl) into normalized sink records: modules, DPC/ISR
 * executions, CPU samples with stack modules, warnings and a summary of the run's facts. */
#ifndef ETLSCOPE_ETL_INGEST_H
#define ETLSCOPE_ETL_INGEST_H

#include <stdio.h>
#include "ingest.h"

/* Two passes over f (which must be seekable): the first collects images, stack-key
 * definitions, threads and counts; modules are then emitted (so DPCs logged before a
 * rundown still resolve); the second pass, in per-CPU-merged time order, emits DPC/ISR and
 * samples. A truncated file gives a partial result with a "truncated" warning and
 * "partial": true. Returns INGEST_OK, INGEST_EFORMAT/EIO/ENOMEM with err filled, or the
 * sink's negative value unchanged. */
int etl_ingest(FILE *f, const struct ingest_sink *sink, struct ingest_error *err);

#endif
