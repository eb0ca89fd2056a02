/* etl_merge.c — per-CPU, sequence-ordered buffer streams merged by timestamp with a binary
 * loser tree (the way ProcessTrace orders events); buffer headers scanned lazily, as the merge
 * needs them, or all first (etl_merge.h says when and why). */
#include <stdlib.h>
#include <string.h>
#include "etl_event_again.h"
#include "etl_grow.h"
#include "etl_merge.h"
#include "etl_prefetch.h"
#include "etl_logfile.h"
#include "ingest.h"

/* CPU numbers from buffer headers are below 2,048 (etl_buffer.c's PROC_INDEX rule). */
#define CPU_SLOTS 2048u

struct etl_merge_stream {
	struct etl_walker w;
	struct etl_buffer buf;
	struct etl_event_cursor cur;
	struct etl_buffer_ref *q; /* scanned, not yet loaded: a min-heap on (seq, index) */
	size_t n, cap;
	int taken;                /* a buffer was taken: last_seq/last_index are valid */
	int64_t last_seq;
	uint32_t last_index;
	struct etl_event ev;      /* the stream's current (head) event */
	uint64_t prev_ts;         /* previous event time in the current buffer */
};

static int ref_before(const struct etl_buffer_ref *x, int64_t seq, uint32_t index)
{
	return x->seq != seq ? x->seq < seq : x->index < index;
}

/* The stream of a CPU, created (with its walker) at first sight; NULL out of memory. */
static struct etl_merge_stream *stream_for(struct etl_merge *m, uint16_t cpu)
{
	if (m->stream_of_cpu[cpu])
		return &m->streams[m->stream_of_cpu[cpu] - 1];
	if (etl_grow((void **)&m->streams, &m->cap_streams, m->n_streams + 1, sizeof *m->streams))
		return NULL;
	struct etl_merge_stream *s = &m->streams[m->n_streams];
	memset(s, 0, sizeof *s);
	etl_walker_init_grow(&s->w, m->f, m->grow);
	s->w.compression_format = m->compression_format;
	s->w.max_used = m->max_used;
	s->w.budget = &m->budget;
	m->stream_of_cpu[cpu] = (uint32_t)++m->n_streams;
	if (cpu < m->prime_cpus)
		m->prime_seen++;
	return s;
}

static int ref_less(const struct etl_buffer_ref *x, const struct etl_buffer_ref *y)
{
	return ref_before(x, y->seq, y->index);
}

/* Queue a scanned buffer on its CPU's stream (a heap: hostile sequence numbers cost
 * O(log n) a buffer, as the full index's sort did). */
static int enqueue(struct etl_merge *m, const struct etl_buffer_ref *r)
{
	struct etl_merge_stream *s = stream_for(m, r->cpu);
	if (!s)
		return INGEST_ENOMEM;
	if (s->taken && ref_before(r, s->last_seq, s->last_index))
		m->late_buffers++; /* its CPU's merge already passed it: it comes next */
	if (etl_grow((void **)&s->q, &s->cap, s->n + 1, sizeof *s->q))
		return INGEST_ENOMEM;
	size_t i = s->n++;
	for (; i && ref_less(r, &s->q[(i - 1) / 2]); i = (i - 1) / 2)
		s->q[i] = s->q[(i - 1) / 2];
	s->q[i] = *r;
	return 0;
}

/* Remove the stream's first buffer (q[0]) from its heap. */
static void dequeue(struct etl_merge_stream *s)
{
	struct etl_buffer_ref last = s->q[--s->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->n)
			break;
		if (c + 1 < s->n && ref_less(&s->q[c + 1], &s->q[c]))
			c++;
		if (!ref_less(&s->q[c], &last))
			break;
		s->q[i] = s->q[c];
		i = c;
	}
	if (s->n)
		s->q[i] = last;
}

/* Up to n bytes at off into dst (by offset from a regular file or a growing upload, else
 * fseeko + fread): the bytes read, or -1 when the seek fails. A failed read is a short one:
 * it ends the scan. */
