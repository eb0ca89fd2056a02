/* db_agg_read.c — reading aggregates for a query: the run's ETW facts, the filter turned
 * into a window in ms and a record pass (CPU set, module bitset, kind mask), and the
 * segment-tree walk that covers [from, to) with whole coarse slices in the middle and at
 * most 15 finer slices per level at each edge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"

int db_etw_run_info(sqlite3 *db, int64_t run_id, struct db_etw_run *out, char *err,
		    size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT t_max_ns, top_level, n_dpcisr, n_above, n_samples, n_modules,"
			       " ncpus FROM etw_runs WHERE run_id=?",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading ETW run: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->t_max_ns = sqlite3_column_int64(st, 0);
		out->top_level = sqlite3_column_int(st, 1);
		out->n_dpcisr = (uint64_t)sqlite3_column_int64(st, 2);
		out->n_above = (uint64_t)sqlite3_column_int64(st, 3);
		out->n_samples = (uint64_t)sqlite3_column_int64(st, 4);
		out->n_modules = (uint32_t)sqlite3_column_int(st, 5);
		out->ncpus = (uint32_t)sqlite3_column_int(st, 6);
		rc = 0;
		if (out->top_level < 0 || out->top_level >= AGG_LEVELS || out->t_max_ns < 0 ||
		    out->ncpus > DB_MAX_CPUS) {
			snprintf(err, errlen, "ETW run facts are corrupt");
			rc = -1;
		}
	} else if (rc == SQLITE_DONE) {
		rc = 1;
	} else {
		snprintf(err, errlen, "reading ETW run: %s", sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

int agg_run_window(sqlite3 *db, const struct db_etw_filter *f, struct db_etw_run *run,
		   struct agg_window *w, char *err, size_t errlen)
{
	int rc = db_etw_run_info(db, f->run_id, run, err, errlen);
	if (rc)
		return rc;
	int64_t end = agg_width_ms(run->top_level);
	w->from_ms = f->from_ns <= 0 ? 0 : f->from_ns / AGG_MS;
	if (f->to_ns == INT64_MAX)
		w->to_ms = end;
	else if (f->to_ns <= 0)
		w->to_ms = 0;
	else
		w->to_ms = f->to_ns / AGG_MS + (f->to_ns % AGG_MS != 0);
	if (w->to_ms > end)
		w->to_ms = end;
	if (w->from_ms > w->to_ms)
		w->from_ms = w->to_ms;
	return 0;
}

int agg_pass_from_filter(const struct db_etw_filter *f, uint32_t kind_mask,
			 struct agg_pass *p)
{
	memset(p, 0, sizeof *p);
	p->cpus = f->cpus;
	p->kind_mask = kind_mask;
	if (!f->modules)
		return 0;
	uint32_t bits = 8;
	for (size_t i = 0; i < f->nmodules; i++)
		if (f->modules[i] >= -1 && (uint32_t)(f->modules[i] + 1) >= bits)
			bits = (uint32_t)(f->modules[i] + 1) + 1;
	uint8_t *m = calloc((bits + 7) / 8, 1);
	if (!m)
		return -1;
	for (size_t i = 0; i < f->nmodules; i++)
		if (f->modules[i] >= -1) {
			uint32_t b = (uint32_t)(f->modules[i] + 1);
			m[b / 8] |= (uint8_t)(1u << (b % 8));
		}
	p->modules = m;
	p->nmod_bits = bits;
	return 0;
}

void agg_pass_clear(struct agg_pass *p)
{
	free((void *)p->modules);
	p->modules = NULL;
}

static int read_range(sqlite3 *db, sqlite3_stmt *st, int level, int64_t lo, int64_t hi,
		      const struct agg_pass *pass, void (*slice_cb)(void *ud, int64_t idx),
		      int (*visit)(void *ud, const struct agg_view *r), void *ud, char *err,
		      size_t errlen)
{
	int rc;
	sqlite3_reset(st);
	sqlite3_bind_int(st, 3, level);
	sqlite3_bind_int64(st, 4, lo);
	sqlite3_bind_int64(st, 5, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (slice_cb)
			slice_cb(ud, sqlite3_column_int64(st, 0));
		const void *p = sqlite3_column_blob(st, 1);
		int n = sqlite3_column_bytes(st, 1);
		int r = agg_decode(p, (size_t)n, pass, visit, ud);
		if (r) {
			snprintf(err, errlen, r == -1 ? "stored aggregate is corrupt (level %d)"
						      : "reading aggregate failed (level %d)",
				 level);
			sqlite3_reset(st);
			return -1;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading aggregates: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int prepare_read(sqlite3 *db, int64_t run_id, int agg, sqlite3_stmt **st, char *err,
			size_t errlen)
{
	if (sqlite3_prepare_v2(db,
			       "SELECT slice, data FROM etw_agg WHERE run_id=?1 AND agg=?2 AND"
			       " level=?3 AND slice BETWEEN ?4 AND ?5 ORDER BY slice",
			       -1, st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading aggregates: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(*st, 1, run_id);
	sqlite3_bind_int(*st, 2, agg);
	return 0;
}

int agg_read_level(sqlite3 *db, int64_t run_id, int agg, int level, int64_t lo, int64_t hi,
		   const struct agg_pass *pass, void (*slice_cb)(void *ud, int64_t idx),
		   int (*visit)(void *ud, const struct agg_view *r), void *ud, char *err,
		   size_t errlen)
{
	sqlite3_stmt *st;
	if (prepare_read(db, run_id, agg, &st, err, errlen))
		return -1;
	int rc = read_range(db, st, level, lo, hi, pass, slice_cb, visit, ud, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

int agg_read_window(sqlite3 *db, int64_t run_id, int agg, int top_level,
		    const struct agg_window *w, const struct agg_pass *pass,
		    int (*visit)(void *ud, const struct agg_view *r), void *ud, char *err,
		    size_t errlen)
{
	sqlite3_stmt *st;
	int64_t a = w->from_ms, b = w->to_ms; /* [a, b) in slices of the current level */
	int rc = 0;
	if (a >= b)
		return 0;
	if (prepare_read(db, run_id, agg, &st, err, errlen))
		return -1;
	for (int l = 0; a < b && rc == 0; l++) {
		int64_t na = (a + AGG_FANOUT - 1) / AGG_FANOUT * AGG_FANOUT;
		int64_t nb = b / AGG_FANOUT * AGG_FANOUT;
		if (l >= top_level || na >= nb) {
			rc = read_range(db, st, l, a, b - 1, pass, NULL, visit, ud, err, errlen);
			break;
		}
		if (a < na)
			rc = read_range(db, st, l, a, na - 1, pass, NULL, visit, ud, err, errlen);
		if (rc == 0 && nb < b)
			rc = read_range(db, st, l, nb, b - 1, pass, NULL, visit, ud, err, errlen);
		a = na / AGG_FANOUT;
		b = nb / AGG_FANOUT;
	}
	sqlite3_finalize(st);
	return rc;
}

int agg_level_recs(sqlite3 *db, int64_t run_id, int agg, int64_t out[AGG_LEVELS])
{
	sqlite3_stmt *st;
	int64_t all[AGG_KINDS][AGG_LEVELS];
	memset(out, 0, sizeof(int64_t) * AGG_LEVELS);
	if (agg < 0 || agg >= AGG_KINDS ||
	    sqlite3_prepare_v2(db, "SELECT level_recs FROM etw_runs WHERE run_id=?", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)sizeof all) {
		memcpy(all, sqlite3_column_blob(st, 0), sizeof all);
		for (int l = 0; l < AGG_LEVELS; l++)
			out[l] = all[agg][l] < 0 ? 0 : all[agg][l];
	}
	sqlite3_finalize(st);
	return 0;
}
