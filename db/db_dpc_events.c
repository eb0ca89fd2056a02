/* db_dpc_events.c — individual DPC/ISR events, longest first: above-guideline events from
 * their chunks (complete; db_dpc_chunks.h), below-guideline bucket examples from the
 * reservoirs (flagged as samples). Ties are broken by time, CPU, kind, module and routine
 * so answers do not depend on input order. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"
#include "db_dpc_chunks.h"

struct ev_list {
	struct db_dpc_event *e;
	size_t n, cap;
};

static int push(struct ev_list *l, const struct db_dpc_event *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct db_dpc_event *p = realloc(l->e, sizeof *p * cap);
		if (!p)
			return -1;
		l->e = p;
		l->cap = cap;
	}
	l->e[l->n++] = *e;
	return 0;
}

static int cmp_event(const void *pa, const void *pb)
{
	const struct db_dpc_event *a = pa, *b = pb;
#define CMP(x, y) if ((x) != (y)) return (x) < (y) ? -1 : 1
	CMP(b->duration_ns, a->duration_ns);
	CMP(a->t_ns, b->t_ns);
	CMP(a->cpu, b->cpu);
	CMP(a->kind, b->kind);
	CMP(a->module_id, b->module_id);
	CMP(a->routine, b->routine);
	CMP(a->sample, b->sample);
#undef CMP
	return 0;
}

struct ev_query {
	const struct agg_pass *pass;
	int64_t from_ns, to_ns; /* [from, to) */
	uint32_t kinds;
};

static int matches(const struct ev_query *q, const struct db_dpc_event *e)
{
	if (e->t_ns < q->from_ns || e->t_ns >= q->to_ns || e->kind >= SINK_DPCISR_KINDS ||
	    e->module_id < -1)
		return 0;
	return agg_pass_key(q->pass, e->cpu, (uint32_t)(e->module_id + 1), e->kind) &&
	       (q->kinds >> e->kind & 1);
}

static void read_row(sqlite3_stmt *st, struct db_dpc_event *e, int sample)
{
	e->t_ns = sqlite3_column_int64(st, 0);
	e->cpu = (uint16_t)sqlite3_column_int(st, 1);
	e->module_id = sqlite3_column_int(st, 2);
	e->kind = (uint8_t)sqlite3_column_int(st, 3);
	e->duration_ns = (uint32_t)sqlite3_column_int64(st, 4);
	e->routine = (uint64_t)sqlite3_column_int64(st, 5);
	e->sample = (uint8_t)sample;
}

/* Matches collected so far. Once `limit` of them are in, the list is cut back to the best
 * `limit` whenever it has grown by limit + 1024, and an event no better than the last one
 * kept is not added at all: memory stays O(limit) however many events a bucket holds. */
struct collect {
	const struct ev_query *q;
	struct ev_list *out;
	size_t limit;
	int have_cut;
	struct db_dpc_event cut;
};

#define COLLECT_OOM 2

static void cut_back(struct collect *c)
{
	qsort(c->out->e, c->out->n, sizeof *c->out->e, cmp_event);
	if (c->out->n > c->limit)
		c->out->n = c->limit;
	if (c->out->n == c->limit) {
		c->cut = c->out->e[c->limit - 1];
		c->have_cut = 1;
	}
}

static int collect_event(void *ud, const struct db_dpc_event *e)
{
	struct collect *c = ud;
	if (!matches(c->q, e) || (c->have_cut && cmp_event(e, &c->cut) >= 0))
		return 0;
	if (push(c->out, e))
		return COLLECT_OOM;
	if (c->limit < SIZE_MAX / 4 && c->out->n >= 2 * c->limit + 1024)
		cut_back(c);
	return 0;
}

