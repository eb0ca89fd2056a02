/* etl_pending.h — CPU samples waiting for their stack events. Stack and stack-key events
 * follow their sample, sometimes on another CPU and up to ~100 ms later; they name it by
 * (EventTimeStamp, StackThread). Samples enter in time order (pass 2 is time-ordered) and
 * leave, oldest first, when the window is full or they are older than the horizon, so a
 * stack event finds its sample by binary search on the timestamp and memory stays bounded
 * (cap × one slot) whatever the trace size.
 *
 * Memory: the slots are fixed (cap × one slot); the stack frames of the samples are on the
 * heap, 12 bytes each (address + module id), and counted in frame_bytes — the window's and
 * the caller's holds' together (they pass the same counter) — so the caller can bound them
 * by bytes whatever the stacks' depth (etl_ingest.c sheds the oldest samples when the count
 * passes its budget).
 *
 * Invariant: slots hold samples in non-decreasing ts order; a sample at a timestamp
 * older than the newest one already in the window is refused (the caller emits it without
 * a stack). frame_bytes = Σ etl_frames_bytes over every half held in the window or a hold. */
#ifndef ETLSCOPE_ETL_PENDING_H
#define ETLSCOPE_ETL_PENDING_H

#include <stddef.h>
#include <stdint.h>
#include "sink.h"

#define ETL_PENDING_MAX_MODS 64 /* distinct modules kept per sample's stack */
#define ETL_PENDING_MAX_CHAIN 16 /* modules kept of a sample's stack-order chain (leaf first) */
#define ETL_PENDING_MAX_HALF 256 /* frames kept of each half (kernel, user) of a stack */
#define ETL_PENDING_MAX_OPS 1024 /* entries of a deferred sample's stack inputs (etl_defer.h) */

/* One half of a sample's stack, leaf first, on the heap (NULL until its first frame): the
 * addresses, then (same block) their module ids (-1 unresolved). The slot holding the sample
 * owns it: copying the sample moves it; etl_pending_free and the caller's own holds free
 * what is left. */
struct etl_frames {
	uint64_t *addr;
	int32_t *mod; /* inside addr's block, after cap addresses */
	uint32_t n, cap;
};
#define ETL_FRAME_BYTES (sizeof(uint64_t) + sizeof(int32_t))

struct etl_pending_sample {
	uint64_t ts;        /* raw header timestamp: what stack events carry */
	unsigned stack_kinds; /* bit set per kind of stack event (caller's numbering) matched */
	struct sink_cpu_sample s;
	int32_t mods[ETL_PENDING_MAX_MODS];
	int32_t chain[ETL_PENDING_MAX_CHAIN];
	uint8_t in_syscall;     /* its thread was inside a syscall (etl_schedtrack.h) */
	uint64_t syscall_addr;
	struct etl_frames half[2]; /* 0 kernel, 1 user: joined when the sample is emitted */
	/* Deferred (etl_defer.h): the stack inputs that came from its first reference to an
	 * undefined stack key on, in order, replayed at the end: (frame address, its pointer
	 * size) or (key, ETL_OP_KEY) followed by (reference timestamp, ETL_OP_KEY_TS). */
	struct etl_frames ops;
};
#define ETL_OP_KEY (-1)
#define ETL_OP_KEY_TS (-2)

/* Append a frame to a half (dropped beyond ETL_PENDING_MAX_HALF), adding what the half grew
 * by to *bytes. 0 or -1 (ENOMEM). */
int etl_frames_add(struct etl_frames *h, uint64_t addr, int32_t module_id, size_t *bytes);
/* Append to a list of at most max entries: 0, 1 (full: nothing added) or -1 (ENOMEM). */
int etl_frames_push(struct etl_frames *h, uint64_t addr, int32_t module_id, uint32_t max,
		    size_t *bytes);
/* Bytes a half holds on the heap. */
static inline size_t etl_frames_bytes(const struct etl_frames *h)
{
	return (size_t)h->cap * ETL_FRAME_BYTES;
}
/* Free a half, taking its bytes off *bytes. */
void etl_frames_free(struct etl_frames *h, size_t *bytes);
/* Free a sample's halves and ops, taking their bytes off *bytes. */
void etl_pending_sample_release(struct etl_pending_sample *s, size_t *bytes);

struct etl_pending {
	struct etl_pending_sample *slot; /* ring of cap slots */
	/* slot[i].ts again, same ring index: the searches by timestamp (every stack event and
	 * every DPC/ISR) probe this dense array (128 KB at 16 k slots) instead of one ~0.5 KB
	 * slot per probe, each a cache miss in the 8 MiB of slots. */
	uint64_t *ts;
	size_t cap, head, count;
	int64_t horizon_ns;
	uint64_t left_ts;   /* timestamp of the newest sample that left */
	int any_left;
	size_t frame_bytes; /* heap bytes of the frames of the window's and the holds' samples */
};

/* 0 or -1 (ENOMEM). */
int etl_pending_init(struct etl_pending *p, size_t cap, int64_t horizon_ns);
void etl_pending_free(struct etl_pending *p);
/* The oldest sample if it must leave before a sample at t_ns enters (window full, or older
 * than t_ns - horizon; t_ns = INT64_MAX drains everything), else NULL. The caller emits it,
 * then calls etl_pending_pop. */
struct etl_pending_sample *etl_pending_due(struct etl_pending *p, int64_t t_ns);
void etl_pending_pop(struct etl_pending *p);
/* A zeroed slot at the tail for a sample at ts, or NULL if ts is older than the newest
 * pending sample or the window is full (call etl_pending_due first). */
struct etl_pending_sample *etl_pending_push(struct etl_pending *p, uint64_t ts);
/* The pending sample at ts on thread tid, or NULL. Several samples of one thread at one
 * timestamp (possible in written traces) take stack events in turn: the first of them
 * without a stack event of this kind (bit index, < 32), else the first. */
struct etl_pending_sample *etl_pending_find(struct etl_pending *p, uint64_t ts, uint32_t tid,
					    unsigned kind);
/* Index of the oldest pending sample with a timestamp >= ts (count if none). */
size_t etl_pending_lower(const struct etl_pending *p, uint64_t ts);
/* The i-th pending sample, oldest first (0 ≤ i < count), else NULL. */
struct etl_pending_sample *etl_pending_at(const struct etl_pending *p, size_t i);
/* 1 if a sample at ts would already have left the window (a stack event for it came too
 * late to be matched), else 0. */
int etl_pending_too_late(const struct etl_pending *p, uint64_t ts);

#endif
