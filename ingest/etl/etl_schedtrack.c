/* etl_schedtrack.c — the scheduling/syscall state machine and aggregates of
 * etl_schedtrack.h (semantics and invariants there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "etl_grow.h"
#include "etl_schedtrack.h"

enum { ST_UNKNOWN = 0, ST_RUNNING, ST_READY, ST_WAITING };

/* An open syscall (of a thread, or of a CPU whose thread is unknown). */
struct open_sc {
	uint8_t in;
	uint8_t psize;
	int64_t ns;
	uint64_t addr;
};

/* The state every event reads comes first, then the totals (their four running sums in
 * the same 128 bytes), then a's two 512-byte wait arrays: a busy server's thousands of
 * records do not fit the cache, and an event touched three lines of its thread, not two,
 * while the state sat behind the arrays. */
struct etl_sched_thr {
	int64_t since_ns;       /* start of the current state */
	uint8_t state, reason;  /* reason: wait reason while waiting */
	uint16_t out_cpu;       /* CPU it was last switched out from (its waits' CPU) */
	uint32_t rdy;           /* readied-by pair of the current ready spell, UINT32_MAX none */
	struct open_sc sc;
	struct sink_sched_thread a;
};

struct slice_acc {
	uint32_t tid[ETL_SCHED_SLICE_THREADS];
	uint64_t ns[ETL_SCHED_SLICE_THREADS];
	uint32_t n;
	uint64_t other_ns, idle_ns;
};

struct busy { int64_t a, b; }; /* a DPC/ISR interval [a, b) */

struct etl_sched_cpu {
	struct busy busy[ETL_SCHED_BUSY]; /* ring of disjoint intervals, oldest first */
	uint32_t busy_head, busy_n;
	uint8_t known;          /* a CSwitch named the running thread */
	uint32_t tid;
	uint32_t thr;           /* s->thr index of tid while known and tid != 0, else
				 * UINT32_MAX: a record's index never changes (the map never
				 * deletes), so only a CSwitch, which sets tid, sets it */
	int64_t run_ns;         /* since when tid runs */
	int64_t slice;          /* slice being accumulated, -1 none */
	struct slice_acc acc;
	struct open_sc sc;      /* syscall open on a CPU without a known thread */
};

struct etl_sched_sc {
	struct sink_syscall r;
	int64_t first_ns;
	uint8_t psize;
};

void etl_sched_init(struct etl_sched *s, const struct etl_tidmap *tids)
{
	memset(s, 0, sizeof *s);
	s->tids = tids;
	etl_keymap_init(&s->thr_map);
	etl_keymap_init(&s->sc_map);
	etl_keymap_init(&s->scm_map);
	etl_keymap_init(&s->rdy_map);
}

void etl_sched_free(struct etl_sched *s)
{
	free(s->thr);
	free(s->sc);
	free(s->scm);
	free(s->rdy);
	free(s->cpu);
	free(s->sl);
	etl_keymap_free(&s->thr_map);
	etl_keymap_free(&s->sc_map);
	etl_keymap_free(&s->scm_map);
	etl_keymap_free(&s->rdy_map);
	memset(s, 0, sizeof *s);
}

static uint32_t pid_of(const struct etl_sched *s, uint32_t tid)
{
	return etl_tidmap_get(s->tids, tid, SINK_PID_UNKNOWN);
}

/* The record of key (a, b) in array *v of n/cap elements of elem bytes, created zeroed
 * if absent; NULL on ENOMEM. *created tells a new one. */
static void *find_or_add(struct etl_keymap *m, void **v, size_t *n, size_t *cap, size_t elem,
			 uint64_t a, uint64_t b, int *created)
{
	uint32_t i = etl_keymap_get(m, a, b);
	*created = 0;
	if (i != UINT32_MAX)
		return (char *)*v + (size_t)i * elem;
	if (*n >= UINT32_MAX - 1 || etl_grow(v, cap, *n + 1, elem) != 0 ||
	    etl_keymap_put(m, a, b, (uint32_t)*n) != 0)
		return NULL;
	char *r = (char *)*v + *n * elem;
	memset(r, 0, elem);
	(*n)++;
	*created = 1;
	return r;
}

