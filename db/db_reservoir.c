/* db_reservoir.c — bottom-k sampling of below-guideline events per (module, kind, bucket):
 * each event gets a priority from a fixed hash of its own fields and the DB_RESV_K
 * smallest priorities are kept (a max-heap). Uniform like a reservoir, deterministic, and
 * independent of input order, so out-of-order ingest keeps the same examples. */
#include <stdlib.h>
#include <string.h>
#include "db_reservoir.h"

struct item {
	uint64_t prio;
	struct db_dpc_event e;
};
struct resv {
	uint32_t n;
	struct item it[DB_RESV_K];
};
struct db_resv_set {
	uint32_t nslots; /* (module+1) * KINDS * NBUCKETS */
	struct resv **slots;
};

#define PER_MODULE (SINK_DPCISR_KINDS * DB_DPC_NBUCKETS)

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t priority(const struct db_dpc_event *e)
{
	uint64_t h = mix((uint64_t)e->t_ns ^ 0x5eed0fe7c0ffee11ull);
	h = mix(h ^ ((uint64_t)e->duration_ns << 16 | e->cpu));
	return mix(h ^ e->routine);
}

struct db_resv_set *db_resv_new(void)
{
	return calloc(1, sizeof(struct db_resv_set));
}

static void sift_down(struct resv *r, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		if (l < r->n && r->it[l].prio > r->it[m].prio)
			m = l;
		if (l + 1 < r->n && r->it[l + 1].prio > r->it[m].prio)
			m = l + 1;
		if (m == i)
			return;
		struct item t = r->it[i];
		r->it[i] = r->it[m];
		r->it[m] = t;
		i = m;
	}
}

/* The event kept: its slot made (the slot array grown) if need be, and the event put into
 * the heap, or in place of its largest priority when the heap is full and prio is smaller.
 * 0 or -1 (out of memory). */
static __attribute__((noinline)) int resv_keep(struct db_resv_set *s, const struct db_dpc_event *e,
					       uint64_t slot, uint64_t prio)
{
	if (slot >= s->nslots) {
		uint64_t n = s->nslots ? s->nslots : PER_MODULE * 16;
		while (n <= slot)
			n *= 2;
		if (n > UINT32_MAX)
			return -1;
		struct resv **p = realloc(s->slots, sizeof *p * n);
		if (!p)
			return -1;
		memset(p + s->nslots, 0, sizeof *p * (n - s->nslots));
		s->slots = p;
		s->nslots = (uint32_t)n;
	}
	struct resv *r = s->slots[slot];
	if (!r && !(r = s->slots[slot] = calloc(1, sizeof *r)))
		return -1;
	if (r->n < DB_RESV_K) {
		uint32_t i = r->n++;
		r->it[i].prio = prio;
		r->it[i].e = *e;
		while (i > 0 && r->it[(i - 1) / 2].prio < r->it[i].prio) {
			struct item t = r->it[i];
			r->it[i] = r->it[(i - 1) / 2];
			r->it[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	} else if (prio < r->it[0].prio) {
		r->it[0].prio = prio;
		r->it[0].e = *e;
		sift_down(r, 0);
	}
	return 0;
}

/* The common case inline and out of resv_keep's way: a full heap whose largest priority
 * the event's does not beat (on the 4 s DPC cut 950,736 of 983,426 offers; 32,690 reach
 * resv_keep). Same priority, same kept set: only where the work is done moved. */
int db_resv_add(struct db_resv_set *s, const struct db_dpc_event *e, int bucket)
{
	uint64_t slot = (uint64_t)(uint32_t)(e->module_id + 1) * PER_MODULE +
			(uint64_t)e->kind * DB_DPC_NBUCKETS + (uint64_t)bucket;
	uint64_t prio = priority(e);
	if (slot < s->nslots) {
		const struct resv *r = s->slots[slot];
		if (r && r->n == DB_RESV_K && prio >= r->it[0].prio)
			return 0;
	}
	return resv_keep(s, e, slot, prio);
}

int db_resv_write(const struct db_resv_set *s, struct db_batch *ins)
{
	/* in the index's order (kind, bucket), modules ascending within each: the index
	 * etw_dpc_samples_bucket then grows at its end */
	uint32_t nmod = s->nslots / PER_MODULE;
	for (uint32_t kb = 0; kb < PER_MODULE; kb++)
	for (uint32_t m = 0; m < nmod; m++) {
		uint32_t slot = m * PER_MODULE + kb;
		const struct resv *r = s->slots[slot];
		if (!r)
			continue;
		int bucket = (int)(slot % DB_DPC_NBUCKETS);
		for (uint32_t i = 0; i < r->n; i++) {
			const struct db_dpc_event *e = &r->it[i].e;
			const int64_t row[7] = {e->module_id, e->kind,	      bucket,
						e->t_ns,      e->cpu,	      e->duration_ns,
						(int64_t)e->routine};
			if (db_batch_add(ins, row))
				return -1;
		}
	}
	return db_batch_flush(ins);
}

void db_resv_free(struct db_resv_set *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nslots; i++)
		free(s->slots[i]);
	free(s->slots);
	free(s);
}
