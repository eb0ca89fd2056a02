/* test_etl_sched.c — scheduling and syscall events: ReadyThread / SysClEnter / SysClExit
 * payloads decoded from hand-built bytes for both pointer sizes (table-driven, layouts from
 * Microsoft's MOF class pages, ingest/etl/README.md); the state machine fed hand-made
 * events (pairing by the running thread, across CPUs, unpaired counts); and whole traces
 * written by etlgen coming back through etl_ingest with the numbers worked out by hand
 * from each scenario. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_ingest.h"
#include "ingest/etl/etl_kernel.h"
#include "ingest/etl/etl_sched.h"
#include "ingest/etl/etl_schedtrack.h"
#include "tools/etlgen/etlgen.h"

/* ---- decoders ---- */

static struct etl_event event(uint8_t psize, uint8_t group, uint8_t type, const uint8_t *p,
			      size_t n)
{
	struct etl_event ev;
	memset(&ev, 0, sizeof ev);
	ev.ev_class = ETL_EC_SYSTEM;
	ev.pointer_size = psize;
	ev.group = group;
	ev.type = type;
	ev.version = 2;
	ev.payload = p;
	ev.payload_len = n;
	return ev;
}

static void test_classify(void **state)
{
	(void)state;
	static const struct { uint8_t group, type; enum etl_kernel_kind want; } cases[] = {
		{5, 50, ETL_K_READY_THREAD}, {5, 36, ETL_K_CSWITCH},
		{15, 50, ETL_K_ISR_MSI}, /* same type number, PerfInfo group */
		{15, 51, ETL_K_SYSCALL_ENTER}, {15, 52, ETL_K_SYSCALL_EXIT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct etl_event ev = event(8, cases[i].group, cases[i].type, NULL, 0);
		assert_int_equal(etl_kernel_classify(&ev, NULL), cases[i].want);
	}
}

static void test_ready_thread(void **state)
{
	(void)state;
	/* TThreadId 3000 (0x0BB8), AdjustReason 2, AdjustIncrement -1, Flag 0x1, Reserved */
	static const uint8_t p[] = {0xB8, 0x0B, 0x00, 0x00, 0x02, 0xFF, 0x01, 0x00};
	for (uint8_t ps = 4; ps <= 8; ps += 4) {
		struct etl_event ev = event(ps, 5, 50, p, sizeof p);
		struct etl_ready_thread r;
		assert_int_equal(etl_decode_ready_thread(&ev, &r), 0);
		assert_int_equal(r.tid, 3000);
		assert_int_equal(r.adjust_reason, 2);
		assert_int_equal(r.adjust_increment, -1);
		assert_int_equal(r.flag, ETL_READY_FROM_DPC);
		ev.payload_len = 6; /* Flag missing */
		assert_int_equal(etl_decode_ready_thread(&ev, &r), -1);
	}
}

static void test_syscall_payloads(void **state)
{
	(void)state;
	static const uint8_t a64[] = {0x78, 0x56, 0x34, 0x12, 0x00, 0xF8, 0xFF, 0xFF};
	static const uint8_t a32[] = {0x67, 0x45, 0x23, 0x81};
	static const uint8_t st[] = {0x05, 0x00, 0x00, 0xC0};
	static const struct { uint8_t psize; const uint8_t *p; size_t n; int rc; uint64_t addr; }
	enters[] = {
		{8, a64, 8, 0, 0xFFFFF80012345678ull},
		{4, a32, 4, 0, 0x81234567ull},
		{8, a64, 4, -1, 0}, /* a 64-bit event needs 8 bytes */
		{4, a32, 3, -1, 0},
	};
	for (size_t i = 0; i < sizeof enters / sizeof enters[0]; i++) {
		struct etl_event ev = event(enters[i].psize, 15, 51, enters[i].p, enters[i].n);
		uint64_t addr = 0;
		assert_int_equal(etl_decode_syscall_enter(&ev, &addr), enters[i].rc);
		if (!enters[i].rc)
			assert_true(addr == enters[i].addr);
	}
	for (uint8_t ps = 4; ps <= 8; ps += 4) {
		struct etl_event ev = event(ps, 15, 52, st, sizeof st);
		uint32_t status = 0;
		assert_int_equal(etl_decode_syscall_exit(&ev, &status), 0);
		assert_true(status == 0xC0000005u); /* NTSTATUS is 4 bytes on both */
		ev.payload_len = 3;
		assert_int_equal(etl_decode_syscall_exit(&ev, &status), -1);
	}
}

/* ---- the state machine, hand-made events ---- */

struct feed {
	struct etl_sched s;
	struct etl_tidmap tids;
	uint8_t buf[64][24];
	int n;
};

static void feed(struct feed *f, enum etl_kernel_kind k, uint16_t cpu, int64_t t_ns,
		 const uint8_t *p, size_t n)
{
	struct etl_event ev = event(8, 0, 0, p, n);
	ev.cpu = cpu;
	assert_int_equal(etl_sched_event(&f->s, &ev, k, t_ns), 0);
}

static void cs(struct feed *f, uint16_t cpu, int64_t t, uint32_t new_tid, uint32_t old_tid,
	       uint8_t state, uint8_t reason)
{
	uint8_t p[24] = {0};
	memcpy(p, &new_tid, 4); /* little-endian host (x86/arm64 Linux) */
	memcpy(p + 4, &old_tid, 4);
	p[12] = reason;
	p[14] = state;
	feed(f, ETL_K_CSWITCH, cpu, t, p, sizeof p);
}

static void sc(struct feed *f, uint16_t cpu, int64_t t, int enter, uint64_t addr)
{
	uint8_t p[8];
	memcpy(p, &addr, 8);
	feed(f, enter ? ETL_K_SYSCALL_ENTER : ETL_K_SYSCALL_EXIT, cpu, t, p, enter ? 8 : 4);
}

struct cap {
	struct sink_syscall sc[8];
	struct sink_sched_thread th[8];
	struct sink_sched_ready rd[8];
	int nsc, nth, nrd, nwarn;
};

static int cap_sc(void *ud, const struct sink_syscall *r)
{
	struct cap *c = ud;
	assert_true(c->nsc < 8);
	c->sc[c->nsc++] = *r;
	return 0;
}

static int cap_th(void *ud, const struct sink_sched_thread *r)
{
	struct cap *c = ud;
	assert_true(c->nth < 8);
	c->th[c->nth++] = *r;
	return 0;
}

static int cap_rd(void *ud, const struct sink_sched_ready *r)
{
	struct cap *c = ud;
	assert_true(c->nrd < 8);
	c->rd[c->nrd++] = *r;
	return 0;
}

static int cap_warn(void *ud, const char *code, const char *msg)
{
	struct cap *c = ud;
	(void)msg;
	if (!strcmp(code, "syscall_unpaired"))
		c->nwarn++;
	return 0;
}

static int32_t no_module(void *ud, uint64_t a, int64_t t, unsigned p)
{
	(void)ud, (void)a, (void)t, (void)p;
	return -1;
}

static const char *no_name(void *ud, uint32_t pid)
{
	(void)ud, (void)pid;
	return "";
}

static void test_tracker_pairs_by_running_thread(void **state)
{
	(void)state;
	struct feed f;
	memset(&f, 0, sizeof f);
	etl_tidmap_init(&f.tids);
	assert_int_equal(etl_tidmap_set(&f.tids, 100, 7), 0);
	etl_sched_init(&f.s, &f.tids);
	sc(&f, 0, 5, 1, 0xAA);         /* no CSwitch on CPU 0 yet: paired on the CPU */
	sc(&f, 0, 9, 0, 0);            /* 4 ns, pid unknown */
	cs(&f, 0, 10, 100, 0, 5, 0);   /* 100 runs on CPU 0 */
	sc(&f, 0, 11, 0, 0);           /* exit with no enter: unpaired */
	sc(&f, 0, 20, 1, 0xBB);        /* enter NtWaitForSingleObject-like */
	cs(&f, 0, 30, 0, 100, 5, 6);   /* 100 blocks (UserRequest) inside the syscall */
	cs(&f, 1, 130, 100, 0, 5, 0);  /* 100 resumes on CPU 1 (no ReadyThread: waited 100) */
	uint64_t a;
	assert_int_equal(etl_sched_in_syscall(&f.s, 100, &a), 1);
	assert_true(a == 0xBB);
	sc(&f, 1, 140, 0, 0);          /* exit on CPU 1 pairs with the enter on CPU 0: 120 ns */
	assert_int_equal(etl_sched_in_syscall(&f.s, 100, &a), 0);
	cs(&f, 1, 150, 0, 100, 1, 0);  /* preempted (Ready) */

	struct cap c = {0};
	struct ingest_sink k = {.ud = &c, .syscall = cap_sc, .sched_thread = cap_th,
				.sched_ready = cap_rd, .warning = cap_warn};
	assert_int_equal(etl_sched_emit(&f.s, &k, no_module, no_name, NULL), 0);
	assert_int_equal(c.nsc, 2);
	assert_int_equal(c.sc[0].pid, SINK_PID_UNKNOWN);
	assert_true(c.sc[0].address == 0xAA && c.sc[0].count == 1 && c.sc[0].total_ns == 4);
	assert_int_equal(c.sc[1].pid, 7);
	assert_true(c.sc[1].address == 0xBB && c.sc[1].count == 1 && c.sc[1].max_ns == 120);
	assert_true(c.sc[1].hist[7] == 1); /* 64 <= 120 < 128 */
	assert_int_equal(f.s.st.syscall_exit_unpaired, 1);
	assert_int_equal(c.nwarn, 1);
	assert_int_equal(c.nth, 1);
	assert_int_equal(c.th[0].tid, 100);
	assert_int_equal(c.th[0].pid, 7);
	assert_int_equal(c.th[0].switches, 2);
	assert_int_equal(c.th[0].running_ns, 20 + 20);
	assert_int_equal(c.th[0].waiting_ns, 100);
	assert_int_equal(c.th[0].wait_count[6], 1);
	assert_int_equal(c.th[0].wait_ns[6], 100);
	assert_int_equal(c.nrd, 0);
	etl_sched_free(&f.s);
	etl_tidmap_free(&f.tids);
}

/* The tracker keeps, per CPU, where the running thread's record is (no map lookup per
 * syscall). Steps worked by hand: the index follows every CSwitch (B's syscall on CPU 0
 * after A left it is B's), a thread resumed on another CPU pairs its exit there, a tid
 * reused by a new process after its thread ended takes the new pid (the tid map's, looked
 * up at the time), and a CSwitch whose old thread is not the one the CPU ran (a lost
 * CSwitch) switches out the thread it names, not the one the index points at. */
static void test_tracker_running_thread_cache(void **state)
{
	(void)state;
	enum { CS, ENTER, EXIT, SETPID };
	static const struct {
		int what;
		uint16_t cpu;
		int64_t t;
		uint32_t a, b; /* CS: new, old tid; ENTER: address; SETPID: tid, pid */
		uint8_t st, reason; /* CS: old thread's state (5 Waiting, 4 Terminated), reason */
	} steps[] = {
		{SETPID, 0, 0, 100, 7, 0, 0}, {SETPID, 0, 0, 200, 8, 0, 0},
		{CS, 0, 0, 100, 0, 5, 0},      /* A (100) runs on CPU 0 */
		{ENTER, 0, 10, 0xA1, 0, 0, 0},
		{CS, 0, 20, 200, 100, 5, 6},   /* A waits inside its syscall; B (200) runs */
		{ENTER, 0, 25, 0xB1, 0, 0, 0}, /* B's, not A's */
		{EXIT, 0, 28, 0, 0, 0, 0},     /* B: 3 ns */
		{CS, 1, 40, 100, 0, 5, 0},     /* A resumes on CPU 1 (waited 20 ns) */
		{EXIT, 1, 50, 0, 0, 0, 0},     /* A: 10 → 50, 40 ns */
		{CS, 1, 55, 0, 100, 4, 0},     /* A terminates */
		{SETPID, 0, 56, 100, 9, 0, 0}, /* tid 100 reused by process 9 */
		{CS, 0, 60, 100, 300, 5, 6},   /* CPU 0 ran 300, not B (B's switch-out lost) */
		{ENTER, 0, 62, 0xC1, 0, 0, 0},
		{EXIT, 0, 67, 0, 0, 0, 0},     /* the new 100: pid 9, 5 ns */
	};
	static const struct { uint32_t pid; uint64_t addr, ns; } want_sc[] = {
		{8, 0xB1, 3}, {7, 0xA1, 40}, {9, 0xC1, 5},
	};
	static const struct {
		uint32_t tid, pid;
		uint64_t switches, running_ns, waiting_ns, waits6;
	} want_th[] = {
		{100, 9, 3, 20 + 15, 20, 1}, /* runs 0–20 and 40–55; its pid is the tid's now */
		{200, 8, 1, 0, 0, 0},        /* still running as far as the trace says */
		{300, SINK_PID_UNKNOWN, 0, 0, 0, 1},
	};
	struct feed f;
	memset(&f, 0, sizeof f);
	etl_tidmap_init(&f.tids);
	etl_sched_init(&f.s, &f.tids);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		switch (steps[i].what) {
		case CS:
			cs(&f, steps[i].cpu, steps[i].t, steps[i].a, steps[i].b, steps[i].st,
			   steps[i].reason);
			break;
		case ENTER: sc(&f, steps[i].cpu, steps[i].t, 1, steps[i].a); break;
		case EXIT: sc(&f, steps[i].cpu, steps[i].t, 0, 0); break;
		default: assert_int_equal(etl_tidmap_set(&f.tids, steps[i].a, steps[i].b), 0);
		}
	}
	struct cap c = {0};
	struct ingest_sink k = {.ud = &c, .syscall = cap_sc, .sched_thread = cap_th,
				.sched_ready = cap_rd, .warning = cap_warn};
	assert_int_equal(etl_sched_emit(&f.s, &k, no_module, no_name, NULL), 0);
	assert_int_equal(c.nsc, sizeof want_sc / sizeof want_sc[0]);
	for (int i = 0; i < c.nsc; i++) {
		assert_int_equal(c.sc[i].pid, want_sc[i].pid);
		assert_true(c.sc[i].address == want_sc[i].addr);
		assert_true(c.sc[i].count == 1 && c.sc[i].total_ns == want_sc[i].ns);
	}
	assert_int_equal(f.s.st.syscall_exit_unpaired + f.s.st.syscall_enter_unpaired, 0);
	assert_int_equal(c.nth, sizeof want_th / sizeof want_th[0]);
	for (int i = 0; i < c.nth; i++) {
		assert_int_equal(c.th[i].tid, want_th[i].tid);
		assert_int_equal(c.th[i].pid, want_th[i].pid);
		assert_int_equal(c.th[i].switches, want_th[i].switches);
		assert_int_equal(c.th[i].running_ns, want_th[i].running_ns);
		assert_int_equal(c.th[i].waiting_ns, want_th[i].waiting_ns);
		assert_int_equal(c.th[i].wait_count[6], want_th[i].waits6);
	}
	etl_sched_free(&f.s);
	etl_tidmap_free(&f.tids);
}