static struct etl_sched_thr *thread(struct etl_sched *s, uint32_t tid)
{
	int created;
	struct etl_sched_thr *t = find_or_add(&s->thr_map, (void **)&s->thr, &s->n_thr,
					      &s->cap_thr, sizeof *s->thr, tid, 0, &created);
	if (t && created) {
		t->a.tid = tid;
		t->rdy = UINT32_MAX;
	}
	return t;
}

/* cpu_state's first sight of a CPU past the array: grow it, new CPUs idle. Out of line, so
 * that cpu_state, called for every DPC/ISR and scheduling event, is a bounds check. */
static __attribute__((noinline)) struct etl_sched_cpu *cpu_state_grow(struct etl_sched *s,
									 uint16_t cpu)
{
	size_t n = (size_t)cpu + 1, cap = s->n_cpu;
	if (etl_grow((void **)&s->cpu, &cap, n, sizeof *s->cpu) != 0)
		return NULL;
	memset(s->cpu + s->n_cpu, 0, (cap - s->n_cpu) * sizeof *s->cpu);
	for (size_t i = s->n_cpu; i < cap; i++) {
		s->cpu[i].slice = -1;
		s->cpu[i].thr = UINT32_MAX;
	}
	s->n_cpu = cap;
	return &s->cpu[cpu];
}

/* The CPU's state (created idle at first sight); NULL out of memory. */
static inline struct etl_sched_cpu *cpu_state(struct etl_sched *s, uint16_t cpu)
{
	if (__builtin_expect(cpu >= s->n_cpu, 0))
		return cpu_state_grow(s, cpu);
	return &s->cpu[cpu];
}

/* The record of the thread CPU c runs (c->known, c->tid != 0) without a map lookup: the
 * syscall events of a busy trace outnumber its CSwitches several times. NULL on ENOMEM. */
static struct etl_sched_thr *running(struct etl_sched *s, struct etl_sched_cpu *c)
{
	if (c->thr != UINT32_MAX)
		return &s->thr[c->thr];
	struct etl_sched_thr *t = thread(s, c->tid);
	if (t)
		c->thr = (uint32_t)(t - s->thr);
	return t;
}

static uint64_t span(int64_t from, int64_t to)
{
	return to > from ? (uint64_t)(to - from) : 0;
}

/* A per-slice fact of thread tid (SCHED domain): ns of [from, to), n on its first slice. */
static int fact_span(struct etl_sched *s, uint32_t tid, uint16_t cpu, uint64_t key,
		     int64_t from, int64_t to, uint64_t n)
{
	if (!s->facts)
		return 0;
	return etl_slicefacts_span(s->facts, SINK_FACT_SCHED, from, to, cpu, pid_of(s, tid), tid,
				   key, n) < 0 ? -1 : 0;
}

static int end_wait(struct etl_sched *s, struct etl_sched_thr *t, int64_t t_ns)
{
	uint64_t w = span(t->since_ns, t_ns);
	t->a.waiting_ns += w;
	t->a.wait_ns[t->reason] += w;
	return fact_span(s, t->a.tid, t->out_cpu, SINK_FACT_WAITING, t->since_ns, t_ns, 0);
}

void etl_sched_set_slice(struct etl_sched *s, uint64_t slice_ns)
{
	s->slice_ns = slice_ns;
}

/* Close CPU c's current slice into s->sl (top threads first). 0, or -1 on ENOMEM. */
static int flush_slice(struct etl_sched *s, uint16_t cpu, struct etl_sched_cpu *c)
{
	if (c->slice < 0)
		return 0;
	if (etl_grow((void **)&s->sl, &s->cap_sl, s->n_sl + 1, sizeof *s->sl) != 0)
		return -1;
	struct sink_sched_slice *o = &s->sl[s->n_sl++];
	struct slice_acc *a = &c->acc;
	memset(o, 0, sizeof *o);
	o->cpu = cpu;
	o->slice = (uint32_t)c->slice;
	o->slice_ns = s->slice_ns;
	o->other_ns = a->other_ns;
	o->idle_ns = a->idle_ns;
	for (int r = 0; r < SINK_SLICE_TOP; r++) {
		uint32_t best = UINT32_MAX;
		for (uint32_t i = 0; i < a->n; i++)
			if (a->ns[i] && (best == UINT32_MAX || a->ns[i] > a->ns[best]))
				best = i;
		o->tid[r] = best == UINT32_MAX ? UINT32_MAX : a->tid[best];
		if (best != UINT32_MAX) {
			o->ns[r] = a->ns[best];
			a->ns[best] = 0;
		}
	}
	for (uint32_t i = 0; i < a->n; i++)
		o->other_ns += a->ns[i];
	memset(a, 0, sizeof *a);
	c->slice = -1;
	return 0;
}

