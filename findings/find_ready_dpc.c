/* find_ready_dpc.c — the per-slice tie of thread-ready-behind-dpc (find_rules_sched.c):
 * from the per-slice facts (ingest/etl/etl_slicefacts.h, SCHED key READY_DPC; read with
 * db_facts_scan), how much of a thread's ready time passed while DPCs or ISRs ran on the
 * CPU it then ran on, on which CPUs, and over which 100 ms slices — exact sums, not a
 * whole-trace inference. */
#include <stdio.h>
#include <stdlib.h>
#include "db_facts.h"
#include "find.h"
#include "find_ready_dpc.h"
#include "sink.h"

/* Per CPU: the thread's ready-behind-DPC ns and the slices they fell in. */
struct per_cpu {
	int64_t tid, pid;
	uint64_t ns[DB_MAX_CPUS];
	int64_t lo[DB_MAX_CPUS], hi[DB_MAX_CPUS];
};

static int on_fact(void *ud, int64_t slice, unsigned cpu, const struct db_factblob_entry *e)
{
	struct per_cpu *p = ud;
	if (e->key != 3 /* SINK_FACT_READY_DPC */ || e->tid != p->tid || e->pid != p->pid ||
	    cpu >= DB_MAX_CPUS || !e->v[2])
		return 0;
	if (!p->ns[cpu] || slice < p->lo[cpu])
		p->lo[cpu] = slice;
	if (!p->ns[cpu] || slice > p->hi[cpu])
		p->hi[cpu] = slice;
	p->ns[cpu] += e->v[2];
	return 0;
}

int find_ready_dpc_load(struct find_ctx *c, int64_t tid, int64_t pid, struct find_ready_dpc *out)
{
	memset(out, 0, sizeof *out);
	struct per_cpu *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(c->err, c->errlen, "findings: out of memory");
		return -1;
	}
	p->tid = tid;
	p->pid = pid;
	char err[256];
	if (db_facts_scan(c->db, c->run_id, SINK_FACT_SCHED, 0, INT64_MAX, NULL, on_fact, p, err,
			  sizeof err)) {
		snprintf(c->err, c->errlen, "findings: %s", err);
		free(p);
		return -1;
	}
	out->first_slice = INT64_MAX;
	for (unsigned cpu = 0; cpu < DB_MAX_CPUS; cpu++) {
		if (!p->ns[cpu])
			continue;
		out->ns += p->ns[cpu];
		db_cpu_set_add(&out->cpus, cpu);
		if (p->lo[cpu] < out->first_slice)
			out->first_slice = p->lo[cpu];
		if (p->hi[cpu] > out->last_slice)
			out->last_slice = p->hi[cpu];
	}
	/* the CPUs with the most, most first (ties: lower CPU first) */
	while (out->ncpus < FIND_READY_DPC_CPUS) {
		unsigned best = DB_MAX_CPUS;
		for (unsigned cpu = 0; cpu < DB_MAX_CPUS; cpu++)
			if (p->ns[cpu] && (best == DB_MAX_CPUS || p->ns[cpu] > p->ns[best]))
				best = cpu;
		if (best == DB_MAX_CPUS)
			break;
		out->cpu[out->ncpus] = (int)best;
		out->cpu_ns[out->ncpus++] = p->ns[best];
		p->ns[best] = 0;
	}
	free(p);
	return 0;
}

void find_ready_dpc_window(const struct find_ctx *c, const struct find_ready_dpc *r,
			   double *from_s, double *to_s)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(c->summary, "duration_us");
	double dur = cJSON_IsNumber(d) && d->valuedouble > 0 ? d->valuedouble / 1e6 : 0;
	*from_s = (double)r->first_slice * SINK_FACT_SLICE_NS / 1e9;
	*to_s = (double)(r->last_slice + 1) * SINK_FACT_SLICE_NS / 1e9;
	if (dur > 0 && *to_s > dur)
		*to_s = dur;
	if (*from_s > *to_s)
		*from_s = *to_s;
}
