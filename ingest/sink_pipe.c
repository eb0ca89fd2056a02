/* sink_pipe.c — the threaded sink wrapper (see sink_pipe.h). One producer (the parser's
 * thread) fills a block with records, each an 8-byte header {tag, size} followed by the
 * record, 8-byte aligned; full blocks go through a FIFO to the store thread and come
 * back on a free list. All shared fields are guarded by `mu`. The per-slice fact
 * contributions (slice_fact_adds) are added up here, on the store thread, in `fold`: only
 * the store thread touches it, but for up_restart (after catching up) and the free. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "etl_slicefacts.h"
#include "sink_pipe.h"

enum { TAG_DPCISR = 1, TAG_CPU_SAMPLE = 2, TAG_WARNING = 3, TAG_TASK = 4, TAG_FACTS = 5,
       TAG_FACT_ADDS = 6, TAG_FACTS_FLUSH = 7 };

struct rec_head {
	uint32_t tag, size; /* size of the whole record, header included, multiple of 8 */
};

struct warn_head {
	uint32_t code_len, msg_len; /* then code, NUL, message, NUL */
};

struct sink_pipe {
	struct ingest_sink up;
	const struct ingest_sink *down;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t filled, freed;
	uint8_t *mem;
	/* shared, under mu */
	size_t used[SINK_PIPE_BLOCKS];
	int fifo[SINK_PIPE_BLOCKS], fifo_head, fifo_n;
	int free_list[SINK_PIPE_BLOCKS], free_n;
	int busy, stop;
	int err; /* first negative value from the real sink */
	struct etl_slicefacts fold; /* the store thread's fact maps (etl_slicefacts.h) */
	struct ingest_sink fold_out; /* where fold emits: fold_emit */
	/* the producer's own */
	int cur; /* block being filled, -1 = none */
	size_t cur_used;
	int seen_err;
};

static size_t round8(uint64_t n)
{
	return (size_t)((n + 7) & ~(uint64_t)7);
}

static uint8_t *block(struct sink_pipe *p, int b)
{
	return p->mem + (size_t)b * SINK_PIPE_BLOCK;
}

/* ---- the store thread ---- */

/* Facts per TAG_FACTS record: what fits in a block after its header and count. */
#define FACTS_PER_RECORD ((SINK_PIPE_BLOCK - sizeof(struct rec_head) - 8) / sizeof(struct sink_slice_fact))

/* The store thread's maps emit in batches of at most FACTS_PER_RECORD, as the parser's
 * did through TAG_FACTS records: the store packs each batch into its own blobs
 * (db/db_factblob.h), so the run file stays the same, blob for blob. */
static int fold_emit(void *ud, const struct sink_slice_fact *f, size_t n)
{
	struct sink_pipe *p = ud;
	while (n) {
		size_t k = n < FACTS_PER_RECORD ? n : FACTS_PER_RECORD;
		int rc = p->down->slice_facts(p->down->ud, f, k);
		if (rc < 0)
			return rc;
		f += k;
		n -= k;
	}
	return 0;
}

