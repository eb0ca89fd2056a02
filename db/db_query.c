/* db_query.c — read queries: runs, warnings, counters, and counter series reduced to a
 * requested number of time buckets (mean and max per bucket). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"

#define RUN_COLUMNS                                                                       \
	"id, public_id, name, notes, file_name, format, status, summary, file_size, "     \
	"created_us, start_utc_us, duration_us, expires_us"

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return strdup(t ? (const char *)t : "");
}

static int fill_run(sqlite3_stmt *st, struct db_run *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	snprintf(r->public_id, sizeof r->public_id, "%s", sqlite3_column_text(st, 1));
	r->name = dup_col(st, 2);
	r->notes = dup_col(st, 3);
	r->file_name = dup_col(st, 4);
	r->format = dup_col(st, 5);
	r->status = dup_col(st, 6);
	r->summary = dup_col(st, 7);
	r->file_size = sqlite3_column_int64(st, 8);
	r->created_us = sqlite3_column_int64(st, 9);
	r->has_start = sqlite3_column_type(st, 10) != SQLITE_NULL;
	r->start_utc_us = sqlite3_column_int64(st, 10);
	r->duration_us = sqlite3_column_int64(st, 11);
	r->has_expiry = sqlite3_column_type(st, 12) != SQLITE_NULL;
	r->expires_us = sqlite3_column_int64(st, 12);
	if (!r->name || !r->notes || !r->file_name || !r->format || !r->status || !r->summary) {
		db_run_clear(r);
		return -1;
	}
	return 0;
}

void db_run_clear(struct db_run *r)
{
	free(r->name);
	free(r->notes);
	free(r->file_name);
	free(r->format);
	free(r->status);
	free(r->summary);
	memset(r, 0, sizeof *r);
}

/* Runs still inside their ingest transaction are invisible to other connections, and
 * expired runs are treated as gone. */
static const char run_get_sql[] = "SELECT " RUN_COLUMNS " FROM runs WHERE public_id=?"
				  " AND (expires_us IS NULL OR expires_us > ?)";

static int run_get(sqlite3 *db, const char *public_id, struct db_run *out, int kept)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (kept ? !(st = db_kept_stmt(db, run_get_sql))
		 : sqlite3_prepare_v2(db, run_get_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, public_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, db_now_us());
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = fill_run(st, out) == 0 ? 0 : -1;
	else
		rc = rc == SQLITE_DONE ? 1 : -1;
	if (kept)
		db_kept_done(st);
	else
		sqlite3_finalize(st);
	return rc;
}

int db_run_public_id(sqlite3 *db, int64_t run_id, char *out, size_t len)
{
	sqlite3_stmt *q;
	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT public_id FROM runs WHERE id=?", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, run_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return out[0] ? 0 : rc == SQLITE_ROW || rc == SQLITE_DONE ? 1 : -1;
}

int db_run_get(sqlite3 *db, const char *public_id, struct db_run *out)
{
	return run_get(db, public_id, out, 0);
}

int db_run_get_kept(sqlite3 *db, const char *public_id, struct db_run *out)
{
	return run_get(db, public_id, out, 1);
}

