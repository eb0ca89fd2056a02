/* etl_prefetch.h — XPRESS buffers decompressed ahead of the time-ordered merge, on a
 * thread of its own. The merge's scan names each compressed buffer it finds (in file
 * order, ETL_MERGE_LOOKAHEAD or more buffers before the merge takes it); the thread reads
 * and decompresses the oldest named ones into ETL_PREFETCH_SLOTS slots, each with a walker
 * of its own (etl_walker_next, the same code the merge's walkers run); the merge, taking a
 * buffer, copies a finished slot's payload into its stream's walker (etl_walker_adopt) or,
 * when the buffer was not reached yet or the slot's read did not end in a usable payload,
 * reads it itself as before. So what the merge hands out does not depend on the thread:
 * any error, cut or damaged buffer is met again on the merge's own thread.
 * Memory: ETL_PREFETCH_SLOTS decompressed buffers, one raw (on-disk) buffer, and ≤ ETL_PREFETCH_NAMED named
 * buffers (16 bytes each) waiting for the thread. */
#ifndef ETLSCOPE_ETL_PREFETCH_H
#define ETLSCOPE_ETL_PREFETCH_H

#include <stdint.h>
#include <stdio.h>
#include "etl_buffer.h"

#define ETL_PREFETCH_SLOTS 8
#define ETL_PREFETCH_NAMED 1024

struct etl_prefetch;

/* Starts the thread over f (and grow, as etl_walker_init_grow) for buffers of this
 * compression format and expansion cap (as the merge's walkers: etl_walker fields).
 * NULL when memory or a thread is unavailable: the caller then reads every buffer itself. */
struct etl_prefetch *etl_prefetch_new(FILE *f, struct ingest_grow *grow, int compression_format,
				      uint32_t max_used);
/* The compressed buffer at off (index in file order) will be taken later: the thread may
 * decompress it. Dropped when ETL_PREFETCH_NAMED are already waiting. */
void etl_prefetch_name(struct etl_prefetch *p, uint64_t off, uint32_t index);
/* The buffer `index` is being taken by walker w, positioned at it (etl_walker_seek): 1 when
 * the thread had decompressed it — *b and w are then as etl_walker_next(w, b) would have
 * left them on ETL_WALK_OK; 0 when it had not (not named, not reached, not usable, or no
 * memory for the copy): call etl_walker_next yourself. Waits while the thread is on it. */
int etl_prefetch_take(struct etl_prefetch *p, uint32_t index, struct etl_walker *w,
		      struct etl_buffer *b);
/* How many takes found their buffer decompressed (and how many were asked for). */
void etl_prefetch_counts(struct etl_prefetch *p, uint64_t *hits, uint64_t *takes);
/* Waits until the thread can do nothing more: every named buffer decompressed or every
 * slot full (for tests, which then know which takes find their buffer ready). */
void etl_prefetch_settle(struct etl_prefetch *p);
/* Stops the thread (it finishes the buffer it is on) and frees everything; NULL is fine. */
void etl_prefetch_free(struct etl_prefetch *p);

#endif