static int store_block(struct sink_pipe *p, const uint8_t *q, size_t n)
{
	const struct ingest_sink *d = p->down;
	size_t off = 0;
	while (off + sizeof(struct rec_head) <= n) {
		struct rec_head h;
		memcpy(&h, q + off, sizeof h);
		const uint8_t *body = q + off + sizeof h;
		int rc = 0;
		if (h.tag == TAG_DPCISR) {
			struct sink_dpcisr e;
			memcpy(&e, body, sizeof e);
			rc = d->dpcisr(d->ud, &e);
		} else if (h.tag == TAG_CPU_SAMPLE) {
			struct sink_cpu_sample s;
			memcpy(&s, body, sizeof s);
			s.stack_modules = s.n_stack_modules ? (const int32_t *)(body + sizeof s) : NULL;
			s.module_chain = s.n_module_chain ? (const int32_t *)(body + sizeof s) +
								    s.n_stack_modules : NULL;
			size_t fo = round8(sizeof s + ((size_t)s.n_stack_modules + s.n_module_chain) *
						      sizeof(int32_t));
			s.frames = s.n_frames ? (const struct sink_frame *)(body + fo) : NULL;
			rc = d->cpu_sample(d->ud, &s);
		} else if (h.tag == TAG_TASK) {
			struct sink_task t;
			struct warn_head w;
			memcpy(&t, body, sizeof t);
			memcpy(&w, body + sizeof t, sizeof w);
			t.name = (const char *)body + sizeof t + sizeof w;
			t.command_line = t.name + w.code_len + 1;
			rc = d->task(d->ud, &t);
		} else if (h.tag == TAG_FACTS) {
			uint64_t k;
			memcpy(&k, body, sizeof k);
			rc = d->slice_facts(d->ud, (const struct sink_slice_fact *)(body + 8), (size_t)k);
		} else if (h.tag == TAG_FACT_ADDS) {
			uint64_t k;
			memcpy(&k, body, sizeof k);
			rc = etl_slicefacts_fold(&p->fold, (const struct sink_slice_fact *)(body + 8),
						 (size_t)k);
		} else if (h.tag == TAG_FACTS_FLUSH) {
			rc = etl_slicefacts_flush(&p->fold);
		} else if (h.tag == TAG_WARNING) {
			struct warn_head w;
			memcpy(&w, body, sizeof w);
			const char *code = (const char *)body + sizeof w;
			rc = d->warning(d->ud, code, code + w.code_len + 1);
		}
		if (rc < 0)
			return rc;
		off += h.size;
	}
	return 0;
}

static void *store_loop(void *arg)
{
	struct sink_pipe *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->fifo_n && !p->stop)
			pthread_cond_wait(&p->filled, &p->mu);
		if (!p->fifo_n)
			break;
		int b = p->fifo[p->fifo_head];
		p->fifo_head = (p->fifo_head + 1) % SINK_PIPE_BLOCKS;
		p->fifo_n--;
		p->busy = 1;
		int skip = p->err != 0; /* after an error nothing more is stored */
		size_t n = p->used[b];
		pthread_mutex_unlock(&p->mu);
		int rc = skip ? 0 : store_block(p, block(p, b), n);
		pthread_mutex_lock(&p->mu);
		if (rc < 0 && !p->err)
			p->err = rc;
		p->busy = 0;
		p->free_list[p->free_n++] = b;
		pthread_cond_broadcast(&p->freed);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the producer side ---- */

/* Queue the current block (if it holds anything); with `wait_idle`, wait until the
 * store thread has stored everything. Returns the first error so far. */
static int submit(struct sink_pipe *p, int wait_idle)
{
	pthread_mutex_lock(&p->mu);
	if (p->cur >= 0 && p->cur_used) {
		p->used[p->cur] = p->cur_used;
		p->fifo[(p->fifo_head + p->fifo_n) % SINK_PIPE_BLOCKS] = p->cur;
		p->fifo_n++;
		p->cur = -1;
		pthread_cond_signal(&p->filled);
	}
	while (wait_idle && (p->fifo_n || p->busy))
		pthread_cond_wait(&p->freed, &p->mu);
	p->seen_err = p->err;
	pthread_mutex_unlock(&p->mu);
	return p->seen_err;
}

/* Room for n bytes (n <= SINK_PIPE_BLOCK), or NULL once the real sink has failed. */
static uint8_t *reserve(struct sink_pipe *p, size_t n)
{
	if (p->seen_err)
		return NULL;
	if (p->cur < 0 || p->cur_used + n > SINK_PIPE_BLOCK) {
		if (submit(p, 0))
			return NULL;
		pthread_mutex_lock(&p->mu);
		while (!p->free_n)
			pthread_cond_wait(&p->freed, &p->mu);
		p->cur = p->free_list[--p->free_n];
		p->cur_used = 0;
		p->seen_err = p->err;
		pthread_mutex_unlock(&p->mu);
		if (p->seen_err)
			return NULL;
	}
	uint8_t *w = block(p, p->cur) + p->cur_used;
	p->cur_used += n;
	return w;
}

static uint8_t *reserve_rec(struct sink_pipe *p, uint32_t tag, size_t size)
{
	uint8_t *w = reserve(p, size);
	if (w) {
		struct rec_head h = {tag, (uint32_t)size};
		memcpy(w, &h, sizeof h);
		w += sizeof h;
	}
	return w;
}

