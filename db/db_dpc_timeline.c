/* db_dpc_timeline.c — DPC/ISR busy time over n buckets: per CPU (DPC kinds vs ISR kinds)
 * and per module, from the slices of one level. Unfiltered by CPU and module (and with all,
 * DPC or ISR kinds) it reads the small per-CPU and per-module busy aggregates; otherwise the
 * per-(cpu, module, kind) one, at a coarser level if needed to bound the records read. Each
 * slice's records are summed first, then spread once over the buckets it overlaps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"

struct tl_ctx {
	struct agg_spread sp;
	struct db_dpc_timeline *out;
	uint32_t nmod1;
	double *mod_rows;  /* [nmod1 * n] by module id + 1 */
	double *s_dpc, *s_isr, *s_mod; /* current slice sums */
	int64_t cur;
	int have;
	int mode; /* AGG_DPC (level 0), AGG_DPC_BUSY, AGG_DPC_BUSY_CPU or AGG_DPC_BUSY_MOD */
};

static void flush_slice(struct tl_ctx *c)
{
	uint32_t n = c->sp.n;
	if (!c->have)
		return;
	for (uint32_t i = 0; i < c->out->ncpus; i++) {
		if (c->s_dpc[i])
			agg_spread_add(&c->sp, c->cur, c->s_dpc[i], c->out->cpu_dpc_ns + (size_t)i * n);
		if (c->s_isr[i])
			agg_spread_add(&c->sp, c->cur, c->s_isr[i], c->out->cpu_isr_ns + (size_t)i * n);
		c->s_dpc[i] = c->s_isr[i] = 0;
	}
	for (uint32_t m = 0; m < c->nmod1; m++) {
		if (c->s_mod[m])
			agg_spread_add(&c->sp, c->cur, c->s_mod[m], c->mod_rows + (size_t)m * n);
		c->s_mod[m] = 0;
	}
	c->have = 0;
}

static void on_slice(void *ud, int64_t idx)
{
	struct tl_ctx *c = ud;
	flush_slice(c);
	c->cur = idx;
	c->have = 1;
}

static int tl_visit(void *ud, const struct agg_view *v)
{
	struct tl_ctx *c = ud;
	unsigned cpu = agg_key_cpu(v->key), kind = agg_key_kind(v->key);
	uint32_t m1 = (uint32_t)(agg_key_module(v->key) + 1);
	if (cpu >= c->out->ncpus || m1 >= c->nmod1 || kind >= SINK_DPCISR_KINDS)
		return -3;
	int by_kind = c->mode == AGG_DPC || c->mode == AGG_DPC_BUSY;
	double busy = (double)v->v[c->mode == AGG_DPC ? V_TOTAL : 0];
	int isr = by_kind ? (int)((DB_KIND_ISRS >> kind) & 1) : kind == 1;
	if (c->mode != AGG_DPC_BUSY_MOD) {
		if (isr)
			c->s_isr[cpu] += busy;
		else
			c->s_dpc[cpu] += busy;
	}
	if (c->mode != AGG_DPC_BUSY_CPU)
		c->s_mod[m1] += busy;
	return 0;
}

