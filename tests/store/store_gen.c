/* store_gen.c — seeded synthetic DPC/ISR events and CPU samples (heavy-tailed durations,
 * exact guideline and edge values mixed in), an out-of-order copy, and brute-force
 * answers for the store tests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "store_gen.h"

uint64_t gen_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint32_t gen_edge_ns(int i)
{
	static const uint32_t r10_hundredths[10] = {100, 125, 160, 200, 250, 320, 400, 500, 630, 800};
	uint32_t v = r10_hundredths[i % 10] * 10; /* ns in the first decade (1 µs = 1000 ns) */
	for (int d = 0; d < i / 10; d++)
		v *= 10;
	return v;
}

int gen_bucket(uint64_t d)
{
	int b = 0;
	for (int i = 0; i < GEN_NEDGES; i++)
		b += gen_edge_ns(i) < d;
	return b;
}

uint32_t gen_guideline_ns(int kind)
{
	return kind == SINK_ISR || kind == SINK_ISR_MSI ? 25000 : 100000;
}

static double unit(uint64_t *s)
{
	return ((gen_rand(s) >> 11) + 1) * (1.0 / 9007199254740993.0); /* (0, 1] */
}

static uint32_t duration(uint64_t *s)
{
	uint64_t r = gen_rand(s) % 1000;
	if (r < 10)
		return 25000;
	if (r < 20)
		return 100000;
	if (r < 30)
		return gen_edge_ns((int)(gen_rand(s) % GEN_NEDGES));
	if (r < 35)
		return gen_edge_ns((int)(gen_rand(s) % GEN_NEDGES)) + 1;
	double d = 2000.0 / pow(unit(s), 1.05);
	return d > 4e9 ? 4000000000u : (uint32_t)d;
}

void gen_make(struct gen_data *g, size_t ndpc, size_t nsmp, int64_t span_ms, uint64_t seed)
{
	uint64_t s = seed | 1;
	memset(g, 0, sizeof *g);
	g->dpc = calloc(ndpc ? ndpc : 1, sizeof *g->dpc);
	g->smp = calloc(nsmp ? nsmp : 1, sizeof *g->smp);
	g->ndpc = ndpc;
	g->nsmp = nsmp;
	int64_t span = span_ms * 1000000;
	double step = (double)span / (double)(ndpc ? ndpc : 1);
	for (size_t i = 0; i < ndpc; i++) {
		struct gen_dpc *e = &g->dpc[i];
		e->t_ns = (int64_t)(step * (double)i) + (int64_t)(gen_rand(&s) % (uint64_t)step);
		if (i < 5)
			e->t_ns = -(int64_t)(gen_rand(&s) % 5000); /* before the trace start: ms 0 */
		e->duration_ns = duration(&s);
		e->cpu = (uint16_t)(gen_rand(&s) % GEN_CPUS);
		uint64_t k = gen_rand(&s) % 100;
		e->kind = k < 60 ? SINK_DPC : k < 70 ? SINK_THREADED_DPC : k < 80 ? SINK_TIMER_DPC
			: k < 92 ? SINK_ISR : SINK_ISR_MSI;
		/* skewed module popularity, a few unresolved */
		double u = unit(&s);
		e->module_id = u < 0.03 ? -1 : (int32_t)(GEN_MODULES * u * u) % GEN_MODULES;
		e->routine = 0xfffff80000000000ull + (uint64_t)e->module_id * 0x10000 + gen_rand(&s) % 64;
	}
	/* keep time order for the "ordered" feed (the few negative ones come first) */
	for (size_t i = 1; i < ndpc; i++)
		if (g->dpc[i].t_ns < g->dpc[i - 1].t_ns) {
			struct gen_dpc t = g->dpc[i];
			size_t j = i;
			while (j > 0 && g->dpc[j - 1].t_ns > t.t_ns) {
				g->dpc[j] = g->dpc[j - 1];
				j--;
			}
			g->dpc[j] = t;
		}
	double sstep = (double)span / (double)(nsmp ? nsmp : 1);
	for (size_t i = 0; i < nsmp; i++) {
		struct gen_sample *p = &g->smp[i];
		p->t_ns = (int64_t)(sstep * (double)i);
		p->cpu = (uint16_t)(gen_rand(&s) % GEN_CPUS);
		p->pid = gen_rand(&s) % 10 < 3 ? 0 : 4 + (uint32_t)(gen_rand(&s) % 50);
		p->module_id = (int32_t)(gen_rand(&s) % (GEN_MODULES + 1)) - 1;
		p->nstack = (uint32_t)(gen_rand(&s) % (GEN_MAX_STACK + 1));
		for (uint32_t j = 0; j < p->nstack; j++) /* duplicates and the IP's module too */
			p->stack[j] = (int32_t)(gen_rand(&s) % (GEN_MODULES + 1)) - 1;
		p->in_dpcisr = (uint8_t)(gen_rand(&s) % 8 == 0 ? 1 + gen_rand(&s) % 2 : 0);
	}
}

struct keyed {
	int64_t key;
	size_t i;
};
static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key ? 1 : (x->i < y->i ? -1 : x->i > y->i);
}

static int64_t delay(uint64_t *s)
{
	uint64_t r = gen_rand(s) % 10000;
	if (r < 5)
		return 1000000000000LL; /* delivered after everything else */
	if (r < 40)
		return 50000000 + (int64_t)(gen_rand(s) % 2000000000); /* 50 ms .. 2 s late */
	return (int64_t)(gen_rand(s) % 5000000); /* jitter inside 5 ms */
}