/* ---- ready time behind DPCs/ISRs (per-slice facts) ---- */

struct facts {
	uint64_t ready_dpc[4][4]; /* [slice][cpu] */
	uint64_t ready[4][4];
};

static int cap_facts(void *ud, const struct sink_slice_fact *v, size_t n)
{
	struct facts *c = ud;
	for (size_t i = 0; i < n; i++) {
		if (v[i].domain != SINK_FACT_SCHED || v[i].slice >= 4 || v[i].cpu >= 4)
			continue;
		if (v[i].key == SINK_FACT_READY_DPC)
			c->ready_dpc[v[i].slice][v[i].cpu] += v[i].ns;
		if (v[i].key == SINK_FACT_READY)
			c->ready[v[i].slice][v[i].cpu] += v[i].ns;
	}
	return 0;
}

static void test_tracker_ready_behind_dpc(void **state)
{
	(void)state;
	const int64_t S = SINK_FACT_SLICE_NS;
	struct feed f;
	memset(&f, 0, sizeof f);
	etl_tidmap_init(&f.tids);
	etl_sched_init(&f.s, &f.tids);
	struct facts c = {0};
	struct ingest_sink k = {.ud = &c, .slice_facts = cap_facts};
	struct etl_slicefacts sf;
	assert_int_equal(etl_slicefacts_init(&sf, &k), 0);
	f.s.facts = &sf;
	cs(&f, 1, 10, 100, 0, 5, 0);            /* 100 runs on CPU 1 */
	cs(&f, 1, S - 400, 200, 100, 1, 0);     /* preempted: ready from S - 400 */
	/* on CPU 1: an ISR [S - 300, S - 250) inside a DPC [S - 320, S + 100) (the ISR's event
	 * comes first: it ends first) — merged: [S - 320, S + 100); then a DPC on CPU 2 */
	assert_int_equal(etl_sched_dpcisr(&f.s, 1, S - 300, S - 250), 0);
	assert_int_equal(etl_sched_dpcisr(&f.s, 1, S - 320, S + 100), 0);
	assert_int_equal(etl_sched_dpcisr(&f.s, 2, S - 390, S + 200), 0);
	assert_int_equal(etl_sched_dpcisr(&f.s, 1, S + 150, S + 170), 0);
	cs(&f, 1, S + 200, 100, 200, 5, 6);     /* 100 back on CPU 1 at S + 200 */
	assert_int_equal(etl_slicefacts_flush(&sf), 0);
	/* ready [S - 400, S + 200) on CPU 1: 400 in slice 0, 200 in slice 1 */
	assert_int_equal(c.ready[0][1], 400);
	assert_int_equal(c.ready[1][1], 200);
	/* behind CPU 1's DPCs: [S - 320, S + 100) + [S + 150, S + 170) — 320 in slice 0,
	 * 100 + 20 in slice 1, the nested ISR once; CPU 2's DPC is not this thread's CPU */
	assert_int_equal(c.ready_dpc[0][1], 320);
	assert_int_equal(c.ready_dpc[1][1], 120);
	assert_int_equal(c.ready_dpc[0][2] + c.ready_dpc[1][2], 0);
	assert_int_equal(f.s.st.ready_dpc_truncated, 0);
	etl_slicefacts_free(&sf);
	etl_sched_free(&f.s);
	etl_tidmap_free(&f.tids);
}