static long scan_read(struct etl_merge *m, uint64_t off, void *dst, size_t n)
{
	if (m->fd >= 0 || m->grow) {
		int err = 0;
		return (long)etl_read_at(m->fd, m->grow, off, dst, n, &err);
	}
	if (fseeko(m->f, (off_t)off, SEEK_SET) != 0)
		return -1;
	return (long)fread(dst, 1, n, m->f);
}

/* Scan one more buffer header: 0 (see scan_done), INGEST_EIO, INGEST_ENOMEM. */
static int scan_step(struct etl_merge *m)
{
	uint8_t hb[ETL_BUFFER_HEADER_SIZE];
	uint64_t off = m->scan_off;
	uint32_t index = m->scan_index;
	long got = scan_read(m, off, hb, sizeof hb);
	if (got < 0)
		return INGEST_EIO;
	if ((size_t)got < sizeof hb) {
		if (got)
			m->st.truncated = 1;
		m->scan_done = 1;
		return 0;
	}
	struct etl_buffer_header h;
	etl_buffer_header_parse(hb, &h);
	if (h.buffer_size < ETL_BUFFER_HEADER_SIZE || h.buffer_size > ETL_BUFFER_MAX_SIZE) {
		m->st.truncated = 1;
		m->scan_done = 1;
		return 0;
	}
	/* does the whole buffer exist? check its last byte; a cut first buffer still counts
	 * when uncompressed (the walker hands out its whole events) */
	uint8_t last;
	if (scan_read(m, off + h.buffer_size - 1, &last, 1) != 1) {
		m->st.truncated = 1;
		m->scan_done = 1;
		if (index != 0 || (h.flags & ETL_BUF_COMPRESSED))
			return 0;
	}
	m->scan_off = off + h.buffer_size;
	m->scan_index = index + 1;
	struct etl_buffer_ref r = {off, h.sequence, index, h.cpu};
	int rc = enqueue(m, &r);
	/* a compressed buffer: the prefetch thread may decompress it before it is taken */
	if (rc >= 0 && (h.flags & ETL_BUF_COMPRESSED) && index != 0 && !m->no_prefetch) {
		if (!m->prefetch &&
		    !(m->prefetch = etl_prefetch_new(m->f, m->grow, m->compression_format, m->max_used)))
			m->no_prefetch = 1;
		if (m->prefetch)
			etl_prefetch_name(m->prefetch, off, index);
	}
	return rc;
}

/* The next buffer of stream si, once it may be taken (etl_merge.h's invariants): 1 with
 * *r, 0 when the stream has no buffer left, <0 an error. By index: scanning may add
 * streams and move the array. */
static int take_ref(struct etl_merge *m, size_t si, struct etl_buffer_ref *r)
{
	for (;;) {
		struct etl_merge_stream *s = &m->streams[si];
		if (s->n && (m->scan_done || m->scan_index - s->q[0].index > ETL_MERGE_LOOKAHEAD)) {
			*r = s->q[0];
			dequeue(s);
			s->taken = 1;
			s->last_seq = r->seq;
			s->last_index = r->index;
			return 1;
		}
		if (m->scan_done)
			return 0;
		int rc = scan_step(m);
		if (rc < 0)
			return rc;
	}
}

/* Advance a stream to its next event; 1 = has event, 0 = exhausted, <0 error. The stream
 * is passed by index: scanning may add streams (and move the array). */
