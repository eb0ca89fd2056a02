/* etl_merge.c — per-CPU, sequence-ordered buffer streams merged by timestamp with a binary
 * heap (the way ProcessTrace orders events). */
#include <stdlib.h>
#include <string.h>
#include "etl_merge.h"
#include "etl_logfile.h"
#include "ingest.h"

struct etl_merge_stream {
	struct etl_walker w;
	struct etl_buffer buf;
	struct etl_event_cursor cur;
	size_t next_ref, end_ref; /* range of m->refs still to load */
	struct etl_event ev;      /* the stream's current (head) event */
	uint64_t prev_ts;         /* previous event time in the current buffer */
};

static int ref_cmp(const void *a, const void *b)
{
	const struct etl_buffer_ref *x = a, *y = b;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int build_index(struct etl_merge *m)
{
	size_t cap = 0;
	uint64_t off = 0;
	uint8_t hb[ETL_BUFFER_HEADER_SIZE];
	for (uint32_t index = 0;; index++) {
		if (fseeko(m->f, (off_t)off, SEEK_SET) != 0)
			return INGEST_EIO;
		size_t got = fread(hb, 1, sizeof hb, m->f);
		if (got == 0)
			break;
		if (got < sizeof hb) {
			m->st.truncated = 1;
			break;
		}
		struct etl_buffer_header h;
		etl_buffer_header_parse(hb, &h);
		if (h.buffer_size < ETL_BUFFER_HEADER_SIZE || h.buffer_size > ETL_BUFFER_MAX_SIZE) {
			m->st.truncated = 1;
			break;
		}
		if (index == 0)
			m->compression_format = (int)(h.state & 0xFFFF);
		/* does the whole buffer exist? check its last byte; a cut first buffer still
		 * counts when uncompressed (the walker hands out its whole events) */
		int cut = fseeko(m->f, (off_t)(off + h.buffer_size - 1), SEEK_SET) != 0 ||
			  fgetc(m->f) == EOF;
		if (cut)
			m->st.truncated = 1;
		if (cut && (index != 0 || (h.flags & ETL_BUF_COMPRESSED)))
			break;
		if (m->n_refs == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct etl_buffer_ref *n = realloc(m->refs, ncap * sizeof *n);
			if (!n)
				return INGEST_ENOMEM;
			m->refs = n;
			cap = ncap;
		}
		m->refs[m->n_refs++] = (struct etl_buffer_ref){off, h.sequence, index, h.cpu};
		if (cut)
			break;
		off += h.buffer_size;
	}
	if (m->n_refs)
		qsort(m->refs, m->n_refs, sizeof *m->refs, ref_cmp);
	return 0;
}

/* Advance a stream to its next event; 1 = has event, 0 = exhausted, <0 error. */
static int stream_advance(struct etl_merge *m, struct etl_merge_stream *s)
{
	for (;;) {
		if (s->cur.p) {
			int rc = etl_event_next(&s->cur, &s->ev);
			if (rc == ETL_EV_OK &&
			    !etl_time_guard_check(&m->guard, &s->prev_ts, s->ev.timestamp)) {
				m->st.damaged_times++;
				continue;
			}
			if (rc == ETL_EV_OK) {
				m->st.events++;
				m->st.by_header_type[s->ev.header_type & 31]++;
				return 1;
			}
			if (rc == ETL_EV_SKIPPED) {
				m->st.skipped++;
				m->st.by_header_type[s->ev.header_type & 31]++;
				continue;
			}
			if (rc == ETL_EV_MALFORMED && !s->buf.cut) /* a cut buffer ends mid-event */
				m->st.malformed_buffers++;
			s->cur.p = NULL;
		}
		if (s->next_ref >= s->end_ref)
			return 0;
		const struct etl_buffer_ref *r = &m->refs[s->next_ref++];
		etl_walker_seek(&s->w, r->off, r->index);
		int rc = etl_walker_next(&s->w, &s->buf);
		if (rc == ETL_WALK_ENOMEM)
			return INGEST_ENOMEM;
		if (rc != ETL_WALK_OK) {
			if (rc == ETL_WALK_EIO)
				m->st.io_error = 1;
			else
				m->st.truncated = 1;
			continue;
		}
		if (!etl_reader_count_buffer(&m->st, &s->buf))
			continue;
		s->prev_ts = 0;
		etl_event_cursor_init(&s->cur, s->buf.payload, s->buf.payload_len, s->buf.hdr.cpu);
		if (!s->cur.p)
			s->cur.p = (const uint8_t *)""; /* empty payload: still a valid cursor */
	}
}

static int before(const struct etl_merge_key *x, const struct etl_merge_key *y)
{
	if (x->ts != y->ts)
		return x->ts < y->ts;
	return x->cpu < y->cpu;
}

static void sift_down(struct etl_merge *m, size_t i)
{
	struct etl_merge_key *h = m->heap;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, s = i;
		if (l < m->n_heap && before(&h[l], &h[s]))
			s = l;
		if (r < m->n_heap && before(&h[r], &h[s]))
			s = r;
		if (s == i)
			return;
		struct etl_merge_key t = h[i];
		h[i] = h[s];
		h[s] = t;
		i = s;
	}
}

