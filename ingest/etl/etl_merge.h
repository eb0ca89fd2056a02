/* etl_merge.h — time-ordered event iteration: buffer headers scanned in file order into
 * per-CPU queues ordered by (SequenceNumber, file index), and a k-way merge of the per-CPU
 * streams by event timestamp (as ProcessTrace orders events). Memory: the queued buffer
 * references (24 bytes a buffer) + one buffer per CPU.
 *
 * Two ways to scan (README.md, "Time order while the file grows"):
 * - lazy (sequential files): headers are scanned only as far as the merge needs the next
 *   buffer of some CPU, plus ETL_MERGE_LOOKAHEAD buffers, so the merge decodes a file that
 *   is still being written (ingest_grow.h) right behind its writer;
 * - indexed (circular or buffering-mode files, no readable header, or asked for): every
 *   header first, as a circular file's buffers are not in file order.
 *
 * Invariants:
 * - a CPU's buffers are taken in (sequence, index) order among those scanned; in lazy mode
 *   only once ETL_MERGE_LOOKAHEAD more buffers were scanned after it (or the file ended), so
 *   any reordering within that distance comes out as the full index orders it;
 * - the merge hands out the least (timestamp, CPU) of the streams' heads (a loser tree: one
 *   match per level to replace the winner), each CPU's stream taking part whenever a
 *   buffer of it remains; hence the lazy and indexed scans
 *   hand out the same events in the same order unless `late_buffers` counts a buffer the
 *   lazy scan found too late (below). */
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

enum etl_merge_scan { ETL_MERGE_AUTO = 0, ETL_MERGE_INDEXED = 1 };

struct etl_merge {
	FILE *f;
	int fd;                   /* f's descriptor if a regular file (etl_file_fd), else -1 */
	struct ingest_grow *grow; /* f is this upload being written: read by ingest_grow_pread */
	struct etl_merge_stream *streams; /* one per CPU seen, in order of first sight */
	size_t n_streams, cap_streams;
	uint32_t *stream_of_cpu;  /* CPU number → stream index + 1 (0: none yet) */
	unsigned __int128 *keys;  /* each stream's head: timestamp << 32 | cpu (etl_merge.c) */
	uint64_t *nkeys;          /* the same narrowed to 64 bits when the time guard's window
				   * allows (narrow; etl_merge.c says how) */
	int narrow;               /* nkeys are the keys in use, not keys */
	uint64_t key_base;        /* narrow: the time a key counts from */
	uint32_t *tree;           /* loser tree over the streams: tree[0] the winner, tree[1..n)
				   * the loser of each match (leaf i at position n + i) */
	uint32_t *win;            /* scratch: each match's winner while the tree is built */
	size_t n_tree;            /* streams in the tree (all that joined so far) */
	int have_last;            /* the winner's event was handed out, advance it next */
	int compression_format;
	int lazy;                 /* headers scanned as needed (see above) */
	uint64_t scan_off;        /* next buffer header to scan */
	uint32_t scan_index;      /* its index in file order */
	int scan_done;            /* the scan reached the end (or damage, st.truncated) */
	uint32_t max_used;        /* cap on a compressed buffer's expansion (the header's) */
	uint32_t prime_cpus;      /* lazy priming: CPUs the header counts (≤ 2,048) ... */
	uint32_t prime_seen;      /* ... and how many of them have a stream */
	unsigned __int128 out;    /* the greatest (timestamp, CPU) key handed out so far */
	int handed_out;           /* an event was handed out */
	uint64_t late_buffers;    /* lazy: buffers found after the merge had passed them */
	struct etl_reader_stats st; /* same counters as the file-order reader */
	struct etl_time_guard guard; /* from the logfile header, as the reader's */
	struct etl_mem_budget budget; /* buffer memory of all streams together */
	struct etl_prefetch *prefetch; /* compressed buffers decompressed ahead on a thread
					* (etl_prefetch.h), from the first one scanned */
	int no_prefetch;          /* no memory or thread for it, or not wanted: the streams
				   * decompress their own buffers */
};

/* Buffer memory all CPU streams may hold together (each holds at most one raw and one
 * decompressed buffer, ≤ 2 × ETL_BUFFER_MAX_SIZE): 64 CPUs of 1 MiB buffers need 128 MiB.
 * Buffers that do not fit are skipped and counted in st.limit_buffers. */
#define ETL_MERGE_MEMORY_BUDGET (256u << 20)
/* Lazy scan: buffers scanned past a CPU's next buffer before it is taken. */
#define ETL_MERGE_LOOKAHEAD 64u

/* Read the logfile header, choose the scan (ETL_MERGE_AUTO: lazy for sequential files;
 * ETL_MERGE_INDEXED: every header first) and prime every CPU stream: in lazy mode the scan
 * goes on until every CPU the header counts has a buffer (or the file ends). Events with
 * implausible times are dropped and counted (st.damaged_times), as by the reader.
 * Returns 0, INGEST_ENOMEM or INGEST_EIO. A truncated tail sets st.truncated. */
int etl_merge_open_scan(struct etl_merge *m, FILE *f, enum etl_merge_scan scan);
/* etl_merge_open_scan(m, f, ETL_MERGE_AUTO). */
int etl_merge_open(struct etl_merge *m, FILE *f);
/* etl_merge_open_scan for f opened by ingest_grow_open(grow, …) (grow NULL: any f): the
 * scan and the walkers read it by offset (etl_walker_init_grow). */
int etl_merge_open_grow(struct etl_merge *m, FILE *f, struct ingest_grow *grow,
			enum etl_merge_scan scan);
/* Next event in global time order: 1 with an event, 0 at the end, INGEST_ENOMEM,
 * INGEST_EIO (a seek failed while scanning). */
int etl_merge_next(struct etl_merge *m, struct etl_event *ev);
/* The same without the copy: *ev points at the stream's head event, valid (with the
 * buffer bytes it points into) until the next call or etl_merge_close. */
int etl_merge_next_ref(struct etl_merge *m, const struct etl_event **ev);
void etl_merge_close(struct etl_merge *m);
/* Bytes decompressed so far by all streams (the decompression work done). */
uint64_t etl_merge_expanded(const struct etl_merge *m);

#endif