struct slices {
	struct sink_sched_slice v[8];
	int n;
};

static int cap_slice(void *ud, const struct sink_sched_slice *r)
{
	struct slices *c = ud;
	assert_true(c->n < 8);
	c->v[c->n++] = *r;
	return 0;
}

static void test_tracker_timeline_slices(void **state)
{
	(void)state;
	struct feed f;
	memset(&f, 0, sizeof f);
	etl_tidmap_init(&f.tids);
	etl_sched_init(&f.s, &f.tids);
	etl_sched_set_slice(&f.s, 10);
	cs(&f, 0, 5, 100, 0, 5, 0);   /* 100 runs [5, 25) */
	cs(&f, 0, 25, 0, 100, 5, 6);  /* idle [25, 32) */
	cs(&f, 0, 32, 200, 0, 5, 0);  /* 200 runs [32, 35) */
	cs(&f, 0, 35, 0, 200, 5, 6);  /* idle from 35: never closed, not counted */
	struct slices c = {0};
	struct ingest_sink k = {.ud = &c, .sched_slice = cap_slice};
	assert_int_equal(etl_sched_emit(&f.s, &k, no_module, no_name, NULL), 0);
	/* by hand: slice 0 100×5; 1 100×10; 2 100×5 + idle 5; 3 idle 2 + 200×3 */
	static const struct { uint32_t slice, tid0; uint64_t ns0, idle; } want[] = {
		{0, 100, 5, 0}, {1, 100, 10, 0}, {2, 100, 5, 5}, {3, 200, 3, 2},
	};
	assert_int_equal(c.n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(c.v[i].cpu, 0);
		assert_int_equal(c.v[i].slice, want[i].slice);
		assert_int_equal(c.v[i].slice_ns, 10);
		assert_int_equal(c.v[i].tid[0], want[i].tid0);
		assert_int_equal(c.v[i].ns[0], want[i].ns0);
		assert_int_equal(c.v[i].tid[1], UINT32_MAX);
		assert_int_equal(c.v[i].idle_ns, want[i].idle);
		assert_int_equal(c.v[i].other_ns, 0);
	}
	etl_sched_free(&f.s);
	etl_tidmap_free(&f.tids);
}

