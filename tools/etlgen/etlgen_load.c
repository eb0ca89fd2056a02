/* etlgen_load.c — the busy-machine story of a scenario (etlgen.h struct etlgen_load): many
 * processes whose threads share every CPU, switching (CSwitch + ReadyThread, some through
 * the idle thread and a readying DPC), making syscalls, file reads/writes and disk I/O,
 * interrupted by the modules' DPCs/ISRs at their rates, sampled at sample_rate_hz — all
 * CPUs written side by side in 1 ms steps so buffers come out in time order, with exact
 * expected per-thread aggregates (what the per-slice facts add up to).
 *
 * Invariants: every event of the story sits on an even tick and every sample on an odd
 * one, so no sample ties with a syscall, DPC or switch (inside vs outside is never a
 * matter of event order); events of one CPU are written in time order; a thread is readied
 * only just before it is switched in, on its own CPU, so the only DPC time inside a ready
 * spell is the readying DPC's (exact ready-behind-DPC figures). Layouts as in
 * etlgen_sched.c and etlgen_io.c (ingest/etl/README.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "etlgen.h"
#include "ingest/etl/etl_le.h"

#define WAITING 5
#define FILE_READ 67
#define FILE_WRITE 68
#define FILE_OP_END 76

enum { ACT_SYSCALL, ACT_FILE, ACT_DISK, ACT_FIXED }; /* then one per (module, DPC|ISR) */

struct lcpu {
	uint64_t t;           /* cursor: every event so far is at or before it (even) */
	uint64_t q_end;       /* end of the running thread's quantum */
	uint64_t next_sample; /* odd */
	unsigned cur;         /* index of the running thread among the CPU's threads */
	unsigned switches;
	uint32_t irp;
	int done;
};

struct lw {
	struct etlgen_gen *g;
	const struct etlgen_scenario *s;
	const struct etlgen_load *l;
	struct etlgen_expect *exp;
	struct etlgen_load_thread *thr; /* cpus × threads_per_cpu: expectations and state */
	uint64_t *in_t, *out_t;         /* per thread: last switch-in, last switch-out (0 none) */
	struct lcpu *cpu;
	struct etlgen_rng r;
	double *rate;                   /* ACT_FIXED + 2 × n_modules per CPU */
	size_t n_act;
	double sample_w;
	uint64_t period, end;
	unsigned P;
};

static uint64_t even(uint64_t t)
{
	return t & ~1ull;
}

static uint64_t ns_of(const struct lw *w, uint64_t ticks)
{
	return ticks * (1000000000ull / w->s->qpc_frequency);
}

/* Ticks of a draw of d (µs), even and at least min. */
static uint64_t draw_ticks(struct lw *w, const struct etlgen_dist *d, uint64_t min)
{
	double us = etlgen_draw(&w->r, d);
	if (!(us > 0))
		us = 0;
	if (us > 4e6)
		us = 4e6;
	uint64_t t = even((uint64_t)llround(us * (double)w->s->qpc_frequency / 1e6));
	return t < min ? min : t;
}

static struct etlgen_load_thread *thr(struct lw *w, unsigned cpu, unsigned j)
{
	return &w->thr[cpu * w->l->threads_per_cpu + j];
}

static uint64_t file_object(const struct lw *w, size_t k)
{
	return (w->P == 8 ? 0xffffa00090000000ull : 0x90000000ull) + 0x1000ull * k;
}

/* The samples of cpu's grid before tick x: thread j (UINT32_MAX: the idle thread), IP in
 * module dpc_mi when they fall inside a DPC/ISR (SIZE_MAX: none), else by sample weight. */
static int samples_until(struct lw *w, unsigned cpu, uint64_t x, unsigned j, size_t dpc_mi,
			 int in_syscall)
{
	struct lcpu *c = &w->cpu[cpu];
	if (!w->period)
		return 0;
	for (; c->next_sample < x; c->next_sample += w->period) {
		struct etlgen_load_thread *t = j == UINT32_MAX ? NULL : thr(w, cpu, j);
		size_t mi = dpc_mi != SIZE_MAX ? dpc_mi
			    : w->sample_w > 0 ? etlgen_sample_module(w->s, &w->r, w->sample_w)
					      : w->l->syscall_module;
		if (etlgen_sample_at(w->g, &w->r, cpu, mi, t ? t->tid : 0, t ? t->pid : 0,
				     c->next_sample))
			return -1;
		if (t && in_syscall)
			t->syscall_samples++;
	}
	return 0;
}

