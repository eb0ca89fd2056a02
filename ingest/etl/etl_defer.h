/* etl_defer.h — the one pass's deferred samples: CPU samples whose stack referenced a
 * stack key not yet defined (traces with stack caching define keys when the cache entry is
 * evicted, KeyDelete, or in the rundown at the end, KeyRundown). Such a sample, once it
 * has left the window and its CPU's hold (so no later stack or DPC/ISR event can touch
 * it), is written to a temporary file instead of the sink; at the end of the pass, when
 * every definition is known, each is read back, its recorded stack inputs replayed in the
 * order they came (etl_pending_sample.ops) and the sample emitted — the record two passes
 * would have emitted.
 *
 * Memory: one stdio buffer and one sample at a time, whatever the number of samples; the
 * file holds ~160 bytes a sample + 12 per frame, 24 per key reference, and is capped at
 * ETL_DEFER_MAX_BYTES (past it, etl_defer_put refuses: the caller starts over in two
 * passes). The file is
 * created in $TMPDIR (else tmpfile()'s /tmp), mode 0600, and unlinked at once (gone when
 * closed or the process dies); it is private to this process, so records are raw
 * native-endian copies. */
#ifndef ETLSCOPE_ETL_DEFER_H
#define ETLSCOPE_ETL_DEFER_H

#include <stdint.h>
#include <stdio.h>
#include "etl_pending.h"

#define ETL_DEFER_MAX_BYTES ((uint64_t)1 << 30)

struct etl_defer {
	FILE *f;        /* NULL until the first sample is deferred */
	uint64_t n;     /* samples written */
	uint64_t bytes; /* bytes written */
	int reading;    /* etl_defer_rewind was called */
};

void etl_defer_init(struct etl_defer *d);
/* Close the file (its samples are dropped). */
void etl_defer_clear(struct etl_defer *d);
/* Write sample p (its fields, halves and ops; p is left as it was: the caller releases
 * it). 0, or -1: no temporary file, a write error or past ETL_DEFER_MAX_BYTES. */
int etl_defer_put(struct etl_defer *d, const struct etl_pending_sample *p);
/* Read the samples back from the first. 0 or -1 (I/O error). */
int etl_defer_rewind(struct etl_defer *d);
/* The next sample into *p, its halves and ops on the heap (counted in *bytes; the caller
 * releases them): 1, 0 after the last, -1 I/O error or a damaged record, -2 ENOMEM. */
int etl_defer_next(struct etl_defer *d, struct etl_pending_sample *p, size_t *bytes);

#endif
