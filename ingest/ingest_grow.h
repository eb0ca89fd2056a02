/* ingest_grow.h — a file that is still being written (an upload spooling to disk), read
 * while it grows: the ingest starts on the first bytes instead of after the last one.
 *
 * One writer (the upload's request thread) says how many bytes of the file are written and,
 * once, how it ended: complete, or failed with a reason. Readers (the ingest worker) see the
 * file through a stdio FILE whose reads wait for bytes that are not written yet.
 *
 * Invariants:
 * - a read never returns a byte at or past `written`; it waits until the byte is written or
 *   the upload has ended. After a failure every read fails (EIO): a parser sees a read error,
 *   never a clean end, so a cut upload cannot pass for a short file.
 * - ingest_grow_end() waits for the end and is what the ingest checks before it commits:
 *   a parser that stops early (it has read what it needs) still cannot commit a run whose
 *   upload fails afterwards.
 * - SEEK_END is the announced length (Content-Length) when there is one, else it waits for
 *   the end; reads past what arrives fail as above. */
#ifndef ETLSCOPE_INGEST_GROW_H
#define ETLSCOPE_INGEST_GROW_H

#include <stdint.h>
#include <stdio.h>

struct ingest_grow;

/* A new growing file of `expected` bytes (-1: unknown) with one reference; NULL when out of
 * memory. */
struct ingest_grow *ingest_grow_new(int64_t expected);
void ingest_grow_ref(struct ingest_grow *g);
/* Drop a reference; the last one frees it. NULL is ignored. */
void ingest_grow_unref(struct ingest_grow *g);

/* The writer: `total` bytes of the file are now written (it only grows). */
void ingest_grow_wrote(struct ingest_grow *g, int64_t total);
/* The writer: the file is complete at what was written. */
void ingest_grow_finish(struct ingest_grow *g);
/* The writer: the upload failed; readers fail with `why` (copied, may be cut short). */
void ingest_grow_fail(struct ingest_grow *g, const char *why);

/* A reader: open path (the spool file) and read it as it grows; NULL with errno set. The
 * FILE holds a reference until fclose. */
FILE *ingest_grow_open(struct ingest_grow *g, const char *path);

/* The writer's end: 0 complete, -1 failed (why gets the reason when non-NULL), 1 still
 * writing (only when !wait; with wait it waits for the end). */
int ingest_grow_end(struct ingest_grow *g, int wait, char *why, size_t whylen);

/* CLOCK_MONOTONIC in µs: the clock of ingest_grow_ended_us and ingest_grow_parsed_us, for a
 * caller that times the steps after them (server/jobs.c). */
int64_t ingest_grow_now_us(void);
/* When the writer ended (complete or failed), in CLOCK_MONOTONIC µs; 0 while writing. */
int64_t ingest_grow_ended_us(struct ingest_grow *g);

/* The reader: the parse of the completed upload returned, every record handed to the sink
 * (ingest_file_ex calls it; the sink's end-of-ingest tables and commit come after). Stamps
 * CLOCK_MONOTONIC µs once; a later call does not move it. */
void ingest_grow_parsed(struct ingest_grow *g);
/* When ingest_grow_parsed was first called, in CLOCK_MONOTONIC µs; 0 before (and for an
 * upload that failed or whose parse failed). With ingest_grow_ended_us, what the server's
 * log splits the wait after the last byte by. */
int64_t ingest_grow_parsed_us(struct ingest_grow *g);

/* The announced length (Content-Length), -1 when there is none (a chunked upload): known
 * at once, where SEEK_END on a chunked upload's FILE waits for its end. */
int64_t ingest_grow_expected(struct ingest_grow *g);

/* Bytes written so far (the file's size once it is complete). */
int64_t ingest_grow_written(struct ingest_grow *g);

/* A reader's read at an offset, without stdio (the ETL walker and merge scan, which jump
 * between offsets: through the FILE every seek drops stdio's buffer). Waits until the n
 * bytes at off are written or the upload ended, then preads them from the spool that
 * ingest_grow_open opened. Returns the bytes read: n, fewer only at the complete file's
 * end (0 at or past it); -1 with errno EIO once the upload failed (as the FILE's reads:
 * a cut upload never reads as a short file) or before any ingest_grow_open. */
int64_t ingest_grow_pread(struct ingest_grow *g, void *buf, size_t n, int64_t off);

#endif