/* tid ran on CPU c over [from, to): add it to the slices it covers. */
static int add_run(struct etl_sched *s, uint16_t cpu, struct etl_sched_cpu *c, uint32_t tid,
		   int64_t from, int64_t to)
{
	if (from < 0)
		from = 0;
	while (from < to) {
		int64_t idx = from / (int64_t)s->slice_ns;
		int64_t end = (idx + 1) * (int64_t)s->slice_ns;
		if (end > to)
			end = to;
		if (idx != c->slice) {
			if (flush_slice(s, cpu, c) != 0)
				return -1;
			c->slice = idx;
		}
		uint64_t d = (uint64_t)(end - from);
		struct slice_acc *a = &c->acc;
		uint32_t i = 0;
		while (i < a->n && a->tid[i] != tid)
			i++;
		if (tid == 0)
			a->idle_ns += d;
		else if (i < a->n || a->n < ETL_SCHED_SLICE_THREADS) {
			if (i == a->n)
				a->tid[a->n++] = tid;
			a->ns[i] += d;
		} else {
			a->other_ns += d;
		}
		from = end;
	}
	return 0;
}

static struct busy *busy_at(struct etl_sched_cpu *c, uint32_t i) /* i: 0 = oldest */
{
	return &c->busy[(c->busy_head + i) % ETL_SCHED_BUSY];
}

int etl_sched_dpcisr(struct etl_sched *s, uint16_t cpu, int64_t start_ns, int64_t end_ns)
{
	struct etl_sched_cpu *c = cpu_state(s, cpu);
	if (!c)
		return -1;
	if (end_ns <= start_ns)
		return 0;
	/* an ISR inside a DPC ends first: the DPC's interval swallows it */
	while (c->busy_n && busy_at(c, c->busy_n - 1)->b >= start_ns) {
		struct busy *l = busy_at(c, c->busy_n - 1);
		if (l->a < start_ns)
			start_ns = l->a;
		if (l->b > end_ns)
			end_ns = l->b;
		c->busy_n--;
	}
	if (c->busy_n == ETL_SCHED_BUSY) {
		c->busy_head = (c->busy_head + 1) % ETL_SCHED_BUSY;
		c->busy_n--;
	}
	*busy_at(c, c->busy_n++) = (struct busy){start_ns, end_ns};
	return 0;
}

/* The part of tid's ready spell [from, to) on cpu that DPCs/ISRs held, as facts. */
static int ready_behind(struct etl_sched *s, struct etl_sched_cpu *c, uint32_t tid,
			uint16_t cpu, int64_t from, int64_t to)
{
	if (!s->facts || to <= from)
		return 0;
	uint32_t i = c->busy_n;
	while (i > 0 && busy_at(c, i - 1)->b > from)
		i--;
	if (i == 0 && c->busy_n == ETL_SCHED_BUSY && busy_at(c, 0)->a > from)
		s->st.ready_dpc_truncated++;
	for (; i < c->busy_n; i++) {
		const struct busy *b = busy_at(c, i);
		int64_t lo = b->a > from ? b->a : from, hi = b->b < to ? b->b : to;
		if (hi > lo && fact_span(s, tid, cpu, SINK_FACT_READY_DPC, lo, hi, 0))
			return -1;
	}
	return 0;
}

