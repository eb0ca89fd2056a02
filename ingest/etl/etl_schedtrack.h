/* etl_schedtrack.h — the scheduling and syscall state machine of pass 2 (time order): the
 * thread running on each CPU (from CSwitch), each thread's state (running / ready /
 * waiting) and open syscall, and the whole-trace aggregates emitted at the end as
 * sink_syscall / sink_syscall_module / sink_sched_thread / sink_sched_ready rows.
 *
 * Semantics (docs/api.md "Scheduling and syscalls"):
 * - running: CSwitch in → CSwitch out on that thread; ready: ReadyThread (or a switch-out
 *   in state Ready/Standby/DeferredReady, i.e. preempted) → CSwitch in; waiting: switch-out
 *   in any other state (not Terminated) → ReadyThread (or → CSwitch in when no ReadyThread
 *   came, e.g. DISPATCHER not recorded). Thread id 0 (the idle threads) is not tracked.
 * - Syscalls: PERFINFO headers carry no thread id, so SysClEnter/SysClExit belong to the
 *   thread CSwitch last put on that CPU; an exit pairs with its thread's open enter
 *   (wherever it entered), duration = exit − enter (wall time, waits included). On a CPU
 *   with no CSwitch yet, enter/exit pair on that CPU with an unknown process. Exits
 *   without an enter and enters overwritten by a second enter are counted, never paired.
 * Timeline: each CPU's CSwitch intervals (thread in → next CSwitch) cut into slices of
 * slice_ns; per slice up to ETL_SCHED_SLICE_THREADS threads are told apart (more go to
 * "other"), the top SINK_SLICE_TOP kept. The last interval of each CPU (no CSwitch ends it)
 * is not counted.
 * Memory: one record per thread, per (process, syscall address), per readied-by pair (at
 * most ETL_SCHED_MAX_PAIRS; more are counted as dropped).
 * Invariant: a record keeps its index for the whole trace (the maps never delete, a tid
 * reused by a new thread keeps its record), so each CPU holds the index of the thread it
 * runs, set by the CSwitch that names it, and its syscall events use it without a lookup. */
#ifndef ETLSCOPE_ETL_SCHEDTRACK_H
#define ETLSCOPE_ETL_SCHEDTRACK_H

#include <stddef.h>
#include <stdint.h>
#include "etl_kernel.h"
#include "etl_keymap.h"
#include "etl_sched.h"
#include "etl_slicefacts.h"
#include "etl_tidmap.h"
#include "sink.h"

#define ETL_SCHED_MAX_PAIRS (1u << 20)
#define ETL_SCHED_SLICE_THREADS 8

struct etl_sched_thr; /* etl_schedtrack.c */
struct etl_sched_cpu;
struct etl_sched_sc;

struct etl_sched_stats {
	uint64_t cswitches, ready_events, syscall_enters, syscall_exits, syscalls_paired;
	uint64_t syscall_exit_unpaired;   /* exit with no open enter on its thread/CPU */
	uint64_t syscall_enter_unpaired;  /* enter replaced by a later enter of the thread */
	uint64_t syscalls_by_cpu;         /* paired on a CPU without a known thread */
	uint64_t ready_pairs_dropped;
	uint64_t ready_dpc_truncated;     /* ready spells older than the kept DPC intervals */
	uint64_t malformed;
};

struct etl_sched {
	const struct etl_tidmap *tids; /* thread → process (the caller keeps it current) */
	struct etl_sched_thr *thr;
	size_t n_thr, cap_thr;
	struct etl_keymap thr_map;      /* (tid, 0) → thr index */
	struct etl_sched_sc *sc;
	size_t n_sc, cap_sc;
	struct etl_keymap sc_map;       /* (pid, address) → sc index */
	struct sink_syscall_module *scm;
	size_t n_scm, cap_scm;
	struct etl_keymap scm_map;      /* (pid, module id) → scm index */
	struct sink_sched_ready *rdy;
	size_t n_rdy, cap_rdy;
	struct etl_keymap rdy_map;      /* (tid << 32 | by_tid, from_dpc) → rdy index */
	struct etl_sched_cpu *cpu;
	size_t n_cpu;
	uint64_t slice_ns;              /* 0: no timeline */
	struct sink_sched_slice *sl;    /* finished slices (tid filled, pid at emit) */
	size_t n_sl, cap_sl;
	struct etl_sched_stats st;
	struct etl_slicefacts *facts;   /* per-slice facts (SYSCALL, SCHED); NULL: none */
};

/* The syscall histogram's bucket of a duration of d ns (sink.h: bucket b holds d < 2^b,
 * the last one the rest): the bit width of d, at most SINK_SYSCALL_BUCKETS - 1. A count of
 * leading zeros, where a loop over the buckets took ~80 instructions a syscall. */
static inline unsigned etl_sched_syscall_bucket(uint64_t d)
{
	unsigned w = d ? 64u - (unsigned)__builtin_clzll(d) : 0u;
	return w < SINK_SYSCALL_BUCKETS - 1 ? w : SINK_SYSCALL_BUCKETS - 1;
}

void etl_sched_init(struct etl_sched *s, const struct etl_tidmap *tids);
void etl_sched_free(struct etl_sched *s);
/* Cut the per-CPU timeline into slices of slice_ns (call before the first event). */
void etl_sched_set_slice(struct etl_sched *s, uint64_t slice_ns);
/* Feed one pass-2 event of kind k (CSwitch, ReadyThread, SysClEnter, SysClExit; others are
 * ignored) at t_ns. 0, or -1 on ENOMEM. */
int etl_sched_event(struct etl_sched *s, const struct etl_event *ev, enum etl_kernel_kind k,
		    int64_t t_ns);
/* A DPC or ISR ran on cpu over [start_ns, end_ns) (fed in end order, as the events come):
 * the ready time of a thread later switched in on that CPU is split into the part behind
 * DPCs/ISRs (SINK_FACT_READY_DPC) and the rest. The last ETL_SCHED_BUSY intervals per CPU
 * are kept (nested ones merged); a ready spell older than what they cover counts the
 * overlap they hold, and st.ready_dpc_truncated says how often. 0, or -1 on ENOMEM. */
#define ETL_SCHED_BUSY 256
int etl_sched_dpcisr(struct etl_sched *s, uint16_t cpu, int64_t start_ns, int64_t end_ns);
/* Is thread tid inside a syscall now? 1 with *address, else 0. */
int etl_sched_in_syscall(const struct etl_sched *s, uint32_t tid, uint64_t *address);
/* A CPU sample of process pid taken inside a syscall at address, with the distinct module
 * ids on its stack. 0, or -1 on ENOMEM. */
int etl_sched_syscall_sample(struct etl_sched *s, uint32_t pid, uint64_t address,
			     const int32_t *mods, uint32_t n_mods);
/* Emit every aggregate to the sink; resolve(ud, address, t_ns, psize) gives a syscall
 * address's module id (-1 unresolved), name(ud, pid) a process image name ("" unknown).
 * Returns the sink's first negative value, else 0. */
typedef int32_t (*etl_sched_resolve_fn)(void *ud, uint64_t address, int64_t t_ns,
					unsigned psize);
typedef const char *(*etl_sched_name_fn)(void *ud, uint32_t pid);
int etl_sched_emit(struct etl_sched *s, const struct ingest_sink *sink,
		   etl_sched_resolve_fn resolve, etl_sched_name_fn name, void *ud);

#endif