void gen_shuffle(const struct gen_data *in, struct gen_data *out, uint64_t seed)
{
	uint64_t s = seed | 1;
	size_t n = in->ndpc > in->nsmp ? in->ndpc : in->nsmp;
	struct keyed *k = malloc(sizeof *k * (n ? n : 1));
	memset(out, 0, sizeof *out);
	out->ndpc = in->ndpc;
	out->nsmp = in->nsmp;
	out->dpc = malloc(sizeof *out->dpc * (in->ndpc ? in->ndpc : 1));
	out->smp = malloc(sizeof *out->smp * (in->nsmp ? in->nsmp : 1));
	for (size_t i = 0; i < in->ndpc; i++)
		k[i] = (struct keyed){in->dpc[i].t_ns + delay(&s), i};
	qsort(k, in->ndpc, sizeof *k, cmp_keyed);
	for (size_t i = 0; i < in->ndpc; i++)
		out->dpc[i] = in->dpc[k[i].i];
	for (size_t i = 0; i < in->nsmp; i++)
		k[i] = (struct keyed){in->smp[i].t_ns + delay(&s), i};
	qsort(k, in->nsmp, sizeof *k, cmp_keyed);
	for (size_t i = 0; i < in->nsmp; i++)
		out->smp[i] = in->smp[k[i].i];
	free(k);
}

void gen_free(struct gen_data *g)
{
	free(g->dpc);
	free(g->smp);
	memset(g, 0, sizeof *g);
}

static int in_window(const struct db_etw_filter *f, int64_t t)
{
	int64_t ms = (t < 0 ? 0 : t) / 1000000;
	int64_t from = f->from_ns <= 0 ? 0 : f->from_ns / 1000000;
	if (ms < from)
		return 0;
	if (f->to_ns == INT64_MAX)
		return 1;
	int64_t to = f->to_ns <= 0 ? 0 : f->to_ns / 1000000 + (f->to_ns % 1000000 != 0);
	return ms < to;
}

static int module_in(const struct db_etw_filter *f, int32_t m)
{
	if (!f->modules)
		return 1;
	for (size_t i = 0; i < f->nmodules; i++)
		if (f->modules[i] == m)
			return 1;
	return 0;
}

int gen_dpc_matches(const struct db_etw_filter *f, const struct gen_dpc *e)
{
	uint32_t kinds = f->kind_mask ? f->kind_mask : DB_KIND_ALL;
	return in_window(f, e->t_ns) && (kinds >> e->kind & 1) &&
	       (!f->cpus || db_cpu_set_has(f->cpus, e->cpu)) && module_in(f, e->module_id);
}

static void add(struct db_dpc_stats *s, const struct gen_dpc *e)
{
	s->count++;
	s->total_ns += e->duration_ns;
	if (e->duration_ns > s->max_ns)
		s->max_ns = e->duration_ns;
	if (e->duration_ns > gen_guideline_ns(e->kind)) {
		s->above_count++;
		s->above_total_ns += e->duration_ns;
	}
	s->buckets[gen_bucket(e->duration_ns)]++;
}

void gen_histogram(const struct gen_data *g, const struct db_etw_filter *f,
		   struct db_dpc_histogram *h)
{
	memset(h, 0, sizeof *h);
	for (size_t i = 0; i < g->ndpc; i++)
		if (gen_dpc_matches(f, &g->dpc[i]))
			add(&h->kind[g->dpc[i].kind], &g->dpc[i]);
}

void gen_modules(const struct gen_data *g, const struct db_etw_filter *f,
		 struct db_dpc_stats *rows, struct db_cpu_set *cpus)
{
	size_t n = (GEN_MODULES + 1) * SINK_DPCISR_KINDS;
	memset(rows, 0, sizeof *rows * n);
	memset(cpus, 0, sizeof *cpus * n);
	for (size_t i = 0; i < g->ndpc; i++) {
		const struct gen_dpc *e = &g->dpc[i];
		if (!gen_dpc_matches(f, e))
			continue;
		size_t slot = (size_t)(e->module_id + 1) * SINK_DPCISR_KINDS + e->kind;
		add(&rows[slot], e);
		db_cpu_set_add(&cpus[slot], e->cpu);
	}
}

void gen_cpu(const struct gen_data *g, const struct db_etw_filter *f, uint64_t *excl,
	     uint64_t *incl, uint64_t totals[4])
{
	memset(excl, 0, sizeof *excl * (GEN_MODULES + 1));
	memset(incl, 0, sizeof *incl * (GEN_MODULES + 1));
	memset(totals, 0, sizeof *totals * 4);
	for (size_t i = 0; i < g->nsmp; i++) {
		const struct gen_sample *p = &g->smp[i];
		if (!in_window(f, p->t_ns) || (f->cpus && !db_cpu_set_has(f->cpus, p->cpu)))
			continue;
		totals[0]++;
		/* Idle: the Idle process's thread outside any DPC/ISR; a DPC/ISR that
		 * interrupted it is its module's time (the rule stated in ingest/sink.h) */
		int idle = p->pid == 0 && !p->in_dpcisr;
		totals[1] += idle;
		totals[2] += p->in_dpcisr == 1;
		totals[3] += p->in_dpcisr == 2;
		if (idle)
			continue;
		int seen[GEN_MODULES + 1] = {0};
		if (module_in(f, p->module_id))
			excl[p->module_id + 1]++;
		seen[p->module_id + 1] = 1;
		for (uint32_t j = 0; j < p->nstack; j++)
			seen[p->stack[j] + 1] = 1;
		for (int m = 0; m <= GEN_MODULES; m++)
			if (seen[m] && module_in(f, m - 1))
				incl[m]++;
	}
}