/* ---- whole traces from etlgen ---- */

static const struct etlgen_module mods64[] = {
	{.name = "ntoskrnl.exe", .base = 0xFFFFF80000000000ull, .size = 8 << 20},
	{.name = "tedrdrv.sys", .base = 0xFFFFF80010000000ull, .size = 1 << 20},
	{.name = "ndis.sys", .base = 0xFFFFF80020000000ull, .size = 1 << 20},
};
static const struct etlgen_module mods32[] = {
	{.name = "ntoskrnl.exe", .base = 0x80000000ull, .size = 8 << 20},
	{.name = "tedrdrv.sys", .base = 0x90000000ull, .size = 1 << 20},
	{.name = "ndis.sys", .base = 0xA0000000ull, .size = 1 << 20},
};
static const int edr_stack[] = {1};

static int trace_sc(void *ud, const struct sink_syscall *r)
{
	return cap_sc(ud, r);
}

static int trace_scm(void *ud, const struct sink_syscall_module *m)
{
	struct cap *c = ud;
	(void)m;
	c->nwarn += 1000; /* counted apart: one per module row */
	return 0;
}

static void check_trace(unsigned psize, double syscall_us)
{
	struct etlgen_module m[3];
	memcpy(m, psize == 8 ? mods64 : mods32, sizeof m);
	m[0].stack = edr_stack;
	m[0].n_stack = 1;
	struct etlgen_scenario s = {
		.cpus = 4, .pointer_size = psize, .buffer_size = 65536, .duration_s = 0,
		.seed = 1, .qpc_frequency = 10000000, .build = 19041, .dpc_groups_enabled = 1,
		.modules = m, .n_modules = 3,
		/* 1000 NtDelayExecution(0)-like syscalls at ntoskrnl+0x1000, a sample in every
		 * 10th; 100 rounds of run 50 µs / wait 500 µs / ready 200 µs behind a DPC */
		.syscalls = {.count = 1000, .cpu = 0, .tid = 2000, .module = 0, .offset = 0x1000,
			     .duration_ticks = (uint64_t)(syscall_us * 10 + 0.5), .gap_ticks = 100,
			     .sample_every = syscall_us >= 0.2 ? 10 : 0},
		.readywait = {.count = 100, .cpu = 1, .tid = 3000, .wait_reason = 15,
			      .dpc_module = 2, .run_ticks = 500, .wait_ticks = 5000,
			      .ready_ticks = 2000},
	};
	FILE *f = tmpfile();
	assert_non_null(f);
	char msg[160];
	assert_int_equal(etlgen_write(&s, f, NULL, msg, sizeof msg), 0);
	rewind(f);
	struct cap c = {0};
	struct ingest_sink k = {.ud = &c, .syscall = trace_sc, .syscall_module = trace_scm,
				.sched_thread = cap_th, .sched_ready = cap_rd};
	struct ingest_error err = {{0}};
	assert_int_equal(etl_ingest(f, &k, &err), INGEST_OK);
	fclose(f);

	uint64_t d_ns = (uint64_t)(syscall_us * 1000 + 0.5); /* 10 MHz QPC: 100 ns ticks */
	assert_int_equal(c.nsc, 1);
	assert_int_equal(c.sc[0].pid, ETLGEN_PROCESS_PID);
	assert_true(c.sc[0].address == m[0].base + 0x1000);
	assert_int_equal(c.sc[0].module_id, 0); /* modules are emitted in scenario order */
	assert_int_equal(c.sc[0].count, 1000);
	assert_int_equal(c.sc[0].total_ns, 1000 * d_ns);
	assert_int_equal(c.sc[0].max_ns, d_ns);
	assert_int_equal(c.sc[0].samples, syscall_us >= 0.2 ? 100 : 0);
	/* samples inside: one row each for ntoskrnl.exe (IP) and tedrdrv.sys (stack) */
	assert_int_equal(c.nwarn, syscall_us >= 0.2 ? 2000 : 0);

	/* threads: 2000 (switched in once) and 3000 */
	assert_int_equal(c.nth, 2);
	const struct sink_sched_thread *t = c.th[0].tid == 3000 ? &c.th[0] : &c.th[1];
	assert_int_equal(t->tid, 3000);
	assert_int_equal(t->switches, 101);
	assert_int_equal(t->running_ns, 101 * 50000ull);
	assert_int_equal(t->waiting_ns, 100 * 500100ull);   /* ReadyThread 1 tick into the DPC */
	assert_int_equal(t->ready_ns, 100 * 199900ull);     /* ... until the switch-in */
	assert_int_equal(t->wait_count[15], 101);
	assert_int_equal(t->wait_ns[15], 100 * 500100ull);
	assert_int_equal(c.nrd, 1);
	assert_int_equal(c.rd[0].tid, 3000);
	assert_int_equal(c.rd[0].by_tid, 0);
	assert_int_equal(c.rd[0].from_dpc, 1);
	assert_int_equal(c.rd[0].count, 100);
	assert_int_equal(c.rd[0].ready_ns, 100 * 199900ull);
}

