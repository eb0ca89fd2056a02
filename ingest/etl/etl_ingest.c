/* etl_ingest.c — the ETW trace → sink pipeline, two ways that store the same run:
 * - two passes: pass 1 (file order) collects images, stack keys, threads and counts;
 *   modules are emitted; pass 2 (time order) emits DPC/ISR and CPU samples with their
 *   stack modules; then warnings and the summary (etl_summary.c);
 * - one pass (etl_ingest_ex ETL_ONE_PASS, issue 17): pass 1's collection and pass 2's
 *   emission on each event of the time-ordered merge, so each event is decoded once and
 *   the run is stored while the file still grows.
 *
 * One pass, invariants. It answers from what it has seen so far; everything pass 1 would
 * have known from later in the file is caught where it would change an answer given:
 *   - modules: every lookup is noted — the module it returned (`looked`), or the 4 KiB page
 *     it found nothing in (per address space). An image event that adds a module, or
 *     changes a module's size or lifetime, over a noted page or a looked module means
 *     "redo" — except an unload at or after every lookup time so far (those lookups all
 *     asked about earlier times, which it does not change). Modules reach the sink when a
 *     lookup first returns them (ids in that order, not pass 1's), and at the end every
 *     emitted one gets its final lifetime, size and identity (sink module_update), the
 *     others are emitted then;
 *   - threads: a thread id looked up with no Thread event yet is noted; a Thread event for
 *     a noted id means redo (two passes would have answered with its first process);
 *   - stack keys: a KeyKernel/KeyUser reference defers its sample (find takes the first
 *     definition at or after the reference, and real traces with stack caching define
 *     keys after their use: KeyDelete on eviction, KeyRundown at the end). From that
 *     reference on, the sample's stack inputs (frames, and (key, reference time)) are
 *     recorded in order instead of applied; the sample still waits in the window and its
 *     CPU's hold (stack events and DPC/ISR marks reach it as before), then goes to a
 *     temporary file (etl_defer.h) instead of the sink. At the end, with every definition
 *     and image known, each is read back, its inputs replayed in order (each frame
 *     resolved in the sample's process at the sample's time, as two passes do) and
 *     emitted. Keys never defined count at the replay. Redo only if a sample records more
 *     than ETL_PENDING_MAX_OPS inputs ("stack_key_ops") or the file cannot take it
 *     ("stack_key_spill": no temporary file, a write error, past 1 GiB);
 *   - file names: an I/O whose file object/key has no name yet is noted; a name for a
 *     noted key means redo (FileRundown at the end names files opened before the trace);
 *   - span: the timeline slice comes from the header's StartTime → EndTime (no EndTime:
 *     two passes from the start); at the end, if the events' own span gives another slice
 *     (and there were CSwitches), redo. Queued disk I/Os are kept (at most 256 Ki, else
 *     redo) and spread over the disk-queue slices at the end, when the events' span is
 *     known, in the order they came: the same sums as two passes.
 * Each noted set is bounded (ONEPASS_SET_MAX keys); a full set answers "noted" to every
 * key, so a huge trace costs at worst a redo, never a wrong answer. "Redo": the one pass
 * stops at the first such event, the sink forgets everything (sink restart: the store rolls
 * back to its savepoint in the same transaction) and two passes read the whole trace. The
 * summary's "ingest_passes" says which way ran ("one_pass", or "two_pass_redo" with the
 * reason and the trace time). tests/etl/test_etl_onepass.c checks both ways store the same
 * records on every shared sample and on etlgen scenarios, and which way each case went.
 *
 * CPU sample semantics (docs/api.md "CPU samples"; tests/support/etlscan.mjs is the
 * independent oracle): a sample's process is that of the latest Thread event of its thread
 * (else the thread's first one); its stack is every Stack/KeyKernel/KeyUser event, on any
 * CPU, whose EventTimeStamp and StackThread equal the sample's timestamp and thread; every
 * frame (a cached key's too) resolves in that sample's process at that sample's time.
 *
 * Samples inside DPCs/ISRs. A DPC/ISR event is logged when the routine returns, after the
 * samples taken inside it, so a sample stays open to marking until it is emitted:
 *   1. it waits in the time-ordered window (etl_pending) for its stacks: until 16,384 newer
 *      samples (all CPUs) entered or one newer by more than 1 s of trace time did;
 *   2. then in its CPU's hold: the 64 newest samples of that CPU that left the window;
 *   3. then it goes to the sink.
 * A DPC/ISR event marks every sample of its CPU with InitialTime <= ts < event time still
 * in the window or in that CPU's hold (covered, kind, module). Hence its last 64 samples on
 * its CPU are always marked (the window only delays leaving the hold), and all of them
 * when it lasted under 1 s and the window held that second. The first interval to cover a
 * sample ends first, so it is the innermost (an ISR inside a DPC) and is never overwritten.
 * Samples emitted earlier stay unmarked; flagged ones count as "flag only" in the store.
 * Samples leave the holds out of time order across CPUs; every store accepts that.
 *
 * Memory of deep stacks: the frames held by the window and the holds are counted in bytes
 * (etl_pending.h); past PENDING_FRAME_BYTES the window's oldest samples leave it early for
 * their holds (stack_window_shed counts them): a stack event for one of them that comes
 * later counts as late, and a DPC/ISR still marks it while it is among its CPU's last 64.
 * Only if the holds alone pass the budget (64 × CPUs × deep stacks) is the oldest held
 * sample emitted early. */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "etl_addrs.h"
#include "etl_defer.h"
#include "etl_ingest.h"
#include "etl_ioagg.h"
#include "etl_fltagg.h"
#include "etl_fileio.h"
#include "etl_kernel.h"
#include "etl_merge.h"
#include "etl_modmap.h"
#include "etl_modhint.h"
#include "etl_imageid.h"
#include "etl_pending.h"
#include "etl_procstats.h"
#include "etl_reader.h"
#include "etl_schedtrack.h"
#include "etl_slicefacts.h"
#include "etl_stacks.h"
#include "etl_summary.h"
#include "etl_tidmap.h"

#define PENDING_SAMPLES 16384        /* samples waiting for stacks (≈ 8 MiB of slots) */
#define PENDING_HORIZON_NS 1000000000 /* ... for at most 1 s of trace time */
#define ETL_RECENT_MODS 8 /* module_of's cache: covers the drivers of interleaved DPCs/ISRs */
#define HOLD_PER_CPU 64 /* samples per CPU kept for a late DPC/ISR after the window */
/* Frames waiting in the window and the holds: 6 MiB is ~520 Ki frames, 16,384 samples of
 * 32 frames each; deeper stacks shrink the window (samples shed, see above). With 251-frame
 * stacks on 24 CPUs the ingest peaks at ~61 MB (bench/kernel_bench.sh, "deep stacks"). */
#define PENDING_FRAME_BYTES ((size_t)6 << 20)

/* A CPU's samples that left the window, in the order they left (time order, but for
 * samples too old for the window, which come straight here); the first goes to the sink
 * when another arrives and the hold is full. */
struct hold_ring {
	struct etl_pending_sample slot[HOLD_PER_CPU];
	unsigned head, count;
	uint64_t newest_ts; /* the newest timestamp ever held: a DPC entered after it covers none */
};

/* The one pass's records of what it answered without knowing (the invariants at the top).
 * Each set is bounded (ONEPASS_SET_MAX keys); a full set answers yes to everything, so the
 * worst a huge trace costs is a redo, never a wrong answer. */
#define ONEPASS_SET_MAX ((size_t)1 << 16)
struct onepass {
	int on;                     /* this run reads the trace once */
	const char *redo;           /* why it must start over in two passes; NULL: exact so far */
	int64_t redo_at_ns;         /* the trace time where that was found */
	struct etl_keyset tids;     /* threads looked up before a Thread event named them */
	struct etl_keyset pages;    /* (space, address >> 12) of lookups that found no module */
	struct etl_keyset files;    /* file objects/keys an I/O found no name for */
	uint64_t lookups;           /* module lookups so far */
	int64_t max_lookup_ns;      /* the latest time a lookup asked about */
	int stacks_unsorted;        /* a definition came since the cache was sorted */
	int late_rc;                /* a sink error while emitting a module inside a lookup */
	uint64_t slice_ns;          /* the timeline slice from the header's span */
	struct etl_defer defer;     /* samples waiting for stack-key definitions */
};

