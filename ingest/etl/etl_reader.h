/* etl_reader.h — the event iterator in file order: walks buffers, parses the logfile header
 * and group masks as they go by, and counts what could not be decoded instead of failing.
 * General on purpose: kernel, classic (FULL_HEADER, e.g. perfmon PDH in .blg) and manifest
 * events all come out as struct etl_event with GUID/class/type/version/timestamp/CPU and a
 * bounded payload. */
#ifndef ETLSCOPE_ETL_READER_H
#define ETLSCOPE_ETL_READER_H

#include <stdint.h>
#include <stdio.h>
#include "etl_buffer.h"
#include "etl_event.h"
#include "etl_logfile.h"
#include "etl_timeguard.h"

/* Health counters. */
struct etl_reader_stats {
	uint64_t buffers;           /* buffers read */
	uint64_t bad_buffers;       /* unusable payload (decompression failed, LZNT1…, limits) */
	uint64_t limit_buffers;     /* of those, not read: over the expansion ratio / budget */
	uint64_t damaged_times;     /* events dropped for an implausible timestamp */
	uint64_t malformed_buffers; /* buffers whose event walk stopped early */
	uint64_t compressed_buffers;
	uint64_t events;            /* events handed out (ETL_EV_OK) */
	uint64_t skipped;           /* WPP messages, ERROR records */
	uint64_t buffers_events_lost; /* buffers flagged EVENTS_LOST / BUFFER_LOST */
	uint64_t by_header_type[32];
	int truncated;              /* the file ended inside a buffer / bad buffer size */
	int io_error;
};

struct etl_reader {
	struct etl_walker walker;
	struct etl_buffer buf;
	struct etl_event_cursor cur;
	int have_buf;
	int have_header;
	struct etl_logfile lf;
	int have_masks;
	uint32_t masks[8];
	uint32_t kernel_event_version;
	struct etl_reader_stats st;
	struct etl_time_guard guard; /* active once etl_reader_check_times() is called */
	uint64_t prev_ts;            /* the current buffer's previous event time */
	uint32_t refused_buffer_size; /* open refused a header BufferSize over the cap */
	uint64_t clock_f, clock_k;    /* the header's ticks per second when it was read, and
				       * its whole ns per tick (0: not whole): spares the
				       * per-event divisions of etl_reader_ticks_to_ns */
};

/* Open: reads buffer 0 and its first event (the logfile header). Returns 0, or
 * INGEST_EFORMAT (-1) when this is not an ETL file / the header is missing or claims
 * buffers over ETL_BUFFER_MAX_SIZE (then refused_buffer_size says how large),
 * INGEST_EIO, INGEST_ENOMEM. The reader is positioned at the first event of buffer 0
 * (the header event itself is handed out by etl_reader_next). Works on pipes. */
int etl_reader_open(struct etl_reader *r, FILE *f);
/* etl_reader_open for f opened by ingest_grow_open(grow, …) (grow NULL: any f): buffers
 * are read by offset as they are written (etl_walker_init_grow). */
int etl_reader_open_grow(struct etl_reader *r, FILE *f, struct ingest_grow *grow);
void etl_reader_close(struct etl_reader *r);
/* From now on drop (and count in st.damaged_times) events whose time is implausible
 * (etl_timeguard.h). Call after a successful open. */
void etl_reader_check_times(struct etl_reader *r);
/* Count a buffer read by a walker into the health counters; 1 if its payload is usable. */
int etl_reader_count_buffer(struct etl_reader_stats *st, const struct etl_buffer *b);
/* Restart from the first buffer (for a second pass; needs a seekable file). */
void etl_reader_rewind(struct etl_reader *r);

/* Next event in file order. Returns 1 with an event (ev valid until the next call),
 * 0 at the end (see r->st.truncated / io_error), INGEST_ENOMEM on allocation failure. */
int etl_reader_next(struct etl_reader *r, struct etl_event *ev);

/* Observe an event for header/group-mask bookkeeping (done by etl_reader_next; exported
 * for the time-ordered merge which reads buffers itself). */
void etl_reader_observe(struct etl_reader *r, const struct etl_event *ev);

/* Durations in ns (128-bit arithmetic, saturating): any clock, any count of ticks. */
uint64_t etl_reader_ticks_to_ns_any(const struct etl_reader *r, uint64_t ticks);

/* The same, inline for the common case — the clock cached at open, whole ns per tick, no
 * overflow — as it runs at least twice per DPC/ISR: the call and its overflow test's 64-bit
 * division were ~2 % of the parser thread's samples. clock_k is trusted as it stands: lf is
 * written only where the header is parsed (etl_reader_open*, etl_reader_observe), and each
 * caches the clock again right after (asking lf's clock again here cost ~13 instructions a
 * call, bench/README.md "dpcparse5"). */
static inline uint64_t etl_reader_ticks_to_ns(const struct etl_reader *r, uint64_t ticks)
{
	uint64_t ns;
	if (r->clock_k && !__builtin_mul_overflow(ticks, r->clock_k, &ns))
		return ns;
	return etl_reader_ticks_to_ns_any(r, ticks);
}

/* Ticks → ns since T0 (saturating at ±INT64_MAX). */
static inline int64_t etl_reader_ns(const struct etl_reader *r, uint64_t ts)
{
	uint64_t t0 = r->lf.header_timestamp;
	if (ts >= t0) {
		uint64_t v = etl_reader_ticks_to_ns(r, ts - t0);
		return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
	}
	uint64_t v = etl_reader_ticks_to_ns(r, t0 - ts);
	return v > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)v;
}

#endif
