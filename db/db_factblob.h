/* db_factblob.h — the packed per-slice facts (issue 15): one blob per (domain, slice, CPU,
 * part) in etw_fact_blobs (migration 15) holds the slice's keyed counters (pid, tid, key →
 * n, m, ns, bytes; what they mean per domain: ingest/etl/etl_slicefacts.h).
 *
 * Encoding, version 1 (every integer a LEB128 varint, db_varint.h):
 *   version byte (1) · count · count × entry
 *   entry = zigzag(pid − previous pid) · zigzag(tid − previous tid) ·
 *           zigzag(key − previous key, mod 2^64) · mask byte (bit i: value i present) ·
 *           the present values among n, m, ns, bytes in that order
 * "previous" starts at 0; the encoder writes entries in the order given (sorted by pid,
 * tid, key they are small), the decoder needs no order. A key may occur more than once
 * in a blob and in several parts: readers add them up.
 *
 * Invariants: the decoder reads only inside [p, p + len); a blob is accepted only whole —
 * known version, count ≤ len, every varint complete, pid and tid within 32 bits, mask
 * within 4 bits and no bytes left over — else it stops with -1 (entries already passed to
 * the callback stay passed: callers treat -1 as a damaged run, not a partial answer). */
#ifndef ETLSCOPE_DB_FACTBLOB_H
#define ETLSCOPE_DB_FACTBLOB_H

#include <stddef.h>
#include <stdint.h>
#include "sink.h"

#define DB_FACTBLOB_VERSION 1

struct db_factblob_entry {
	uint32_t pid, tid;
	uint64_t key;
	uint64_t v[4]; /* n, m, ns, bytes */
};

/* Bytes at most that n entries encode to. */
size_t db_factblob_bound(size_t n);
/* Encodes the n facts' pid, tid, key and values (domain, slice and CPU are the blob's
 * row) into dst (db_factblob_bound(n) bytes); the length written. */
size_t db_factblob_encode(const struct sink_slice_fact *f, size_t n, uint8_t *dst);

/* Called per decoded entry; a non-zero return stops the decode and is returned. */
typedef int (*db_factblob_fn)(void *ud, const struct db_factblob_entry *e);
/* Decodes blob p (len bytes): 0 when whole, -1 if malformed, or cb's non-zero. */
int db_factblob_decode(const uint8_t *p, size_t len, db_factblob_fn cb, void *ud);

#endif