static int cswitch(struct lw *w, unsigned cpu, uint64_t ts, uint32_t new_tid, uint32_t old_tid,
		   uint8_t reason)
{
	return etlgen_cswitch(w->g, cpu, ts, new_tid, old_tid, WAITING, reason);
}

/* ReadyThread of thread j at ts: its wait (if it had one) ends, its ready spell begins. */
static int ready(struct lw *w, unsigned cpu, unsigned j, uint64_t ts, int from_dpc)
{
	struct etlgen_load_thread *t = thr(w, cpu, j);
	uint8_t *p = etlgen_event(w->g, cpu, 16 + 8, 5, 50, ts);
	if (!p)
		return -1;
	etl_put32(p + 16, t->tid);
	p[16 + 6] = from_dpc ? 0x1 : 0;
	size_t k = (size_t)(t - w->thr);
	if (w->out_t[k])
		t->waiting_ns += ns_of(w, ts - w->out_t[k]);
	return 0;
}

/* Thread j of cpu switched in at ts after being readied at ready_ts (0: never readied). */
static void switched_in(struct lw *w, unsigned cpu, unsigned j, uint64_t ts, uint64_t ready_ts)
{
	struct etlgen_load_thread *t = thr(w, cpu, j);
	size_t k = (size_t)(t - w->thr);
	if (ready_ts) {
		t->ready_ns += ns_of(w, ts - ready_ts);
		t->ready_spells++;
	}
	t->switches++;
	w->in_t[k] = ts;
	w->cpu[cpu].cur = j;
}

static void switched_out(struct lw *w, unsigned cpu, unsigned j, uint64_t ts)
{
	struct etlgen_load_thread *t = thr(w, cpu, j);
	size_t k = (size_t)(t - w->thr);
	t->running_ns += ns_of(w, ts - w->in_t[k]);
	t->waits++;
	w->out_t[k] = ts;
}

/* The running thread leaves at ts (>= the cursor + 2): to the next thread directly
 * (readied halfway by the leaving one), or every idle_every-th time through the idle
 * thread and a DPC of ready_dpc_module that readies the next one; at the story's end to
 * the idle thread for good. */
static int next_thread(struct lw *w, unsigned cpu, uint64_t ts)
{
	struct lcpu *c = &w->cpu[cpu];
	const struct etlgen_load *l = w->l;
	unsigned j = c->cur, nj = (j + 1) % l->threads_per_cpu;
	uint8_t reason = (uint8_t)(etlgen_rnd(&w->r) % 2 ? 6 : 15); /* UserRequest, WrQueue */
	if (ts >= w->end) {
		if (samples_until(w, cpu, ts, j, SIZE_MAX, 0) ||
		    cswitch(w, cpu, ts, 0, thr(w, cpu, j)->tid, reason))
			return -1;
		switched_out(w, cpu, j, ts);
		c->t = ts;
		c->done = 1;
		return 0;
	}
	if (l->idle_every && ++c->switches % l->idle_every == 0) {
		if (samples_until(w, cpu, ts, j, SIZE_MAX, 0) ||
		    cswitch(w, cpu, ts, 0, thr(w, cpu, j)->tid, reason))
			return -1;
		switched_out(w, cpu, j, ts);
		uint64_t a = ts + even(l->idle_ticks < 2 ? 2 : l->idle_ticks);
		uint64_t d = draw_ticks(w, &l->ready_dpc_us, 4);
		size_t mi = l->ready_dpc_module;
		if (samples_until(w, cpu, a, UINT32_MAX, SIZE_MAX, 0) ||
		    samples_until(w, cpu, a + 2, UINT32_MAX, mi, 0) || ready(w, cpu, nj, a + 2, 1) ||
		    samples_until(w, cpu, a + d, UINT32_MAX, mi, 0) ||
		    etlgen_dpcisr_at(w->g, &w->r, cpu, mi, w->s->modules[mi].dpc_kind, a, a + d) ||
		    samples_until(w, cpu, a + d + 2, UINT32_MAX, SIZE_MAX, 0) ||
		    cswitch(w, cpu, a + d + 2, thr(w, cpu, nj)->tid, 0, 0))
			return -1;
		switched_in(w, cpu, nj, a + d + 2, a + 2);
		thr(w, cpu, nj)->ready_dpc_ns += ns_of(w, d - 2);
		c->t = a + d + 2;
	} else {
		uint64_t r = c->t + even((ts - c->t) / 2);
		if (samples_until(w, cpu, r, j, SIZE_MAX, 0) || ready(w, cpu, nj, r, 0) ||
		    samples_until(w, cpu, ts, j, SIZE_MAX, 0) ||
		    cswitch(w, cpu, ts, thr(w, cpu, nj)->tid, thr(w, cpu, j)->tid, reason))
			return -1;
		switched_out(w, cpu, j, ts);
		switched_in(w, cpu, nj, ts, r);
		c->t = ts;
	}
	c->q_end = c->t + draw_ticks(w, &l->quantum_us, 2);
	return 0;
}