int db_run_list(sqlite3 *db, int (*cb)(void *ud, const struct db_run *r), void *ud)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db,
			       "SELECT " RUN_COLUMNS " FROM runs WHERE expires_us IS NULL OR"
			       " expires_us > ? ORDER BY created_us DESC, id DESC",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, db_now_us());
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_run r;
		if (fill_run(st, &r) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		int stop = cb(ud, &r);
		db_run_clear(&r);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_run_warnings(sqlite3 *db, int64_t run_id,
		    int (*cb)(void *ud, const struct db_warning *w), void *ud)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db,
			       "SELECT code, message, count FROM run_warnings WHERE run_id=?"
			       " ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_warning w = {(const char *)sqlite3_column_text(st, 0),
				       (const char *)sqlite3_column_text(st, 1),
				       sqlite3_column_int64(st, 2)};
		if (cb(ud, &w)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_counters(sqlite3 *db, int64_t run_id, int (*cb)(void *ud, const struct db_counter *c),
		void *ud)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db,
			       "SELECT idx, path, machine, object, instance, counter, cpu,"
			       " counter_type FROM counters WHERE run_id=? ORDER BY idx",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_counter c = {
			(uint32_t)sqlite3_column_int64(st, 0),
			(const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2),
			(const char *)sqlite3_column_text(st, 3),
			(const char *)sqlite3_column_text(st, 4),
			(const char *)sqlite3_column_text(st, 5),
			sqlite3_column_int(st, 6),
			(uint32_t)sqlite3_column_int64(st, 7),
		};
		if (cb(ud, &c)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_counter_ranges(sqlite3 *db, int64_t run_id,
		      int (*cb)(void *ud, const struct db_counter_range *r), void *ud)
{
	sqlite3_stmt *st;
	int rc;
	/* the summaries alone: since migration 18 no blob sits beside the key */
	if (sqlite3_prepare_v2(db,
			       "SELECT counter_idx, min(vmin), max(vmax), sum(vcount) FROM"
			       " series_chunks WHERE run_id=? GROUP BY counter_idx ORDER BY counter_idx",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_counter_range r = {
			(uint32_t)sqlite3_column_int64(st, 0),
			sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1),
			sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2),
			sqlite3_column_int64(st, 3),
		};
		if (cb(ud, &r)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void db_series_clear(struct db_series *s)
{
	free(s->t);
	free(s->mean);
	free(s->max);
	free(s->whole);
	memset(s, 0, sizeof *s);
}

/* The sample times inside the window, with their global sample indexes. */
struct window {
	int64_t *t;
	int64_t first_idx; /* global index of t[0] */
	size_t n, cap;
	int64_t chunk_lo, chunk_hi; /* chunks that hold window samples */
	int64_t (*chunks)[2];       /* (chunk, its first global index), by chunk */
	size_t nchunks;
};

/* (chunk, first global index) of every sample_times chunk in [chunk_lo, chunk_hi], in chunk
 * order: read once, where a join would seek sample_times (whose keys sit beside their
 * time blobs) for each counter's every chunk. Sized by the rows, never by the chunk
 * numbers (an imported file's may be anything). */
static int read_chunk_firsts(sqlite3 *db, int64_t run_id, struct window *w)
{
	sqlite3_stmt *st;
	int rc;
	size_t cap = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT chunk, first_idx FROM sample_times WHERE run_id=? AND"
			       " chunk BETWEEN ? AND ? ORDER BY chunk",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, w->chunk_lo);
	sqlite3_bind_int64(st, 3, w->chunk_hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (w->nchunks == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t(*nc)[2] = realloc(w->chunks, cap * sizeof *nc);
			if (!nc) {
				rc = SQLITE_NOMEM;
				break;
			}
			w->chunks = nc;
		}
		w->chunks[w->nchunks][0] = sqlite3_column_int64(st, 0);
		w->chunks[w->nchunks++][1] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int read_window(sqlite3 *db, const struct db_series_query *q, struct window *w)
{
	sqlite3_stmt *st;
	int rc;
	memset(w, 0, sizeof *w);
	w->chunk_lo = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT chunk, first_idx, n, data FROM sample_times WHERE run_id=?"
			       " AND t_last >= ? AND t_first <= ? ORDER BY chunk",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, q->run_id);
	sqlite3_bind_int64(st, 2, q->from_us);
	sqlite3_bind_int64(st, 3, q->to_us);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t chunk = sqlite3_column_int64(st, 0), first = sqlite3_column_int64(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 3) / sizeof(int64_t);
		const int64_t *t = sqlite3_column_blob(st, 3);
		for (size_t i = 0; i < n; i++) {
			int64_t v;
			memcpy(&v, t + i, sizeof v);
			if (v < q->from_us || v > q->to_us)
				continue;
			if (w->n == w->cap) {
				size_t cap = w->cap ? w->cap * 2 : 4096;
				int64_t *nt = realloc(w->t, cap * sizeof *nt);
				if (!nt) {
					rc = SQLITE_NOMEM;
					goto out;
				}
				w->t = nt;
				w->cap = cap;
			}
			if (w->n == 0) {
				w->first_idx = first + (int64_t)i;
				w->chunk_lo = chunk;
			}
			w->t[w->n++] = v;
			w->chunk_hi = chunk;
		}
	}
out:
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_series_read(sqlite3 *db, const struct db_series_query *q, struct db_series *out,
		   char *err, size_t errlen)
{
	struct window w;
	uint32_t *bucket = NULL;
	uint32_t *cnt = NULL;
	sqlite3_stmt *st = NULL;
	size_t nb;

	memset(out, 0, sizeof *out);
	if (read_window(db, q, &w) != 0) {
		snprintf(err, errlen, "reading sample times: %s", sqlite3_errmsg(db));
		free(w.t);
		return -1;
	}
	out->raw = w.n;
	/* Buckets: equal time widths over the window's actual span. */
	if (q->points == 0 || w.n <= q->points) {
		nb = w.n;
		out->t = w.t;
		w.t = NULL;
	} else {
		int64_t t0 = w.t[0], span = w.t[w.n - 1] - w.t[0] + 1;
		nb = q->points;
		out->t = malloc(nb * sizeof *out->t);
		bucket = malloc(w.n * sizeof *bucket);
		if (!out->t || !bucket)
			goto oom;
		for (size_t b = 0; b < nb; b++)
			out->t[b] = t0 + (int64_t)((double)span * (double)b / (double)nb);
		for (size_t i = 0; i < w.n; i++) {
			size_t b = (size_t)((double)(w.t[i] - t0) * (double)nb / (double)span);
			bucket[i] = (uint32_t)(b >= nb ? nb - 1 : b);
		}
	}
	out->n = nb;
	out->mean = malloc((q->ncounters * nb + 1) * sizeof(double));
	out->max = malloc((q->ncounters * nb + 1) * sizeof(double));
	out->whole = malloc((q->ncounters + 1) * sizeof(double));
	cnt = calloc(nb + 1, sizeof *cnt);
	if (!out->mean || !out->max || !out->whole || !cnt)
		goto oom;
	for (size_t i = 0; i < q->ncounters * nb; i++) {
		out->mean[i] = NAN;
		out->max[i] = NAN;
	}
	for (size_t c = 0; c < q->ncounters; c++)
		out->whole[c] = NAN;
	if (w.n == 0)
		goto done;
	if (read_chunk_firsts(db, q->run_id, &w) != 0)
		goto sqlfail;
	/* series_values: the blobs (migration 18); in chunk order, as the sums are summed */
	if (sqlite3_prepare_v2(db,
			       "SELECT chunk, data FROM series_values WHERE run_id=? AND"
			       " counter_idx=? AND chunk BETWEEN ? AND ? ORDER BY chunk",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	for (size_t c = 0; c < q->ncounters; c++) {
		double *mean = out->mean + c * nb, *mx = out->max + c * nb, wsum = NAN;
		size_t wcnt = 0;
		memset(cnt, 0, nb * sizeof *cnt);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, q->run_id);
		sqlite3_bind_int64(st, 2, q->counters[c]);
		sqlite3_bind_int64(st, 3, w.chunk_lo);
		sqlite3_bind_int64(st, 4, w.chunk_hi);
		int rc;
		size_t j = 0; /* both in chunk order: a merge */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t chunk = sqlite3_column_int64(st, 0);
			while (j < w.nchunks && w.chunks[j][0] < chunk)
				j++;
			if (j == w.nchunks || w.chunks[j][0] != chunk)
				continue; /* no sample times: the join this replaced skipped it too */
			int64_t first = w.chunks[j][1];
			const unsigned char *data = sqlite3_column_blob(st, 1);
			size_t n = (size_t)sqlite3_column_bytes(st, 1) / sizeof(double);
			for (size_t i = 0; i < n; i++) {
				int64_t gi = first + (int64_t)i - w.first_idx;
				double v;
				if (gi < 0 || (size_t)gi >= w.n)
					continue;
				memcpy(&v, data + i * sizeof v, sizeof v);
				if (isnan(v))
					continue;
				wsum = wcnt++ ? wsum + v : v;
				size_t b = bucket ? bucket[gi] : (size_t)gi;
				if (cnt[b]++ == 0) {
					mean[b] = v;
					mx[b] = v;
				} else {
					mean[b] += v;
					if (v > mx[b])
						mx[b] = v;
				}
			}
		}
		if (rc != SQLITE_DONE)
			goto sqlfail;
		for (size_t b = 0; b < nb; b++)
			if (cnt[b] > 1)
				mean[b] /= cnt[b];
		out->whole[c] = wcnt > 1 ? wsum / (double)wcnt : wsum;
	}
done:
	sqlite3_finalize(st);
	free(w.t);
	free(w.chunks);
	free(bucket);
	free(cnt);
	return 0;
sqlfail:
	snprintf(err, errlen, "reading series: %s", sqlite3_errmsg(db));
	goto fail;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	sqlite3_finalize(st);
	free(w.t);
	free(w.chunks);
	free(bucket);
	free(cnt);
	db_series_clear(out);
	return -1;
}
