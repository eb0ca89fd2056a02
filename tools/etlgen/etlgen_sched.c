/* etlgen_sched.c — the scheduling stories of a scenario (etlgen.h struct etlgen_syscalls,
 * struct etlgen_readywait): Thread rundown, CSwitch, ReadyThread, SysClEnter/SysClExit,
 * DPCs and samples inside syscalls, written with their exact expected aggregates. Layouts
 * as ingest/etl/README.md "Scheduling and syscalls" documents them. */
#include <stdio.h>
#include <string.h>
#include "etlgen.h"
#include "ingest/etl/etl_le.h"

#define WAITING 5 /* KTHREAD_STATE Waiting */

struct sw {
	struct etlgen_gen *g;
	const struct etlgen_scenario *s;
	struct etlgen_expect *exp;
	unsigned P;
};

static uint64_t ns_of(const struct etlgen_scenario *s, uint64_t ticks)
{
	return ticks * 1000000000ull / s->qpc_frequency;
}

int etlgen_thread_rundown(struct etlgen_gen *g, const struct etlgen_scenario *s, unsigned cpu,
			  uint32_t tid, uint64_t ts)
{
	return etlgen_thread_dcstart(g, s, cpu, s->process_pid ? s->process_pid : ETLGEN_PROCESS_PID,
				     tid, ts);
}

int etlgen_thread_dcstart(struct etlgen_gen *g, const struct etlgen_scenario *s, unsigned cpu,
			  uint32_t pid, uint32_t tid, uint64_t ts)
{
	uint8_t *p = etlgen_event(g, cpu, 16 + 8 + 7 * s->pointer_size + 8, 5, 3, ts);
	if (!p)
		return -1;
	etl_put16(p, 3); /* Thread v3: ProcessId, ThreadId first */
	etl_put32(p + 16, pid);
	etl_put32(p + 20, tid);
	return 0;
}

int etlgen_cswitch(struct etlgen_gen *g, unsigned cpu, uint64_t ts, uint32_t new_tid,
		   uint32_t old_tid, uint8_t old_state, uint8_t reason)
{
	uint8_t *p = etlgen_event(g, cpu, 16 + 24, 5, 36, ts);
	if (!p)
		return -1;
	etl_put32(p + 16, new_tid);
	etl_put32(p + 20, old_tid);
	p[16 + 12] = reason;
	p[16 + 14] = old_state;
	return 0;
}

static int cswitch(struct sw *w, unsigned cpu, uint64_t ts, uint32_t new_tid, uint32_t old_tid,
		   uint8_t old_state, uint8_t reason)
{
	return etlgen_cswitch(w->g, cpu, ts, new_tid, old_tid, old_state, reason);
}

static int syscalls(struct sw *w, uint64_t t, uint64_t *end)
{
	const struct etlgen_syscalls *c = &w->s->syscalls;
	const struct etlgen_module *m = &w->s->modules[c->module];
	uint64_t addr = m->base + c->offset;
	unsigned P = w->P;
	if (etlgen_thread_rundown(w->g, w->s, c->cpu, c->tid, t) ||
	    cswitch(w, c->cpu, t + 1, c->tid, 0, WAITING, 0))
		return -1;
	t += 2;
	for (unsigned i = 0; i < c->count; i++) {
		uint8_t *p = etlgen_event(w->g, c->cpu, 16 + P, 15, 51, t);
		if (!p)
			return -1;
		etl_putptr(p + 16, addr, P);
		if (c->sample_every && i % c->sample_every == 0) {
			uint64_t ts = t + c->duration_ticks / 2;
			if (!(p = etlgen_event(w->g, c->cpu, 16 + P + 8, 15, 46, ts)))
				return -1;
			etl_putptr(p + 16, addr, P);
			etl_put32(p + 16 + P, c->tid);
			etl_put16(p + 20 + P, 1);
			size_t size = 16 + 16 + (1 + m->n_stack) * P;
			if (!(p = etlgen_event(w->g, c->cpu, size, 24, 32, ts)))
				return -1;
			etl_put64(p + 16, ts);
			etl_put32(p + 24, w->s->process_pid ? w->s->process_pid : ETLGEN_PROCESS_PID);
			etl_put32(p + 28, c->tid);
			etl_putptr(p + 32, addr, P);
			for (size_t k = 0; k < m->n_stack; k++)
				etl_putptr(p + 32 + (k + 1) * P, w->s->modules[m->stack[k]].base, P);
			if (w->exp)
				w->exp->syscall_samples++;
		}
		t += c->duration_ticks;
		if (!(p = etlgen_event(w->g, c->cpu, 16 + 8, 15, 52, t)))
			return -1;
		if (w->exp) {
			uint64_t d = ns_of(w->s, c->duration_ticks);
			w->exp->syscalls++;
			w->exp->syscall_total_ns += d;
			if (d > w->exp->syscall_max_ns)
				w->exp->syscall_max_ns = d;
		}
		t += c->gap_ticks;
	}
	*end = t;
	return 0;
}

