/* etl_buffer.h — the ETL buffer walker: reads one WMI buffer at a time from a FILE*
 * (never the whole file), decompresses XPRESS buffers, and hands out the used payload.
 * Memory is bounded by one raw and one decompressed buffer per walker. */
#ifndef ETLSCOPE_ETL_BUFFER_H
#define ETLSCOPE_ETL_BUFFER_H

#include <stdint.h>
#include <stdio.h>

struct ingest_grow; /* ingest_grow.h: an upload read while it is written */

#define ETL_BUFFER_HEADER_SIZE 0x48u
/* The largest buffer ETW writes: EVENT_TRACE_PROPERTIES.BufferSize is at most 16384 KB
 * (1024 KB before Windows 8). Larger BufferSize values are refused as damage or attack
 * (see README.md, "Limits"). */
#define ETL_BUFFER_MAX_SIZE (16u << 20)
/* A compressed buffer may expand to at most RATIO × its compressed bytes + SLACK: real
 * XPRESS buffers expand 1.8×–13.6× (PerfView sample), a bomb 700 000×. As every buffer
 * has at least 0x49 bytes on disk, decompression work and memory stay below
 * (64 + 4096/73) < 121 bytes per input byte. */
#define ETL_XPRESS_MAX_RATIO 64u
#define ETL_XPRESS_SLACK (4u << 10)

/* BufferFlag bits */
#define ETL_BUF_FLUSH_MARKER 0x0001u
#define ETL_BUF_EVENTS_LOST 0x0002u
#define ETL_BUF_BUFFER_LOST 0x0004u
#define ETL_BUF_PROC_INDEX 0x0020u
#define ETL_BUF_COMPRESSED 0x0040u

/* BufferType values */
enum etl_buffer_type {
	ETL_BUFTYPE_GENERIC = 0, ETL_BUFTYPE_RUNDOWN = 1, ETL_BUFTYPE_CTX_SWAP = 2,
	ETL_BUFTYPE_REFTIME = 3, ETL_BUFTYPE_HEADER = 4, ETL_BUFTYPE_BATCHED = 5,
	ETL_BUFTYPE_EMPTY_MARKER = 6, ETL_BUFTYPE_DBG_INFO = 7
};

/* COMPRESSION_FORMAT_* (low 16 bits of the first buffer's State in compressed files). */
#define ETL_COMPRESSION_LZNT1 2
#define ETL_COMPRESSION_XPRESS 3
#define ETL_COMPRESSION_XPRESS_HUFF 4

struct etl_buffer_header {
	uint32_t buffer_size;   /* on-disk bytes incl. header */
	uint32_t saved_offset;
	uint32_t offset;        /* used bytes incl. header (uncompressed size if compressed) */
	uint64_t timestamp;
	int64_t sequence;
	uint16_t cpu;           /* processor number per the PROC_INDEX rule */
	uint16_t logger_id;
	uint32_t state;
	uint16_t flags;
	uint16_t type;
};

/* Parse a 0x48-byte buffer header (no validation beyond decoding). */
void etl_buffer_header_parse(const uint8_t *p, struct etl_buffer_header *h);

struct etl_buffer {
	struct etl_buffer_header hdr;
	uint64_t file_offset;   /* where the buffer starts in the file */
	uint32_t index;         /* 0-based position in file order */
	const uint8_t *payload; /* used event bytes after the 0x48-byte header */
	size_t payload_len;
	int bad;                /* payload unusable: enum etl_bad_reason, 0 = usable */
	int cut;                /* 1: the file ends inside this (first) buffer; payload is
				 * what was there */
};

enum etl_bad_reason {
	ETL_BAD_DECODE = 1, /* decompression failed or the format is unsupported */
	ETL_BAD_LIMIT = 2   /* over the expansion ratio or the memory budget: not read */
};

/* Bytes of buffer memory a group of walkers may hold together (the per-CPU merge). */
struct etl_mem_budget {
	size_t held, max;
};