static int syscall(struct lw *w, unsigned cpu, uint64_t t0)
{
	const struct etlgen_load *l = w->l;
	struct etlgen_load_thread *t = thr(w, cpu, w->cpu[cpu].cur);
	uint64_t addr = w->s->modules[l->syscall_module].base + 0x1000 +
			0x40 * (etlgen_rnd(&w->r) % (l->syscall_addresses ? l->syscall_addresses : 1));
	uint64_t d = draw_ticks(w, &l->syscall_us, 2);
	if (samples_until(w, cpu, t0, w->cpu[cpu].cur, SIZE_MAX, 0))
		return -1;
	uint8_t *p = etlgen_event(w->g, cpu, 16 + w->P, 15, 51, t0);
	if (!p)
		return -1;
	etl_putptr(p + 16, addr, w->P);
	if (samples_until(w, cpu, t0 + d, w->cpu[cpu].cur, SIZE_MAX, 1) ||
	    !etlgen_event(w->g, cpu, 16 + 8, 15, 52, t0 + d))
		return -1;
	t->syscalls++;
	t->syscall_ns += ns_of(w, d);
	w->cpu[cpu].t = t0 + d;
	return 0;
}

/* What a file or disk I/O of the running thread of cpu is about: a write write_percent %
 * of the time, 4 KiB << (0..max_shift - 1) bytes, one of its process's files. */
struct io_pick {
	struct etlgen_load_thread *t;
	int wr;
	uint32_t size;
	uint64_t fo;
};

static struct io_pick pick_io(struct lw *w, unsigned cpu, unsigned max_shift)
{
	const struct etlgen_load *l = w->l;
	struct io_pick k = {thr(w, cpu, w->cpu[cpu].cur), 0, 0, 0};
	k.wr = etlgen_rnd(&w->r) % 100 < l->write_percent;
	k.size = 4096u << (etlgen_rnd(&w->r) % max_shift);
	k.fo = file_object(w, k.t->proc * l->files_per_process +
			      etlgen_rnd(&w->r) % l->files_per_process);
	return k;
}

/* A FileIo Read or Write (v3) at t0 and its OperationEnd when it completes. */
static int file_op(struct lw *w, unsigned cpu, uint64_t t0)
{
	const struct etlgen_load *l = w->l;
	struct lcpu *c = &w->cpu[cpu];
	unsigned P = w->P;
	struct io_pick k = pick_io(w, cpu, 5);
	uint64_t irp = (P == 8 ? 0xffffb00000000000ull : 0xb0000000ull) + ((uint64_t)cpu << 20) +
		       0x10ull * (c->irp++ & 0xffff);
	uint64_t d = draw_ticks(w, &l->file_us, 2);
	if (samples_until(w, cpu, t0, c->cur, SIZE_MAX, 0))
		return -1;
	uint8_t *p = etlgen_event(w->g, cpu, 16 + 8 + 3 * P + 12, 4, k.wr ? FILE_WRITE : FILE_READ, t0);
	if (!p)
		return -1;
	etl_put16(p, 3);
	etl_put64(p + 16, 4096ull * (etlgen_rnd(&w->r) % 65536));
	etl_putptr(p + 24, irp, P);
	etl_putptr(p + 24 + P, k.fo, P);
	etl_putptr(p + 24 + 2 * P, k.fo, P); /* FileKey */
	etl_put32(p + 24 + 3 * P, k.t->tid);
	etl_put32(p + 28 + 3 * P, k.size);
	if (samples_until(w, cpu, t0 + d, c->cur, SIZE_MAX, 0) ||
	    !(p = etlgen_event(w->g, cpu, 16 + 2 * P + 4, 4, FILE_OP_END, t0 + d)))
		return -1;
	etl_put16(p, 3);
	etl_putptr(p + 16, irp, P);
	etl_putptr(p + 16 + P, k.size, P);
	k.t->file_n[k.wr]++;
	k.t->file_bytes[k.wr] += k.size;
	k.t->file_ns[k.wr] += ns_of(w, d);
	c->t = t0 + d;
	return 0;
}

