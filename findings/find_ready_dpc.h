/* find_ready_dpc.h — ready time behind DPCs/ISRs per thread, from the per-slice facts
 * (find_ready_dpc.c). Internal to findings/. */
#ifndef ETLSCOPE_FIND_READY_DPC_H
#define ETLSCOPE_FIND_READY_DPC_H

#include <stdint.h>
#include <string.h>
#include "db_etw.h"

#define FIND_READY_DPC_CPUS 8
struct find_ready_dpc {
	uint64_t ns;                          /* 0: none, or a run stored without the facts */
	struct db_cpu_set cpus;
	int cpu[FIND_READY_DPC_CPUS];         /* the CPUs with the most of it, most first */
	uint64_t cpu_ns[FIND_READY_DPC_CPUS];
	unsigned ncpus;
	int64_t first_slice, last_slice;      /* 100 ms slices it fell in */
};

struct find_ctx;
/* Thread tid of pid: 0, or -1 with c->err set. */
int find_ready_dpc_load(struct find_ctx *c, int64_t tid, int64_t pid, struct find_ready_dpc *out);
/* The slices' span in seconds from the trace start, clipped to the trace. */
void find_ready_dpc_window(const struct find_ctx *c, const struct find_ready_dpc *r,
			   double *from_s, double *to_s);

#endif