/* Walker results */
enum etl_walk_status {
	ETL_WALK_OK = 1,
	ETL_WALK_END = 0,        /* clean end of file */
	ETL_WALK_TRUNCATED = -1, /* file ends inside a buffer or a header is implausible */
	ETL_WALK_EIO = -2,
	ETL_WALK_ENOMEM = -3
};

struct etl_walker {
	FILE *f;
	uint64_t off;            /* file offset of the next buffer */
	uint64_t file_size;      /* UINT64_MAX when the stream can't tell */
	uint64_t stream_pos;     /* bytes consumed, for streams that can't seek (pipes) */
	uint32_t index;          /* index of the next buffer */
	int compression_format;  /* from buffer 0's State, 0 until seen */
	uint32_t max_used;       /* cap on a compressed buffer's expanded size: the trace's
				  * nominal BufferSize once known; 0 = ETL_BUFFER_MAX_SIZE */
	uint8_t *raw;            /* on-disk bytes of the current buffer */
	size_t raw_cap;
	uint8_t *data;           /* decompressed bytes of the current buffer */
	size_t data_cap;
	struct etl_mem_budget *budget; /* optional: shared cap on raw_cap + data_cap */
	uint64_t expanded;       /* bytes produced by decompression so far (work done) */
	int fd;                  /* f's descriptor when f is a regular file (etl_file_fd),
				  * read by pread; -1: read through stdio */
	int read_error;          /* a pread failed (stdio errors are ferror(f)) */
	uint32_t last_size;      /* BufferSize of the last buffer read whole: how much the
				  * next pread takes at once (0: the header alone) */
	struct ingest_grow *grow; /* f is this upload still being written: read by offset
				   * with ingest_grow_pread (fd is -1), not through f */
};

void etl_walker_init(struct etl_walker *w, FILE *f);
/* etl_walker_init for f opened by ingest_grow_open(grow, …) (grow NULL: any other f): the
 * buffers are then read at their offsets through ingest_grow_pread, which waits for them,
 * as a regular file's are by pread. */
void etl_walker_init_grow(struct etl_walker *w, FILE *f, struct ingest_grow *grow);
/* f's descriptor when f is a regular file, else -1 (pipes, fopencookie streams such as the
 * upload being received). A regular file is read by offset with pread: one copy from the
 * page cache and one call per buffer, where stdio's fseeko + fread discards its 4 KiB
 * buffer on every seek, reads it again and copies it twice. */
int etl_file_fd(FILE *f);
/* pread n bytes at off, retrying short reads and EINTR: the bytes read, fewer only at the
 * end of the file or on an error (*err set to 1). */
size_t etl_pread_at(int fd, uint64_t off, void *dst, size_t n, int *err);
/* The read by offset of the walker and the merge scan: from grow (ingest_grow_pread) when
 * it is non-NULL, else etl_pread_at(fd, …). The same contract as etl_pread_at: the bytes
 * read, fewer only at the end or on an error (*err set to 1; a failed upload is one). */
size_t etl_read_at(int fd, struct ingest_grow *grow, uint64_t off, void *dst, size_t n, int *err);
/* Position the walker at a buffer start (for index-driven reads). */
void etl_walker_seek(struct etl_walker *w, uint64_t off, uint32_t index);
/* Read the next buffer. On ETL_WALK_OK, b points into walker-owned memory valid until
 * the next call. A buffer whose payload can't be decoded comes back with b->bad = 1. */
int etl_walker_next(struct etl_walker *w, struct etl_buffer *b);
/* Take src — a decompressed buffer another walker (etl_prefetch.c) read with
 * etl_walker_next at w's position — as if etl_walker_next(w, b) had read it: w's buffers
 * grown as that call grows them (budget included), the payload copied into w->data, w
 * moved past it and its `expanded` counted. 1 done; 0 when w's buffers cannot grow (w
 * unchanged but for the growth: call etl_walker_next, which meets the same limit). */
int etl_walker_adopt(struct etl_walker *w, struct etl_buffer *b, const struct etl_buffer *src);
void etl_walker_free(struct etl_walker *w);

#endif
