/* etl_slicefacts.h — the per-slice facts of the syscall, scheduling, disk and file I/O
 * tables (sink.h struct sink_slice_fact): a bounded map that adds up contributions per
 * (domain, 100 ms slice, CPU, pid, tid, key) and hands them to the sink in batches.
 *
 * What each domain records (every time is trace-relative; docs/api.md says the same):
 * - SYSCALL, key = SysCallAddress: n paired calls, ns their total duration; slice and CPU
 *   of the exit (a call counts where it completed).
 * - SCHED, key = SINK_FACT_RUNNING / _READY / _WAITING: ns of the thread's time in that
 *   state spread exactly over the slices it covers; n = spells that began in the slice
 *   (RUNNING: switch-ins). CPU: RUNNING the CPU it ran on; READY the CPU it was then
 *   switched in on; WAITING the CPU it was switched out from. READY_DPC: the part of READY
 *   time during which a DPC, timer DPC or ISR ran on that CPU (etl_sched_dpcisr), n unused.
 * - DISK, key = disk << 8 | op: n completions, bytes, ns latency; slice and CPU of the
 *   completion event, pid/tid of the issuing thread.
 * - FILE, key = FileIo type: n operations started and bytes requested (slice and CPU of
 *   the start); m completed and ns their time, counted at the start's slice and CPU too.
 *
 * Every 100 ms key is also added to its per-second and whole-trace rollup keys (sink.h
 * SINK_FACT_SECOND, SINK_FACT_WHOLE) when it is emitted (once per key and emission, not
 * per contribution), held in a second and a third map of the same size
 * (the whole-trace keys apart, so they are emitted once at the end unless they pass
 * ETL_SLICEFACTS_CAP / 2: the store then holds one blob per CPU for them, not one per
 * flush of the per-second keys).
 *
 * Invariants: each of the three maps holds at most ETL_SLICEFACTS_CAP / 2 distinct keys
 * (56 bytes each) in a slot table of ETL_SLICEFACTS_CAP (4 bytes each, so at most half
 * used); when one would pass that it is emitted (in the store's key order) and emptied,
 * so memory is fixed (3 × 2 MiB, and 1 MiB to sort a map) whatever the trace's size (a key may come again in a later batch: the store
 * appends each batch as blobs per (domain, slice, CPU), db/db_factblob.h, and readers add
 * them up). Negative times count in slice 0.
 * Work is bounded too: spans are cut into at most ETL_SLICEFACTS_PIECES slice pieces in
 * all; past that (only damaged times reach it) a span counts whole in its first slice and
 * spans_lumped says how many did.
 *
 * Where the adding up runs: when the sink offers slice_fact_adds (sink_pipe.h), the
 * parser's etl_slicefacts holds no maps, only a batch of ETL_SLICEFACTS_BATCH
 * contributions passed on as it fills (and at a flush, before slice_facts_flush); the
 * pipe's store thread adds them up with etl_slicefacts_fold in a map set of its own. Its
 * maps see the same contributions in the same order and fill and flush at the same
 * points, so the sink receives the same batches either way. */
#ifndef ETLSCOPE_ETL_SLICEFACTS_H
#define ETLSCOPE_ETL_SLICEFACTS_H

#include <stddef.h>
#include <stdint.h>
#include "etl_factsort.h"
#include "sink.h"

#define ETL_SLICEFACTS_CAP (1u << 16)
#define ETL_SLICEFACTS_REGIONS 8u /* of the slot table, by slice (etl_slicefacts.c slot_of) */
#define ETL_SLICEFACTS_PIECES (1ull << 24)
#define ETL_SLICEFACTS_BATCH 2048u /* contributions passed to slice_fact_adds at once */
enum { SINK_FACT_RUNNING = 0, SINK_FACT_READY = 1, SINK_FACT_WAITING = 2,
       SINK_FACT_READY_DPC = 3 };

/* One map: its keys in the order they came (at most ETL_SLICEFACTS_CAP / 2, the run of a
 * slice's keys contiguous), found through a table of ETL_SLICEFACTS_CAP slots holding a
 * key's index + 1 (0 = empty): 4 bytes a slot instead of the 56 of a key, so a probe stays
 * in the cache and a flush clears 256 KB. */
struct etl_slicefacts_map {
	struct sink_slice_fact *v;
	uint32_t *slot;
	size_t n;
};

struct etl_slicefacts {
	const struct ingest_sink *sink; /* NULL or no slice_facts: facts are dropped */
	struct etl_slicefacts_map map;  /* 100 ms keys */
	struct etl_slicefacts_map roll; /* the per-second rollup keys */
	struct etl_slicefacts_map whole; /* the whole-trace rollup keys */
	struct etl_factsort_ent *sort_ent, *sort_tmp; /* CAP / 2 each: a flush's sort (etl_factsort.h) */
	struct sink_slice_fact *batch;  /* non-NULL: contributions go to sink->slice_fact_adds */
	size_t batch_n;
	uint64_t pieces_left, spans_lumped;
	int rc;                         /* first negative sink value, then no more calls */
};

/* 0, or -1 on ENOMEM. */
int etl_slicefacts_init(struct etl_slicefacts *f, const struct ingest_sink *sink);
void etl_slicefacts_free(struct etl_slicefacts *f);
/* Add one contribution at time t_ns. 0, or a negative value (ENOMEM -1, or the sink's). */
int etl_slicefacts_add(struct etl_slicefacts *f, uint8_t domain, int64_t t_ns, uint16_t cpu,
		       uint32_t pid, uint32_t tid, uint64_t key, uint64_t n, uint64_t m,
		       uint64_t ns, uint64_t bytes);
/* Add ns of [from, to) split over the slices it covers, n on the first piece. */
int etl_slicefacts_span(struct etl_slicefacts *f, uint8_t domain, int64_t from, int64_t to,
			uint16_t cpu, uint32_t pid, uint32_t tid, uint64_t key, uint64_t n);
/* Emit what is held and empty the maps (or pass the batch on, then slice_facts_flush).
 * 0 or the sink's negative value. */
int etl_slicefacts_flush(struct etl_slicefacts *f);
/* Add n contributions made by another etl_slicefacts (the key fields say where, n, m, ns
 * and bytes how much): the store side of slice_fact_adds. 0 or the sink's negative value. */
int etl_slicefacts_fold(struct etl_slicefacts *f, const struct sink_slice_fact *c, size_t n);
/* Empty the maps without emitting them (the sink forgot the parse: sink restart). */
void etl_slicefacts_forget(struct etl_slicefacts *f);

#endif
