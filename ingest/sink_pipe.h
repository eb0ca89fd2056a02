/* sink_pipe.h — runs a sink on a thread of its own, so a parser decodes the next records
 * while the previous ones are being stored. The parser calls the pipe's sink exactly as it
 * would the real one: DPC/ISR records, CPU samples and warnings are copied into a small
 * ring of blocks; every other callback (module ids, counters, the summary, text reports)
 * first waits until the store thread has caught up and then calls the real sink directly,
 * so return values and ids keep their meaning and the real sink never runs on two threads
 * at once. The first error the real sink returns is returned from the next callback and
 * from sink_pipe_finish. Per-slice fact contributions (sink.h slice_fact_adds) are queued
 * too and added up on the store thread, in the fact maps the parser would otherwise keep
 * (etl_slicefacts.h; the busy I/O trace's reader spent ~30 % of its time there). Memory:
 * SINK_PIPE_BLOCKS blocks of SINK_PIPE_BLOCK bytes, and those maps (3 × 2 MiB, allocated
 * untouched). */
#ifndef ETLSCOPE_SINK_PIPE_H
#define ETLSCOPE_SINK_PIPE_H

#include "sink.h"

#define SINK_PIPE_BLOCKS 8
#define SINK_PIPE_BLOCK (256 * 1024)

struct sink_pipe;
/* Starts the store thread; NULL when memory or a thread is unavailable (then call the real
 * sink directly). */
struct sink_pipe *sink_pipe_new(const struct ingest_sink *down);
/* The sink to hand the parser. */
const struct ingest_sink *sink_pipe_sink(struct sink_pipe *p);
/* Store everything queued; 0, or the first negative value the real sink returned. */
int sink_pipe_finish(struct sink_pipe *p);
/* Stops the thread (after finishing) and frees the pipe. */
void sink_pipe_free(struct sink_pipe *p);

#endif