struct ctx {
	const struct ingest_sink *sink;
	struct ingest_error *err;
	struct etl_reader r;
	struct etl_modmap mods;
	struct etl_stack_cache stacks;
	struct etl_tidmap tids;  /* thread → process: first seen (pass 1), then current (pass 2) */
	struct etl_summary_facts facts;
	/* lookup cache: the modules found last, round robin (module_of) */
	const struct etl_module *recent_mod[ETL_RECENT_MODS];
	unsigned recent_next;
	/* ... and before it, by the address's 64 KiB granule, the module module_of returned
	 * last for an address of that granule (etl_modhint.h); cleared with recent_mod */
	struct etl_modhint mod_hint;
	struct etl_pending pend;
	struct etl_procstats procs;
	struct etl_addrs unknown_kernel, unknown_user;
	struct hold_ring **hold; /* indexed by CPU; a ring exists once the CPU has samples */
	size_t n_hold;
	struct etl_sched sched; /* CSwitch/ReadyThread/syscall state and aggregates */
	struct etl_ioagg io; /* disk and file I/O (issue 15) */
	struct etl_slicefacts slicefacts; /* their per-slice facts (issue 15) */
	struct etl_fltagg flt; /* minifilter delays (issue 15), once the trace proves the layout */
	int frames_oom;          /* a stack frame could not be kept: out of memory */
	struct sink_frame join[2 * ETL_PENDING_MAX_HALF]; /* the emitted sample's whole stack */
	struct etl_image_ids ids; /* debug identities of the images (issue 14) */
	uint64_t *id_base; /* base of each module the sink knows, by its id */
	size_t n_id_base;
	struct onepass one;
	struct ingest_grow *grow; /* f is this upload being written (etl_ingest_grow) */
};

static int oom(struct ctx *c)
{
	ingest_error_set(c->err, "out of memory while reading the trace");
	return INGEST_ENOMEM;
}

/* The one pass cannot stay exact: note why (the first reason counts) and where. */
static void redo_at(struct ctx *c, const char *why, int64_t t_ns)
{
	if (!c->one.redo) {
		c->one.redo = why;
		c->one.redo_at_ns = t_ns;
	}
}

static void redo(struct ctx *c, const char *why, const struct etl_event *ev)
{
	redo_at(c, why, etl_reader_ns(&c->r, ev->timestamp));
}

/* Could a lookup already answered have gone otherwise with a module at [base, base+size)
 * of space? Yes if one of its pages was looked up and found nothing, or a module the
 * lookups returned overlaps it. */
static int region_looked(struct ctx *c, uint64_t space, uint64_t base, uint64_t size)
{
	if (!c->one.lookups)
		return 0;
	uint64_t last = size ? base + (size - 1) : base;
	if (last < base)
		last = UINT64_MAX;
	if (etl_keyset_any(&c->one.pages, space, base >> 12, last >> 12))
		return 1;
	for (size_t i = 0; i < c->mods.n; i++) {
		const struct etl_module *e = &c->mods.v[i];
		if (e->looked && e->space == space && e->base <= last && base - e->base < e->size)
			return 1;
		if (e->looked && e->space == space && base <= e->base && e->base <= last)
			return 1;
	}
	return 0;
}

/* One pass: an image event joins the module map; if it changes what a lookup already
 * answered could have been, the run starts over. An unload after every lookup so far
 * changes none (they all asked about earlier times). */
static int one_image(struct ctx *c, const struct etl_event *ev, const struct etl_image *im,
		     enum etl_kernel_kind k, int64_t t_ns)
{
	struct etl_module was, now;
	unsigned psize = ev->pointer_size;
	uint64_t space = etl_is_kernel_address(im->base, psize) ? 0 : (uint64_t)im->pid + 1;
	if (etl_modmap_merge_event(&c->mods, im, k, t_ns, psize, &was, &now)) {
		if (was.size == now.size && was.load_ns == now.load_ns &&
		    (was.unload_ns == now.unload_ns ||
		     (was.unload_ns == INT64_MAX && now.unload_ns >= c->one.max_lookup_ns)))
			return 0;
		if (was.looked || region_looked(c, space, now.base, now.size))
			redo(c, "image", ev);
		return 0;
	}
	if (region_looked(c, space, im->base, im->size))
		redo(c, "image", ev);
	memset(c->recent_mod, 0, sizeof c->recent_mod); /* the map may move */
	etl_modhint_clear(&c->mod_hint);
	return etl_modmap_add(&c->mods, im, k, t_ns, psize);
}

/* Pass 1's part of an event of kind k (etl_kernel_classify, with its group). */
static int pass1_event(struct ctx *c, const struct etl_event *ev, enum etl_kernel_kind k,
		       int group)
{
	struct etl_summary_facts *F = &c->facts;
	if (!F->have_ts || ev->timestamp < F->first_ts)
		F->first_ts = ev->timestamp;
	if (!F->have_ts || ev->timestamp > F->last_ts)
		F->last_ts = ev->timestamp;
	F->have_ts = 1;
	if (k != ETL_K_OTHER)
		F->kind_counts[k]++;
	else if (group >= 0)
		F->group_counts[group & 0xFF]++;
	else if (ev->ev_class == ETL_EC_CLASSIC)
		F->classic_events++;
	else if (ev->ev_class == ETL_EC_MANIFEST)
		F->manifest_events++;
	else
		F->other_events++;
	if (etl_ioagg_event(&c->io, ev, group, 0, &c->tids, &c->r))
		return oom(c);

	if (k == ETL_K_OTHER && ev->ev_class == ETL_EC_CLASSIC) {
		struct etl_image_id id;
		int kind = etl_imageid_decode(ev, &id);
		if (kind == ETL_IMGID_BAD)
			F->malformed_events++;
		if (etl_imageids_add(&c->ids, &id, kind) != 0)
			return oom(c);
	}
	switch (k) {
	case ETL_K_IMAGE_LOAD: case ETL_K_IMAGE_UNLOAD:
	case ETL_K_IMAGE_DCSTART: case ETL_K_IMAGE_DCEND: {
		struct etl_image im;
		if (etl_decode_image(ev, &im) != 0) {
			F->malformed_events++;
			break;
		}
		if (etl_image_implausible(&im, ev->pointer_size)) {
			F->implausible_images++;
			break;
		}
		if (etl_image_is_kernel_sys(&im, ev->pointer_size))
			F->kernel_sys_image_events++;
		int64_t t_ns = etl_reader_ns(&c->r, ev->timestamp);
		if (c->one.on ? one_image(c, ev, &im, k, t_ns) != 0
			      : etl_modmap_add(&c->mods, &im, k, t_ns, ev->pointer_size) != 0)
			return oom(c);
		break;
	}
	case ETL_K_STACK_KEY_RUNDOWN: case ETL_K_STACK_KEY_DELETE: case ETL_K_STACK_KEY_CREATE: {
		struct etl_stack s;
		if (etl_decode_stack_key_def(ev, &s) != 0) {
			F->malformed_events++;
			break;
		}
		if (etl_stack_cache_add(&c->stacks, &s, ev->timestamp) != 0)
			return oom(c);
		c->one.stacks_unsorted = 1;
		break;
	}
	case ETL_K_THREAD_START: case ETL_K_THREAD_END:
	case ETL_K_THREAD_DCSTART: case ETL_K_THREAD_DCEND: {
		struct etl_thread t;
		if (etl_decode_thread(ev, &t) != 0) {
			F->malformed_events++;
			break;
		}
		/* one pass: the thread's events set it in time order (pass2_event); a lookup
		 * before its first one would have had the first process two passes know */
		if (c->one.on) {
			if (etl_keyset_has(&c->one.tids, t.tid, 0))
				redo(c, "thread", ev);
			break;
		}
		/* the first process a thread id had: for samples before its first event */
		if (etl_tidmap_get(&c->tids, t.tid, SINK_PID_UNKNOWN) == SINK_PID_UNKNOWN &&
		    etl_tidmap_set(&c->tids, t.tid, t.pid) != 0)
			return oom(c);
		break;
	}
	case ETL_K_PROCESS_START: case ETL_K_PROCESS_DCSTART: case ETL_K_PROCESS_DCEND: {
		struct etl_process pr;
		if (etl_decode_process(ev, &pr) != 0) {
			F->malformed_events++;
			break;
		}
		if (etl_procstats_name(&c->procs, pr.pid, pr.image_name) != 0)
			return oom(c);
		break;
	}
	case ETL_K_SYSCONFIG_CPU: {
		struct etl_sysconfig_cpu sc;
		if (etl_decode_sysconfig_cpu(ev, &sc) != 0) {
			F->malformed_events++;
			break;
		}
		if (!F->computer_name[0])
			memcpy(F->computer_name, sc.computer_name, sizeof F->computer_name);
		if (!F->sysconfig_mhz)
			F->sysconfig_mhz = sc.mhz;
		break;
	}
	default:
		break;
	}
	return 0;
}

