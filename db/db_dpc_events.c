/* db_dpc_events.c — individual DPC/ISR events, longest first: above-guideline events from
 * etw_dpc_events (complete), below-guideline bucket examples from the reservoirs (flagged
 * as samples). Exact matching counts from the aggregates pick the cheapest covering scan
 * (by time, by duration, or per module and kind) and stop it early. Ties are broken by
 * time, CPU, kind, module and routine so answers do not depend on input order. */
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

#define COLS "SELECT t_ns, cpu, module_id, kind, duration_ns, routine FROM etw_dpc_events "
#define MAX_STREAMS 64

/* Steps st collecting matches. Ordered (by duration, longest first) scans stop once
 * `limit` matches and every tie with the last of them are in, or all `matching` are. */
static int scan(sqlite3 *db, sqlite3_stmt *st, const struct ev_query *q, int ordered,
		size_t limit, uint64_t matching, struct ev_list *out, char *err, size_t errlen)
{
	int rc;
	uint64_t found = 0;
	uint32_t cutoff = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_dpc_event e;
		read_row(st, &e, 0);
		if (ordered && found >= limit && e.duration_ns < cutoff) {
			rc = SQLITE_DONE; /* every tie at the cut-off is in; the rest are shorter */
			break;
		}
		if (!matches(q, &e))
			continue;
		if (push(out, &e)) {
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
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading events: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int run_scan(sqlite3 *db, const char *sql, int64_t run_id, const struct ev_query *q,
		    uint64_t lo, uint64_t hi, int32_t module, int kind, int ordered, size_t limit,
		    uint64_t matching, struct ev_list *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading events: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, q->from_ns);
	sqlite3_bind_int64(st, 3, q->to_ns);
	sqlite3_bind_int64(st, 4, (int64_t)lo);
	sqlite3_bind_int64(st, 5, hi > INT64_MAX ? INT64_MAX : (int64_t)hi);
	sqlite3_bind_int(st, 6, module);
	sqlite3_bind_int(st, 7, kind);
	int rc = scan(db, st, q, ordered, limit, matching, out, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

/* Per (module, kind): rows stored over the whole run and rows matching the filter, both
 * restricted to the duration range (bucket b, or everything above the guideline). */
struct stream {
	int32_t module;
	int kind;
	uint64_t total, matching;
};

static uint64_t in_range(const struct db_dpc_stats *s, int bucket)
{
	return bucket < 0 ? s->above_count : s->buckets[bucket];
}

/* Stored above-guideline events with lo < duration <= hi matching q, choosing the scan
 * that reads the fewest rows: the time-clustered table (the window's rows), the
 * duration index (until `limit` matches), or one duration-ordered stream per selected
 * (module, kind). Row counts come from the aggregates, so they are exact or close. */
static int from_table(sqlite3 *db, const struct db_etw_filter *f, const struct ev_query *q,
		      int bucket, uint64_t lo, uint64_t hi, const struct db_etw_run *run,
		      size_t limit, struct ev_list *out, char *err, size_t errlen)
{
	struct db_dpc_modules all, sel;
	struct db_etw_filter whole = {f->run_id, INT64_MIN, INT64_MAX, NULL, NULL, 0, q->kinds};
	struct db_etw_filter fa = *f;
	struct stream st[MAX_STREAMS];
	size_t nst = 0;
	uint64_t total = 0, matching = 0;
	fa.kind_mask = q->kinds;
	int rc = db_dpc_modules(db, &whole, &all, err, errlen);
	if (rc)
		return rc < 0 ? -1 : 0;
	rc = db_dpc_modules(db, &fa, &sel, err, errlen);
	if (rc) {
		db_dpc_modules_clear(&all);
		return rc < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < all.n; i++)
		total += in_range(&all.rows[i].s, bucket);
	for (size_t i = 0; i < sel.n; i++)
		matching += in_range(&sel.rows[i].s, bucket);
	/* streams: only with a module filter, and only (module, kind) pairs with matches */
	int streams_ok = f->modules != NULL;
	for (size_t i = 0, j = 0; streams_ok && i < all.n; i++) {
		uint64_t m = 0;
		while (j < sel.n && (sel.rows[j].module_id < all.rows[i].module_id ||
				     (sel.rows[j].module_id == all.rows[i].module_id &&
				      sel.rows[j].kind < all.rows[i].kind)))
			j++;
		if (j < sel.n && sel.rows[j].module_id == all.rows[i].module_id &&
		    sel.rows[j].kind == all.rows[i].kind)
			m = in_range(&sel.rows[j].s, bucket);
		if (!m)
			continue;
		if (nst == MAX_STREAMS) {
			streams_ok = 0;
			break;
		}
		st[nst++] = (struct stream){all.rows[i].module_id, all.rows[i].kind,
					    in_range(&all.rows[i].s, bucket), m};
	}
	db_dpc_modules_clear(&all);
	db_dpc_modules_clear(&sel);
	if (matching == 0)
		return 0;

	/* estimated rows read by each plan */
	int64_t run_ms = run->t_max_ns / AGG_MS + 1;
	double win = (double)(q->to_ns - q->from_ns) / AGG_MS / (double)run_ms;
	double by_time = (double)run->n_above * (win > 1 ? 1 : win);
	double by_dur = (double)total * (limit < matching ? (double)limit / (double)matching : 1);
	double by_mod = streams_ok ? 0 : 1e300;
	for (size_t i = 0; streams_ok && i < nst; i++)
		by_mod += (double)st[i].total *
			  (limit < st[i].matching ? (double)limit / (double)st[i].matching : 1) + 50;

	if (by_mod <= by_time && by_mod <= by_dur) {
		for (size_t i = 0; i < nst; i++) {
			rc = run_scan(db, COLS "INDEXED BY etw_dpc_events_module WHERE run_id=?1 AND"
					       " module_id=?6 AND kind=?7 AND duration_ns > ?4 AND"
					       " duration_ns <= ?5 ORDER BY duration_ns DESC",
				      f->run_id, q, lo, hi, st[i].module, st[i].kind, 1, limit,
				      st[i].matching, out, err, errlen);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (by_time <= by_dur)
		return run_scan(db, COLS "WHERE run_id=?1 AND t_ns >= ?2 AND t_ns < ?3 AND"
					 " +duration_ns > ?4 AND +duration_ns <= ?5", /* by time only */
				f->run_id, q, lo, hi, 0, 0, 0, limit, matching, out, err, errlen);
	return run_scan(db, COLS "INDEXED BY etw_dpc_events_longest WHERE run_id=?1 AND"
				 " duration_ns > ?4 AND duration_ns <= ?5 AND t_ns >= ?2 AND"
				 " t_ns < ?3 ORDER BY duration_ns DESC",
			f->run_id, q, lo, hi, 0, 0, 1, limit, matching, out, err, errlen);
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
		rc = from_table(db, f, &q, bucket, lo, hi, &run, limit, &l, err, errlen);
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
