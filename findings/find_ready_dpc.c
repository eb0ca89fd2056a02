/* find_ready_dpc.c — the per-slice tie of thread-ready-behind-dpc (find_rules_sched.c):
 * from the per-slice facts (ingest/etl/etl_slicefacts.h, SCHED key READY_DPC), how much of
 * a thread's ready time passed while DPCs or ISRs ran on the CPU it then ran on, on which
 * CPUs, and over which 100 ms slices — exact sums, not a whole-trace inference. */
#include <stdio.h>
#include "find.h"
#include "find_ready_dpc.h"
#include "sink.h"

int find_ready_dpc_load(struct find_ctx *c, int64_t tid, int64_t pid, struct find_ready_dpc *out)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(c->db, "SELECT cpu, SUM(ns), MIN(slice), MAX(slice) FROM etw_slice_facts"
			       " WHERE run_id = ? AND domain = ? AND key = ? AND tid = ? AND pid = ?"
			       " GROUP BY cpu ORDER BY SUM(ns) DESC, cpu", -1, &st, NULL) != SQLITE_OK) {
		snprintf(c->err, c->errlen, "findings: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, c->run_id);
	sqlite3_bind_int(st, 2, SINK_FACT_SCHED);
	sqlite3_bind_int(st, 3, 3); /* SINK_FACT_READY_DPC */
	sqlite3_bind_int64(st, 4, tid);
	sqlite3_bind_int64(st, 5, pid);
	int rc;
	out->first_slice = INT64_MAX;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int cpu = sqlite3_column_int(st, 0);
		uint64_t ns = (uint64_t)sqlite3_column_int64(st, 1);
		int64_t lo = sqlite3_column_int64(st, 2), hi = sqlite3_column_int64(st, 3);
		if (!ns)
			continue;
		out->ns += ns;
		if (cpu >= 0 && cpu < DB_MAX_CPUS)
			db_cpu_set_add(&out->cpus, (unsigned)cpu);
		if (out->ncpus < FIND_READY_DPC_CPUS)
			out->cpu[out->ncpus] = cpu, out->cpu_ns[out->ncpus++] = ns;
		if (lo < out->first_slice)
			out->first_slice = lo;
		if (hi > out->last_slice)
			out->last_slice = hi;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(c->err, c->errlen, "findings: %s", sqlite3_errmsg(c->db));
		return -1;
	}
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
