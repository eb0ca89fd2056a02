/* etl_merge.h — time-ordered event iteration: a small index of buffer offsets (one entry
 * per buffer, headers only), each CPU's buffers sorted by SequenceNumber, and a k-way merge
 * of the per-CPU streams by event timestamp. Memory: the index + one buffer per CPU. */
#ifndef ETLSCOPE_ETL_MERGE_H
#define ETLSCOPE_ETL_MERGE_H

#include <stdint.h>
#include <stdio.h>
#include "etl_reader.h"

struct etl_buffer_ref {
	uint64_t off;
	int64_t seq;
	uint32_t index;
	uint16_t cpu;
};

struct etl_merge_stream;

struct etl_merge_key {
	uint64_t ts;
	uint32_t cpu;
	uint32_t stream;
};

struct etl_merge {
	FILE *f;
	struct etl_buffer_ref *refs;
	size_t n_refs;
	struct etl_merge_stream *streams;
	size_t n_streams;
	struct etl_merge_key *heap; /* min-heap on (timestamp, cpu) */
	size_t n_heap;
	int have_last;            /* heap[0]'s event was handed out, advance it next */
	int compression_format;
	struct etl_reader_stats st; /* same counters as the file-order reader */
	struct etl_time_guard guard; /* from the logfile header, as the reader's */
	struct etl_mem_budget budget; /* buffer memory of all streams together */
};

/* Buffer memory all CPU streams may hold together (each holds at most one raw and one
 * decompressed buffer, ≤ 2 × ETL_BUFFER_MAX_SIZE): 64 CPUs of 1 MiB buffers need 128 MiB.
 * Buffers that do not fit are skipped and counted in st.limit_buffers. */
#define ETL_MERGE_MEMORY_BUDGET (256u << 20)

/* Build the index (reads only buffer headers) and prime every CPU stream. Events with
 * implausible times are dropped and counted (st.damaged_times), as by the reader.
 * Returns 0, INGEST_ENOMEM or INGEST_EIO. A truncated tail sets st.truncated. */
int etl_merge_open(struct etl_merge *m, FILE *f);
/* Next event in global time order: 1 with an event, 0 at the end, INGEST_ENOMEM. */
int etl_merge_next(struct etl_merge *m, struct etl_event *ev);
void etl_merge_close(struct etl_merge *m);
/* Bytes decompressed so far by all streams (the decompression work done). */
uint64_t etl_merge_expanded(const struct etl_merge *m);

#endif
