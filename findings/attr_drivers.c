/* attr_drivers.c — per-module attribution of one ETW run over a window: the module list
 * classified by the KB, DPC and ISR time (db_dpc_modules), exclusive and inclusive sampled
 * CPU (db_cpu_samples; Idle-process samples are counted apart, never as a module's time),
 * the "outside any loaded module" row, and roll-ups by vendor and by category. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attr.h"

struct build {
	struct attr_result *r;
	size_t cap;
	int oom;
};

static struct attr_row *grow(struct build *b)
{
	if (b->r->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct attr_row *v = realloc(b->r->rows, cap * sizeof *v);
		if (!v)
			return NULL;
		b->r->rows = v;
		b->cap = cap;
	}
	struct attr_row *row = &b->r->rows[b->r->n++];
	memset(row, 0, sizeof *row);
	return row;
}

static int add_module(void *ud, const struct db_etw_module *m)
{
	struct build *b = ud;
	struct attr_row *row = grow(b);
	if (!row || !(row->name = strdup(m->name)) || !(row->path = strdup(m->path))) {
		if (row)
			free(row->name);
		if (row)
			b->r->n--;
		b->oom = 1;
		return 1;
	}
	row->module_id = m->id;
	attr_classify(m->name, m->path, m->base, &row->cls);
	return 0;
}

const struct attr_row *attr_find(const struct attr_result *r, int32_t module_id)
{
	if (module_id >= 0 && (size_t)module_id < r->n && r->rows[module_id].module_id == module_id)
		return &r->rows[module_id]; /* ids are dense and listed in order */
	for (size_t i = 0; i < r->n; i++)
		if (r->rows[i].module_id == module_id)
			return &r->rows[i];
	return NULL;
}

static struct attr_row *row_for(struct build *b, int32_t id)
{
	struct attr_row *row = (struct attr_row *)attr_find(b->r, id);
	if (row || id >= 0)
		return row;
	if (!(row = grow(b)))
		return NULL;
	row->module_id = -1;
	row->name = strdup("(outside any loaded module)");
	row->path = strdup("");
	row->cls.category = ATTR_CAT_HIDDEN;
	row->cls.kernel = 1;
	return row->name && row->path ? row : NULL;
}

static void add_time(struct attr_time *t, const struct db_dpc_module_row *m)
{
	t->count += m->s.count;
	t->total_ns += m->s.total_ns;
	if (m->s.max_ns > t->max_ns)
		t->max_ns = m->s.max_ns;
	t->above_count += m->s.above_count;
	for (size_t w = 0; w < DB_MAX_CPUS / 64; w++)
		t->cpus.w[w] |= m->cpus.w[w];
}

