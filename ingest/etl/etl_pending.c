/* etl_pending.c — the time-ordered window of samples waiting for their stacks: a ring
 * buffer searched by timestamp. */
#include <stdlib.h>
#include <string.h>
#include "etl_pending.h"

int etl_pending_init(struct etl_pending *p, size_t cap, int64_t horizon_ns)
{
	memset(p, 0, sizeof *p);
	p->slot = calloc(cap ? cap : 1, sizeof *p->slot);
	p->ts = calloc(cap ? cap : 1, sizeof *p->ts);
	if (!p->slot || !p->ts) {
		free(p->slot);
		free(p->ts);
		memset(p, 0, sizeof *p);
		return -1;
	}
	p->cap = cap ? cap : 1;
	p->horizon_ns = horizon_ns;
	return 0;
}

int etl_frames_add(struct etl_frames *h, uint64_t addr, int32_t module_id, size_t *bytes)
{
	/* deeper frames dropped: the tree keeps the innermost ones */
	return etl_frames_push(h, addr, module_id, ETL_PENDING_MAX_HALF, bytes) < 0 ? -1 : 0;
}

int etl_frames_push(struct etl_frames *h, uint64_t addr, int32_t module_id, uint32_t max,
		    size_t *bytes)
{
	if (h->n >= max)
		return 1;
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 8;
		uint64_t *a = malloc((size_t)cap * ETL_FRAME_BYTES);
		if (!a)
			return -1;
		int32_t *m = (int32_t *)(a + cap);
		if (h->n) {
			memcpy(a, h->addr, (size_t)h->n * sizeof *a);
			memcpy(m, h->mod, (size_t)h->n * sizeof *m);
		}
		free(h->addr);
		*bytes += (size_t)(cap - h->cap) * ETL_FRAME_BYTES;
		h->addr = a;
		h->mod = m;
		h->cap = cap;
	}
	h->addr[h->n] = addr;
	h->mod[h->n++] = module_id;
	return 0;
}

void etl_frames_free(struct etl_frames *h, size_t *bytes)
{
	*bytes -= etl_frames_bytes(h);
	free(h->addr);
	memset(h, 0, sizeof *h);
}

void etl_pending_sample_release(struct etl_pending_sample *s, size_t *bytes)
{
	etl_frames_free(&s->half[0], bytes);
	etl_frames_free(&s->half[1], bytes);
	etl_frames_free(&s->ops, bytes);
}

void etl_pending_free(struct etl_pending *p)
{
	for (size_t i = 0; p->slot && i < p->count; i++)
		etl_pending_sample_release(&p->slot[(p->head + i) % p->cap], &p->frame_bytes);
	free(p->slot);
	free(p->ts);
	memset(p, 0, sizeof *p);
}

/* Ring index of the i-th pending sample (i <= cap, head < cap: one subtraction, not a
 * division per probe of a search). */
static size_t ring(const struct etl_pending *p, size_t i)
{
	size_t j = p->head + i;
	return j >= p->cap ? j - p->cap : j;
}

static struct etl_pending_sample *at(const struct etl_pending *p, size_t i)
{
	return &p->slot[ring(p, i)];
}

struct etl_pending_sample *etl_pending_due(struct etl_pending *p, int64_t t_ns)
{
	if (!p->count)
		return NULL;
	struct etl_pending_sample *o = at(p, 0);
	if (p->count == p->cap || t_ns == INT64_MAX ||
	    (t_ns > o->s.t_ns && (uint64_t)t_ns - (uint64_t)o->s.t_ns > (uint64_t)p->horizon_ns))
		return o;
	return NULL;
}

void etl_pending_pop(struct etl_pending *p)
{
	if (!p->count)
		return;
	p->left_ts = at(p, 0)->ts;
	p->any_left = 1;
	p->head = (p->head + 1) % p->cap;
	p->count--;
}

struct etl_pending_sample *etl_pending_push(struct etl_pending *p, uint64_t ts)
{
	if (p->count == p->cap || (p->count && ts < p->ts[ring(p, p->count - 1)]) ||
	    (p->any_left && ts < p->left_ts))
		return NULL;
	p->ts[ring(p, p->count)] = ts;
	struct etl_pending_sample *s = at(p, p->count++);
	memset(s, 0, sizeof *s);
	s->ts = ts;
	return s;
}

size_t etl_pending_lower(const struct etl_pending *p, uint64_t ts)
{
	size_t lo = 0, hi = p->count;
	while (lo < hi) { /* first slot with ts >= the wanted one */
		size_t mid = lo + (hi - lo) / 2;
		if (p->ts[ring(p, mid)] < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct etl_pending_sample *etl_pending_at(const struct etl_pending *p, size_t i)
{
	return i < p->count ? at(p, i) : NULL;
}

struct etl_pending_sample *etl_pending_find(struct etl_pending *p, uint64_t ts, uint32_t tid,
					    unsigned kind)
{
	struct etl_pending_sample *first = NULL;
	size_t lo = etl_pending_lower(p, ts);
	for (; lo < p->count && p->ts[ring(p, lo)] == ts; lo++) {
		struct etl_pending_sample *s = at(p, lo);
		if (s->s.tid != tid)
			continue;
		if (!(s->stack_kinds >> kind & 1))
			return s;
		if (!first)
			first = s;
	}
	return first;
}

int etl_pending_too_late(const struct etl_pending *p, uint64_t ts)
{
	return p->any_left && ts <= p->left_ts;
}