static int on_cswitch(struct etl_sched *s, const struct etl_event *ev, int64_t t_ns)
{
	struct etl_cswitch cs;
	if (etl_decode_cswitch(ev, &cs) != 0) {
		s->st.malformed++;
		return 0;
	}
	s->st.cswitches++;
	struct etl_sched_cpu *c = cpu_state(s, ev->cpu);
	if (!c)
		return -1;
	if (c->known && s->slice_ns && add_run(s, ev->cpu, c, c->tid, c->run_ns, t_ns) != 0)
		return -1;
	/* the thread switched out is nearly always the one this CPU ran */
	uint32_t was = c->known && c->tid == cs.old_tid ? c->thr : UINT32_MAX;
	c->known = 1;
	c->tid = cs.new_tid;
	c->thr = UINT32_MAX;
	c->run_ns = t_ns;
	if (cs.old_tid != 0) {
		struct etl_sched_thr *o = was != UINT32_MAX ? &s->thr[was] : thread(s, cs.old_tid);
		if (!o)
			return -1;
		if (o->state == ST_RUNNING) {
			o->a.running_ns += span(o->since_ns, t_ns);
			if (fact_span(s, cs.old_tid, ev->cpu, SINK_FACT_RUNNING, o->since_ns, t_ns, 0))
				return -1;
		}
		o->since_ns = t_ns;
		o->out_cpu = ev->cpu;
		o->rdy = UINT32_MAX;
		switch (cs.old_state) {
		case ETL_THREAD_READY: case ETL_THREAD_STANDBY: case ETL_THREAD_DEFERRED_READY:
			o->state = ST_READY; /* preempted: ready from now, readied by nobody */
			break;
		case ETL_THREAD_TERMINATED:
			o->state = ST_UNKNOWN;
			break;
		default:
			o->state = ST_WAITING;
			o->reason = cs.old_wait_reason < SINK_WAIT_REASONS ? cs.old_wait_reason
									    : SINK_WAIT_REASONS - 1;
			o->a.wait_count[o->reason]++;
			if (fact_span(s, cs.old_tid, ev->cpu, SINK_FACT_WAITING, t_ns, t_ns, 1))
				return -1;
			break;
		}
	}
	if (cs.new_tid != 0) {
		struct etl_sched_thr *n = thread(s, cs.new_tid);
		if (!n)
			return -1;
		c->thr = (uint32_t)(n - s->thr);
		if (n->state == ST_READY) {
			uint64_t r = span(n->since_ns, t_ns);
			n->a.ready_ns += r;
			if (n->rdy != UINT32_MAX)
				s->rdy[n->rdy].ready_ns += r;
			if (fact_span(s, cs.new_tid, ev->cpu, SINK_FACT_READY, n->since_ns, t_ns, 1) ||
			    ready_behind(s, c, cs.new_tid, ev->cpu, n->since_ns, t_ns))
				return -1;
		} else if (n->state == ST_WAITING && end_wait(s, n, t_ns)) {
			return -1; /* (no ReadyThread recorded: the wait ends here) */
		}
		n->state = ST_RUNNING;
		n->since_ns = t_ns;
		n->rdy = UINT32_MAX;
		n->a.switches++;
		if (fact_span(s, cs.new_tid, ev->cpu, SINK_FACT_RUNNING, t_ns, t_ns, 1))
			return -1;
	}
	return 0;
}

static int on_ready(struct etl_sched *s, const struct etl_event *ev, int64_t t_ns)
{
	struct etl_ready_thread rt;
	if (etl_decode_ready_thread(ev, &rt) != 0) {
		s->st.malformed++;
		return 0;
	}
	s->st.ready_events++;
	if (rt.tid == 0)
		return 0;
	struct etl_sched_thr *t = thread(s, rt.tid);
	struct etl_sched_cpu *c = cpu_state(s, ev->cpu);
	if (!t || !c)
		return -1;
	if (t->state == ST_RUNNING || t->state == ST_READY)
		return 0; /* already runnable (e.g. the second event after a swap-in) */
	if (t->state == ST_WAITING && end_wait(s, t, t_ns))
		return -1;
	t->state = ST_READY;
	t->since_ns = t_ns;
	uint32_t by = c->known ? c->tid : UINT32_MAX;
	uint8_t dpc = (rt.flag & ETL_READY_FROM_DPC) ? 1 : 0;
	if (s->n_rdy >= ETL_SCHED_MAX_PAIRS &&
	    etl_keymap_get(&s->rdy_map, (uint64_t)rt.tid << 32 | by, dpc) == UINT32_MAX) {
		s->st.ready_pairs_dropped++;
		t->rdy = UINT32_MAX;
		return 0;
	}
	int created;
	struct sink_sched_ready *r = find_or_add(&s->rdy_map, (void **)&s->rdy, &s->n_rdy,
						 &s->cap_rdy, sizeof *s->rdy,
						 (uint64_t)rt.tid << 32 | by, dpc, &created);
	if (!r)
		return -1;
	if (created) {
		r->tid = rt.tid;
		r->by_tid = by;
		r->from_dpc = dpc;
	}
	r->count++;
	t->rdy = (uint32_t)(r - s->rdy);
	return 0;
}

