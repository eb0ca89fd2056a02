/* etl_slicefacts.c — the bounded per-slice fact maps of etl_slicefacts.h. */
#include <stdlib.h>
#include <string.h>
#include "etl_factsort.h"
#include "etl_slicefacts.h"

static int map_init(struct etl_slicefacts_map *m)
{
	m->v = calloc(ETL_SLICEFACTS_CAP / 2, sizeof *m->v);
	m->slot = calloc(ETL_SLICEFACTS_CAP, sizeof *m->slot);
	m->n = 0;
	return m->v && m->slot ? 0 : -1;
}

static void map_free(struct etl_slicefacts_map *m)
{
	free(m->v);
	free(m->slot);
}

int etl_slicefacts_init(struct etl_slicefacts *f, const struct ingest_sink *sink)
{
	memset(f, 0, sizeof *f);
	f->sink = sink && sink->slice_facts ? sink : NULL;
	f->pieces_left = ETL_SLICEFACTS_PIECES;
	if (!f->sink)
		return 0;
	if (sink->slice_fact_adds && sink->slice_facts_flush) {
		f->batch = malloc(ETL_SLICEFACTS_BATCH * sizeof *f->batch);
		return f->batch ? 0 : -1;
	}
	int rc = map_init(&f->map);
	rc |= map_init(&f->roll);
	rc |= map_init(&f->whole);
	f->sort_ent = malloc(ETL_SLICEFACTS_CAP / 2 * sizeof *f->sort_ent);
	f->sort_tmp = malloc(ETL_SLICEFACTS_CAP / 2 * sizeof *f->sort_tmp);
	return rc || !f->sort_ent || !f->sort_tmp ? -1 : 0;
}

void etl_slicefacts_free(struct etl_slicefacts *f)
{
	map_free(&f->map);
	map_free(&f->roll);
	map_free(&f->whole);
	free(f->sort_ent);
	free(f->sort_tmp);
	free(f->batch);
	memset(f, 0, sizeof *f);
}

/* Where key k is looked for first, and the odd step of its probe sequence. The first probe
 * falls in the region of its slice (ETL_SLICEFACTS_REGIONS regions, slice modulo their
 * number): the events come in time order, so the keys being added to at any moment are
 * those of one or two slices, and a region of them (~450 KB) stays in the cache where keys
 * spread over the whole 3.6 MB map missed it on nearly every add. Collisions step by the
 * odd stride over the whole map (double hashing: an odd stride visits every slot of a
 * power-of-two map), so a slice with more keys than its region spills thinly everywhere
 * instead of into a long run of probes. Where a key sits never changes what is emitted:
 * a flush sorts the keys. */
static size_t slot_of(const struct sink_slice_fact *k, size_t *step)
{
	uint64_t h = k->key * 0x9e3779b97f4a7c15ull;
	h ^= (uint64_t)k->tid * 0xff51afd7ed558ccdull;
	h ^= ((uint64_t)k->pid << 24 | (uint64_t)k->cpu << 8 | k->domain) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	*step = (size_t)(h >> 32) | 1;
	size_t region = (size_t)(k->slice % ETL_SLICEFACTS_REGIONS) *
			(ETL_SLICEFACTS_CAP / ETL_SLICEFACTS_REGIONS);
	return region + (size_t)(h & (ETL_SLICEFACTS_CAP / ETL_SLICEFACTS_REGIONS - 1));
}

static int same(const struct sink_slice_fact *a, const struct sink_slice_fact *b)
{
	return a->domain == b->domain && a->slice == b->slice && a->cpu == b->cpu &&
	       a->pid == b->pid && a->tid == b->tid && a->key == b->key;
}

static int map_add(struct etl_slicefacts *f, struct etl_slicefacts_map *map,
		   const struct sink_slice_fact *k, uint64_t n, uint64_t m, uint64_t ns,
		   uint64_t bytes);

/* Add the k 100 ms keys being emitted to their per-second and whole-trace rollups: once
 * per key and flush instead of once per contribution (a key holds several). */
static int roll_up(struct etl_slicefacts *f, const struct sink_slice_fact *v, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		const struct sink_slice_fact *e = &v[i];
		struct sink_slice_fact r = {(uint8_t)(e->domain + SINK_FACT_SECOND), e->cpu,
					    (uint32_t)(e->slice / SINK_FACT_SLICES_PER_SECOND),
					    e->pid, e->tid, e->key, 0, 0, 0, 0};
		if (map_add(f, &f->roll, &r, e->n, e->m, e->ns, e->bytes) < 0)
			return f->rc;
		r.domain = (uint8_t)(e->domain + SINK_FACT_WHOLE);
		r.slice = 0;
		if (map_add(f, &f->whole, &r, e->n, e->m, e->ns, e->bytes) < 0)
			return f->rc;
	}
	return 0;
}

/* Emit one map's keys in the store's order and empty it (the 100 ms map's rolled up
 * first). */
static int flush_map(struct etl_slicefacts *f, struct etl_slicefacts_map *map)
{
	if (!f->sink || f->rc < 0 || !map->n)
		return f->rc;
	size_t k = map->n;
	/* the store's key order: a batch in it updates the store's B-tree at a few places in
	 * turn instead of all over it; done before roll_up, which may flush (and sort) the
	 * rollup maps with the same scratch */
	etl_factsort(map->v, k, f->sort_ent, f->sort_tmp);
	if (map == &f->map && roll_up(f, map->v, k) < 0)
		return f->rc;
	int rc = f->sink->slice_facts(f->sink->ud, map->v, k);
	memset(map->slot, 0, ETL_SLICEFACTS_CAP * sizeof *map->slot);
	map->n = 0;
	if (rc < 0)
		f->rc = rc;
	return f->rc;
}