/* A DiskIo Read or Write completion (v3) at t0 of an I/O the running thread issued. */
static int disk_op(struct lw *w, unsigned cpu, uint64_t t0)
{
	const struct etlgen_load *l = w->l;
	struct lcpu *c = &w->cpu[cpu];
	unsigned P = w->P;
	struct io_pick k = pick_io(w, cpu, 8);
	uint64_t lat = draw_ticks(w, &l->disk_us, 2);
	if (samples_until(w, cpu, t0, c->cur, SIZE_MAX, 0))
		return -1;
	uint8_t *p = etlgen_event(w->g, cpu, 16 + 36 + 2 * P, 1, (uint8_t)(10 + k.wr), t0);
	if (!p)
		return -1;
	etl_put16(p, 3);
	etl_put32(p + 16, (uint32_t)(etlgen_rnd(&w->r) % (l->disks ? l->disks : 1)));
	etl_put32(p + 16 + 4, 0x60043);
	etl_put32(p + 16 + 8, k.size);
	etl_put64(p + 16 + 16, 4096ull * (etlgen_rnd(&w->r) % (1u << 24)));
	etl_putptr(p + 16 + 24, k.fo, P);
	etl_putptr(p + 16 + 24 + P, k.fo + 0x800, P); /* Irp */
	etl_put64(p + 16 + 24 + 2 * P, lat);
	etl_put32(p + 16 + 32 + 2 * P, k.t->tid);
	k.t->disk_n[k.wr]++;
	k.t->disk_bytes[k.wr] += k.size;
	k.t->disk_ns[k.wr] += ns_of(w, lat);
	c->t = t0;
	return 0;
}

/* A DPC or ISR (act - ACT_FIXED: module × 2 + isr) from t0, samples inside it in its module. */
static int dpcisr(struct lw *w, unsigned cpu, size_t act, uint64_t t0)
{
	size_t mi = (act - ACT_FIXED) / 2;
	int isr = (act - ACT_FIXED) % 2;
	const struct etlgen_module *m = &w->s->modules[mi];
	struct lcpu *c = &w->cpu[cpu];
	uint64_t d = draw_ticks(w, isr ? &m->isr_us : &m->dpc_us, 2);
	enum etlgen_kind kind = isr ? (m->isr_msi ? ETLGEN_ISR_MSI : ETLGEN_ISR) : m->dpc_kind;
	if (samples_until(w, cpu, t0, c->cur, SIZE_MAX, 0) ||
	    samples_until(w, cpu, t0 + d, c->cur, mi, 0) ||
	    etlgen_dpcisr_at(w->g, &w->r, cpu, mi, kind, t0, t0 + d))
		return -1;
	c->t = t0 + d;
	return 0;
}

/* One activity of the running thread, or its switch when its quantum is over. */
static int step(struct lw *w, unsigned cpu)
{
	struct lcpu *c = &w->cpu[cpu];
	const double *rate = w->rate + cpu * w->n_act;
	double total = 0;
	for (size_t a = 0; a < w->n_act; a++)
		total += rate[a];
	/* at least 2 ticks: no activity shares a tick with the one before */
	uint64_t gap = total > 0 ? 2 + even((uint64_t)(-log(etlgen_rnd01(&w->r)) / total *
						       (double)w->s->qpc_frequency))
				 : UINT64_MAX / 4;
	uint64_t t0 = c->t + gap;
	if (t0 >= c->q_end || c->t >= w->end) {
		uint64_t ts = c->q_end > c->t + 2 ? c->q_end : c->t + 2;
		return next_thread(w, cpu, ts);
	}
	double x = etlgen_rnd01(&w->r) * total;
	size_t a = 0;
	for (; a + 1 < w->n_act && x >= rate[a]; a++)
		x -= rate[a];
	switch (a) {
	case ACT_SYSCALL: return syscall(w, cpu, t0);
	case ACT_FILE: return file_op(w, cpu, t0);
	case ACT_DISK: return disk_op(w, cpu, t0);
	default: return dpcisr(w, cpu, a, t0);
	}
}

/* Per CPU: the rate of each activity (per second). */
static void rates(struct lw *w)
{
	const struct etlgen_scenario *s = w->s;
	for (unsigned cpu = 0; cpu < s->cpus; cpu++) {
		double *r = w->rate + cpu * w->n_act;
		r[ACT_SYSCALL] = w->l->syscall_rate;
		r[ACT_FILE] = w->l->file_rate;
		r[ACT_DISK] = w->l->disk_rate;
		for (size_t i = 0; i < s->n_modules; i++) {
			const struct etlgen_module *m = &s->modules[i];
			int on = !m->n_cpus;
			for (size_t k = 0; k < m->n_cpus; k++)
				on |= m->cpus[k] % s->cpus == cpu;
			double share = on ? 1.0 / (double)(m->n_cpus ? m->n_cpus : s->cpus) : 0;
			r[ACT_FIXED + 2 * i] = m->dpc_rate * share;
			r[ACT_FIXED + 2 * i + 1] = m->isr_rate * share;
		}
	}
}