static struct etl_merge_key key_of(const struct etl_merge *m, size_t stream)
{
	const struct etl_event *ev = &m->streams[stream].ev;
	return (struct etl_merge_key){ev->timestamp, ev->cpu, (uint32_t)stream};
}

/* The logfile header in buffer 0: 1 read, 0 unreadable, -1 out of memory. */
static int read_header(FILE *f, struct etl_logfile *lf)
{
	struct etl_walker w;
	struct etl_buffer b;
	struct etl_event ev;
	size_t adv;
	etl_walker_init(&w, f);
	int rc = etl_walker_next(&w, &b);
	int got = rc == ETL_WALK_ENOMEM ? -1 : 0;
	if (rc == ETL_WALK_OK && !b.bad &&
	    etl_event_decode(b.payload, b.payload_len, &ev, &adv) == ETL_EV_OK &&
	    ev.ev_class == ETL_EC_SYSTEM && ev.group == 0 && ev.type == 0 &&
	    etl_logfile_parse(&ev, lf) == 0)
		got = 1;
	etl_walker_free(&w);
	return got;
}

int etl_merge_open(struct etl_merge *m, FILE *f)
{
	memset(m, 0, sizeof *m);
	m->f = f;
	m->budget.max = ETL_MERGE_MEMORY_BUDGET;
	int rc = build_index(m);
	if (rc)
		return rc;
	struct etl_logfile lf;
	uint32_t max_used = 0;
	rc = read_header(f, &lf);
	if (rc < 0)
		return INGEST_ENOMEM;
	if (rc == 1) {
		etl_time_guard_init(&m->guard, &lf);
		/* the cap on a compressed buffer's expansion, as the reader's */
		if (lf.buffer_size >= ETL_BUFFER_HEADER_SIZE && lf.buffer_size <= ETL_BUFFER_MAX_SIZE)
			max_used = lf.buffer_size;
	}
	/* one stream per distinct CPU */
	for (size_t i = 0; i < m->n_refs; i++)
		if (i == 0 || m->refs[i].cpu != m->refs[i - 1].cpu)
			m->n_streams++;
	m->streams = calloc(m->n_streams ? m->n_streams : 1, sizeof *m->streams);
	m->heap = calloc(m->n_streams ? m->n_streams : 1, sizeof *m->heap);
	if (!m->streams || !m->heap)
		return INGEST_ENOMEM;
	size_t s = 0;
	for (size_t i = 0; i < m->n_refs; i++) {
		if (i == 0 || m->refs[i].cpu != m->refs[i - 1].cpu) {
			if (i)
				m->streams[s++].end_ref = i;
			etl_walker_init(&m->streams[s].w, f);
			m->streams[s].w.compression_format = m->compression_format;
			m->streams[s].w.max_used = max_used;
			m->streams[s].w.budget = &m->budget;
			m->streams[s].next_ref = i;
		}
	}
	if (m->n_streams)
		m->streams[s].end_ref = m->n_refs;
	for (size_t i = 0; i < m->n_streams; i++) {
		rc = stream_advance(m, &m->streams[i]);
		if (rc < 0)
			return rc;
		if (rc == 1)
			m->heap[m->n_heap++] = key_of(m, i);
	}
	for (size_t i = m->n_heap / 2; i-- > 0;)
		sift_down(m, i);
	return 0;
}

int etl_merge_next(struct etl_merge *m, struct etl_event *ev)
{
	/* The event handed out last time points into its stream's buffer, so that stream is
	 * advanced only now, when the caller is done with it. */
	if (m->have_last) {
		m->have_last = 0;
		uint32_t top = m->heap[0].stream;
		int rc = stream_advance(m, &m->streams[top]);
		if (rc < 0)
			return rc;
		if (rc == 0)
			m->heap[0] = m->heap[--m->n_heap];
		else
			m->heap[0] = key_of(m, top);
		if (m->n_heap)
			sift_down(m, 0);
	}
	if (m->n_heap == 0)
		return 0;
	*ev = m->streams[m->heap[0].stream].ev;
	m->have_last = 1;
	return 1;
}

uint64_t etl_merge_expanded(const struct etl_merge *m)
{
	uint64_t n = 0;
	for (size_t i = 0; i < m->n_streams; i++)
		n += m->streams[i].w.expanded;
	return n;
}

void etl_merge_close(struct etl_merge *m)
{
	for (size_t i = 0; i < m->n_streams; i++)
		etl_walker_free(&m->streams[i].w);
	free(m->streams);
	free(m->refs);
	free(m->heap);
	memset(m, 0, sizeof *m);
}