static int add_syscall(struct etl_sched *s, uint32_t pid, uint32_t tid, uint16_t cpu,
		       uint64_t addr, int64_t enter_ns, int64_t exit_ns, uint8_t psize)
{
	int created;
	struct etl_sched_sc *a = find_or_add(&s->sc_map, (void **)&s->sc, &s->n_sc, &s->cap_sc,
					     sizeof *s->sc, pid, addr, &created);
	if (!a)
		return -1;
	if (created) {
		a->r.pid = pid;
		a->r.address = addr;
		a->first_ns = enter_ns;
		a->psize = psize;
	}
	uint64_t d = span(enter_ns, exit_ns);
	a->r.hist[etl_sched_syscall_bucket(d)]++;
	a->r.count++;
	a->r.total_ns += d;
	if (d > a->r.max_ns)
		a->r.max_ns = d;
	s->st.syscalls_paired++;
	if (s->facts && etl_slicefacts_add(s->facts, SINK_FACT_SYSCALL, exit_ns, cpu, pid, tid,
					   addr, 1, 0, d, 0) < 0)
		return -1;
	return 0;
}

static int on_syscall(struct etl_sched *s, const struct etl_event *ev, int enter, int64_t t_ns)
{
	uint64_t addr = 0;
	uint32_t status;
	if (enter ? etl_decode_syscall_enter(ev, &addr) : etl_decode_syscall_exit(ev, &status)) {
		s->st.malformed++;
		return 0;
	}
	enter ? s->st.syscall_enters++ : s->st.syscall_exits++;
	struct etl_sched_cpu *c = cpu_state(s, ev->cpu);
	if (!c)
		return -1;
	if (c->known && c->tid == 0) { /* the idle thread makes no syscalls: a lost CSwitch */
		enter ? s->st.syscall_enter_unpaired++ : s->st.syscall_exit_unpaired++;
		return 0;
	}
	struct etl_sched_thr *t = c->known ? running(s, c) : NULL;
	if (c->known && !t)
		return -1;
	struct open_sc *o = t ? &t->sc : &c->sc; /* no CSwitch on this CPU yet: pair on it */
	if (enter) {
		if (o->in)
			s->st.syscall_enter_unpaired++;
		*o = (struct open_sc){1, ev->pointer_size, t_ns, addr};
		return 0;
	}
	if (!o->in) {
		s->st.syscall_exit_unpaired++;
		return 0;
	}
	o->in = 0;
	if (!t)
		s->st.syscalls_by_cpu++;
	return add_syscall(s, t ? pid_of(s, c->tid) : SINK_PID_UNKNOWN, t ? c->tid : 0, ev->cpu,
			   o->addr, o->ns, t_ns, o->psize);
}

int etl_sched_event(struct etl_sched *s, const struct etl_event *ev, enum etl_kernel_kind k,
		    int64_t t_ns)
{
	switch (k) {
	case ETL_K_CSWITCH: return on_cswitch(s, ev, t_ns);
	case ETL_K_READY_THREAD: return on_ready(s, ev, t_ns);
	case ETL_K_SYSCALL_ENTER: return on_syscall(s, ev, 1, t_ns);
	case ETL_K_SYSCALL_EXIT: return on_syscall(s, ev, 0, t_ns);
	default: return 0;
	}
}

int etl_sched_in_syscall(const struct etl_sched *s, uint32_t tid, uint64_t *address)
{
	uint32_t i = etl_keymap_get(&s->thr_map, tid, 0);
	if (i == UINT32_MAX || !s->thr[i].sc.in)
		return 0;
	*address = s->thr[i].sc.addr;
	return 1;
}

