/* etl_ingest.c — the ETW trace → sink pipeline: pass 1 (file order) collects images, stack
 * keys, threads and counts; modules are emitted; pass 2 (time order) emits DPC/ISR and CPU
 * samples with their stack modules; then warnings and the summary (etl_summary.c). */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "etl_ingest.h"
#include "etl_kernel.h"
#include "etl_merge.h"
#include "etl_modmap.h"
#include "etl_reader.h"
#include "etl_stacks.h"
#include "etl_summary.h"
#include "etl_tidmap.h"

#define MAX_STACK_MODS 64
#define PENDING_PER_CPU 64 /* samples per CPU still waiting for their stack events */

struct pending_sample {
	int active;
	int stack_matched; /* a Stack or stack-key event of this sample was seen */
	uint64_t ts;
	struct sink_cpu_sample s;
	int32_t mods[MAX_STACK_MODS];
};

/* A CPU's samples in arrival order; the oldest is emitted when the ring is full. */
struct pending_ring {
	struct pending_sample slot[PENDING_PER_CPU];
	unsigned head, count;
};

struct ctx {
	const struct ingest_sink *sink;
	struct ingest_error *err;
	struct etl_reader r;
	struct etl_modmap mods;
	struct etl_stack_cache stacks;
	struct etl_tidmap tids;
	struct etl_summary_facts facts;
	const struct etl_module *last_mod; /* one-entry lookup cache */
	struct pending_ring **pend; /* indexed by CPU; a ring exists once the CPU has samples */
	size_t n_pend;
};

static int oom(struct ctx *c)
{
	ingest_error_set(c->err, "out of memory while reading the trace");
	return INGEST_ENOMEM;
}

