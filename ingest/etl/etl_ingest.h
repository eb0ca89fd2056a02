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

/* How etl_ingest_ex reads: two passes (above), or one time-ordered pass that decodes each
 * event once, as the file grows, and starts over in two passes (sink->restart) where a
 * late image, thread, stack-key definition, file name or span would change what it
 * already emitted — so the stored run is the same either way (etl_ingest.c, invariants).
 * One pass needs a sink with restart and module_update; without them it reads in two. The
 * summary's "ingest_passes" says which way ran and why a one pass started over. */
enum etl_passes { ETL_TWO_PASS = 0, ETL_ONE_PASS = 1 };
int etl_ingest_ex(FILE *f, enum etl_passes passes, const struct ingest_sink *sink,
		  struct ingest_error *err);
/* etl_ingest_ex for f opened by ingest_grow_open(grow, …), an upload still being written
 * (grow NULL: any f): the buffers are read by offset as they arrive (ingest_grow_pread)
 * rather than through f, whose every seek drops stdio's buffer. */
struct ingest_grow;
int etl_ingest_grow(FILE *f, struct ingest_grow *grow, enum etl_passes passes,
		    const struct ingest_sink *sink, struct ingest_error *err);

#endif