/* Rundown of the story's processes, threads and files at ts; each CPU's first thread in. */
static int start(struct lw *w, uint64_t ts)
{
	const struct etlgen_load *l = w->l;
	const struct etlgen_scenario *s = w->s;
	for (unsigned k = 0; k < l->n_processes; k++)
		if (etlgen_process_dcstart(w->g, s, &l->processes[k], ts))
			return -1;
	for (unsigned cpu = 0; cpu < s->cpus; cpu++)
		for (unsigned j = 0; j < l->threads_per_cpu; j++) {
			struct etlgen_load_thread *t = thr(w, cpu, j);
			t->proc = (cpu * l->threads_per_cpu + j) % l->n_processes;
			t->pid = l->processes[t->proc].pid;
			t->tid = l->first_tid + 4 * (cpu * l->threads_per_cpu + j);
			if (etlgen_thread_dcstart(w->g, s, cpu, t->pid, t->tid, ts))
				return -1;
		}
	for (unsigned k = 0; k < l->n_processes; k++)
		for (unsigned f = 0; f < l->files_per_process; f++) {
			char name[96];
			snprintf(name, sizeof name, "C:\\data\\%s\\file%02u.dat", l->processes[k].name, f);
			if (etlgen_file_rundown(w->g, s, 0, file_object(w, k * l->files_per_process + f),
						name, ts))
				return -1;
		}
	for (unsigned cpu = 0; cpu < s->cpus; cpu++) {
		struct lcpu *c = &w->cpu[cpu];
		c->t = ts + 2;
		c->next_sample = ts + 3 + 2 * ((w->period / 2) * cpu / s->cpus);
		if (cswitch(w, cpu, c->t, thr(w, cpu, 0)->tid, 0, 0))
			return -1;
		switched_in(w, cpu, 0, c->t, 0);
		c->q_end = c->t + draw_ticks(w, &l->quantum_us, 2);
	}
	return 0;
}

int etlgen_load_write(struct etlgen_gen *g, const struct etlgen_scenario *s,
		      struct etlgen_expect *exp, uint64_t start_ts, uint64_t *end)
{
	const struct etlgen_load *l = &s->load;
	size_t n = (size_t)s->cpus * l->threads_per_cpu;
	struct lw w = {.g = g, .s = s, .l = l, .exp = exp, .P = s->pointer_size,
		       .r = {(s->seed ? s->seed : 1) ^ 0x6c6f6164ull},
		       .n_act = ACT_FIXED + 2 * s->n_modules};
	w.thr = calloc(n, sizeof *w.thr);
	w.in_t = calloc(n, sizeof *w.in_t);
	w.out_t = calloc(n, sizeof *w.out_t);
	w.cpu = calloc(s->cpus, sizeof *w.cpu);
	w.rate = calloc(s->cpus * w.n_act, sizeof *w.rate);
	int rc = -1;
	if (!w.thr || !w.in_t || !w.out_t || !w.cpu || !w.rate)
		goto done;
	for (size_t i = 0; i < s->n_modules; i++)
		w.sample_w += s->modules[i].sample_weight;
	uint64_t f = s->qpc_frequency;
	w.period = s->sample_rate_hz > 0 ? even((uint64_t)((double)f / s->sample_rate_hz)) : 0;
	if (w.period && w.period < 2)
		w.period = 2;
	start_ts = even(start_ts + 1);
	w.end = start_ts + 2 + (uint64_t)(l->duration_s * (double)f);
	rates(&w);
	if (start(&w, start_ts))
		goto done;
	uint64_t step_ticks = f / 1000 ? f / 1000 : 1;
	for (uint64_t until = start_ts + step_ticks;; until += step_ticks) {
		int all = 1;
		for (unsigned cpu = 0; cpu < s->cpus; cpu++) {
			struct lcpu *c = &w.cpu[cpu];
			while (!c->done && c->t < until)
				if (step(&w, cpu))
					goto done;
			all &= c->done;
		}
		if (all)
			break;
	}
	*end = start_ts;
	for (unsigned cpu = 0; cpu < s->cpus; cpu++)
		if (w.cpu[cpu].t > *end)
			*end = w.cpu[cpu].t;
	rc = 0;
	if (exp) {
		exp->load_threads = w.thr;
		exp->n_load_threads = n;
		w.thr = NULL;
	}
done:
	free(w.thr);
	free(w.in_t);
	free(w.out_t);
	free(w.cpu);
	free(w.rate);
	return rc;
}