static int scan_chunks(sqlite3 *db, sqlite3_stmt *st, int kind, struct collect *c, char *err,
		       size_t errlen)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *p = sqlite3_column_blob(st, 2);
		int r = db_dpc_chunk_decode(p, (size_t)sqlite3_column_bytes(st, 2),
					    (uint64_t)sqlite3_column_int64(st, 1), kind,
					    sqlite3_column_int(st, 0), collect_event, c);
		if (r == COLLECT_OOM) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (r) {
			snprintf(err, errlen, "a stored event chunk is corrupt");
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading events: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/* Stored above-guideline events matching q: bucket b's chunks, or (bucket -1) every
 * bucket from the longest down until `limit` matches are in — every event of a lower
 * bucket is shorter than all of them. A short module filter reads only its modules'
 * chunks; any filter reads only chunks overlapping the window. */
static int from_chunks(sqlite3 *db, const struct db_etw_filter *f, const struct ev_query *q,
		       int bucket, size_t limit, struct ev_list *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int by_module = f->modules && f->nmodules <= 16;
	if (sqlite3_prepare_v2(db, by_module
		? "SELECT module_id, n, data FROM etw_dpc_chunks WHERE run_id=?1 AND kind=?2 AND"
		  " bucket=?3 AND module_id=?6 AND t_last >= ?4 AND t_first < ?5"
		: "SELECT module_id, n, data FROM etw_dpc_chunks WHERE run_id=?1 AND kind=?2 AND"
		  " bucket=?3 AND t_last >= ?4 AND t_first < ?5",
		-1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading events: %s", sqlite3_errmsg(db));
		return -1;
	}
	struct collect c = {q, out, limit, 0, {0}};
	int rc = 0, top = bucket >= 0 ? bucket : DB_DPC_NBUCKETS - 1, bottom = bucket >= 0 ? bucket : 0;
	for (int b = top; rc == 0 && b >= bottom; b--) {
		uint64_t lo, hi;
		db_dpc_bucket_range(b, &lo, &hi);
		for (int k = 0; rc == 0 && k < SINK_DPCISR_KINDS; k++) {
			if (!(q->kinds >> k & 1) || lo < db_dpc_guideline_ns(k))
				continue; /* below the guideline: not stored here */
			for (size_t m = 0; rc == 0 && m < (by_module ? f->nmodules : 1); m++) {
				size_t dup = 0;
				while (by_module && dup < m && f->modules[dup] != f->modules[m])
					dup++;
				if (by_module && dup < m)
					continue;
				sqlite3_reset(st);
				sqlite3_bind_int64(st, 1, f->run_id);
				sqlite3_bind_int(st, 2, k);
				sqlite3_bind_int(st, 3, b);
				sqlite3_bind_int64(st, 4, q->from_ns);
				sqlite3_bind_int64(st, 5, q->to_ns);
				if (by_module)
					sqlite3_bind_int(st, 6, f->modules[m]);
				rc = scan_chunks(db, st, k, &c, err, errlen);
			}
		}
		if (bucket < 0 && out->n >= limit)
			break;
	}
	sqlite3_finalize(st);
	return rc;
}

static int from_reservoir(sqlite3 *db, int64_t run_id, const struct ev_query *q, int kind,
			  int bucket, struct ev_list *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db,
			       "SELECT t_ns, cpu, module_id, kind, duration_ns, routine FROM"
			       " etw_dpc_samples WHERE run_id=? AND kind=? AND bucket=?",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading sample events: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, kind);
	sqlite3_bind_int(st, 3, bucket);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_dpc_event e;
		read_row(st, &e, 1);
		if (matches(q, &e) && push(out, &e)) {
			sqlite3_finalize(st);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading sample events: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int db_dpc_events(sqlite3 *db, const struct db_etw_filter *f, int bucket, size_t limit,
		  struct db_dpc_event **out, size_t *n, char *err, size_t errlen)
{
	struct db_etw_run run;
	struct agg_window w;
	struct agg_pass pass;
	struct ev_list l = {0};
	uint32_t kinds = f->kind_mask ? f->kind_mask & DB_KIND_ALL : DB_KIND_ALL;
	uint32_t above = 0, below = 0;
	uint64_t lo = 0, hi = UINT64_MAX;
	*out = NULL;
	*n = 0;
	if (bucket < -1 || bucket >= DB_DPC_NBUCKETS) {
		snprintf(err, errlen, "bucket %d out of range", bucket);
		return -1;
	}
	int rc = agg_run_window(db, f, &run, &w, err, errlen);
	if (rc || limit == 0)
		return rc;
	if (bucket >= 0)
		db_dpc_bucket_range(bucket, &lo, &hi);
	for (int k = 0; k < SINK_DPCISR_KINDS; k++) {
		if (!(kinds >> k & 1))
			continue;
		if (bucket < 0 || lo >= db_dpc_guideline_ns(k))
			above |= 1u << k;
		else
			below |= 1u << k;
	}
	if (agg_pass_from_filter(f, kinds, &pass)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct ev_query q = {&pass, w.from_ms * AGG_MS, w.to_ms * AGG_MS, above};
	if (above && run.n_above)
		rc = from_chunks(db, f, &q, bucket, limit, &l, err, errlen);
	for (int k = 0; rc == 0 && k < SINK_DPCISR_KINDS; k++) {
		if (!(below >> k & 1))
			continue;
		q.kinds = 1u << k;
		rc = from_reservoir(db, f->run_id, &q, k, bucket, &l, err, errlen);
	}
	agg_pass_clear(&pass);
	if (rc) {
		free(l.e);
		return -1;
	}
	if (l.n)
		qsort(l.e, l.n, sizeof *l.e, cmp_event);
	*n = l.n < limit ? l.n : limit;
	*out = l.e;
	return 0;
}