int db_dpc_timeline(sqlite3 *db, const struct db_etw_filter *f, uint32_t n,
		    struct db_dpc_timeline *out, char *err, size_t errlen)
{
	struct db_etw_run run;
	struct agg_window w;
	struct agg_pass pass;
	struct tl_ctx c;
	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	if (n == 0 || n > DB_TIMELINE_MAX) {
		snprintf(err, errlen, "timeline needs 1..%d buckets", DB_TIMELINE_MAX);
		return -1;
	}
	int rc = agg_run_window(db, f, &run, &w, err, errlen);
	if (rc)
		return rc;
	uint32_t kinds = f->kind_mask ? f->kind_mask & DB_KIND_ALL : DB_KIND_ALL;
	int fast = !f->cpus && !f->modules &&
		   (kinds == DB_KIND_ALL || kinds == DB_KIND_DPCS || kinds == DB_KIND_ISRS);
	int64_t recs[AGG_LEVELS], recs2[AGG_LEVELS];
	agg_level_recs(db, f->run_id, fast ? AGG_DPC_BUSY_CPU : AGG_DPC_BUSY, recs);
	if (fast) {
		agg_level_recs(db, f->run_id, AGG_DPC_BUSY_MOD, recs2);
		for (int l = 0; l < AGG_LEVELS; l++)
			recs[l] += recs2[l];
	}
	agg_level_recs(db, f->run_id, AGG_DPC, recs2);
	recs[0] = recs2[0]; /* level 0 is read from AGG_DPC */
	agg_spread_init(&c.sp, &w, &run, f, n, recs);
	c.out = out;
	c.nmod1 = run.n_modules + 1;
	out->n = n;
	out->from_ns = c.sp.from_ns;
	out->bucket_ns = c.sp.bucket_ns;
	out->slice_ns = agg_width_ms(c.sp.level) * AGG_MS;
	out->ncpus = run.ncpus;
	size_t cells = (size_t)run.ncpus * n;
	out->cpu_dpc_ns = calloc(cells ? cells : 1, sizeof(double));
	out->cpu_isr_ns = calloc(cells ? cells : 1, sizeof(double));
	c.mod_rows = calloc((size_t)c.nmod1 * n, sizeof(double));
	c.s_dpc = calloc(run.ncpus + 1, sizeof(double));
	c.s_isr = calloc(run.ncpus + 1, sizeof(double));
	c.s_mod = calloc(c.nmod1, sizeof(double));
	if (!out->cpu_dpc_ns || !out->cpu_isr_ns || !c.mod_rows || !c.s_dpc || !c.s_isr ||
	    !c.s_mod || agg_pass_from_filter(f, f->kind_mask ? f->kind_mask : DB_KIND_ALL, &pass)) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	if (c.sp.level == 0) { /* no busy projections at level 0: the full records */
		c.mode = AGG_DPC;
		if (c.sp.hi >= c.sp.lo)
			rc = agg_read_level(db, f->run_id, AGG_DPC, 0, c.sp.lo, c.sp.hi, &pass,
					    on_slice, tl_visit, &c, err, errlen);
	} else if (fast) { /* stored kind = class: bit 0 DPC kinds, bit 1 ISR kinds */
		pass.kind_mask = (kinds & DB_KIND_DPCS ? 1u : 0) | (kinds & DB_KIND_ISRS ? 2u : 0);
		c.mode = AGG_DPC_BUSY_CPU;
		if (c.sp.hi >= c.sp.lo)
			rc = agg_read_level(db, f->run_id, AGG_DPC_BUSY_CPU, c.sp.level, c.sp.lo,
					    c.sp.hi, &pass, on_slice, tl_visit, &c, err, errlen);
		flush_slice(&c);
		c.mode = AGG_DPC_BUSY_MOD;
		if (rc == 0 && c.sp.hi >= c.sp.lo)
			rc = agg_read_level(db, f->run_id, AGG_DPC_BUSY_MOD, c.sp.level, c.sp.lo,
					    c.sp.hi, &pass, on_slice, tl_visit, &c, err, errlen);
	} else {
		c.mode = AGG_DPC_BUSY;
		if (c.sp.hi >= c.sp.lo)
			rc = agg_read_level(db, f->run_id, AGG_DPC_BUSY, c.sp.level, c.sp.lo,
					    c.sp.hi, &pass, on_slice, tl_visit, &c, err, errlen);
	}
	agg_pass_clear(&pass);
	if (rc)
		goto done;
	flush_slice(&c);
	/* keep modules with any busy time, ascending id, packed to the front */
	out->module_ids = malloc(sizeof(int32_t) * c.nmod1);
	if (!out->module_ids) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	for (uint32_t m = 0; m < c.nmod1; m++) {
		double sum = 0;
		for (uint32_t i = 0; i < n; i++)
			sum += c.mod_rows[(size_t)m * n + i];
		if (sum <= 0)
			continue;
		if (m != out->nmodules)
			memcpy(c.mod_rows + out->nmodules * n, c.mod_rows + (size_t)m * n,
			       sizeof(double) * n);
		out->module_ids[out->nmodules++] = (int32_t)m - 1;
	}
	out->module_ns = c.mod_rows;
	c.mod_rows = NULL;
done:
	free(c.mod_rows);
	free(c.s_dpc);
	free(c.s_isr);
	free(c.s_mod);
	if (rc)
		db_dpc_timeline_clear(out);
	return rc;
}

void db_dpc_timeline_clear(struct db_dpc_timeline *t)
{
	free(t->cpu_dpc_ns);
	free(t->cpu_isr_ns);
	free(t->module_ids);
	free(t->module_ns);
	memset(t, 0, sizeof *t);
}
