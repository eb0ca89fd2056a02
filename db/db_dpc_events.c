/* db_dpc_events.c — individual DPC/ISR events, longest first: above-guideline events from
 * etw_dpc_events (complete), below-guideline bucket examples from the reservoirs (flagged
 * as samples). The exact matching count from the aggregates picks the cheaper scan: the
 * duration index (stop after `limit` matches) or the time index (a narrow window). Ties are
 * broken by time, CPU, kind, module and routine so answers do not depend on input order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"

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

/* Stored above-guideline events with lo < duration <= hi matching q. `matching` is their
 * exact number (from the aggregates), so scans stop as soon as all are found. */
static int from_table(sqlite3 *db, int64_t run_id, const struct ev_query *q, uint64_t lo,
		      uint64_t hi, uint64_t matching, const struct db_etw_run *run, size_t limit,
		      struct ev_list *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t win_ms = (q->to_ns - q->from_ns) / AGG_MS;
	int64_t run_ms = run->t_max_ns / AGG_MS + 1;
	/* rows read: by duration about limit * n_above / matching; by time the window's rows */
	double by_dur = (double)limit * (double)run->n_above / (double)matching;
	double by_time = (double)run->n_above * (double)win_ms / (double)run_ms;
	int use_time = by_time < by_dur;
	const char *sql =
		use_time ? "SELECT t_ns, cpu, module_id, kind, duration_ns, routine FROM"
			   " etw_dpc_events INDEXED BY etw_dpc_events_time WHERE run_id=?1 AND"
			   " t_ns >= ?2 AND t_ns < ?3 AND duration_ns > ?4 AND duration_ns <= ?5"
			 : "SELECT t_ns, cpu, module_id, kind, duration_ns, routine FROM"
			   " etw_dpc_events INDEXED BY etw_dpc_events_longest WHERE run_id=?1 AND"
			   " duration_ns > ?4 AND duration_ns <= ?5 AND t_ns >= ?2 AND t_ns < ?3"
			   " ORDER BY duration_ns DESC";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading events: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, q->from_ns);
	sqlite3_bind_int64(st, 3, q->to_ns);
	sqlite3_bind_int64(st, 4, (int64_t)lo);
	sqlite3_bind_int64(st, 5, hi > INT64_MAX ? INT64_MAX : (int64_t)hi);
	int rc;
	uint64_t found = 0;
	uint32_t cutoff = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_dpc_event e;
		read_row(st, &e, 0);
		if (!use_time && found >= limit && e.duration_ns < cutoff) {
			rc = SQLITE_DONE; /* every tie at the cut-off is in; the rest are shorter */
			break;
		}
		if (!matches(q, &e))
			continue;
		if (push(out, &e)) {
			sqlite3_finalize(st);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (++found == limit)
			cutoff = e.duration_ns;
		if (found >= matching) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading events: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
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
	if (above && run.n_above) {
		struct db_etw_filter fa = *f;
		struct db_dpc_histogram h;
		uint64_t matching = 0;
		fa.kind_mask = above;
		rc = db_dpc_histogram(db, &fa, &h, err, errlen);
		for (int k = 0; rc == 0 && k < SINK_DPCISR_KINDS; k++)
			matching += bucket < 0 ? h.kind[k].above_count : h.kind[k].buckets[bucket];
		if (rc == 0 && matching)
			rc = from_table(db, f->run_id, &q, lo, hi, matching, &run, limit, &l, err,
					errlen);
	}
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