/* The sink's record of module e, its debug identity included. */
static struct sink_module module_record(struct ctx *c, const struct etl_module *e)
{
	struct sink_module m = {
		.path = e->path, .name = e->name, .base = e->base, .size = e->size,
		.pid = e->pid, .timestamp = e->timestamp, .checksum = e->checksum,
		.load_ns = e->load_ns, .unload_ns = e->unload_ns,
	};
	/* kernel images: the identity events' pid is whatever process logged them */
	const struct etl_image_id *ident = etl_imageids_find(&c->ids, e->base, e->pid);
	if (!ident && e->space == 0)
		ident = etl_imageids_find_any_pid(&c->ids, e->base);
	if (ident && ident->has_rsds) {
		m.pdb = ident->pdb;
		m.pdb_guid = ident->guid;
		m.pdb_age = ident->age;
	}
	if (ident && ident->has_imageid) {
		m.has_image_id = 1;
		m.image_timestamp = ident->timestamp;
		m.image_size = ident->size;
	}
	return m;
}

/* Module e to the sink (proposed id: the next one); its id and base kept. */
static int emit_module(struct ctx *c, struct etl_module *e)
{
	struct sink_module m = module_record(c, e);
	int32_t id = (int32_t)c->n_id_base;
	if (c->sink->module) {
		int rc = c->sink->module(c->sink->ud, &m, &id);
		if (rc < 0)
			return rc;
	}
	if (id >= 0 && (size_t)id >= c->n_id_base) {
		size_t n = (size_t)id + 1;
		uint64_t *b = realloc(c->id_base, n * sizeof *b);
		if (!b)
			return oom(c);
		memset(b + c->n_id_base, 0, (n - c->n_id_base) * sizeof *b);
		c->id_base = b;
		c->n_id_base = n;
	}
	if (id >= 0)
		c->id_base[id] = e->base;
	e->id = id;
	return 0;
}

