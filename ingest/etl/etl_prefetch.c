/* etl_prefetch.c — the decompress-ahead thread (see etl_prefetch.h). The merge's thread
 * names buffers (a FIFO in file order) and takes them; the prefetch thread moves the oldest
 * named buffer into a free slot and runs etl_walker_next on it. Every shared field is
 * guarded by `mu`; a slot's walker and buffer belong to the thread while the slot is
 * SLOT_RUNNING and to the merge's thread while it is SLOT_DONE (until it frees it). A slot
 * keeps only its decompressed bytes: the raw (on-disk) buffer is the thread's one `raw`,
 * lent to each slot's walker for its read, so a finished slot's payload (in its walker's
 * `data`) is what the merge may use; an uncompressed buffer's (in `raw`) never is. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "etl_prefetch.h"

enum slot_state { SLOT_FREE = 0, SLOT_RUNNING, SLOT_DONE };

struct slot {
	enum slot_state state;
	uint32_t index;
	int rc; /* etl_walker_next's result */
	struct etl_walker w;
	struct etl_buffer b;
};

struct named {
	uint64_t off;
	uint32_t index;
	int gone; /* taken before the thread reached it */
};

struct etl_prefetch {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct slot slots[ETL_PREFETCH_SLOTS];
	struct named fifo[ETL_PREFETCH_NAMED];
	size_t head, n;
	int stop;
	uint64_t hits, takes;
	uint8_t *raw; /* the thread's: the on-disk bytes of the buffer being read */
	size_t raw_cap;
};

static int free_slot(struct etl_prefetch *p)
{
	for (int i = 0; i < ETL_PREFETCH_SLOTS; i++)
		if (p->slots[i].state == SLOT_FREE)
			return i;
	return -1;
}

static void *prefetch_loop(void *arg)
{
	struct etl_prefetch *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->n && p->fifo[p->head].gone) { /* taken already: drop */
			p->head = (p->head + 1) % ETL_PREFETCH_NAMED;
			p->n--;
		}
		int si = p->n ? free_slot(p) : -1;
		if (p->stop)
			break;
		if (si < 0) {
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		struct named e = p->fifo[p->head];
		p->head = (p->head + 1) % ETL_PREFETCH_NAMED;
		p->n--;
		struct slot *s = &p->slots[si];
		s->state = SLOT_RUNNING;
		s->index = e.index;
		pthread_mutex_unlock(&p->mu);
		/* the on-disk bytes are only needed while the buffer is decompressed: the
		 * slots share one raw buffer, lent to the slot being read */
		s->w.raw = p->raw;
		s->w.raw_cap = p->raw_cap;
		etl_walker_seek(&s->w, e.off, e.index);
		int rc = etl_walker_next(&s->w, &s->b);
		p->raw = s->w.raw;
		p->raw_cap = s->w.raw_cap;
		s->w.raw = NULL;
		s->w.raw_cap = 0;
		pthread_mutex_lock(&p->mu);
		s->rc = rc;
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct etl_prefetch *etl_prefetch_new(FILE *f, struct ingest_grow *grow, int compression_format,
				      uint32_t max_used)
{
	struct etl_prefetch *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	for (int i = 0; i < ETL_PREFETCH_SLOTS; i++) {
		struct etl_walker *w = &p->slots[i].w;
		etl_walker_init_grow(w, f, grow);
		w->compression_format = compression_format;
		w->max_used = max_used;
	}
	/* the thread reads by offset only: stdio's FILE is the merge thread's */
	if (p->slots[0].w.fd < 0 && !grow) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	if (pthread_create(&p->thread, NULL, prefetch_loop, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->work);
		pthread_cond_destroy(&p->done);
		free(p);
		return NULL;
	}
	return p;
}

void etl_prefetch_name(struct etl_prefetch *p, uint64_t off, uint32_t index)
{
	pthread_mutex_lock(&p->mu);
	if (p->n < ETL_PREFETCH_NAMED) {
		p->fifo[(p->head + p->n) % ETL_PREFETCH_NAMED] = (struct named){off, index, 0};
		p->n++;
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
}

int etl_prefetch_take(struct etl_prefetch *p, uint32_t index, struct etl_walker *w,
		      struct etl_buffer *b)
{
	pthread_mutex_lock(&p->mu);
	p->takes++;
	int si = -1;
	for (int i = 0; i < ETL_PREFETCH_SLOTS; i++)
		if (p->slots[i].state != SLOT_FREE && p->slots[i].index == index)
			si = i;
	if (si < 0) { /* still waiting, or never named: the caller reads it */
		for (size_t k = 0; k < p->n; k++) {
			struct named *e = &p->fifo[(p->head + k) % ETL_PREFETCH_NAMED];
			if (e->index == index && !e->gone) {
				e->gone = 1;
				break;
			}
		}
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	struct slot *s = &p->slots[si];
	while (s->state == SLOT_RUNNING)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	/* only a whole decompressed payload is handed over; anything else is read again */
	int ok = s->rc == ETL_WALK_OK && !s->b.bad && !s->b.cut &&
		 (s->b.hdr.flags & ETL_BUF_COMPRESSED) && etl_walker_adopt(w, b, &s->b);
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_FREE;
	if (ok)
		p->hits++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return ok;
}

void etl_prefetch_counts(struct etl_prefetch *p, uint64_t *hits, uint64_t *takes)
{
	pthread_mutex_lock(&p->mu);
	*hits = p->hits;
	*takes = p->takes;
	pthread_mutex_unlock(&p->mu);
}

void etl_prefetch_settle(struct etl_prefetch *p)
{
	pthread_mutex_lock(&p->mu);
	for (;;) {
		int running = 0;
		for (int i = 0; i < ETL_PREFETCH_SLOTS; i++)
			running |= p->slots[i].state == SLOT_RUNNING;
		size_t waiting = 0; /* named and not taken */
		for (size_t k = 0; k < p->n; k++)
			waiting += !p->fifo[(p->head + k) % ETL_PREFETCH_NAMED].gone;
		if (!running && (!waiting || free_slot(p) < 0))
			break;
		pthread_cond_wait(&p->done, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
}

void etl_prefetch_free(struct etl_prefetch *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	for (int i = 0; i < ETL_PREFETCH_SLOTS; i++)
		etl_walker_free(&p->slots[i].w);
	free(p->raw);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}