static int dpc(struct sw *w, unsigned cpu, size_t mi, uint64_t start, uint64_t end)
{
	const struct etlgen_module *m = &w->s->modules[mi];
	uint8_t *p = etlgen_event(w->g, cpu, 16 + 8 + w->P, 15, 68, end);
	if (!p)
		return -1;
	etl_put64(p + 16, start);
	etl_putptr(p + 24, m->base + 0x40, w->P);
	if (w->exp) {
		uint64_t d = ns_of(w->s, end - start);
		struct etlgen_agg *a[2] = {&w->exp->modules[mi].kind[ETLGEN_DPC],
					   &w->exp->kind[ETLGEN_DPC]};
		for (int k = 0; k < 2; k++) {
			a[k]->count++;
			a[k]->total_ns += d;
			if (d > a[k]->max_ns)
				a[k]->max_ns = d;
		}
		w->exp->cpu_dpcisr[cpu]++;
	}
	return 0;
}

static int readywait(struct sw *w, uint64_t t, uint64_t *end)
{
	const struct etlgen_readywait *c = &w->s->readywait;
	if (etlgen_thread_rundown(w->g, w->s, c->cpu, c->tid, t) ||
	    cswitch(w, c->cpu, t + 1, c->tid, 0, WAITING, 0))
		return -1;
	t += 1;
	for (unsigned i = 0; i <= c->count; i++) {
		t += c->run_ticks;
		if (cswitch(w, c->cpu, t, 0, c->tid, WAITING, c->wait_reason))
			return -1;
		if (i == c->count)
			break;
		t += c->wait_ticks;
		/* the DPC runs from t; ReadyThread (flag 0x1: from a DPC) is logged inside it */
		uint8_t *p = etlgen_event(w->g, c->cpu, 16 + 8, 5, 50, t + 1);
		if (!p)
			return -1;
		etl_put32(p + 16, c->tid);
		p[16 + 6] = 0x1;
		if (dpc(w, c->cpu, c->dpc_module, t, t + c->ready_ticks - 1))
			return -1;
		t += c->ready_ticks;
		if (cswitch(w, c->cpu, t, c->tid, 0, WAITING, 0))
			return -1;
	}
	if (w->exp) {
		w->exp->rw_switches = c->count + 1ull;
		w->exp->rw_running_ns = (c->count + 1ull) * ns_of(w->s, c->run_ticks);
		w->exp->rw_waiting_ns = c->count * ns_of(w->s, c->wait_ticks + 1);
		w->exp->rw_ready_ns = c->count * ns_of(w->s, c->ready_ticks - 1);
		w->exp->rw_readied_from_dpc = c->count;
	}
	*end = t;
	return 0;
}

int etlgen_sched_write(struct etlgen_gen *g, const struct etlgen_scenario *s,
		       struct etlgen_expect *exp, uint64_t start, uint64_t *end)
{
	struct sw w = {g, s, exp, s->pointer_size};
	uint64_t t = start;
	if (s->syscalls.count && syscalls(&w, t, &t))
		return -1;
	if (s->readywait.count && readywait(&w, t + 1, &t))
		return -1;
	*end = t;
	return 0;
}