static int stream_advance(struct etl_merge *m, size_t si)
{
	for (;;) {
		struct etl_merge_stream *s = &m->streams[si];
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
		struct etl_buffer_ref r;
		int rc = take_ref(m, si, &r);
		if (rc <= 0)
			return rc;
		s = &m->streams[si];
		etl_walker_seek(&s->w, r.off, r.index);
		if (m->prefetch && etl_prefetch_take(m->prefetch, r.index, &s->w, &s->buf))
			rc = ETL_WALK_OK;
		else
			rc = etl_walker_next(&s->w, &s->buf);
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

/* A stream's head as one number, (timestamp, CPU) in that order; CPUs are below 2,048, so
 * an exhausted stream's all-ones key loses to every event. */
#define KEY_NONE (~(unsigned __int128)0)

static unsigned __int128 key_make(uint64_t ts, uint32_t cpu)
{
	return (unsigned __int128)ts << 32 | cpu;
}

/* Narrow keys (m->narrow): the same order in 64 bits, (timestamp - key_base) << 11 | CPU,
 * when every timestamp the time guard lets through lies within 2^52 ticks of key_base (its
 * window's low end; CPUs are below 2^11); an exhausted stream's all-ones key still loses to
 * every event. */
#define NKEY_NONE UINT64_MAX
#define NKEY_SPAN ((uint64_t)1 << 52)

static uint64_t nkey_make(const struct etl_merge *m, uint64_t ts, uint32_t cpu)
{
	return (ts - m->key_base) << 11 | cpu;
}

/* The stream's head key (its current event, or exhausted). */
static void set_key(struct etl_merge *m, size_t si, int has_event)
{
	const struct etl_event *ev = &m->streams[si].ev;
	if (m->narrow)
		m->nkeys[si] = has_event ? nkey_make(m, ev->timestamp, ev->cpu) : NKEY_NONE;
	else
		m->keys[si] = has_event ? key_make(ev->timestamp, ev->cpu) : KEY_NONE;
}

/* Stream a's head comes before stream b's. */
static int key_less(const struct etl_merge *m, uint32_t a, uint32_t b)
{
	return m->narrow ? m->nkeys[a] < m->nkeys[b] : m->keys[a] < m->keys[b];
}

/* Stream si is exhausted. */
static int key_none(const struct etl_merge *m, uint32_t si)
{
	return m->narrow ? m->nkeys[si] == NKEY_NONE : m->keys[si] == KEY_NONE;
}

/* Play every match again (streams joined): O(n). */
static void tree_build(struct etl_merge *m)
{
	size_t n = m->n_tree;
	if (n == 0)
		return;
	uint32_t *win = m->win, *t = m->tree;
	for (size_t i = 0; i < n; i++)
		win[n + i] = (uint32_t)i;
	for (size_t pos = n - 1; pos >= 1; pos--) {
		uint32_t a = win[2 * pos], b = win[2 * pos + 1];
		int a_wins = key_less(m, a, b);
		win[pos] = a_wins ? a : b;
		t[pos] = a_wins ? b : a;
	}
	t[0] = n > 1 ? win[1] : 0;
}

/* The winner's key changed: replay its path to the root, one match per level. The
 * matches' outcomes follow the interleaving of the CPUs' events, which a branch predictor
 * cannot learn, so each is taken by a mask and conditional moves instead of a branch: the
 * same result, without the mispredictions that were most of the merge's time (bench/README.md,
 * "DPC-only trace"). The keys are compared as one 128-bit number (GCC: cmp, sbb), 22
 * instructions a level where the compare by halves took 33 ("DPC-only trace, fifth pass"). */
#define TREE_REPLAY(name, K, field)                                                   \
	static void name(struct etl_merge *m)                                          \
	{                                                                              \
		uint32_t *t = m->tree, w = t[0];                                       \
		const K *keys = m->field;                                              \
		K wk = keys[w];                                                        \
		for (size_t pos = (m->n_tree + w) / 2; pos >= 1; pos /= 2) {           \
			uint32_t l = t[pos];                                           \
			K lk = keys[l];                                                \
			int lt = lk < wk; /* the loser-to-be l beats w */              \
			uint32_t d = (l ^ w) & ((uint32_t)0 - (uint32_t)lt);           \
			t[pos] = l ^ d;                                                \
			w ^= d;                                                        \
			wk = lt ? lk : wk;                                             \
		}                                                                      \
		t[0] = w;                                                              \
	}
/* One loop, two key widths: wide keys, and narrow ones (64-bit compares and loads, ~6
 * instructions a level fewer). */
TREE_REPLAY(tree_replay_wide, unsigned __int128, keys)
TREE_REPLAY(tree_replay_narrow, uint64_t, nkeys)
#undef TREE_REPLAY

/* The winner's path replayed with the keys in use. */
static void tree_replay(struct etl_merge *m)
{
	if (m->narrow)
		tree_replay_narrow(m);
	else
		tree_replay_wide(m);
}

/* Streams created since the last call (CPUs first seen by the scan) join the tree with
 * their first event. One whose first event the merge has already passed came too late
 * for the order the full index gives: counted in late_buffers. */
static int enter_new_streams(struct etl_merge *m)
{
	if (m->n_tree == m->n_streams)
		return 0;
	while (m->n_tree < m->n_streams) {
		size_t si = m->n_tree++;
		int rc = stream_advance(m, si);
		if (rc < 0)
			return rc;
		set_key(m, si, rc);
		const struct etl_event *ev = &m->streams[si].ev;
		if (rc && m->handed_out && key_make(ev->timestamp, ev->cpu) < m->out)
			m->late_buffers++;
	}
	tree_build(m);
	return 0;
}

/* The logfile header in buffer 0: 1 read, 0 unreadable, -1 out of memory. */
static int read_header(FILE *f, struct ingest_grow *grow, struct etl_logfile *lf)
{
	struct etl_walker w;
	struct etl_buffer b;
	struct etl_event ev;
	size_t adv;
	etl_walker_init_grow(&w, f, grow);
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

int etl_merge_open_scan(struct etl_merge *m, FILE *f, enum etl_merge_scan scan)
{
	return etl_merge_open_grow(m, f, NULL, scan);
}

int etl_merge_open_grow(struct etl_merge *m, FILE *f, struct ingest_grow *grow,
			enum etl_merge_scan scan)
{
	memset(m, 0, sizeof *m);
	m->f = f;
	m->grow = grow;
	m->fd = grow ? -1 : etl_file_fd(f);
	m->budget.max = ETL_MERGE_MEMORY_BUDGET;
	/* per CPU (at most CPU_SLOTS streams): 56 KiB, the streams themselves grow */
	m->stream_of_cpu = calloc(CPU_SLOTS, sizeof *m->stream_of_cpu);
	m->keys = malloc(CPU_SLOTS * sizeof *m->keys);
	m->nkeys = malloc(CPU_SLOTS * sizeof *m->nkeys);
	m->tree = malloc(CPU_SLOTS * sizeof *m->tree);
	m->win = malloc(2 * CPU_SLOTS * sizeof *m->win);
	if (!m->stream_of_cpu || !m->keys || !m->nkeys || !m->tree || !m->win)
		return INGEST_ENOMEM;
	struct etl_logfile lf = {0};
	int rc = read_header(f, grow, &lf);
	if (rc < 0)
		return INGEST_ENOMEM;
	if (rc == 1) {
		etl_time_guard_init(&m->guard, &lf);
		/* the guard drops every time outside [lo, hi]: narrow keys when that fits */
		m->narrow = m->guard.active && m->guard.hi - m->guard.lo < NKEY_SPAN;
		m->key_base = m->guard.lo;
		/* the cap on a compressed buffer's expansion, as the reader's */
		if (lf.buffer_size >= ETL_BUFFER_HEADER_SIZE && lf.buffer_size <= ETL_BUFFER_MAX_SIZE)
			m->max_used = lf.buffer_size;
	}
	/* circular and buffering-mode files wrap: their file order is not per-CPU order */
	m->lazy = scan == ETL_MERGE_AUTO && rc == 1 &&
		  !(lf.log_file_mode & (ETL_LOGFILE_MODE_CIRCULAR | ETL_LOGFILE_MODE_BUFFERING));
	m->prime_cpus = lf.cpus < CPU_SLOTS ? lf.cpus : CPU_SLOTS;
	/* buffer 0's State holds the compression format: scan it before any stream exists */
	uint8_t hb[ETL_BUFFER_HEADER_SIZE];
	if (fseeko(f, 0, SEEK_SET) != 0)
		return INGEST_EIO;
	if (fread(hb, 1, sizeof hb, f) == sizeof hb) {
		struct etl_buffer_header h;
		etl_buffer_header_parse(hb, &h);
		m->compression_format = (int)(h.state & 0xFFFF);
	}
	while (!m->scan_done && (!m->lazy || m->prime_seen < m->prime_cpus ||
				 m->scan_index < ETL_MERGE_LOOKAHEAD))
		if ((rc = scan_step(m)) < 0)
			return rc;
	return enter_new_streams(m);
}

int etl_merge_open(struct etl_merge *m, FILE *f)
{
	return etl_merge_open_scan(m, f, ETL_MERGE_AUTO);
}

/* The common step of a stream, inline: the next record of its buffer is a well-formed
 * event at a plausible time. 1 with the stream's head replaced (counted as stream_advance
 * counts it), 0 when anything else comes next (a skipped record, a damaged time, the
 * buffer's end, a malformed record): then the cursor and the stream's previous time are as
 * they were (the head may hold a partial decode: the caller is done with it), and
 * stream_advance decodes that record again the long way. */
static inline int stream_step(struct etl_merge *m, struct etl_merge_stream *s)
{
	struct etl_event_cursor *c = &s->cur;
	if (!c->p || c->off >= c->len)
		return 0;
	size_t adv;
	if (etl_event_decode_again(c->p + c->off, c->len - c->off, &s->ev, &adv) != ETL_EV_OK)
		return 0;
	uint64_t prev = s->prev_ts;
	if (!etl_time_guard_check(&m->guard, &prev, s->ev.timestamp))
		return 0;
	s->prev_ts = prev;
	s->ev.cpu = c->cpu;
	c->off += adv;
	m->st.events++;
	m->st.by_header_type[s->ev.header_type & 31]++;
	return 1;
}

int etl_merge_next_ref(struct etl_merge *m, const struct etl_event **ev)
{
	/* The event handed out last time points into its stream's buffer, so that stream is
	 * advanced only now, when the caller is done with it. */
	if (m->have_last) {
		m->have_last = 0;
		uint32_t top = m->tree[0];
		struct etl_merge_stream *s = &m->streams[top];
		if (stream_step(m, s)) {
			if (m->narrow)
				m->nkeys[top] = nkey_make(m, s->ev.timestamp, s->ev.cpu);
			else
				m->keys[top] = key_make(s->ev.timestamp, s->ev.cpu);
		} else {
			int rc = stream_advance(m, top);
			if (rc < 0)
				return rc;
			set_key(m, top, rc);
		}
		tree_replay(m);
		/* CPUs the advance's scan found (tested here: this runs once an event) */
		if (m->n_tree < m->n_streams) {
			int rc = enter_new_streams(m);
			if (rc < 0)
				return rc;
		}
	}
	if (m->n_tree == 0)
		return 0;
	uint32_t top = m->tree[0];
	if (key_none(m, top))
		return 0; /* every stream is exhausted */
	const struct etl_event *e = &m->streams[top].ev;
	unsigned __int128 k = key_make(e->timestamp, e->cpu);
	*ev = e;
	if (!m->handed_out || m->out < k)
		m->out = k;
	m->handed_out = 1;
	m->have_last = 1;
	return 1;
}

int etl_merge_next(struct etl_merge *m, struct etl_event *ev)
{
	const struct etl_event *e;
	int rc = etl_merge_next_ref(m, &e);
	if (rc == 1)
		*ev = *e;
	return rc;
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
	etl_prefetch_free(m->prefetch);
	for (size_t i = 0; i < m->n_streams; i++) {
		etl_walker_free(&m->streams[i].w);
		free(m->streams[i].q);
	}
	free(m->streams);
	free(m->keys);
	free(m->nkeys);
	free(m->tree);
	free(m->win);
	free(m->stream_of_cpu);
	memset(m, 0, sizeof *m);
}
