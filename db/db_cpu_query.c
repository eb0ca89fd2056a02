/* db_cpu_query.c — CPU sample reads: per-module exclusive/inclusive counts with totals
 * (idle, in DPC, in ISR) over a window, and per-CPU utilization over n buckets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"

struct cs_ctx {
	struct db_cpu_samples *out;
	uint32_t nmod1;
	struct db_cpu_module_row *rows; /* [nmod1] by module id + 1 */
};

static int mod_visit(void *ud, const struct agg_view *v)
{
	struct cs_ctx *c = ud;
	uint32_t m1 = (uint32_t)(agg_key_module(v->key) + 1);
	if (m1 >= c->nmod1)
		return -3;
	c->rows[m1].exclusive += v->v[0];
	c->rows[m1].inclusive += v->v[1];
	return 0;
}

static int util_visit(void *ud, const struct agg_view *v)
{
	struct cs_ctx *c = ud;
	c->out->total += v->v[0];
	c->out->idle += v->v[1];
	c->out->in_dpc += v->v[2];
	c->out->in_isr += v->v[3];
	c->out->unknown_kernel += v->v[4];
	return 0;
}

int db_cpu_samples(sqlite3 *db, const struct db_etw_filter *f, struct db_cpu_samples *out,
		   char *err, size_t errlen)
{
	struct db_etw_run run;
	struct agg_window w;
	struct agg_pass pass, upass;
	struct cs_ctx c = {out, 0, NULL};
	memset(out, 0, sizeof *out);
	int rc = agg_run_window(db, f, &run, &w, err, errlen);
	if (rc)
		return rc;
	c.nmod1 = run.n_modules + 1;
	if (!(c.rows = calloc(c.nmod1, sizeof *c.rows)) || agg_pass_from_filter(f, 1u, &pass)) {
		free(c.rows);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(&upass, 0, sizeof upass);
	upass.cpus = f->cpus;
	upass.kind_mask = 1u << 1;
	rc = agg_read_window(db, f->run_id, AGG_CPU, run.top_level, &w, &pass, mod_visit, &c,
			     err, errlen);
	if (rc == 0)
		rc = agg_read_window(db, f->run_id, AGG_CPU_UTIL, run.top_level, &w, &upass,
				     util_visit, &c, err, errlen);
	agg_pass_clear(&pass);
	if (rc == 0) {
		for (uint32_t m = 0; m < c.nmod1; m++)
			if (c.rows[m].exclusive || c.rows[m].inclusive) {
				c.rows[m].module_id = (int32_t)m - 1;
				c.rows[out->n++] = c.rows[m];
			}
		out->rows = c.rows;
	} else {
		free(c.rows);
		out->total = out->idle = out->in_dpc = out->in_isr = out->unknown_kernel = 0;
	}
	return rc;
}

void db_cpu_samples_clear(struct db_cpu_samples *s)
{
	free(s->rows);
	memset(s, 0, sizeof *s);
}

struct ut_ctx {
	struct agg_spread sp;
	struct db_cpu_util *out;
	int64_t cur;
};

static void ut_slice(void *ud, int64_t idx)
{
	((struct ut_ctx *)ud)->cur = idx;
}

static int ut_visit(void *ud, const struct agg_view *v)
{
	struct ut_ctx *c = ud;
	unsigned cpu = agg_key_cpu(v->key);
	if (cpu >= c->out->ncpus)
		return -3;
	size_t row = (size_t)cpu * c->sp.n;
	agg_spread_add(&c->sp, c->cur, (double)v->v[0], c->out->samples + row);
	agg_spread_add(&c->sp, c->cur, (double)v->v[1], c->out->idle + row);
	return 0;
}

int db_cpu_utilization(sqlite3 *db, const struct db_etw_filter *f, uint32_t n,
		       struct db_cpu_util *out, char *err, size_t errlen)
{
	struct db_etw_run run;
	struct agg_window w;
	struct agg_pass pass;
	struct ut_ctx c;
	memset(out, 0, sizeof *out);
	if (n == 0 || n > DB_TIMELINE_MAX) {
		snprintf(err, errlen, "utilization needs 1..%d buckets", DB_TIMELINE_MAX);
		return -1;
	}
	int rc = agg_run_window(db, f, &run, &w, err, errlen);
	if (rc)
		return rc;
	int64_t recs[AGG_LEVELS];
	agg_level_recs(db, f->run_id, AGG_CPU_UTIL, recs);
	agg_spread_init(&c.sp, &w, &run, f, n, recs);
	c.out = out;
	out->n = n;
	out->ncpus = run.ncpus;
	out->from_ns = c.sp.from_ns;
	out->bucket_ns = c.sp.bucket_ns;
	out->slice_ns = agg_width_ms(c.sp.level) * AGG_MS;
	size_t cells = (size_t)run.ncpus * n;
	out->samples = calloc(cells ? cells : 1, sizeof(double));
	out->idle = calloc(cells ? cells : 1, sizeof(double));
	if (!out->samples || !out->idle) {
		db_cpu_util_clear(out);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(&pass, 0, sizeof pass);
	pass.cpus = f->cpus;
	pass.kind_mask = 1u << 1;
	if (c.sp.hi >= c.sp.lo)
		rc = agg_read_level(db, f->run_id, AGG_CPU_UTIL, c.sp.level, c.sp.lo, c.sp.hi,
				    &pass, ut_slice, ut_visit, &c, err, errlen);
	if (rc)
		db_cpu_util_clear(out);
	return rc;
}

double db_cpu_util_at(const struct db_cpu_util *u, uint32_t cpu, uint32_t i)
{
	if (cpu >= u->ncpus || i >= u->n)
		return NAN;
	double s = u->samples[(size_t)cpu * u->n + i];
	return s > 0 ? (s - u->idle[(size_t)cpu * u->n + i]) / s : NAN;
}

void db_cpu_util_clear(struct db_cpu_util *u)
{
	free(u->samples);
	free(u->idle);
	memset(u, 0, sizeof *u);
}