/* The real sink's result from a direct call, remembered like a queued one's. */
static int direct_result(struct sink_pipe *p, int rc)
{
	if (rc < 0) {
		pthread_mutex_lock(&p->mu);
		if (!p->err)
			p->err = rc;
		p->seen_err = p->err;
		pthread_mutex_unlock(&p->mu);
	}
	return rc;
}

#define PIPE(ud) struct sink_pipe *p = (ud); const struct ingest_sink *d = p->down
#define CATCH_UP() do { int e_ = submit(p, 1); if (e_) return e_; } while (0)

static int up_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	PIPE(ud);
	(void)d;
	uint8_t *w = reserve_rec(p, TAG_DPCISR, round8(sizeof(struct rec_head) + sizeof *e));
	if (!w)
		return p->seen_err;
	memcpy(w, e, sizeof *e);
	return 0;
}

static int up_cpu_sample(void *ud, const struct sink_cpu_sample *s)
{
	PIPE(ud);
	uint32_t nmod = s->stack_modules ? s->n_stack_modules : 0;
	uint32_t nchain = s->module_chain ? s->n_module_chain : 0;
	uint32_t nfr = s->frames ? s->n_frames : 0;
	/* header, record, module ids, then the frames 8-byte aligned (the record is) */
	size_t fo = round8(sizeof *s + ((uint64_t)nmod + nchain) * sizeof(int32_t));
	uint64_t size = sizeof(struct rec_head) + fo + (uint64_t)nfr * sizeof(struct sink_frame);
	if (size > SINK_PIPE_BLOCK) {
		CATCH_UP();
		return direct_result(p, d->cpu_sample(d->ud, s));
	}
	uint8_t *w = reserve_rec(p, TAG_CPU_SAMPLE, round8(size));
	if (!w)
		return p->seen_err;
	struct sink_cpu_sample c = *s;
	c.n_stack_modules = nmod;
	c.stack_modules = NULL;
	c.n_module_chain = nchain;
	c.module_chain = NULL;
	c.n_frames = nfr;
	c.frames = NULL;
	memcpy(w, &c, sizeof c);
	if (nfr)
		memcpy(w + fo, s->frames, (size_t)nfr * sizeof(struct sink_frame));
	if (nmod)
		memcpy(w + sizeof c, s->stack_modules, (size_t)nmod * sizeof(int32_t));
	if (nchain)
		memcpy(w + sizeof c + (size_t)nmod * sizeof(int32_t), s->module_chain,
		       (size_t)nchain * sizeof(int32_t));
	return 0;
}

static int up_warning(void *ud, const char *code, const char *message)
{
	PIPE(ud);
	size_t lc = strlen(code), lm = strlen(message);
	uint64_t size = sizeof(struct rec_head) + sizeof(struct warn_head) + (uint64_t)lc + lm + 2;
	if (size > SINK_PIPE_BLOCK) {
		CATCH_UP();
		return direct_result(p, d->warning(d->ud, code, message));
	}
	uint8_t *w = reserve_rec(p, TAG_WARNING, round8(size));
	if (!w)
		return p->seen_err;
	struct warn_head h = {(uint32_t)lc, (uint32_t)lm};
	memcpy(w, &h, sizeof h);
	memcpy(w + sizeof h, code, lc + 1);
	memcpy(w + sizeof h + lc + 1, message, lm + 1);
	return 0;
}

static int up_task(void *ud, const struct sink_task *t)
{
	PIPE(ud);
	const char *name = t->name ? t->name : "", *cl = t->command_line ? t->command_line : "";
	size_t ln = strlen(name), lc = strlen(cl);
	uint64_t size = sizeof(struct rec_head) + sizeof *t + sizeof(struct warn_head) +
			(uint64_t)ln + lc + 2;
	if (size > SINK_PIPE_BLOCK) {
		CATCH_UP();
		return direct_result(p, d->task(d->ud, t));
	}
	uint8_t *w = reserve_rec(p, TAG_TASK, round8(size));
	if (!w)
		return p->seen_err;
	struct warn_head h = {(uint32_t)ln, (uint32_t)lc};
	memcpy(w, t, sizeof *t);
	memcpy(w + sizeof *t, &h, sizeof h);
	memcpy(w + sizeof *t + sizeof h, name, ln + 1);
	memcpy(w + sizeof *t + sizeof h + ln + 1, cl, lc + 1);
	return 0;
}

