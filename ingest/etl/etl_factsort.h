/* etl_factsort.h — sorting a map's per-slice facts (sink.h struct sink_slice_fact) into the
 * store's key order: domain, slice, CPU, pid, tid, then key as a signed 64-bit integer (the
 * order of etw_fact_blobs' groups and of the entries inside a blob, db/db_factblob.h).
 *
 * It replaces qsort(3) in etl_slicefacts' flush: glibc sorts elements over 32 bytes through
 * an array of pointers it mallocs per call (2 × 8 bytes an element) and calls the comparator
 * through a pointer; here a merge sort of 32-bit indices compares inline, in two arrays the
 * caller keeps, then moves each fact once into its place (following the permutation's
 * cycles). The keys of a map are distinct, so the result is the one order whatever the sort's
 * stability. */
#ifndef ETLSCOPE_ETL_FACTSORT_H
#define ETLSCOPE_ETL_FACTSORT_H

#include <stddef.h>
#include <stdint.h>
#include "sink.h"

/* Sort v[0..n) in the store's key order, in place. idx and tmp: n uint32_t each, scratch
 * (n < 2^32). Never fails. */
void etl_factsort(struct sink_slice_fact *v, size_t n, uint32_t *idx, uint32_t *tmp);

#endif