static void test_trace_edr_64(void **state)
{
	(void)state;
	check_trace(8, 3.3);
}

static void test_trace_edr_32(void **state)
{
	(void)state;
	check_trace(4, 3.3);
}

static void test_trace_before_edr(void **state)
{
	(void)state;
	check_trace(8, 0.1);
}

/* The syscall histogram's bucket (sink.h: bucket b counts durations d < 2^b ns, b 0..38,
 * bucket 39 the rest), worked by hand: the smallest b with d < 2^b. */
static void test_syscall_bucket(void **state)
{
	(void)state;
	static const struct { uint64_t d; unsigned b; } rows[] = {
		{0, 0}, {1, 1}, {2, 2}, {3, 2}, {4, 3}, {7, 3}, {8, 4},
		{1000, 10},                         /* 512 <= 1000 < 1024 */
		{1023, 10}, {1024, 11},
		{999999, 20},                       /* 2^19 = 524288 <= 999999 < 2^20 = 1048576 */
		{274877906943ull, 38},              /* 2^38 - 1 */
		{274877906944ull, 39},              /* 2^38: not < 2^38, the last bucket */
		{549755813887ull, 39},              /* 2^39 - 1 */
		{549755813888ull, 39},              /* 2^39 */
		{UINT64_MAX, 39},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (etl_sched_syscall_bucket(rows[i].d) != rows[i].b)
			fail_msg("row %zu: d %llu: bucket %u, want %u", i, (unsigned long long)rows[i].d,
				 etl_sched_syscall_bucket(rows[i].d), rows[i].b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_ready_thread),
		cmocka_unit_test(test_syscall_payloads),
		cmocka_unit_test(test_tracker_pairs_by_running_thread),
		cmocka_unit_test(test_tracker_running_thread_cache),
		cmocka_unit_test(test_tracker_timeline_slices),
		cmocka_unit_test(test_tracker_ready_behind_dpc),
		cmocka_unit_test(test_trace_edr_64),
		cmocka_unit_test(test_trace_edr_32),
		cmocka_unit_test(test_trace_before_edr),
		cmocka_unit_test(test_syscall_bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