static int up_counter(void *ud, const struct sink_counter *c, uint32_t *out_index)
{
	PIPE(ud);
	CATCH_UP();
	return direct_result(p, d->counter(d->ud, c, out_index));
}

static int up_sample(void *ud, int64_t t_us, const double *values, size_t n)
{
	PIPE(ud);
	CATCH_UP();
	return direct_result(p, d->sample(d->ud, t_us, values, n));
}

static int up_module(void *ud, const struct sink_module *m, int32_t *out_id)
{
	PIPE(ud);
	CATCH_UP();
	return direct_result(p, d->module(d->ud, m, out_id));
}

static int up_module_update(void *ud, int32_t id, const struct sink_module *m)
{
	PIPE(ud);
	CATCH_UP();
	return direct_result(p, d->module_update(d->ud, id, m));
}

static int up_restart(void *ud)
{
	PIPE(ud);
	CATCH_UP();
	etl_slicefacts_forget(&p->fold); /* the store thread is idle: caught up */
	return direct_result(p, d->restart(d->ud));
}

static int up_summary(void *ud, const struct cJSON *summary)
{
	PIPE(ud);
	CATCH_UP();
	return direct_result(p, d->summary(d->ud, summary));
}

static int up_dpcisr_bucket(void *ud, const struct sink_dpcisr_bucket *b)
{
	PIPE(ud);
	CATCH_UP();
	return direct_result(p, d->dpcisr_bucket(d->ud, b));
}

static int up_dpcisr_usage(void *ud, const struct sink_dpcisr_usage *u)
{
	PIPE(ud);
	CATCH_UP();
	return direct_result(p, d->dpcisr_usage(d->ud, u));
}

/* The end-of-trace scheduling/syscall and I/O aggregates: few rows, passed on directly. */
#define DIRECT(name, type)                                                                  \
	static int up_##name(void *ud, const type *r)                                       \
	{                                                                                   \
		PIPE(ud);                                                                   \
		CATCH_UP();                                                                 \
		return direct_result(p, d->name(d->ud, r));                                 \
	}
DIRECT(syscall, struct sink_syscall)
DIRECT(syscall_module, struct sink_syscall_module)
DIRECT(sched_thread, struct sink_sched_thread)
DIRECT(sched_ready, struct sink_sched_ready)
DIRECT(sched_slice, struct sink_sched_slice)
DIRECT(disk_io_row, struct sink_disk_io_row)
DIRECT(disk_io_slow, struct sink_disk_io_slow)
DIRECT(io_type_count, struct sink_io_type_count)
DIRECT(disk_queue, struct sink_disk_queue)
DIRECT(file_io_row, struct sink_file_io_row)
DIRECT(flt_row, struct sink_flt_row)
DIRECT(flt_slow, struct sink_flt_slow)
#undef DIRECT

/* A batch of per-slice facts: the store thread catches up first (a flush every few ten
 * thousand facts, so rarely). */
/* Facts are queued like samples (a batch in block-sized records: a count, then the facts),
 * so the store thread writes them while the parser goes on. */
static int queue_facts(struct sink_pipe *p, uint32_t tag, const struct sink_slice_fact *f,
		       size_t n)
{
	while (n) {
		size_t k = n < FACTS_PER_RECORD ? n : FACTS_PER_RECORD;
		uint8_t *w = reserve_rec(p, tag, round8(sizeof(struct rec_head) + 8 + k * sizeof *f));
		if (!w)
			return p->seen_err;
		uint64_t k64 = k;
		memcpy(w, &k64, sizeof k64);
		memcpy(w + 8, f, k * sizeof *f);
		f += k;
		n -= k;
	}
	return 0;
}

static int up_slice_facts(void *ud, const struct sink_slice_fact *f, size_t n)
{
	PIPE(ud);
	(void)d;
	return queue_facts(p, TAG_FACTS, f, n);
}

