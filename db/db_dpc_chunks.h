/* db_dpc_chunks.h — internal: the complete set of above-guideline DPC/ISR events, stored
 * as compact blobs partitioned by (kind, duration bucket, module) and chunked in arrival
 * order, so an ingest writes one row per ~1,000 events instead of three B-tree entries
 * per event, and "longest first" reads walk the buckets from the top.
 *
 * Blob layout (etw_dpc_chunks.data): byte 0 = version (1), then per event
 *   varint zigzag(t_ns - previous t_ns), varint cpu, varint duration_ns,
 *   varint zigzag(routine - previous routine)
 * with "previous" starting at 0; the row's n says how many events follow. */
#ifndef ETLSCOPE_DB_DPC_CHUNKS_H
#define ETLSCOPE_DB_DPC_CHUNKS_H

#include <stddef.h>
#include <sqlite3.h>
#include "db_etw.h"

struct db_dpc_chunks;
/* A writer for one run (inside the caller's transaction). NULL when out of memory. */
struct db_dpc_chunks *db_dpc_chunks_new(sqlite3 *db, int64_t run_id);
/* Add one event (t_ns >= 0, kind < SINK_DPCISR_KINDS, module_id >= -1). 0 or -1 (error). */
int db_dpc_chunks_add(struct db_dpc_chunks *c, const struct db_dpc_event *e);
/* Write every open chunk. */
int db_dpc_chunks_finish(struct db_dpc_chunks *c);
const char *db_dpc_chunks_error(const struct db_dpc_chunks *c);
void db_dpc_chunks_free(struct db_dpc_chunks *c);

/* Decode a stored blob of n events of (kind, module); calls visit for each. Returns -1
 * when the blob is malformed (every read is bounded), else 0 or visit's non-zero return. */
int db_dpc_chunk_decode(const uint8_t *p, size_t len, uint64_t n, int kind, int32_t module,
			int (*visit)(void *ud, const struct db_dpc_event *e), void *ud);

/* Migration helper: rewrite the rows of the old per-event table etw_dpc_events (schema
 * 2-4) as chunks. */
int db_dpc_chunks_convert(sqlite3 *db, char *err, size_t errlen);

#endif