static int pass1_event(struct ctx *c, const struct etl_event *ev)
{
	int group;
	enum etl_kernel_kind k = etl_kernel_classify(ev, &group);
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

	switch (k) {
	case ETL_K_IMAGE_LOAD: case ETL_K_IMAGE_UNLOAD:
	case ETL_K_IMAGE_DCSTART: case ETL_K_IMAGE_DCEND: {
		struct etl_image im;
		if (etl_decode_image(ev, &im) != 0) {
			F->malformed_events++;
			break;
		}
		if (etl_image_is_kernel_sys(&im, ev->pointer_size))
			F->kernel_sys_image_events++;
		if (etl_modmap_add(&c->mods, &im, k, etl_reader_ns(&c->r, ev->timestamp),
				   ev->pointer_size) != 0)
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
		break;
	}
	case ETL_K_STACK_KEY_USER: {
		struct etl_stack s;
		if (etl_decode_stack_key_ref(ev, &s) != 0) {
			F->malformed_events++;
			break;
		}
		if (etl_stack_cache_note_user_ref(&c->stacks, s.key, s.pid) != 0)
			return oom(c);
		break;
	}
	case ETL_K_THREAD_START: case ETL_K_THREAD_END:
	case ETL_K_THREAD_DCSTART: case ETL_K_THREAD_DCEND: {
		struct etl_thread t;
		if (etl_decode_thread(ev, &t) != 0) {
			F->malformed_events++;
			break;
		}
		if (etl_tidmap_set(&c->tids, t.tid, t.pid) != 0)
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

static int emit_modules(struct ctx *c)
{
	if (etl_modmap_finalize(&c->mods) != 0)
		return oom(c);
	for (size_t i = 0; i < c->mods.n; i++) {
		struct etl_module *e = &c->mods.v[i];
		struct sink_module m = {
			.path = e->path, .name = e->name, .base = e->base, .size = e->size,
			.pid = e->pid, .timestamp = e->timestamp, .checksum = e->checksum,
			.load_ns = e->load_ns, .unload_ns = e->unload_ns,
		};
		int32_t id = (int32_t)i;
		if (c->sink->module) {
			int rc = c->sink->module(c->sink->ud, &m, &id);
			if (rc < 0)
				return rc;
		}
		e->id = id;
	}
	return 0;
}

/* The CPU's ring; created on first use only if create (CPU numbers go up to 2047). */
static struct pending_ring *ring_for(struct ctx *c, uint16_t cpu, int create, int *err)
{
	*err = 0;
	if (cpu >= c->n_pend) {
		if (!create)
			return NULL;
		size_t n = (size_t)cpu + 1;
		struct pending_ring **p = realloc(c->pend, n * sizeof *p);
		if (!p) {
			*err = 1;
			return NULL;
		}
		memset(p + c->n_pend, 0, (n - c->n_pend) * sizeof *p);
		c->pend = p;
		c->n_pend = n;
	}
	if (!c->pend[cpu] && create) {
		c->pend[cpu] = calloc(1, sizeof *c->pend[cpu]);
		if (!c->pend[cpu])
			*err = 1;
	}
	return c->pend[cpu];
}

static int flush_sample(struct ctx *c, struct pending_sample *p)
{
	if (!p->active)
		return 0;
	p->active = 0;
	p->s.stack_modules = p->s.n_stack_modules ? p->mods : NULL;
	if (p->stack_matched)
		c->facts.samples_with_stack++;
	c->facts.samples_emitted++;
	if (c->sink->cpu_sample)
		return c->sink->cpu_sample(c->sink->ud, &p->s);
	return 0;
}

/* Emit the oldest pending sample of a ring. */
static int ring_pop(struct ctx *c, struct pending_ring *r)
{
	if (!r->count)
		return 0;
	struct pending_sample *p = &r->slot[r->head];
	r->head = (r->head + 1) % PENDING_PER_CPU;
	r->count--;
	return flush_sample(c, p);
}

static struct pending_sample *ring_find(struct pending_ring *r, uint64_t ts, uint32_t tid)
{
	/* newest first: a sample's stack events follow it closely */
	for (unsigned i = r->count; i-- > 0;) {
		struct pending_sample *p = &r->slot[(r->head + i) % PENDING_PER_CPU];
		if (p->active && p->ts == ts && p->s.tid == tid)
			return p;
	}
	return NULL;
}

static void add_mod(struct pending_sample *p, int32_t id)
{
	if (id < 0)
		return;
	for (uint32_t i = 0; i < p->s.n_stack_modules; i++)
		if (p->mods[i] == id)
			return;
	if (p->s.n_stack_modules < MAX_STACK_MODS)
		p->mods[p->s.n_stack_modules++] = id;
}

static int module_id(struct ctx *c, uint64_t addr, uint32_t pid, int64_t t_ns, unsigned psize)
{
	const struct etl_module *e = c->last_mod;
	/* consecutive events mostly hit the same driver: reuse it when it is unambiguous */
	if (e && addr - e->base < e->size && t_ns >= e->load_ns && t_ns <= e->unload_ns &&
	    (e->space == 0 ? (etl_is_kernel_address(addr, psize) || pid == 0 || pid == 4)
			   : e->space == (uint64_t)pid + 1))
		return e->id;
	e = etl_modmap_lookup(&c->mods, addr, pid, t_ns, psize);
	if (e)
		c->last_mod = e;
	return e ? e->id : -1;
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
	struct sink_dpcisr e = {
		.t_ns = etl_reader_ns(&c->r, initial),
		.duration_ns = dur > UINT32_MAX ? UINT32_MAX : (uint32_t)dur,
		.cpu = ev->cpu,
		.routine = routine,
	};
	switch (k) {
	case ETL_K_DPC: e.kind = SINK_DPC; break;
	case ETL_K_THREADED_DPC: e.kind = SINK_THREADED_DPC; break;
	case ETL_K_TIMER_DPC: e.kind = SINK_TIMER_DPC; break;
	case ETL_K_ISR: e.kind = SINK_ISR; break;
	default: e.kind = SINK_ISR_MSI; break;
	}
	e.module_id = module_id(c, routine, 0, e.t_ns, ev->pointer_size);
	if (e.module_id < 0)
		c->facts.dpcisr_unresolved++;
	c->facts.dpcisr_emitted++;
	return c->sink->dpcisr ? c->sink->dpcisr(c->sink->ud, &e) : 0;
bad:
	c->facts.dpcisr_malformed++;
	return 0;
}

static int pass2_event(struct ctx *c, const struct etl_event *ev)
{
	enum etl_kernel_kind k = etl_kernel_classify(ev, NULL);
	int err;
	struct pending_ring *ring = ring_for(c, ev->cpu, k == ETL_K_SAMPLED_PROFILE, &err);
	if (err)
		return oom(c);
	int rc;
	switch (k) {
	case ETL_K_STACK: case ETL_K_STACK_KEY_KERNEL: case ETL_K_STACK_KEY_USER: {
		struct etl_stack s;
		rc = k == ETL_K_STACK ? etl_decode_stack(ev, &s) : etl_decode_stack_key_ref(ev, &s);
		if (rc != 0)
			return 0;
		struct pending_sample *p = ring ? ring_find(ring, s.event_ts, s.tid) : NULL;
		if (!p)
			return 0; /* the stack of some other event */
		if (s.pid)
			p->s.pid = s.pid;
		p->stack_matched = 1;
		c->facts.stack_events_matched++;
		int64_t t = p->s.t_ns;
		if (k == ETL_K_STACK) {
			for (uint32_t i = 0; i < s.n_frames; i++)
				add_mod(p, module_id(c, etl_stack_frame(&s, i), s.pid, t, s.psize));
		} else {
			const struct etl_stack_def *d = etl_stack_cache_find(&c->stacks, s.key, ev->timestamp);
			if (!d) {
				c->facts.stack_keys_unresolved++;
				return 0;
			}
			for (uint32_t i = 0; i < d->n_mods; i++)
				add_mod(p, c->stacks.mods[d->mod_off + i]);
		}
		return 0;
	}
	case ETL_K_DPC: case ETL_K_THREADED_DPC: case ETL_K_TIMER_DPC:
	case ETL_K_ISR: case ETL_K_ISR_MSI:
		return emit_dpcisr(c, ev, k);
	case ETL_K_SAMPLED_PROFILE: {
		struct etl_sampled_profile sp;
		if (etl_decode_sampled_profile(ev, &sp) != 0) {
			c->facts.malformed_events++;
			return 0;
		}
		if (ring->count == PENDING_PER_CPU && (rc = ring_pop(c, ring)) < 0)
			return rc;
		struct pending_sample *p = &ring->slot[(ring->head + ring->count) % PENDING_PER_CPU];
		ring->count++;
		memset(p, 0, sizeof *p);
		p->active = 1;
		p->ts = ev->timestamp;
		p->s.t_ns = etl_reader_ns(&c->r, ev->timestamp);
		p->s.cpu = ev->cpu;
		p->s.tid = sp.thread_id;
		p->s.pid = etl_tidmap_get(&c->tids, sp.thread_id, 0);
		p->s.ip = sp.ip;
		p->s.module_id = module_id(c, sp.ip, p->s.pid, p->s.t_ns, ev->pointer_size);
		p->s.in_dpcisr = (sp.flags & 1) ? 1 : (sp.flags & 2) ? 2 : 0;
		add_mod(p, p->s.module_id);
		return 0;
	}
	default:
		return 0;
	}
}

static int run(struct ctx *c, FILE *f)
{
	int rc = etl_reader_open(&c->r, f);
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
	struct etl_event ev;
	while ((rc = etl_reader_next(&c->r, &ev)) == 1)
		if ((rc = pass1_event(c, &ev)) < 0)
			return rc;
	if (rc < 0)
		return oom(c);
	c->facts.reader = c->r.st;
	if ((rc = emit_modules(c)) < 0)
		return rc;
	if (etl_stack_cache_resolve(&c->stacks, &c->mods) != 0)
		return oom(c);

	struct etl_merge m;
	int sink_rc = 0;
	rc = etl_merge_open(&m, f);
	if (rc == 0) {
		while ((rc = etl_merge_next(&m, &ev)) == 1)
			if ((sink_rc = pass2_event(c, &ev)) < 0)
				break;
	}
	etl_merge_close(&m);
	if (sink_rc < 0)
		return sink_rc; /* the sink's value unchanged (or ENOMEM, message set) */
	if (rc == INGEST_ENOMEM)
		return oom(c);
	if (rc < 0) {
		ingest_error_set(c->err, "cannot seek in the trace file (a second pass needs it)");
		return INGEST_EIO;
	}
	for (size_t i = 0; i < c->n_pend; i++)
		while (c->pend[i] && c->pend[i]->count)
			if ((rc = ring_pop(c, c->pend[i])) < 0)
				return rc;

	c->facts.kernel_sys_images = etl_modmap_count_sys(&c->mods);
	c->facts.modules = c->mods.n;
	return etl_summary_emit(&c->r, &c->facts, c->sink, c->err);
}

int etl_ingest(FILE *f, const struct ingest_sink *sink, struct ingest_error *err)
{
	struct ctx *c = calloc(1, sizeof *c);
	if (!c) {
		ingest_error_set(err, "out of memory");
		return INGEST_ENOMEM;
	}
	c->sink = sink;
	c->err = err;
	etl_modmap_init(&c->mods);
	etl_stack_cache_init(&c->stacks);
	etl_tidmap_init(&c->tids);
	int rc = run(c, f);
	etl_reader_close(&c->r);
	etl_modmap_free(&c->mods);
	etl_stack_cache_free(&c->stacks);
	etl_tidmap_free(&c->tids);
	for (size_t i = 0; i < c->n_pend; i++)
		free(c->pend[i]);
	free(c->pend);
	free(c);
	return rc;
}