/* Contributions are queued the same way and added up by the store thread (`fold`), so the
 * parser's thread spends no time in the fact maps. */
static int up_slice_fact_adds(void *ud, const struct sink_slice_fact *c, size_t n)
{
	PIPE(ud);
	(void)d;
	return queue_facts(p, TAG_FACT_ADDS, c, n);
}

static int up_slice_facts_flush(void *ud)
{
	PIPE(ud);
	(void)d;
	uint8_t *w = reserve_rec(p, TAG_FACTS_FLUSH, sizeof(struct rec_head));
	return w ? 0 : p->seen_err;
}

struct sink_pipe *sink_pipe_new(const struct ingest_sink *down)
{
	struct sink_pipe *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->mem = malloc((size_t)SINK_PIPE_BLOCKS * SINK_PIPE_BLOCK);
	if (!p->mem) {
		free(p);
		return NULL;
	}
	p->down = down;
	p->cur = -1;
	/* no memory for the store thread's maps: the parser adds facts up itself */
	p->fold_out = (struct ingest_sink){.ud = p, .slice_facts = fold_emit};
	int fold = down->slice_facts && !down->slice_fact_adds &&
		   etl_slicefacts_init(&p->fold, &p->fold_out) == 0;
	if (!fold)
		etl_slicefacts_free(&p->fold);
	for (int i = 0; i < SINK_PIPE_BLOCKS; i++)
		p->free_list[p->free_n++] = i;
	p->up = (struct ingest_sink){
		.ud = p,
		.counter = down->counter ? up_counter : NULL,
		.sample = down->sample ? up_sample : NULL,
		.module = down->module ? up_module : NULL,
		.dpcisr = down->dpcisr ? up_dpcisr : NULL,
		.cpu_sample = down->cpu_sample ? up_cpu_sample : NULL,
		.task = down->task ? up_task : NULL,
		.warning = down->warning ? up_warning : NULL,
		.summary = down->summary ? up_summary : NULL,
		.dpcisr_bucket = down->dpcisr_bucket ? up_dpcisr_bucket : NULL,
		.dpcisr_usage = down->dpcisr_usage ? up_dpcisr_usage : NULL,
		.syscall = down->syscall ? up_syscall : NULL,
		.syscall_module = down->syscall_module ? up_syscall_module : NULL,
		.sched_thread = down->sched_thread ? up_sched_thread : NULL,
		.sched_ready = down->sched_ready ? up_sched_ready : NULL,
		.sched_slice = down->sched_slice ? up_sched_slice : NULL,
		.disk_io_row = down->disk_io_row ? up_disk_io_row : NULL,
		.disk_io_slow = down->disk_io_slow ? up_disk_io_slow : NULL,
		.io_type_count = down->io_type_count ? up_io_type_count : NULL,
		.disk_queue = down->disk_queue ? up_disk_queue : NULL,
		.file_io_row = down->file_io_row ? up_file_io_row : NULL,
		.flt_row = down->flt_row ? up_flt_row : NULL,
		.flt_slow = down->flt_slow ? up_flt_slow : NULL,
		.slice_facts = down->slice_facts ? up_slice_facts : NULL,
		.slice_fact_adds = fold ? up_slice_fact_adds : NULL,
		.slice_facts_flush = fold ? up_slice_facts_flush : NULL,
		.module_update = down->module_update ? up_module_update : NULL,
		.restart = down->restart ? up_restart : NULL,
	};
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->filled, NULL);
	pthread_cond_init(&p->freed, NULL);
	if (pthread_create(&p->thread, NULL, store_loop, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->filled);
		pthread_cond_destroy(&p->freed);
		etl_slicefacts_free(&p->fold);
		free(p->mem);
		free(p);
		return NULL;
	}
	return p;
}

const struct ingest_sink *sink_pipe_sink(struct sink_pipe *p)
{
	return &p->up;
}

int sink_pipe_finish(struct sink_pipe *p)
{
	return submit(p, 1);
}

void sink_pipe_free(struct sink_pipe *p)
{
	if (!p)
		return;
	submit(p, 1);
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->filled);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->filled);
	pthread_cond_destroy(&p->freed);
	etl_slicefacts_free(&p->fold);
	free(p->mem);
	free(p);
}
