/* db_stkblob.h — the packed stack sample counts (issues 13, 17): one blob holds one
 * (slice, CPU)'s counts, records (pid, tid, leaf node, n) — the rows stk_counts keeps one
 * by one today, ~4 bytes a record instead of ~20 (bench/README.md, "Stack store format").
 *
 * Encoding, version 1 (every integer an unsigned LEB128 varint, db_varint.h):
 *   version byte (1) · count · count × record
 *   record = pid delta · tid (delta) · node (delta) · n
 * Records are in strictly increasing (pid, tid, node) order, so every delta is ≥ 0: the
 * pid delta is from the previous record's pid (the first from 0); when it is non-zero the
 * tid is written whole, else its delta from the previous tid; when either is non-zero the
 * node is written whole, else its delta from the previous node, which must be ≥ 1.
 *
 * Invariants: the decoder reads only inside [p, p + len); a blob is accepted only whole —
 * known version, count ≤ len / 4 (a record takes ≥ 4 bytes), every varint complete, pid
 * and tid within 32 bits, node in 1..INT64_MAX, n in 1..INT64_MAX, keys strictly
 * increasing, no bytes left over — else it stops with -1 (records already passed to the
 * callback stay passed: callers treat -1 as a damaged run, not a partial answer). */
#ifndef ETLSCOPE_DB_STKBLOB_H
#define ETLSCOPE_DB_STKBLOB_H

#include <stddef.h>
#include <stdint.h>

#define DB_STKBLOB_VERSION 1

struct db_stkblob_rec {
	uint32_t pid, tid;
	int64_t node, n;
};

/* Bytes at most that n records encode to. */
size_t db_stkblob_bound(size_t n);
/* Encodes r[0..n) into dst (db_stkblob_bound(n) bytes): the length written, or 0 when r
 * is not strictly increasing by (pid, tid, node) or a node or n is out of range. */
size_t db_stkblob_encode(const struct db_stkblob_rec *r, size_t n, uint8_t *dst);

/* The record count a blob's header claims (≤ len / 4), or -1 when the header is bad. */
int64_t db_stkblob_count(const uint8_t *p, size_t len);
/* Called per decoded record; a non-zero return stops the decode and is returned. */
typedef int (*db_stkblob_fn)(void *ud, const struct db_stkblob_rec *r);
/* Decodes blob p (len bytes): 0 when whole, -1 if malformed, or cb's non-zero. */
int db_stkblob_decode(const uint8_t *p, size_t len, db_stkblob_fn cb, void *ud);

/* Merges two strictly increasing record arrays into out (na + nb records at most), the n
 * of a key in both added: the number of records written, or -1 when a sum overflows. */
int64_t db_stkblob_merge(const struct db_stkblob_rec *a, size_t na,
			 const struct db_stkblob_rec *b, size_t nb, struct db_stkblob_rec *out);

#endif
