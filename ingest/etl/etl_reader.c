/* etl_reader.c — file-order event iteration over the buffer walker, with the logfile header,
 * group masks and health counters picked up on the way. */
#include <string.h>
#include "etl_reader.h"
#include "etl_le.h"
#include "ingest.h"

int etl_reader_count_buffer(struct etl_reader_stats *st, const struct etl_buffer *b)
{
	st->buffers++;
	if (b->cut)
		st->truncated = 1;
	if (b->hdr.flags & ETL_BUF_COMPRESSED)
		st->compressed_buffers++;
	if (b->hdr.flags & (ETL_BUF_EVENTS_LOST | ETL_BUF_BUFFER_LOST))
		st->buffers_events_lost++;
	if (b->bad)
		st->bad_buffers++;
	if (b->bad == ETL_BAD_LIMIT)
		st->limit_buffers++;
	return !b->bad;
}

static int load_buffer(struct etl_reader *r)
{
	for (;;) {
		int rc = etl_walker_next(&r->walker, &r->buf);
		if (rc == ETL_WALK_END) {
			/* a file cut at a buffer boundary ends cleanly: the header's count of
			 * buffers written tells (not in circular mode, where buffers wrap) */
			const struct etl_logfile *lf = &r->lf;
			if (r->have_header && !(lf->log_file_mode & ETL_LOGFILE_MODE_CIRCULAR) &&
			    r->st.buffers < lf->buffers_written)
				r->st.truncated = 1;
			return 0;
		}
		if (rc == ETL_WALK_TRUNCATED) {
			r->st.truncated = 1;
			return 0;
		}
		if (rc == ETL_WALK_EIO) {
			r->st.io_error = 1;
			return 0;
		}
		if (rc == ETL_WALK_ENOMEM)
			return INGEST_ENOMEM;
		if (!etl_reader_count_buffer(&r->st, &r->buf))
			continue;
		r->prev_ts = 0;
		etl_event_cursor_init(&r->cur, r->buf.payload, r->buf.payload_len, r->buf.hdr.cpu);
		r->have_buf = 1;
		return 1;
	}
}

/* Cache the header's clock for etl_reader_ticks_to_ns (after each logfile parse). */
static void clock_cache(struct etl_reader *r)
{
	uint64_t f = etl_logfile_ticks_per_second(&r->lf);
	r->clock_f = f;
	r->clock_k = f && 1000000000u % f == 0 ? 1000000000u / f : 0;
}

void etl_reader_observe(struct etl_reader *r, const struct etl_event *ev)
{
	if (ev->ev_class != ETL_EC_SYSTEM || ev->group != 0)
		return;
	if (ev->type == 0 && !r->have_header) {
		if (etl_logfile_parse(ev, &r->lf) == 0) {
			r->have_header = 1;
			clock_cache(r);
		}
	} else if (ev->type == 5 || ev->type == 32) {
		uint32_t m[8];
		/* type 32 may be all zero: keep the first non-zero set */
		if (!r->have_masks && etl_groupmask_parse(ev, m) == 1) {
			memcpy(r->masks, m, sizeof m);
			r->have_masks = 1;
			if (ev->payload_len >= 36)
				r->kernel_event_version = etl_le32(ev->payload + 32);
		}
	}
}

int etl_reader_next(struct etl_reader *r, struct etl_event *ev)
{
	for (;;) {
		if (!r->have_buf) {
			int rc = load_buffer(r);
			if (rc <= 0)
				return rc;
		}
		int rc = etl_event_next(&r->cur, ev);
		if (rc == ETL_EV_OK && !etl_time_guard_check(&r->guard, &r->prev_ts, ev->timestamp)) {
			r->st.damaged_times++;
			continue;
		}
		if (rc == ETL_EV_OK) {
			r->st.events++;
			r->st.by_header_type[ev->header_type & 31]++;
			etl_reader_observe(r, ev);
			return 1;
		}
		if (rc == ETL_EV_SKIPPED) {
			r->st.skipped++;
			r->st.by_header_type[ev->header_type & 31]++;
			continue;
		}
		if (rc == ETL_EV_MALFORMED && !r->buf.cut) /* a cut buffer ends mid-event */
			r->st.malformed_buffers++;
		r->have_buf = 0;
	}
}

void etl_reader_check_times(struct etl_reader *r)
{
	etl_time_guard_init(&r->guard, &r->lf);
}

void etl_reader_rewind(struct etl_reader *r)
{
	etl_walker_seek(&r->walker, 0, 0);
	r->have_buf = 0;
	memset(&r->st, 0, sizeof r->st);
}

int etl_reader_open(struct etl_reader *r, FILE *f)
{
	return etl_reader_open_grow(r, f, NULL);
}

int etl_reader_open_grow(struct etl_reader *r, FILE *f, struct ingest_grow *grow)
{
	memset(r, 0, sizeof *r);
	etl_walker_init_grow(&r->walker, f, grow);
	int rc = load_buffer(r);
	if (rc == INGEST_ENOMEM)
		return rc;
	if (rc == 0)
		return r->st.io_error ? INGEST_EIO : INGEST_EFORMAT;
	struct etl_event ev;
	size_t adv;
	if (etl_event_decode(r->buf.payload, r->buf.payload_len, &ev, &adv) != ETL_EV_OK ||
	    ev.ev_class != ETL_EC_SYSTEM || ev.group != 0 || ev.type != 0 ||
	    etl_logfile_parse(&ev, &r->lf) != 0)
		return INGEST_EFORMAT;
	r->have_header = 1;
	clock_cache(r);
	if (r->lf.buffer_size > ETL_BUFFER_MAX_SIZE) {
		r->refused_buffer_size = r->lf.buffer_size;
		return INGEST_EFORMAT;
	}
	/* a compressed buffer never expands beyond the nominal buffer size */
	if (r->lf.buffer_size >= ETL_BUFFER_HEADER_SIZE)
		r->walker.max_used = r->lf.buffer_size;
	/* buffer 0 stays loaded: its events, the header first, come out of etl_reader_next
	 * (no rewind, so a pipe works too) */
	return 0;
}

void etl_reader_close(struct etl_reader *r)
{
	etl_walker_free(&r->walker);
}

uint64_t etl_reader_ticks_to_ns_any(const struct etl_reader *r, uint64_t ticks)
{
	uint64_t f = etl_logfile_ticks_per_second(&r->lf);
	if (f == 0)
		return 0;
	/* common clocks (10 MHz QPC, FILETIME) are whole ns per tick: skip the 128-bit divide
	 * (and, for the clock cached at open, the two 64-bit ones that tell) */
	uint64_t k = f == r->clock_f ? r->clock_k : 1000000000u % f == 0 ? 1000000000u / f : 0;
	if (k) {
		if (ticks <= UINT64_MAX / k)
			return ticks * k;
		return UINT64_MAX;
	}
	unsigned __int128 v = (unsigned __int128)ticks * 1000000000u / f;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

