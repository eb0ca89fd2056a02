/* etl_factsort.h — sorting a map's per-slice facts (sink.h struct sink_slice_fact) into the
 * store's key order: domain, slice, CPU, pid, tid, then key as a signed 64-bit integer (the
 * order of etw_fact_blobs' groups and of the entries inside a blob, db/db_factblob.h).
 *
 * It replaces qsort(3) in etl_slicefacts' flush: glibc sorts elements over 32 bytes through
 * an array of pointers it mallocs per call (2 × 8 bytes an element) and calls the comparator
 * through a pointer; here a merge sort of 16-byte entries — the fact's (domain, slice, CPU)
 * packed in one word, its pid, its index — compares inline, in two arrays the caller keeps
 * (most comparisons are settled by the packed word, read in order, without touching the
 * 56-byte facts), then moves each fact once into its place (following the permutation's
 * cycles). The keys of a map are distinct, so the result is the one order whatever the sort's
 * stability. */
#ifndef ETLSCOPE_ETL_FACTSORT_H
#define ETLSCOPE_ETL_FACTSORT_H

#include <stddef.h>
#include <stdint.h>
#include "sink.h"

/* One fact in the sort: domain << 48 | slice << 16 | cpu (exact: 8, 32 and 16 bits), pid,
 * index in v. */
struct etl_factsort_ent {
	uint64_t group;
	uint32_t pid, i;
};

/* Sort v[0..n) in the store's key order, in place. ent and tmp: n entries each, scratch
 * (n < 2^32). Never fails. */
void etl_factsort(struct sink_slice_fact *v, size_t n, struct etl_factsort_ent *ent,
		  struct etl_factsort_ent *tmp);

#endif
