/* db_dpc_query.c — DPC/ISR reads over the aggregates: the histogram per kind and the
 * per-(module, kind) table with the CPUs each ran on; plus the run's module list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"

static uint32_t kinds_of(const struct db_etw_filter *f)
{
	return f->kind_mask ? f->kind_mask & DB_KIND_ALL : DB_KIND_ALL;
}

static void add_stats(struct db_dpc_stats *s, const struct agg_view *v)
{
	s->count += v->v[V_COUNT];
	s->total_ns += v->v[V_TOTAL];
	if (v->v[V_MAX] > s->max_ns)
		s->max_ns = v->v[V_MAX];
	s->above_count += v->v[V_ABOVE];
	s->above_total_ns += v->v[V_ABOVE_TOTAL];
	for (uint64_t m = v->hmask; m; m &= m - 1) {
		int b = __builtin_ctzll(m);
		s->buckets[b] += v->hist[b];
	}
}

static int hist_visit(void *ud, const struct agg_view *v)
{
	struct db_dpc_histogram *h = ud;
	unsigned k = agg_key_kind(v->key);
	if (k >= SINK_DPCISR_KINDS)
		return -3;
	add_stats(&h->kind[k], v);
	return 0;
}

int db_dpc_histogram(sqlite3 *db, const struct db_etw_filter *f, struct db_dpc_histogram *out,
		     char *err, size_t errlen)
{
	struct db_etw_run run;
	struct agg_window w;
	struct agg_pass pass;
	memset(out, 0, sizeof *out);
	int rc = agg_run_window(db, f, &run, &w, err, errlen);
	if (rc)
		return rc;
	if (agg_pass_from_filter(f, kinds_of(f), &pass)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = agg_read_window(db, f->run_id, AGG_DPC, run.top_level, &w, &pass, hist_visit, out,
			     err, errlen);
	agg_pass_clear(&pass);
	return rc;
}

struct mod_ctx {
	uint32_t nmod1; /* module slots: module id + 1 in [0, nmod1) */
	struct db_dpc_module_row **rows; /* [nmod1 * KINDS] */
	int oom;
};

static int mod_visit(void *ud, const struct agg_view *v)
{
	struct mod_ctx *c = ud;
	uint32_t m1 = (uint32_t)(agg_key_module(v->key) + 1);
	unsigned k = agg_key_kind(v->key);
	if (m1 >= c->nmod1 || k >= SINK_DPCISR_KINDS)
		return -3; /* a module id the run never declared: corrupt */
	struct db_dpc_module_row **slot = &c->rows[m1 * SINK_DPCISR_KINDS + k];
	if (!*slot) {
		if (!(*slot = calloc(1, sizeof **slot))) {
			c->oom = 1;
			return -2;
		}
		(*slot)->module_id = (int32_t)m1 - 1;
		(*slot)->kind = (uint8_t)k;
	}
	add_stats(&(*slot)->s, v);
	db_cpu_set_add(&(*slot)->cpus, agg_key_cpu(v->key));
	return 0;
}

int db_dpc_modules(sqlite3 *db, const struct db_etw_filter *f, struct db_dpc_modules *out,
		   char *err, size_t errlen)
{
	struct db_etw_run run;
	struct agg_window w;
	struct agg_pass pass;
	struct mod_ctx c = {0};
	memset(out, 0, sizeof *out);
	int rc = agg_run_window(db, f, &run, &w, err, errlen);
	if (rc)
		return rc;
	c.nmod1 = run.n_modules + 1;
	size_t nslots = (size_t)c.nmod1 * SINK_DPCISR_KINDS;
	if (!(c.rows = calloc(nslots, sizeof *c.rows)) ||
	    agg_pass_from_filter(f, kinds_of(f), &pass)) {
		free(c.rows);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = agg_read_window(db, f->run_id, AGG_DPC, run.top_level, &w, &pass, mod_visit, &c,
			     err, errlen);
	agg_pass_clear(&pass);
	size_t n = 0;
	for (size_t i = 0; i < nslots; i++)
		n += c.rows[i] != NULL;
	if (rc == 0 && n && !(out->rows = malloc(sizeof *out->rows * n))) {
		c.oom = 1;
		rc = -1;
	}
	for (size_t i = 0; i < nslots; i++) {
		if (!c.rows[i])
			continue;
		if (rc == 0)
			out->rows[out->n++] = *c.rows[i];
		free(c.rows[i]);
	}
	free(c.rows);
	if (c.oom)
		snprintf(err, errlen, "out of memory");
	if (rc)
		db_dpc_modules_clear(out);
	return rc;
}

void db_dpc_modules_clear(struct db_dpc_modules *m)
{
	free(m->rows);
	m->rows = NULL;
	m->n = 0;
}

int db_etw_modules(sqlite3 *db, int64_t run_id,
		   int (*cb)(void *ud, const struct db_etw_module *m), void *ud, char *err,
		   size_t errlen)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(db,
			       "SELECT m.id, m.name, m.path, m.base, m.size, m.pid, m.timestamp,"
			       " m.checksum, m.load_ns, m.unload_ns, s.pdb, s.guid, s.age, s.status,"
			       " s.why FROM etw_modules m LEFT JOIN etw_module_symbols s"
			       " ON s.run_id = m.run_id AND s.module_id = m.id"
			       " WHERE m.run_id=? ORDER BY m.id",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading modules: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 1);
		const unsigned char *path = sqlite3_column_text(st, 2);
		struct db_etw_module m = {
			sqlite3_column_int(st, 0),
			name ? (const char *)name : "",
			path ? (const char *)path : "",
			(uint64_t)sqlite3_column_int64(st, 3),
			(uint64_t)sqlite3_column_int64(st, 4),
			(uint32_t)sqlite3_column_int64(st, 5),
			(uint32_t)sqlite3_column_int64(st, 6),
			(uint32_t)sqlite3_column_int64(st, 7),
			sqlite3_column_int64(st, 8),
			sqlite3_column_int64(st, 9),
			(const char *)sqlite3_column_text(st, 10),
			(const char *)sqlite3_column_text(st, 11),
			(uint32_t)sqlite3_column_int64(st, 12),
			(const char *)sqlite3_column_text(st, 13),
			(const char *)sqlite3_column_text(st, 14),
		};
		if (cb(ud, &m)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading modules: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}