/* Pass the batch of contributions on (forwarding mode). */
static int send_batch(struct etl_slicefacts *f)
{
	if (f->rc < 0 || !f->batch_n)
		return f->rc;
	int rc = f->sink->slice_fact_adds(f->sink->ud, f->batch, f->batch_n);
	f->batch_n = 0;
	if (rc < 0)
		f->rc = rc;
	return f->rc;
}

int etl_slicefacts_flush(struct etl_slicefacts *f)
{
	if (f->batch) {
		if (send_batch(f) < 0)
			return f->rc;
		int rc = f->sink->slice_facts_flush(f->sink->ud);
		return rc < 0 ? (f->rc = rc) : 0;
	}
	if (flush_map(f, &f->map) < 0 || flush_map(f, &f->roll) < 0)
		return f->rc;
	return flush_map(f, &f->whole);
}

/* Add to key k of a map (emitting the map first when it is full: ETL_SLICEFACTS_CAP / 2
 * keys, so the slot table is at most half used). */
static int map_add(struct etl_slicefacts *f, struct etl_slicefacts_map *map,
		   const struct sink_slice_fact *k, uint64_t n, uint64_t m, uint64_t ns,
		   uint64_t bytes)
{
	size_t step, i = slot_of(k, &step);
	while (map->slot[i] && !same(&map->v[map->slot[i] - 1], k))
		i = (i + step) & (ETL_SLICEFACTS_CAP - 1);
	if (!map->slot[i]) {
		if (map->n + 1 > ETL_SLICEFACTS_CAP / 2) {
			if (flush_map(f, map) < 0)
				return f->rc;
			i = slot_of(k, &step);
		}
		map->v[map->n] = *k;
		map->slot[i] = (uint32_t)++map->n;
	}
	struct sink_slice_fact *e = &map->v[map->slot[i] - 1];
	e->n += n;
	e->m += m;
	e->ns += ns;
	e->bytes += bytes;
	return 0;
}

int etl_slicefacts_add(struct etl_slicefacts *f, uint8_t domain, int64_t t_ns, uint16_t cpu,
		       uint32_t pid, uint32_t tid, uint64_t key, uint64_t n, uint64_t m,
		       uint64_t ns, uint64_t bytes)
{
	if (!f->sink || f->rc < 0)
		return f->rc;
	int64_t s = t_ns > 0 ? t_ns / SINK_FACT_SLICE_NS : 0;
	struct sink_slice_fact k = {domain, cpu, s > UINT32_MAX ? UINT32_MAX : (uint32_t)s,
				    pid, tid, key, 0, 0, 0, 0};
	if (f->batch) {
		k.n = n;
		k.m = m;
		k.ns = ns;
		k.bytes = bytes;
		f->batch[f->batch_n++] = k;
		return f->batch_n < ETL_SLICEFACTS_BATCH ? 0 : send_batch(f);
	}
	return map_add(f, &f->map, &k, n, m, ns, bytes) < 0 ? f->rc : 0;
}

int etl_slicefacts_fold(struct etl_slicefacts *f, const struct sink_slice_fact *c, size_t n)
{
	if (!f->sink || f->batch)
		return f->rc;
	for (size_t i = 0; i < n && f->rc >= 0; i++) {
		struct sink_slice_fact k = c[i];
		k.n = k.m = k.ns = k.bytes = 0;
		map_add(f, &f->map, &k, c[i].n, c[i].m, c[i].ns, c[i].bytes);
	}
	return f->rc;
}

static void map_forget(struct etl_slicefacts_map *m)
{
	if (m->slot)
		memset(m->slot, 0, ETL_SLICEFACTS_CAP * sizeof *m->slot);
	m->n = 0;
}

void etl_slicefacts_forget(struct etl_slicefacts *f)
{
	map_forget(&f->map);
	map_forget(&f->roll);
	map_forget(&f->whole);
	f->batch_n = 0;
}

int etl_slicefacts_span(struct etl_slicefacts *f, uint8_t domain, int64_t from, int64_t to,
			uint16_t cpu, uint32_t pid, uint32_t tid, uint64_t key, uint64_t n)
{
	if (from < 0)
		from = 0;
	if (to <= from)
		return n ? etl_slicefacts_add(f, domain, from, cpu, pid, tid, key, n, 0, 0, 0) : 0;
	uint64_t pieces = (uint64_t)(to / SINK_FACT_SLICE_NS - from / SINK_FACT_SLICE_NS) + 1;
	if (pieces > f->pieces_left) { /* damaged times: keep the work bounded, say so */
		f->spans_lumped++;
		return etl_slicefacts_add(f, domain, from, cpu, pid, tid, key, n, 0,
					  (uint64_t)(to - from), 0);
	}
	f->pieces_left -= pieces;
	while (from < to) {
		int64_t end = (from / SINK_FACT_SLICE_NS + 1) * SINK_FACT_SLICE_NS;
		if (end > to)
			end = to;
		int rc = etl_slicefacts_add(f, domain, from, cpu, pid, tid, key, n, 0,
					    (uint64_t)(end - from), 0);
		if (rc < 0)
			return rc;
		n = 0;
		from = end;
	}
	return 0;
}