static int emit_modules(struct ctx *c)
{
	if (etl_modmap_finalize(&c->mods) != 0)
		return oom(c);
	for (size_t i = 0; i < c->mods.n; i++) {
		int rc = emit_module(c, &c->mods.v[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One pass, at the end: the modules lookups emitted get their final facts; the others are
 * emitted now. */
static int finish_modules(struct ctx *c)
{
	if (etl_modmap_finalize(&c->mods) != 0)
		return oom(c);
	for (size_t i = 0; i < c->mods.n; i++) {
		struct etl_module *e = &c->mods.v[i];
		int rc;
		if (e->id >= 0) {
			struct sink_module m = module_record(c, e);
			rc = c->sink->module_update(c->sink->ud, e->id, &m);
		} else {
			rc = emit_module(c, e);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A half's frames appended to the joined stack at c->join + at (addresses → offsets from
 * their module's base). */
static void join_half(struct ctx *c, const struct etl_frames *h, uint32_t at)
{
	for (uint32_t i = 0; i < h->n; i++) {
		int32_t id = h->mod[i];
		int known = id >= 0 && (size_t)id < c->n_id_base;
		c->join[at + i] = (struct sink_frame){.addr = h->addr[i],
						      .offset = known ? h->addr[i] - c->id_base[id]
								      : h->addr[i],
						      .module_id = known ? id : -1};
	}
}

static int flush_sample(struct ctx *c, struct etl_pending_sample *p)
{
	struct sink_cpu_sample *s = &p->s;
	if (p->ops.n) { /* waits for stack-key definitions: to the file, emitted at the end */
		if (!c->one.redo && etl_defer_put(&c->one.defer, p) != 0)
			redo_at(c, "stack_key_spill", s->t_ns);
		etl_pending_sample_release(p, &c->pend.frame_bytes);
		return 0;
	}
	s->stack_modules = s->n_stack_modules ? p->mods : NULL;
	s->module_chain = s->n_module_chain ? p->chain : NULL;
	/* join the halves: kernel frames (innermost) first, then the user ones */
	uint32_t nk = p->half[0].n, nu = p->half[1].n;
	join_half(c, &p->half[0], 0);
	join_half(c, &p->half[1], nk);
	etl_pending_sample_release(p, &c->pend.frame_bytes);
	s->n_frames = nk + nu;
	s->frames = s->n_frames ? c->join : NULL;
	if (p->stack_kinds)
		c->facts.samples_with_stack++;
	c->facts.samples_emitted++;
	if (sink_sample_idle(s))
		c->facts.idle_samples++;
	else if (s->module_id < 0)
		etl_addrs_add(s->ip_kernel ? &c->unknown_kernel : &c->unknown_user, s->ip);
	if (s->pid == SINK_PID_UNKNOWN)
		c->facts.samples_unknown_process++;
	if (p->in_syscall &&
	    etl_sched_syscall_sample(&c->sched, s->pid, p->syscall_addr, p->mods,
				     s->n_stack_modules) != 0)
		return oom(c);
	if (etl_procstats_add(&c->procs, s->pid, s->tid) != 0)
		return oom(c);
	if (c->sink->cpu_sample)
		return c->sink->cpu_sample(c->sink->ud, s);
	return 0;
}

/* The CPU's hold, created on first use; NULL when out of memory. Buffer headers give CPU
 * numbers below 2,048 (etl_buffer.c), so the holds take at most 2,048 × 64 slots. */
static struct hold_ring *hold_for(struct ctx *c, uint16_t cpu)
{
	if (cpu >= c->n_hold) {
		size_t n = (size_t)cpu + 1;
		struct hold_ring **h = realloc(c->hold, n * sizeof *h);
		if (!h)
			return NULL;
		memset(h + c->n_hold, 0, (n - c->n_hold) * sizeof *h);
		c->hold = h;
		c->n_hold = n;
	}
	if (!c->hold[cpu])
		c->hold[cpu] = calloc(1, sizeof *c->hold[cpu]);
	return c->hold[cpu];
}

/* Emit the oldest sample of a hold. */
static int hold_pop(struct ctx *c, struct hold_ring *h)
{
	struct etl_pending_sample *p = &h->slot[h->head];
	h->head = (h->head + 1) % HOLD_PER_CPU;
	h->count--;
	return flush_sample(c, p);
}

/* A sample leaves the window (or never entered it) for its CPU's hold. */
static int hold_put(struct ctx *c, const struct etl_pending_sample *p)
{
	struct hold_ring *h = hold_for(c, p->s.cpu);
	if (!h)
		return oom(c);
	if (h->count == HOLD_PER_CPU) {
		int rc = hold_pop(c, h);
		if (rc < 0)
			return rc;
	}
	h->slot[(h->head + h->count++) % HOLD_PER_CPU] = *p;
	if (p->ts > h->newest_ts)
		h->newest_ts = p->ts;
	return 0;
}

/* Move the samples that must leave the window before one at t_ns enters to their holds. */
static int flush_due(struct ctx *c, int64_t t_ns)
{
	struct etl_pending_sample *p;
	while ((p = etl_pending_due(&c->pend, t_ns)) != NULL) {
		int rc = hold_put(c, p);
		etl_pending_pop(&c->pend);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Everything left, at the end of the trace: the window, then every hold. */
static int flush_all(struct ctx *c)
{
	int rc = flush_due(c, INT64_MAX);
	for (size_t i = 0; rc >= 0 && i < c->n_hold; i++)
		while (rc >= 0 && c->hold[i] && c->hold[i]->count)
			rc = hold_pop(c, c->hold[i]);
	return rc;
}

static void add_mod(struct etl_pending_sample *p, int32_t id)
{
	if (id < 0)
		return;
	for (uint32_t i = 0; i < p->s.n_stack_modules; i++)
		if (p->mods[i] == id)
			return;
	if (p->s.n_stack_modules < ETL_PENDING_MAX_MODS)
		p->mods[p->s.n_stack_modules++] = id;
}

/* Append to the sample's module chain (stack order), folding consecutive repeats. */
static void add_chain(struct etl_pending_sample *p, int32_t id)
{
	uint32_t n = p->s.n_module_chain;
	if (id < 0 || n == ETL_PENDING_MAX_CHAIN || (n && p->chain[n - 1] == id))
		return;
	p->chain[p->s.n_module_chain++] = id;
}

/* Both lists take a stack frame's module. */
static void add_frame(struct etl_pending_sample *p, int32_t id)
{
	add_mod(p, id);
	add_chain(p, id);
}

static void cover_one(struct ctx *c, struct etl_pending_sample *p, uint16_t cpu, uint64_t entry,
		      uint64_t exit, const struct sink_dpcisr *e)
{
	if (p->s.cpu != cpu || p->s.covered || p->ts < entry || p->ts >= exit)
		return;
	p->s.covered = 1;
	p->s.cover_kind = e->kind;
	p->s.cover_module_id = e->module_id;
	c->facts.samples_in_dpcisr_interval++;
}

/* Mark the samples a DPC/ISR [entry, exit) on cpu covers that are still open to marking
 * (the invariants at the top): the window's from entry on, then the CPU's hold. */
static void cover_samples(struct ctx *c, uint16_t cpu, uint64_t entry, uint64_t exit,
			  const struct sink_dpcisr *e)
{
	struct etl_pending_sample *p;
	/* no sample waiting (a trace without PROFILE): no search, no calls */
	for (size_t i = c->pend.count ? etl_pending_lower(&c->pend, entry) : 0;
	     i < c->pend.count && (p = etl_pending_at(&c->pend, i)) != NULL && p->ts < exit; i++)
		cover_one(c, p, cpu, entry, exit, e);
	struct hold_ring *h = cpu < c->n_hold ? c->hold[cpu] : NULL;
	if (h && h->newest_ts < entry)
		return; /* the usual case: the hold is older than the DPC */
	for (unsigned i = 0; h && i < h->count; i++)
		cover_one(c, &h->slot[(h->head + i) % HOLD_PER_CPU], cpu, entry, exit, e);
}

/* Keep e among the recent answers of module_of, in place of the oldest. */
static void recent_mod_note(struct ctx *c, const struct etl_module *e)
{
	c->recent_mod[c->recent_next++ % ETL_RECENT_MODS] = e;
}

/* One pass: a lookup in the map as it is now, noted (the module it returned, emitted to
 * the sink if new; the page if none) so a late image that would change it is caught. */
static const struct etl_module *one_lookup(struct ctx *c, uint64_t addr, uint32_t pid,
					   int64_t t_ns, unsigned psize)
{
	if (!c->mods.finalized && etl_modmap_finalize(&c->mods) != 0 && !c->one.late_rc)
		c->one.late_rc = oom(c);
	c->one.lookups++;
	const struct etl_module *found = etl_modmap_lookup(&c->mods, addr, pid, t_ns, psize);
	if (!found) {
		int kernel = etl_is_kernel_address(addr, psize);
		etl_keyset_note(&c->one.pages, kernel ? 0 : (uint64_t)pid + 1, addr >> 12);
		return NULL;
	}
	struct etl_module *e = &c->mods.v[found - c->mods.v];
	e->looked = 1;
	if (e->id < 0) {
		int rc = emit_module(c, e);
		if (rc < 0) {
			if (!c->one.late_rc)
				c->one.late_rc = rc;
			return NULL;
		}
	}
	recent_mod_note(c, e);
	return e;
}

/* module_of past its granule's hint: a recent answer that holds the address, else the
 * map's lookup (noted for the one-pass ingest); the answer becomes the hint. */
static const struct etl_module *module_find(struct ctx *c, uint64_t addr, uint32_t pid,
					    int64_t t_ns, unsigned psize, uint64_t space,
					    const struct etl_module **hint)
{
	for (unsigned i = 0; i < ETL_RECENT_MODS; i++) {
		const struct etl_module *e = c->recent_mod[i];
		if (etl_module_holds(e, addr, space, t_ns))
			return *hint = e;
	}
	const struct etl_module *e;
	if (c->one.on)
		e = one_lookup(c, addr, pid, t_ns, psize);
	else if ((e = etl_modmap_lookup(&c->mods, addr, pid, t_ns, psize)) != NULL)
		recent_mod_note(c, e);
	if (e)
		*hint = e;
	return e;
}

/* The module that holds addr at t_ns in pid's space (the kernel's for a kernel address),
 * NULL if none: a module it returned before that holds the address (the granule's hint,
 * then the recent answers), else the map's lookup. */
static inline const struct etl_module *module_of(struct ctx *c, uint64_t addr, uint32_t pid,
						 int64_t t_ns, unsigned psize)
{
	/* events mostly hit one of a few drivers (interleaved DPCs/ISRs of several): reuse an
	 * earlier answer that holds the address, in its space, at that time — first the one
	 * given last for an address of the same 64 KiB granule */
	uint64_t space = etl_is_kernel_address(addr, psize) ? 0 : (uint64_t)pid + 1;
	if (c->one.on && t_ns > c->one.max_lookup_ns)
		c->one.max_lookup_ns = t_ns;
	const struct etl_module **hint = etl_modhint_slot(&c->mod_hint, addr);
	const struct etl_module *e = etl_modhint_get(hint, addr, space, t_ns);
	if (e)
		return e;
	return module_find(c, addr, pid, t_ns, psize, space, hint);
}

static int module_id(struct ctx *c, uint64_t addr, uint32_t pid, int64_t t_ns, unsigned psize)
{
	const struct etl_module *e = module_of(c, addr, pid, t_ns, psize);
	return e ? e->id : -1;
}

/* A stack frame: its module into the sample's lists, the frame (address and module index)
 * into its half. */
static void add_stack_frame(struct ctx *c, struct etl_pending_sample *p, uint64_t addr,
			    unsigned psize)
{
	const struct etl_module *e = module_of(c, addr, p->s.pid, p->s.t_ns, psize);
	add_frame(p, e ? e->id : -1);
	if (etl_frames_add(&p->half[etl_is_kernel_address(addr, psize) ? 0 : 1], addr,
			   e ? e->id : -1, &c->pend.frame_bytes) != 0)
		c->frames_oom = 1;
}

/* The hold whose oldest sample is the oldest of all holds, NULL if every hold is empty. */
static struct hold_ring *oldest_hold(struct ctx *c)
{
	struct hold_ring *best = NULL;
	for (size_t i = 0; i < c->n_hold; i++) {
		struct hold_ring *h = c->hold[i];
		if (h && h->count && (!best || h->slot[h->head].ts < best->slot[best->head].ts))
			best = h;
	}
	return best;
}

/* Keep the waiting frames within PENDING_FRAME_BYTES: the window's oldest samples move to
 * their holds early (a full hold emits its oldest, as always); only when the window is empty
 * and the holds alone are over budget is the oldest held sample emitted early. */
static int shed_frames(struct ctx *c)
{
	while (c->pend.frame_bytes > PENDING_FRAME_BYTES) {
		struct etl_pending_sample *p = etl_pending_at(&c->pend, 0);
		struct hold_ring *h;
		int rc;
		if (p) {
			rc = hold_put(c, p);
			etl_pending_pop(&c->pend);
		} else if ((h = oldest_hold(c)) != NULL) {
			rc = hold_pop(c, h);
		} else {
			return 0;
		}
		c->facts.stack_window_shed++;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int emit_dpcisr(struct ctx *c, const struct etl_event *ev, enum etl_kernel_kind k)
{
	uint64_t initial, routine;
	if (k == ETL_K_ISR || k == ETL_K_ISR_MSI) {
		struct etl_isr d;
		if (etl_decode_isr(ev, k == ETL_K_ISR_MSI, &d) != 0)
			goto bad;
		initial = d.initial_time;
		routine = d.routine;
	} else {
		struct etl_dpc d;
		if (etl_decode_dpc(ev, &d) != 0)
			goto bad;
		initial = d.initial_time;
		routine = d.routine;
	}
	if (ev->timestamp < initial)
		goto bad;
	uint64_t dur = etl_reader_ticks_to_ns(&c->r, ev->timestamp - initial);
	/* a bit-flipped InitialTime: outside the trace or longer than any real DPC/ISR */
	if (!etl_time_guard_in_window(&c->r.guard, initial) || dur > ETL_DPCISR_MAX_NS) {
		c->facts.dpcisr_damaged++;
		return 0;
	}
	struct sink_dpcisr e = {
		.t_ns = etl_reader_ns(&c->r, initial),
		.duration_ns = dur > UINT32_MAX ? UINT32_MAX : (uint32_t)dur,
		.cpu = ev->cpu,
		.routine = routine,
	};
	/* by table: the kinds come interleaved, a switch's jump mispredicted on most events */
	static const uint8_t sink_kind[ETL_K_COUNT] = {
		[ETL_K_DPC] = SINK_DPC, [ETL_K_THREADED_DPC] = SINK_THREADED_DPC,
		[ETL_K_TIMER_DPC] = SINK_TIMER_DPC, [ETL_K_ISR] = SINK_ISR,
		[ETL_K_ISR_MSI] = SINK_ISR_MSI,
	};
	e.kind = sink_kind[k];
	/* what held the CPU from the threads ready on it (threaded DPCs are threads) */
	if (k != ETL_K_THREADED_DPC &&
	    etl_sched_dpcisr(&c->sched, ev->cpu, e.t_ns, e.t_ns + (int64_t)dur) != 0)
		return oom(c);
	e.module_id = module_id(c, routine, 0, e.t_ns, ev->pointer_size);
	if (e.module_id < 0)
		c->facts.dpcisr_unresolved++;
	c->facts.dpcisr_emitted++;
	cover_samples(c, ev->cpu, initial, ev->timestamp, &e);
	return c->sink->dpcisr ? c->sink->dpcisr(c->sink->ud, &e) : 0;
bad:
	c->facts.dpcisr_malformed++;
	return 0;
}

/* The frames of key's definition for a reference at ref_ts (etl_stack_cache_find) into the
 * sample; an undefined key counts. */
static void add_key_frames(struct ctx *c, struct etl_pending_sample *p, uint64_t key,
			   uint64_t ref_ts)
{
	if (c->one.stacks_unsorted) {
		etl_stack_cache_sort(&c->stacks);
		c->one.stacks_unsorted = 0;
	}
	const struct etl_stack_def *d = etl_stack_cache_find(&c->stacks, key, ref_ts);
	if (!d) {
		c->facts.stack_keys_unresolved++;
		return;
	}
	for (uint32_t i = 0; i < d->n_frames; i++)
		add_stack_frame(c, p, etl_stack_def_frame(&c->stacks, d, i), d->psize);
}

/* One pass: an input of a deferred sample's stack recorded (etl_pending_sample.ops); more
 * than ETL_PENDING_MAX_OPS entries start over in two passes. */
static void defer_op(struct ctx *c, struct etl_pending_sample *p, uint64_t v, int32_t tag,
		     const struct etl_event *ev)
{
	int rc = etl_frames_push(&p->ops, v, tag, ETL_PENDING_MAX_OPS, &c->pend.frame_bytes);
	if (rc < 0)
		c->frames_oom = 1;
	else if (rc > 0)
		redo(c, "stack_key_ops", ev);
}

/* A Stack/KeyKernel/KeyUser event: add its frames' modules to its sample, if pending. */
static void match_stack(struct ctx *c, const struct etl_event *ev, enum etl_kernel_kind k)
{
	struct etl_stack s;
	int rc = k == ETL_K_STACK ? etl_decode_stack(ev, &s) : etl_decode_stack_key_ref(ev, &s);
	if (rc != 0)
		return;
	unsigned bit = k == ETL_K_STACK ? 0 : k == ETL_K_STACK_KEY_KERNEL ? 1 : 2;
	struct etl_pending_sample *p = etl_pending_find(&c->pend, s.event_ts, s.tid, bit);
	if (!p) {
		if (etl_pending_too_late(&c->pend, s.event_ts))
			c->facts.stack_events_late++;
		else
			c->facts.stack_events_unmatched++; /* the stack of some other event */
		return;
	}
	p->stack_kinds |= 1u << bit;
	c->facts.stack_events_matched++;
	/* one pass: a key reference defers the sample (invariants at the top); from then on
	 * its stack inputs are recorded, in order, to be replayed at the end */
	if (c->one.on && (k != ETL_K_STACK || p->ops.n)) {
		if (k == ETL_K_STACK) {
			for (uint32_t i = 0; i < s.n_frames; i++)
				defer_op(c, p, etl_stack_frame(&s, i), (int32_t)s.psize, ev);
		} else {
			defer_op(c, p, s.key, ETL_OP_KEY, ev);
			defer_op(c, p, ev->timestamp, ETL_OP_KEY_TS, ev);
		}
		return;
	}
	if (k == ETL_K_STACK) {
		for (uint32_t i = 0; i < s.n_frames; i++)
			add_stack_frame(c, p, etl_stack_frame(&s, i), s.psize);
		return;
	}
	add_key_frames(c, p, s.key, ev->timestamp);
}

/* A deferred sample: replay its recorded stack inputs now that every key definition is
 * known (the same calls two passes made, in the same order). */
static void replay_ops(struct ctx *c, struct etl_pending_sample *p)
{
	const struct etl_frames *o = &p->ops;
	for (uint32_t i = 0; i < o->n; i++) {
		if (o->mod[i] == ETL_OP_KEY && i + 1 < o->n && o->mod[i + 1] == ETL_OP_KEY_TS) {
			add_key_frames(c, p, o->addr[i], o->addr[i + 1]);
			i++;
		} else if (o->mod[i] == 4 || o->mod[i] == 8) {
			add_stack_frame(c, p, o->addr[i], (unsigned)o->mod[i]);
		}
	}
	etl_frames_free(&p->ops, &c->pend.frame_bytes);
}

static int defer_read_error(struct ctx *c)
{
	ingest_error_set(c->err, "cannot read back the temporary file of samples waiting for "
				 "their stack keys");
	return INGEST_EIO;
}

/* One pass, at the end: the deferred samples read back, resolved and emitted. */
static int emit_deferred(struct ctx *c)
{
	if (!c->one.defer.n)
		return 0;
	if (etl_defer_rewind(&c->one.defer) != 0)
		return defer_read_error(c);
	etl_stack_cache_sort(&c->stacks);
	c->one.stacks_unsorted = 0;
	struct etl_pending_sample p;
	int rc;
	while ((rc = etl_defer_next(&c->one.defer, &p, &c->pend.frame_bytes)) == 1) {
		replay_ops(c, &p);
		if (c->frames_oom) {
			etl_pending_sample_release(&p, &c->pend.frame_bytes);
			return oom(c);
		}
		c->facts.deferred_samples++;
		if ((rc = flush_sample(c, &p)) < 0)
			return rc;
		if (c->one.late_rc)
			return c->one.late_rc;
	}
	if (rc == -2)
		return oom(c);
	if (rc < 0)
		return defer_read_error(c);
	etl_defer_clear(&c->one.defer);
	return 0;
}

static int add_sample(struct ctx *c, const struct etl_event *ev)
{
	struct etl_sampled_profile sp;
	if (etl_decode_sampled_profile(ev, &sp) != 0) {
		c->facts.malformed_events++;
		return 0;
	}
	int64_t t_ns = etl_reader_ns(&c->r, ev->timestamp);
	int rc = flush_due(c, t_ns);
	if (rc < 0)
		return rc;
	struct etl_pending_sample one, *p = etl_pending_push(&c->pend, ev->timestamp);
	if (!p) { /* older than the window: no stack, straight to its CPU's hold */
		c->facts.samples_out_of_order++;
		memset(&one, 0, sizeof one);
		p = &one;
	}
	p->s.t_ns = t_ns;
	p->s.cpu = ev->cpu;
	p->s.tid = sp.thread_id;
	p->s.pid = etl_tidmap_get(&c->tids, sp.thread_id, SINK_PID_UNKNOWN);
	p->s.ip = sp.ip;
	p->s.ip_kernel = (uint8_t)etl_is_kernel_address(sp.ip, ev->pointer_size);
	p->s.module_id = module_id(c, sp.ip, p->s.pid, t_ns, ev->pointer_size);
	p->s.in_dpcisr = (sp.flags & 1) ? 1 : (sp.flags & 2) ? 2 : 0;
	add_mod(p, p->s.module_id);
	p->in_syscall = (uint8_t)etl_sched_in_syscall(&c->sched, sp.thread_id, &p->syscall_addr);
	return p == &one ? hold_put(c, p) : 0;
}

static int32_t resolve_syscall(void *ud, uint64_t addr, int64_t t_ns, unsigned psize)
{
	return module_id(ud, addr, 0, t_ns, psize);
}

static const char *process_name(void *ud, uint32_t pid)
{
	struct ctx *c = ud;
	uint32_t row = pid == SINK_PID_UNKNOWN ? 0 : etl_tidmap_get(&c->procs.index, pid + 1, 0);
	return row ? c->procs.v[row - 1].name : "";
}

/* A Process or Thread lifetime event, to the sink (pr NULL for threads). */
static int emit_task(struct ctx *c, const struct etl_event *ev, enum etl_kernel_kind k,
		     uint32_t pid, uint32_t tid, const struct etl_process *pr)
{
	if (!c->sink->task)
		return 0;
	struct sink_task t = {
		.t_ns = etl_reader_ns(&c->r, ev->timestamp), .pid = pid, .tid = tid,
		.ppid = pr ? pr->ppid : 0, .name = pr ? pr->image_name : "",
		.command_line = pr ? pr->command_line : "",
	};
	switch (k) {
	case ETL_K_PROCESS_DCSTART: t.rundown = 1; /* fall through */
	case ETL_K_PROCESS_START: t.kind = SINK_PROCESS_START; break;
	case ETL_K_PROCESS_DCEND: t.rundown = 1; /* fall through */
	case ETL_K_PROCESS_END: t.kind = SINK_PROCESS_END; break;
	case ETL_K_THREAD_DCSTART: t.rundown = 1; /* fall through */
	case ETL_K_THREAD_START: t.kind = SINK_THREAD_START; break;
	case ETL_K_THREAD_DCEND: t.rundown = 1; /* fall through */
	default: t.kind = SINK_THREAD_END; break;
	}
	return c->sink->task(c->sink->ud, &t);
}

/* A thread's name (Thread SetName, or the name in its Start/DCStart) to the sink. */
static int emit_thread_name(struct ctx *c, const struct etl_event *ev, const struct etl_thread *t)
{
	if (!c->sink->task)
		return 0;
	struct sink_task st = {.kind = SINK_THREAD_NAME, .t_ns = etl_reader_ns(&c->r, ev->timestamp),
			       .pid = t->pid, .tid = t->tid, .name = t->name, .command_line = ""};
	return c->sink->task(c->sink->ud, &st);
}

/* A minifilter event (FileIo 0x60–0x65): decoded with the candidate layout, checked against
 * the module map (which pointer slots fall inside a loaded kernel image, at the event's
 * time), the trace's clock and the major function codes, each pointer slot tested against
 * the FileObjects of the FileIo events so far (and named where the aggregator asks), then
 * handed to the aggregator, which decides per trace whether the layout holds and which
 * slot is the FileObject (etl_fltagg.h). */
static int minifilter_event(struct ctx *c, const struct etl_event *ev)
{
	struct etl_flt_rec x;
	memset(&x, 0, sizeof x);
	int rc = etl_decode_fltio(ev, &x.f);
	if (rc < 0)
		etl_fltagg_short(&c->flt);
	if (rc != 0)
		return 0;
	unsigned P = ev->pointer_size;
	x.t_ns = etl_reader_ns(&c->r, ev->timestamp);
	x.tid = ev->thread_id;
	x.pid = etl_tidmap_get(&c->tids, ev->thread_id, SINK_PID_UNKNOWN);
	x.cpu = ev->cpu;
	x.module = -1;
	uint64_t routine = x.f.ptr[ETL_FLT_ROUTINE];
	if (etl_is_kernel_address(routine, P)) {
		const struct etl_module *m = module_of(c, routine, x.pid, x.t_ns, P);
		x.lk.in_image[ETL_FLT_ROUTINE] = m != NULL;
		x.module = m ? m->id : -1;
	}
	for (unsigned i = ETL_FLT_FILE_OBJECT; i < ETL_FLT_SLOTS; i++)
		x.lk.in_image[i] = etl_is_kernel_address(x.f.ptr[i], P) &&
				   etl_modmap_lookup(&c->mods, x.f.ptr[i], x.pid, x.t_ns, P);
	x.bad = etl_fltio_check(&x.f, ev, c->facts.first_ts, &x.lk);
	if (x.module < 0)
		x.bad |= ETL_FLTC_ROUTINE;
	if (!x.bad && x.f.completion)
		x.delay_ns = (uint64_t)(x.t_ns - etl_reader_ns(&c->r, x.f.initial_time));
	unsigned want = x.bad ? 0 : etl_fltagg_name_slots(&c->flt);
	for (unsigned i = ETL_FLT_FILE_OBJECT; i < ETL_FLT_SLOTS; i++) {
		uint64_t key = 0;
		x.seen[i] = (uint8_t)etl_fltpin_has(&c->flt.objects, x.f.ptr[i], &key);
		if (!x.seen[i] || !(want >> i & 1))
			continue;
		/* the object's own name (Win7 names, a Create's OpenPath), else its FileKey's */
		x.slot_file[i] = etl_ioagg_file_name(&c->io, x.f.ptr[i]);
		if (!x.slot_file[i] && key)
			x.slot_file[i] = etl_ioagg_file_name(&c->io, key);
	}
	rc = etl_fltagg_add(&c->flt, &x);
	return rc == -1 ? oom(c) : rc;
}

/* Pass 2's part of an event of kind k (etl_kernel_classify, with its group). */
static int pass2_event(struct ctx *c, const struct etl_event *ev, enum etl_kernel_kind k,
		       int group)
{
	if (etl_ioagg_event(&c->io, ev, group, 1, &c->tids, &c->r))
		return oom(c);
	if (group == ETL_GROUP_FILEIO && ev->type >= ETL_FIO_FLT_FIRST && ev->type <= ETL_FIO_FLT_LAST)
		return minifilter_event(c, ev);
	switch (k) {
	case ETL_K_STACK: case ETL_K_STACK_KEY_KERNEL: case ETL_K_STACK_KEY_USER:
		match_stack(c, ev, k);
		return c->frames_oom ? oom(c) : shed_frames(c);
	case ETL_K_THREAD_START: case ETL_K_THREAD_END:
	case ETL_K_THREAD_DCSTART: case ETL_K_THREAD_DCEND: {
		struct etl_thread t;
		if (etl_decode_thread(ev, &t) != 0)
			return 0;
		if (etl_tidmap_set(&c->tids, t.tid, t.pid) != 0)
			return oom(c);
		int rc = emit_task(c, ev, k, t.pid, t.tid, NULL);
		if (rc)
			return rc;
		if ((k == ETL_K_THREAD_START || k == ETL_K_THREAD_DCSTART) && t.name[0])
			return emit_thread_name(c, ev, &t);
		return 0;
	}
	case ETL_K_PROCESS_START: case ETL_K_PROCESS_END:
	case ETL_K_PROCESS_DCSTART: case ETL_K_PROCESS_DCEND: {
		struct etl_process pr;
		if (etl_decode_process(ev, &pr) != 0)
			return 0;
		return emit_task(c, ev, k, pr.pid, 0, &pr);
	}
	case ETL_K_THREAD_SET_NAME: {
		struct etl_thread t;
		if (etl_decode_thread_name(ev, &t, t.name, sizeof t.name) != 0 || !t.name[0])
			return 0;
		return emit_thread_name(c, ev, &t);
	}
	case ETL_K_DPC: case ETL_K_THREADED_DPC: case ETL_K_TIMER_DPC:
	case ETL_K_ISR: case ETL_K_ISR_MSI:
		return emit_dpcisr(c, ev, k);
	case ETL_K_SAMPLED_PROFILE:
		return add_sample(c, ev);
	case ETL_K_CSWITCH: case ETL_K_READY_THREAD:
	case ETL_K_SYSCALL_ENTER: case ETL_K_SYSCALL_EXIT:
		if (etl_sched_event(&c->sched, ev, k, etl_reader_ns(&c->r, ev->timestamp)) != 0)
			return oom(c);
		return 0;
	default:
		return 0;
	}
}

/* The slice for a span: whole ms, at most ~500 slices over the trace. */
static uint64_t slice_for(int64_t span)
{
	uint64_t ms = span > 0 ? (uint64_t)span / 500 / 1000000 + 1 : 1;
	return ms * 1000000;
}

/* The per-CPU scheduling timeline's slice, from the events' span. */
static uint64_t timeline_slice_ns(struct ctx *c)
{
	const struct etl_summary_facts *F = &c->facts;
	int64_t span = F->have_ts ? etl_reader_ns(&c->r, F->last_ts) - etl_reader_ns(&c->r, F->first_ts)
				  : 0;
	return slice_for(span);
}

/* The reader on the trace header (time conversion, time guard). 0 or an INGEST_E* code
 * with err set. */
static int open_reader(struct ctx *c, FILE *f)
{
	int rc = etl_reader_open_grow(&c->r, f, c->grow);
	if (rc == INGEST_EFORMAT && c->r.refused_buffer_size) {
		ingest_error_set(c->err, "the trace header claims %u-byte buffers; etlscope reads "
			 "buffers up to %u bytes (16 MiB, the largest ETW writes): the file is "
			 "damaged or crafted", c->r.refused_buffer_size, ETL_BUFFER_MAX_SIZE);
		return rc;
	}
	if (rc == INGEST_EFORMAT && c->r.st.truncated) {
		ingest_error_set(c->err, "the trace is truncated inside its first buffer, before "
					 "its header event ends: nothing in it can be read");
		return rc;
	}
	if (rc == INGEST_EFORMAT) {
		ingest_error_set(c->err, "not an ETW trace: the first buffer does not start with "
					 "a trace header event");
		return rc;
	}
	if (rc == INGEST_EIO) {
		ingest_error_set(c->err, "cannot read the trace file");
		return rc;
	}
	if (rc)
		return oom(c);
	etl_reader_check_times(&c->r);
	return 0;
}

/* The time-ordered pass: every event to pass2_event (one pass: to pass1_event first, and
 * it stops as soon as the one pass cannot stay exact). */
static int merge_pass(struct ctx *c, FILE *f)
{
	struct etl_merge m;
	const struct etl_event *ev;
	int sink_rc = 0;
	int rc = etl_merge_open_grow(&m, f, c->grow, ETL_MERGE_AUTO);
	if (rc == 0) {
		while ((rc = etl_merge_next_ref(&m, &ev)) == 1) {
			int group;
			enum etl_kernel_kind k = etl_kernel_classify(ev, &group);
			if (c->one.on) {
				etl_reader_observe(&c->r, ev); /* group masks, as pass 1's reader */
				if ((sink_rc = pass1_event(c, ev, k, group)) < 0)
					break;
				if (c->io.late_name)
					redo(c, "file_name", ev);
				if (c->one.redo)
					break;
			}
			if ((sink_rc = pass2_event(c, ev, k, group)) < 0)
				break;
			if (c->one.late_rc) {
				sink_rc = c->one.late_rc;
				break;
			}
		}
	}
	c->facts.merge_limit_buffers = m.st.limit_buffers; /* the budget binds in pass 2 only */
	c->facts.merge_late_buffers = m.late_buffers;
	if (c->one.on)
		c->facts.reader = m.st;
	etl_merge_close(&m);
	if (sink_rc < 0)
		return sink_rc; /* the sink's value unchanged (or ENOMEM, message set) */
	if (c->one.redo)
		return 0;
	if (rc == INGEST_ENOMEM)
		return oom(c);
	if (rc < 0) {
		ingest_error_set(c->err, "cannot seek in the trace file (a second pass needs it)");
		return INGEST_EIO;
	}
	return 0;
}

#define ONE_PASS_REDO 1 /* run_one_pass: start over in two passes (c->one.redo says why) */

/* What both ways end with: the samples still waiting, the aggregates, the summary. */
static int finish(struct ctx *c)
{
	int rc;
	if ((rc = flush_all(c)) < 0)
		return rc;
	if (c->one.on && c->one.redo)
		return ONE_PASS_REDO; /* a deferred sample could not be kept */
	if (c->one.on && (rc = emit_deferred(c)) < 0)
		return rc;
	if ((rc = etl_sched_emit(&c->sched, c->sink, resolve_syscall, process_name, c)) < 0)
		return rc;
	if (c->one.on && ((rc = c->one.late_rc) < 0 || (rc = finish_modules(c)) < 0))
		return rc;
	c->facts.kernel_sys_images = etl_modmap_count_sys(&c->mods);
	c->facts.modules = c->mods.n;
	c->facts.procs = &c->procs;
	c->facts.unknown_kernel = &c->unknown_kernel;
	c->facts.unknown_user = &c->unknown_user;
	if (etl_fltagg_finish(&c->flt) < 0)
		return oom(c);
	for (unsigned t = ETL_FIO_FLT_FIRST; t <= ETL_FIO_FLT_LAST; t++) /* decoded: those that fit */
		c->io.type_undecoded[1][t] = c->io.type_count[1][t] - c->flt.type_fit[t - ETL_FIO_FLT_FIRST];
	if ((rc = etl_ioagg_emit(&c->io, c->sink)) < 0 || (rc = etl_fltagg_emit(&c->flt, c->sink)) < 0)
		return rc;
	c->facts.flt = &c->flt;
	if ((rc = etl_slicefacts_flush(&c->slicefacts)) < 0)
		return rc;
	if (c->slicefacts.spans_lumped && c->sink->warning &&
	    (rc = c->sink->warning(c->sink->ud, "slice_facts_lumped", "the trace's times span "
				   "too long: some thread states count in the slice where they "
				   "began, not spread over their time")) < 0)
		return rc;
	return etl_summary_emit(&c->r, &c->facts, c->sink, c->err);
}

static int run_two_pass(struct ctx *c, FILE *f)
{
	int rc = open_reader(c, f);
	if (rc)
		return rc;
	struct etl_event ev;
	while ((rc = etl_reader_next(&c->r, &ev)) == 1) {
		int group;
		enum etl_kernel_kind k = etl_kernel_classify(&ev, &group);
		if ((rc = pass1_event(c, &ev, k, group)) < 0)
			return rc;
	}
	if (rc < 0)
		return oom(c);
	c->facts.reader = c->r.st;
	etl_sched_set_slice(&c->sched, timeline_slice_ns(c));
	if ((rc = emit_modules(c)) < 0)
		return rc;
	etl_stack_cache_sort(&c->stacks);
	etl_ioagg_set_span(&c->io, c->facts.have_ts ? etl_reader_ns(&c->r, c->facts.last_ts) : 0);
	/* FileObject evidence only for a trace with minifilter events (pass 1 counted them):
	 * a busy FileIo trace without them keeps no set */
	uint64_t flt_events = 0;
	for (unsigned t = ETL_FIO_FLT_FIRST; t <= ETL_FIO_FLT_LAST; t++)
		flt_events += c->io.type_count[1][t];
	if (!flt_events)
		c->io.file_objects = NULL;
	if ((rc = merge_pass(c, f)) < 0)
		return rc;
	return finish(c);
}


/* The header's span in ns (StartTime to EndTime), 0 when its end is unknown. */
static int64_t header_span_ns(const struct ctx *c)
{
	const struct etl_logfile *lf = &c->r.lf;
	if (lf->end_time <= lf->start_time || lf->end_time - lf->start_time > INT64_MAX / 100)
		return 0;
	return (int64_t)(lf->end_time - lf->start_time) * 100;
}

/* One time-ordered pass (the invariants at the top). 0 done, ONE_PASS_REDO, or an error
 * (nothing of a redo has been committed: the caller restarts the sink). */
static int run_one_pass(struct ctx *c, FILE *f)
{
	int rc = open_reader(c, f);
	if (rc)
		return rc;
	int64_t span = header_span_ns(c);
	if (!span) {
		c->one.redo = "header_end_unknown";
		return ONE_PASS_REDO;
	}
	c->one.slice_ns = slice_for(span);
	etl_sched_set_slice(&c->sched, c->one.slice_ns);
	c->io.defer = 1; /* queued I/Os wait for the events' span, known at the end */
	if ((rc = merge_pass(c, f)) < 0)
		return rc;
	if (c->one.redo)
		return ONE_PASS_REDO;
	/* the slices two passes would have cut, from the events' own span */
	int64_t last = c->facts.have_ts ? etl_reader_ns(&c->r, c->facts.last_ts) : 0;
	if ((c->facts.kind_counts[ETL_K_CSWITCH] && timeline_slice_ns(c) != c->one.slice_ns) ||
	    c->io.deferred_lost) {
		c->one.redo = "span";
		c->one.redo_at_ns = last;
		return ONE_PASS_REDO;
	}
	etl_ioagg_set_span(&c->io, last);
	if (c->io.deferred_lost) { /* the temporary file could not be read back */
		c->one.redo = "span";
		c->one.redo_at_ns = last;
		return ONE_PASS_REDO;
	}
	c->facts.passes = "one_pass";
	return finish(c);
}

static void ctx_free(struct ctx *c)
{
	if (!c)
		return;
	etl_reader_close(&c->r);
	etl_modmap_free(&c->mods);
	etl_stack_cache_free(&c->stacks);
	etl_tidmap_free(&c->tids);
	for (size_t i = 0; i < c->n_hold; i++) {
		struct hold_ring *h = c->hold[i];
		for (unsigned j = 0; h && j < h->count; j++) /* left by an aborted parse */
			etl_pending_sample_release(&h->slot[(h->head + j) % HOLD_PER_CPU],
						   &c->pend.frame_bytes);
		free(h);
	}
	etl_pending_free(&c->pend);
	etl_procstats_free(&c->procs);
	free(c->hold);
	etl_sched_free(&c->sched);
	etl_ioagg_free(&c->io);
	etl_fltagg_free(&c->flt);
	etl_slicefacts_free(&c->slicefacts);
	etl_imageids_clear(&c->ids);
	free(c->id_base);
	etl_keyset_free(&c->one.tids);
	etl_keyset_free(&c->one.pages);
	etl_keyset_free(&c->one.files);
	etl_defer_clear(&c->one.defer);
	free(c);
}

static struct ctx *ctx_new(const struct ingest_sink *sink, struct ingest_error *err, int one)
{
	struct ctx *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->sink = sink;
	c->err = err;
	etl_modmap_init(&c->mods);
	etl_stack_cache_init(&c->stacks);
	etl_tidmap_init(&c->tids);
	etl_procstats_init(&c->procs);
	etl_sched_init(&c->sched, &c->tids);
	etl_ioagg_init(&c->io);
	etl_fltagg_init(&c->flt);
	etl_keyset_init(&c->one.tids, ONEPASS_SET_MAX);
	etl_keyset_init(&c->one.pages, ONEPASS_SET_MAX);
	etl_keyset_init(&c->one.files, ONEPASS_SET_MAX);
	etl_defer_init(&c->one.defer);
	if (etl_slicefacts_init(&c->slicefacts, sink) != 0 ||
	    etl_pending_init(&c->pend, PENDING_SAMPLES, PENDING_HORIZON_NS) != 0) {
		ctx_free(c);
		return NULL;
	}
	c->sched.facts = &c->slicefacts;
	c->io.facts = &c->slicefacts;
	c->flt.facts = &c->slicefacts;
	c->io.file_objects = &c->flt.objects;
	if (one) {
		c->one.on = 1;
		c->one.max_lookup_ns = INT64_MIN;
		c->tids.missed = &c->one.tids;
		c->io.missed_names = &c->one.files;
	}
	return c;
}

int etl_ingest_grow(FILE *f, struct ingest_grow *grow, enum etl_passes passes,
		    const struct ingest_sink *sink, struct ingest_error *err)
{
	int one = passes == ETL_ONE_PASS && sink->restart && sink->module_update;
	struct ctx *c = ctx_new(sink, err, one);
	if (!c) {
		ingest_error_set(err, "out of memory");
		return INGEST_ENOMEM;
	}
	c->grow = grow;
	if (!one) {
		int rc = run_two_pass(c, f);
		ctx_free(c);
		return rc;
	}
	int rc = run_one_pass(c, f);
	if (rc != ONE_PASS_REDO) {
		ctx_free(c);
		return rc;
	}
	/* start over: the sink forgets what the one pass stored, two passes read it all */
	const char *why = c->one.redo;
	int64_t at = c->one.redo_at_ns;
	ctx_free(c);
	if ((rc = sink->restart(sink->ud)) < 0)
		return rc;
	if (!(c = ctx_new(sink, err, 0))) {
		ingest_error_set(err, "out of memory");
		return INGEST_ENOMEM;
	}
	c->grow = grow;
	c->facts.passes = "two_pass_redo";
	c->facts.redo_reason = why;
	c->facts.redo_at_ns = at;
	rc = run_two_pass(c, f);
	ctx_free(c);
	return rc;
}

int etl_ingest(FILE *f, const struct ingest_sink *sink, struct ingest_error *err)
{
	return etl_ingest_ex(f, ETL_TWO_PASS, sink, err);
}

int etl_ingest_ex(FILE *f, enum etl_passes passes, const struct ingest_sink *sink,
		  struct ingest_error *err)
{
	return etl_ingest_grow(f, NULL, passes, sink, err);
}