int etl_sched_syscall_sample(struct etl_sched *s, uint32_t pid, uint64_t address,
			     const int32_t *mods, uint32_t n_mods)
{
	uint32_t i = etl_keymap_get(&s->sc_map, pid, address);
	if (i != UINT32_MAX)
		s->sc[i].r.samples++;
	for (uint32_t k = 0; k < n_mods; k++) {
		int created;
		struct sink_syscall_module *m =
			find_or_add(&s->scm_map, (void **)&s->scm, &s->n_scm, &s->cap_scm,
				    sizeof *s->scm, pid, (uint64_t)(uint32_t)mods[k], &created);
		if (!m)
			return -1;
		m->pid = pid;
		m->module_id = mods[k];
		m->samples++;
	}
	return 0;
}

int etl_sched_emit(struct etl_sched *s, const struct ingest_sink *sink,
		   etl_sched_resolve_fn resolve, etl_sched_name_fn name, void *ud)
{
	int rc = 0;
	for (size_t i = 0; i < s->n_sc && rc >= 0 && sink->syscall; i++) {
		struct etl_sched_sc *a = &s->sc[i];
		a->r.module_id = resolve(ud, a->r.address, a->first_ns, a->psize);
		a->r.process = name(ud, a->r.pid);
		rc = sink->syscall(sink->ud, &a->r);
	}
	for (size_t i = 0; i < s->n_scm && rc >= 0 && sink->syscall_module; i++)
		rc = sink->syscall_module(sink->ud, &s->scm[i]);
	for (size_t i = 0; i < s->n_thr && rc >= 0 && sink->sched_thread; i++) {
		struct etl_sched_thr *t = &s->thr[i];
		t->a.pid = pid_of(s, t->a.tid);
		t->a.process = name(ud, t->a.pid);
		rc = sink->sched_thread(sink->ud, &t->a);
	}
	for (size_t i = 0; i < s->n_cpu && rc >= 0; i++)
		if (flush_slice(s, (uint16_t)i, &s->cpu[i]) != 0)
			rc = -1;
	for (size_t i = 0; i < s->n_sl && rc >= 0 && sink->sched_slice; i++) {
		struct sink_sched_slice *o = &s->sl[i];
		for (int r = 0; r < SINK_SLICE_TOP; r++)
			o->pid[r] = o->tid[r] == UINT32_MAX ? SINK_PID_UNKNOWN : pid_of(s, o->tid[r]);
		rc = sink->sched_slice(sink->ud, o);
	}
	for (size_t i = 0; i < s->n_rdy && rc >= 0 && sink->sched_ready; i++) {
		struct sink_sched_ready *r = &s->rdy[i];
		r->pid = pid_of(s, r->tid);
		r->by_pid = r->by_tid == UINT32_MAX ? SINK_PID_UNKNOWN : pid_of(s, r->by_tid);
		r->process = name(ud, r->pid);
		r->by_process = name(ud, r->by_pid);
		rc = sink->sched_ready(sink->ud, r);
	}
	if (rc >= 0 && sink->warning &&
	    (s->st.syscall_exit_unpaired || s->st.syscall_enter_unpaired)) {
		char msg[200];
		snprintf(msg, sizeof msg, "%llu syscall exits had no enter and %llu enters no "
			 "exit on their thread (lost events, or the trace cut them): not counted",
			 (unsigned long long)s->st.syscall_exit_unpaired,
			 (unsigned long long)s->st.syscall_enter_unpaired);
		rc = sink->warning(sink->ud, "syscall_unpaired", msg);
	}
	if (rc >= 0 && sink->warning && s->st.ready_dpc_truncated) {
		char msg[200];
		snprintf(msg, sizeof msg, "%llu ready spells began before the %u DPC/ISR intervals "
			 "kept per CPU: their time behind DPCs is a lower bound",
			 (unsigned long long)s->st.ready_dpc_truncated, ETL_SCHED_BUSY);
		rc = sink->warning(sink->ud, "ready_dpc_truncated", msg);
	}
	if (rc >= 0 && sink->warning && s->st.ready_pairs_dropped) {
		char msg[160];
		snprintf(msg, sizeof msg, "%llu ReadyThread events beyond %u readied-by pairs: "
			 "their ready time counts, their readier does not",
			 (unsigned long long)s->st.ready_pairs_dropped, ETL_SCHED_MAX_PAIRS);
		rc = sink->warning(sink->ud, "ready_pairs_dropped", msg);
	}
	return rc < 0 ? rc : 0;
}