static int add_dpc(struct build *b, sqlite3 *db, const struct db_etw_filter *f, char *err,
		   size_t errlen)
{
	struct db_dpc_modules dm = {0};
	int rc = db_dpc_modules(db, f, &dm, err, errlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < dm.n; i++) {
		const struct db_dpc_module_row *m = &dm.rows[i];
		struct attr_row *row = row_for(b, m->module_id);
		if (!row) {
			if (m->module_id >= 0)
				continue; /* an id missing from the module list: not expected */
			db_dpc_modules_clear(&dm);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		int isr = (1u << m->kind) & DB_KIND_ISRS;
		add_time(isr ? &row->isr : &row->dpc, m);
		if (isr)
			b->r->isr_ns += m->s.total_ns;
		else
			b->r->dpc_ns += m->s.total_ns;
	}
	db_dpc_modules_clear(&dm);
	return 0;
}

static int add_samples(struct build *b, sqlite3 *db, const struct db_etw_filter *f, char *err,
		       size_t errlen)
{
	struct db_cpu_samples cs = {0};
	int rc = db_cpu_samples(db, f, &cs, err, errlen);
	if (rc)
		return rc;
	b->r->samples = cs.total;
	b->r->idle = cs.idle;
	b->r->in_dpc = cs.in_dpc;
	b->r->in_isr = cs.in_isr;
	b->r->unknown_kernel = cs.unknown_kernel;
	for (size_t i = 0; i < cs.n; i++) {
		struct attr_row *row = row_for(b, cs.rows[i].module_id);
		if (!row && cs.rows[i].module_id < 0) {
			db_cpu_samples_clear(&cs);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (row) {
			row->excl += cs.rows[i].exclusive;
			row->incl += cs.rows[i].inclusive;
		}
	}
	db_cpu_samples_clear(&cs);
	return 0;
}

static uint64_t weight(const struct attr_rollup *u)
{
	return u->dpc_ns + u->isr_ns + u->excl;
}

static int rollup_cmp(const void *a, const void *b)
{
	const struct attr_rollup *x = a, *y = b;
	if (weight(x) != weight(y))
		return weight(x) > weight(y) ? -1 : 1;
	if (x->incl_max != y->incl_max)
		return x->incl_max > y->incl_max ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int rollup(struct attr_rollup **out, size_t *n, const struct attr_result *r, int by_vendor)
{
	struct attr_rollup *v = calloc(r->n ? r->n : 1, sizeof *v);
	if (!v)
		return -1;
	*n = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct attr_row *row = &r->rows[i];
		/* vendors are drivers' makers: user images and the unresolved row (JIT code as
		 * well as any hidden driver; shown on their own) are nobody's */
		if (by_vendor && (row->module_id < 0 ||
				  (row->cls.category && strcmp(row->cls.category, ATTR_CAT_USER) == 0)))
			continue;
		char key[256];
		if (by_vendor)
			snprintf(key, sizeof key, "%s",
				 row->cls.vendor[0] ? row->cls.vendor : attr_category_label(row->cls.category));
		else
			snprintf(key, sizeof key, "%s", row->cls.category);
		size_t k = 0;
		while (k < *n && strcmp(v[k].key, key) != 0)
			k++;
		if (k == *n) {
			memcpy(v[k].key, key, sizeof key);
			v[k].category = row->cls.category;
			(*n)++;
		}
		v[k].modules++;
		v[k].dpc_ns += row->dpc.total_ns;
		v[k].isr_ns += row->isr.total_ns;
		v[k].dpc_count += row->dpc.count;
		v[k].isr_count += row->isr.count;
		/* the unresolved row's category is kernel code outside modules: its user-space
		 * samples (JIT code) are not part of it */
		uint64_t excl = row->module_id < 0 && r->unknown_kernel < row->excl ? r->unknown_kernel
										     : row->excl;
		v[k].excl += excl;
		uint64_t incl = row->module_id < 0 ? excl : row->incl;
		if (incl > v[k].incl_max)
			v[k].incl_max = incl;
	}
	qsort(v, *n, sizeof *v, rollup_cmp);
	*out = v;
	return 0;
}

int attr_run(sqlite3 *db, const struct db_etw_filter *f, struct attr_result *out, char *err,
	     size_t errlen)
{
	struct db_etw_run info;
	struct build b = {out, 0, 0};
	memset(out, 0, sizeof *out);
	int rc = db_etw_run_info(db, f->run_id, &info, err, errlen);
	if (rc)
		return rc;
	out->ncpus = info.ncpus;
	int64_t from = f->from_ns < 0 ? 0 : f->from_ns;
	int64_t to = f->to_ns > info.t_max_ns ? info.t_max_ns : f->to_ns;
	out->window_ns = to > from ? to - from : 0;
	/* Module list and classification first, then the time figures; only the module
	 * filter of f is ignored (attribution covers every module). */
	struct db_etw_filter all = *f;
	all.modules = NULL;
	all.nmodules = 0;
	all.kind_mask = 0;
	if ((rc = db_etw_modules(db, f->run_id, add_module, &b, err, errlen)) != 0 || b.oom) {
		if (b.oom)
			snprintf(err, errlen, "out of memory");
		attr_result_clear(out);
		return rc ? rc : -1;
	}
	if ((rc = add_dpc(&b, db, &all, err, errlen)) != 0 ||
	    (rc = add_samples(&b, db, &all, err, errlen)) != 0) {
		attr_result_clear(out);
		return rc;
	}
	if (rollup(&out->vendors, &out->nvendors, out, 1) ||
	    rollup(&out->categories, &out->ncategories, out, 0)) {
		snprintf(err, errlen, "out of memory");
		attr_result_clear(out);
		return -1;
	}
	return 0;
}

void attr_result_clear(struct attr_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->rows[i].name);
		free(r->rows[i].path);
	}
	free(r->rows);
	free(r->vendors);
	free(r->categories);
	memset(r, 0, sizeof *r);
}
