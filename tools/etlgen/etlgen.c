/* etlgen.c — writes an .etl trace from a scenario: header buffer (logfile header + group
 * masks), per-CPU buffers of PERFINFO events (DPC/ISR, SampledProfile + StackWalk, image
 * rundown), optionally XPRESS-compressed, and the exact expected aggregates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "etlgen.h"
#include "ingest/etl/etl_le.h"

#define BUF_HDR 0x48u
#define T0 1000000000ull                 /* header timestamp (QPC ticks) */
#define START_FT 133000000000000000ull   /* session start FILETIME (2022-06) */

double etlgen_draw(struct etlgen_rng *r, const struct etlgen_dist *d)
{
	switch (d->kind) {
	case ETLGEN_UNIFORM:
		return d->a + (d->b - d->a) * etlgen_rnd01(r);
	case ETLGEN_LOGNORMAL: {
		double z = sqrt(-2.0 * log(etlgen_rnd01(r))) * cos(6.283185307179586 * etlgen_rnd01(r));
		return d->a * exp(d->b * z);
	}
	default:
		return d->a;
	}
}

struct cpu_buf {
	uint8_t *b;
	size_t used;      /* bytes incl. the 0x48 header */
	uint64_t last_ts;
	uint64_t busy;    /* the CPU is busy (in a DPC/ISR) until this tick */
	uint64_t sample_ts; /* tick of the last sample outside any DPC/ISR (0 none) */
};

struct gen {
	const struct etlgen_scenario *s;
	struct etlgen_expect *exp;
	FILE *out;
	struct cpu_buf *cpu;
	uint8_t *zbuf;
	size_t zcap;
	int64_t seq;
	uint64_t buffers, bytes, events;
	int err;
	unsigned P;
	uint8_t *key_used;  /* per module: its cached stack key was referenced */
};

static uint64_t stack_key(const struct gen *g, size_t mi)
{
	return (g->P == 8 ? 0xffffe00000001000ull : 0x85001000ull) + 0x40 * (uint64_t)mi;
}

/* The one user key of user_keys (etlgen.h). */
static uint64_t user_stack_key(const struct gen *g)
{
	return g->P == 8 ? 0xffffe00000800000ull : 0x85800000ull;
}

/* A fixed address inside a module (the cached stack's frame for it). */
static uint64_t fixed_frame(const struct etlgen_module *m)
{
	return m->base + m->size / 2;
}

uint32_t etlgen_hot_index(struct etlgen_rng *r, uint32_t n, double skew)
{
	if (n <= 1)
		return 0;
	double u = etlgen_rnd01(r), top = (double)n + 1, x;
	if (fabs(skew - 1) < 1e-9)
		x = exp(u * log(top));
	else
		x = pow(1 + u * (pow(top, 1 - skew) - 1), 1 / (1 - skew));
	double k = floor(x) - 1;
	return k <= 0 ? 0 : k >= n - 1 ? n - 1 : (uint32_t)k;
}

/* The hot set's k-th address of a module: k mixed with the base and the set (leaf IPs and
 * return addresses are two sets) by splitmix64, anywhere in the image. */
static uint64_t hot_address(const struct etlgen_module *m, uint32_t k, int leaf)
{
	uint64_t x = ((uint64_t)k + 1) * 0x9E3779B97F4A7C15ull ^ m->base ^ (leaf ? 0x5A17ull << 40 : 0);
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	x ^= x >> 31;
	return m->base + x % m->size;
}

/* A frame or sampled IP (leaf) in a module: one of its frame_rvas; else, with a hot set
 * (the module's or the scenario's hot_ips), one of its hot addresses by skewed draw; else,
 * when the scenario sets frames_per_module, one of that many fixed addresses of the image
 * (real stacks repeat a bounded set of return addresses); else anywhere in the image. One
 * draw from r either way, except a hot set of one, which takes none. */
static uint64_t frame_in(const struct gen *g, const struct etlgen_module *m, struct etlgen_rng *r,
			 int leaf)
{
	if (m->n_frame_rvas)
		return m->base + m->frame_rvas[etlgen_rnd(r) % m->n_frame_rvas];
	uint32_t hot = m->hot_ips ? m->hot_ips : g->s->hot_ips;
	if (hot && m->size)
		return hot_address(m, etlgen_hot_index(r, hot, g->s->hot_skew), leaf);
	uint64_t x = etlgen_rnd(r);
	if (!m->size)
		return m->base;
	if (g->s->frames_per_module) { /* the k-th address: k mixed with the base (splitmix64) */
		x = (x % g->s->frames_per_module + 1) * 0x9E3779B97F4A7C15ull ^ m->base;
		x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
		x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
		x ^= x >> 31;
	}
	return m->base + x % m->size;
}

/* A sampled IP in a module: frame_in's address, then with leaf_spread a random offset of up
 * to leaf_spread - 1 bytes past it, kept inside the image (a second draw from r). */
static uint64_t leaf_in(const struct gen *g, const struct etlgen_module *m, struct etlgen_rng *r)
{
	uint64_t ip = frame_in(g, m, r, 1);
	if (!g->s->leaf_spread || !m->size)
		return ip;
	uint64_t room = m->base + m->size - 1 - ip, d = etlgen_rnd(r) % g->s->leaf_spread;
	return ip + (d < room ? d : room);
}

static uint64_t ticks_to_ns(const struct gen *g, uint64_t ticks)
{
	return (uint64_t)((unsigned __int128)ticks * 1000000000u / g->s->qpc_frequency);
}

static void write_buffer_header(struct gen *g, uint8_t *b, uint32_t size, uint32_t used,
				unsigned cpu, uint16_t flags, uint16_t type, uint32_t state,
				uint64_t ts)
{
	memset(b, 0, BUF_HDR);
	etl_put32(b + 0x00, size);
	etl_put32(b + 0x04, used);
	etl_put32(b + 0x08, used);
	etl_put32(b + 0x0C, 0);
	etl_put64(b + 0x10, ts);
	etl_put64(b + 0x18, (uint64_t)g->seq++);
	etl_put16(b + 0x28, (uint16_t)cpu); /* PROC_INDEX layout: u16 processor index */
	etl_put16(b + 0x2A, 2);             /* logger id */
	etl_put32(b + 0x2C, state);
	etl_put32(b + 0x30, used);
	etl_put16(b + 0x34, flags | 0x20);  /* PROC_INDEX */
	etl_put16(b + 0x36, type);
}

static int emit(struct gen *g, const void *p, size_t n)
{
	if (fwrite(p, 1, n, g->out) != n) {
		g->err = 1;
		return -1;
	}
	g->bytes += n;
	return 0;
}

static int flush_cpu(struct gen *g, unsigned cpu)
{
	struct cpu_buf *c = &g->cpu[cpu];
	uint32_t bs = g->s->buffer_size;
	if (c->used <= BUF_HDR)
		return 0;
	memset(c->b + c->used, 0xFF, bs - c->used);
	g->buffers++;
	if (g->s->compressed) {
		size_t z = etlgen_lz77_compress(c->b + BUF_HDR, c->used - BUF_HDR, g->zbuf + BUF_HDR,
						g->zcap - BUF_HDR);
		if (!z) {
			g->err = 1;
			return -1;
		}
		write_buffer_header(g, g->zbuf, (uint32_t)(BUF_HDR + z), (uint32_t)c->used, cpu,
				    0x40, 0, 3, c->last_ts);
		if (emit(g, g->zbuf, BUF_HDR + z))
			return -1;
	} else {
		write_buffer_header(g, c->b, bs, (uint32_t)c->used, cpu, 0, 0, 3, c->last_ts);
		if (emit(g, c->b, bs))
			return -1;
	}
	c->used = BUF_HDR;
	return 0;
}

/* Reserve room for an event of size n on a CPU; returns where to write it. */
static uint8_t *reserve(struct gen *g, unsigned cpu, size_t n)
{
	struct cpu_buf *c = &g->cpu[cpu];
	size_t adv = (n + 7) & ~(size_t)7;
	if (c->used + adv > g->s->buffer_size && flush_cpu(g, cpu))
		return NULL;
	uint8_t *p = c->b + c->used;
	memset(p, 0, adv);
	c->used += adv;
	g->events++;
	return p;
}

static void perfinfo(struct gen *g, uint8_t *p, size_t size, uint8_t group, uint8_t type,
		     uint64_t ts)
{
	etl_put16(p, 2);
	p[2] = g->P == 8 ? 0x11 : 0x10;
	p[3] = 0xC0;
	etl_put16(p + 4, (uint16_t)size);
	p[6] = type;
	p[7] = group;
	etl_put64(p + 8, ts);
}

uint8_t *etlgen_event(struct etlgen_gen *eg, unsigned cpu, size_t size, uint8_t group,
		      uint8_t type, uint64_t ts)
{
	struct gen *g = (struct gen *)eg;
	uint8_t *p = reserve(g, cpu, size);
	if (!p)
		return NULL;
	perfinfo(g, p, size, group, type, ts);
	if (ts > g->cpu[cpu].last_ts)
		g->cpu[cpu].last_ts = ts;
	return p;
}

static const char *module_path(const struct etlgen_module *m, char *buf, size_t n)
{
	if (m->path)
		return m->path;
	snprintf(buf, n, "\\SystemRoot\\System32\\drivers\\%s", m->name);
	return buf;
}

static int put_utf16(uint8_t *p, const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		etl_put16(p + 2 * i, (uint8_t)s[i]);
	etl_put16(p + 2 * i, 0);
	return 0;
}

static int is_kernel(const struct gen *g, uint64_t addr)
{
	return g->P == 8 ? addr >= 0xFFFF800000000000ull : addr >= 0x80000000ull;
}

static uint32_t process_pid(const struct gen *g)
{
	return g->s->process_pid ? g->s->process_pid : ETLGEN_PROCESS_PID;
}

static int image_raw(struct gen *g, unsigned cpu, uint64_t base, uint64_t isize, uint32_t pid,
		     const char *path, uint8_t type, uint64_t ts)
{
	size_t fixed = g->P == 8 ? 56 : 44;
	size_t size = 16 + fixed + 2 * (strlen(path) + 1);
	if (size > 65535)
		return -1;
	uint8_t *p = reserve(g, cpu, size);
	if (!p)
		return -1;
	perfinfo(g, p, size, 20, type, ts);
	etl_put16(p, 3); /* Image v3 */
	uint8_t *q = p + 16;
	unsigned P = g->P;
	etl_putptr(q, base, P);
	etl_putptr(q + P, isize, P);
	etl_put32(q + 2 * P, pid);
	etl_put32(q + 2 * P + 4, 0x1234); /* checksum */
	etl_put32(q + 2 * P + 8, 0x5f000000);
	etl_putptr(q + 2 * P + 16, base, P);
	put_utf16(q + fixed, path);
	return 0;
}

/* A module's image event: kernel-space images with pid 0, user-space ones in the process. */
static int image_event(struct gen *g, unsigned cpu, const struct etlgen_module *m, uint8_t type,
		       uint64_t ts)
{
	char pb[512];
	return image_raw(g, cpu, m->base, m->size, is_kernel(g, m->base) ? 0 : process_pid(g),
			 module_path(m, pb, sizeof pb), type, ts);
}

/* Thread DCStart v3 of a sampled thread; name (NULL: none) in its optional trailing ThreadName (UTF-16). */
static int thread_event(struct gen *g, unsigned cpu, uint32_t tid, const char *name, uint64_t ts)
{
	size_t fixed = 16 + 8 + 7 * g->P + 8;
	size_t size = fixed + (name ? 2 * (strlen(name) + 1) : 0);
	uint8_t *p = reserve(g, cpu, size);
	if (!p)
		return -1;
	perfinfo(g, p, size, 5, 3, ts);
	etl_put16(p, 3);
	etl_put32(p + 16, process_pid(g));
	etl_put32(p + 20, tid);
	if (name)
		put_utf16(p + fixed, name);
	return 0;
}

/* Thread SetName (group 5, opcode 72, version 2): ProcessId u32, ThreadId u32, ThreadName
 * NUL-terminated UTF-16 (TraceEvent's ThreadSetNameTraceData). */
static int thread_name_event(struct gen *g, unsigned cpu, uint32_t tid, const char *name,
			     uint64_t ts)
{
	size_t size = 16 + 8 + 2 * (strlen(name) + 1);
	uint8_t *p = reserve(g, cpu, size);
	if (!p)
		return -1;
	perfinfo(g, p, size, 5, 72, ts);
	etl_put16(p, 2);
	etl_put32(p + 16, process_pid(g));
	etl_put32(p + 20, tid);
	put_utf16(p + 24, name);
	return 0;
}

/* A classic FULL_HEADER event of KernelTraceControl's image-identity task
 * (b3e675d7-2554-4f18-830b-2762732560de): opcode 0x00 ImageId, 0x24 DbgID_RSDS. */
static uint8_t *ktc_event(struct gen *g, uint8_t opcode, size_t payload, uint64_t ts)
{
	static const uint8_t guid[16] = {0xd7, 0x75, 0xe6, 0xb3, 0x54, 0x25, 0x18, 0x4f,
					 0x83, 0x0b, 0x27, 0x62, 0x73, 0x25, 0x60, 0xde};
	size_t size = 48 + payload;
	if (size > 65535)
		return NULL;
	uint8_t *p = reserve(g, 0, size);
	if (!p)
		return NULL;
	etl_put16(p, (uint16_t)size);
	p[2] = g->P == 8 ? 0x14 : 0x0A;
	p[3] = 0xC0;
	p[4] = opcode;
	etl_put64(p + 16, ts);
	memcpy(p + 24, guid, 16);
	return p + 48;
}

/* ImageId (base, size, pid 0, TimeDateStamp, file name) and DbgID_RSDS (base, pid, GUID,
 * age, PDB name) of one module, as xperf's merge writes them. */
static int image_id_events(struct gen *g, const struct etlgen_module *m, uint64_t ts)
{
	unsigned P = g->P;
	uint8_t *q = ktc_event(g, 0x00, 2 * P + 8 + 2 * (strlen(m->name) + 1), ts);
	if (!q)
		return -1;
	etl_putptr(q, m->base, P);
	etl_putptr(q + P, m->size, P);
	etl_put32(q + 2 * P + 4, m->timestamp);
	put_utf16(q + 2 * P + 8, m->name);
	q = ktc_event(g, 0x24, P + 24 + strlen(m->pdb) + 1, ts);
	if (!q)
		return -1;
	etl_putptr(q, m->base, P);
	memcpy(q + P + 4, m->pdb_guid, 16);
	etl_put32(q + P + 20, m->pdb_age);
	memcpy(q + P + 24, m->pdb, strlen(m->pdb) + 1);
	return 0;
}

static int header_buffer(struct gen *g)
{
	const struct etlgen_scenario *s = g->s;
	uint32_t bs = s->buffer_size;
	uint8_t *b = g->cpu[0].b;
	unsigned P = g->P;
	memset(b, 0xFF, bs);
	size_t off = BUF_HDR;
	/* EventTrace/Header: SYSTEM header + TRACE_LOGFILE_HEADER */
	static const char logger[] = "etlgen";
	static const char file[] = "etlgen.etl";
	size_t fixed = P == 8 ? 280 : 272;
	size_t psz = fixed + 2 * (sizeof logger + sizeof file);
	size_t size = 32 + psz;
	uint8_t *p = b + off;
	memset(p, 0, (size + 7) & ~(size_t)7);
	etl_put16(p, 2);
	p[2] = P == 8 ? 0x02 : 0x01;
	p[3] = 0xC0;
	etl_put16(p + 4, (uint16_t)size);
	p[6] = 0;
	p[7] = 0;
	etl_put64(p + 16, T0);
	uint8_t *q = p + 32;
	etl_put32(q + 0, bs);
	etl_put32(q + 4, 0x0501000a);
	etl_put32(q + 8, s->build);
	etl_put32(q + 12, s->cpus);
	etl_put32(q + 24, 156250);
	etl_put32(q + 32, s->compressed ? 0x04000001u : 0x00000001u);
	etl_put32(q + 36, 0); /* BuffersWritten, patched at the end */
	etl_put32(q + 44, P);
	etl_put32(q + 48, 0);
	etl_put32(q + 52, 3000);
	size_t after_tz = 56 + 2 * P + 176;
	etl_put64(q + after_tz, START_FT - 36000000000ull);
	etl_put64(q + after_tz + 8, s->qpc_frequency);
	etl_put64(q + after_tz + 16, START_FT);
	etl_put32(q + after_tz + 24, 1);
	put_utf16(q + fixed, logger);
	put_utf16(q + fixed + 2 * sizeof logger, file);
	off += (size + 7) & ~(size_t)7;
	/* EventTrace/Extension: group masks */
	p = b + off;
	size = 16 + 36;
	memset(p, 0, (size + 7) & ~(size_t)7);
	perfinfo(g, p, size, 0, 5, T0);
	uint32_t m1 = 0;
	if (s->dpc_groups_enabled)
		m1 |= 0x80 | 0x4000;
	if (s->sample_rate_hz > 0)
		m1 |= 0x2;
	etl_put32(p + 16, 0x7); /* process, thread, loader */
	etl_put32(p + 20, m1);
	etl_put32(p + 48, 2);
	off += (size + 7) & ~(size_t)7;
	g->events += 2;
	g->buffers++;
	write_buffer_header(g, b, bs, (uint32_t)off, 0, 0, 4, s->compressed ? 3 : 1, 0);
	int rc = emit(g, b, bs);
	memset(b, 0, BUF_HDR);
	return rc;
}

static int rundown(struct gen *g, uint64_t ts)
{
	for (size_t i = 0; i < g->s->n_modules; i++) {
		const struct etlgen_module *m = &g->s->modules[i];
		if (!m->unmapped && (image_event(g, 0, m, 3, ts) || (m->pdb && image_id_events(g, m, ts))))
			return -1;
	}
	for (unsigned i = 0; i < g->s->implausible_images; i++) {
		uint64_t base = 0x10000000ull + 0x100000ull * i;
		int rc = i % 3 == 0 ? image_raw(g, 0, base, 0x1000, process_pid(g), "", 3, ts)
			 : i % 3 == 1 ? image_raw(g, 0, base, 0, process_pid(g), "\\x\\implausible.dll", 3, ts)
				      : image_raw(g, 0, base, 0x1000, 0xFFFFFFFFu, "\\x\\implausible.dll", 3, ts);
		if (rc)
			return -1;
	}
	return 0;
}

void etlgen_agg_add(struct etlgen_agg *a, uint64_t ns)
{
	a->count++;
	a->total_ns += ns;
	if (ns > a->max_ns)
		a->max_ns = ns;
}

/* SampledProfile: IP, thread, count 1, flags (bit 0 ExecutingDPC). */
static int put_sample(struct gen *g, unsigned cpu, uint64_t ip, uint32_t tid, uint64_t ts,
		      uint8_t flags)
{
	unsigned P = g->P;
	uint8_t *p = reserve(g, cpu, 16 + P + 8);
	if (!p)
		return -1;
	perfinfo(g, p, 16 + P + 8, 15, 46, ts);
	etl_putptr(p + 16, ip, P);
	etl_put32(p + 16 + P, tid);
	etl_put16(p + 20 + P, 1);
	p[22 + P] = flags;
	return 0;
}

/* A StackWalk event of the sample at ts (type 32 Stack, 37 KeyKernel): header, the
 * sample's timestamp, process and thread; the caller writes from offset 32. The default
 * threads' stacks say process 4 (the reader keys stacks by time and thread only). */
static uint8_t *stack_event(struct gen *g, unsigned cpu, size_t size, uint8_t type, uint64_t ts,
			    uint32_t pid, uint32_t tid)
{
	uint8_t *q = reserve(g, cpu, size);
	if (!q)
		return NULL;
	perfinfo(g, q, size, 24, type, ts);
	etl_put64(q + 16, ts);
	etl_put32(q + 24, pid);
	etl_put32(q + 28, tid);
	return q;
}

/* StackWalk/Stack: the IP then one frame in each caller module — each drawn from r, or with
 * hot_paths from a generator seeded by (IP, chain, depth), the chain one draw from r. */
static int put_stack(struct gen *g, struct etlgen_rng *r, unsigned cpu, uint64_t ip, const int *callers,
		     size_t n_callers, uint64_t ts, uint32_t pid, uint32_t tid)
{
	unsigned P = g->P;
	uint8_t *q = stack_event(g, cpu, 16 + 16 + (1 + n_callers) * P, 32, ts, pid, tid);
	if (!q)
		return -1;
	etl_putptr(q + 32, ip, P);
	uint32_t paths = g->s->hot_paths;
	uint64_t chain = paths && n_callers ? etlgen_hot_index(r, paths, g->s->hot_skew) : 0;
	for (size_t i = 0; i < n_callers; i++) {
		const struct etlgen_module *cm = &g->s->modules[callers[i]];
		struct etlgen_rng fixed = {ip ^ (chain + 1) * 0xD1B54A32D192ED03ull ^
					   (i + 1) * 0x8CB92BA72F3D8DD7ull};
		etl_putptr(q + 32 + (i + 1) * P, frame_in(g, cm, paths ? &fixed : r, 0), P);
	}
	return 0;
}

/* The expectations of one sample: IP in module mi, callers on the stack (if any);
 * inside (may be NULL) is the DPC module's expectation when the sample is inside its DPC. */
static void expect_sample(struct gen *g, unsigned cpu, size_t mi, uint64_t ip, const int *callers,
			  size_t n_callers, struct etlgen_module_expect *inside)
{
	struct etlgen_expect *e = g->exp;
	if (!e)
		return;
	e->samples++;
	e->cpu_samples[cpu]++;
	if (g->s->modules[mi].unmapped && is_kernel(g, ip))
		e->samples_unmapped_kernel++;
	else if (g->s->modules[mi].unmapped)
		e->samples_unmapped_user++;
	e->modules[mi].samples_ip++;
	e->modules[mi].samples_on_stack++;
	if (inside) {
		inside->inside_leaf[mi]++;
		inside->inside_on_stack[mi]++;
	}
	for (size_t i = 0; i < n_callers; i++) {
		int dup = callers[i] == (int)mi;
		for (size_t j = 0; j < i && !dup; j++)
			dup = callers[j] == callers[i];
		if (dup)
			continue;
		e->modules[callers[i]].samples_on_stack++;
		if (inside)
			inside->inside_on_stack[callers[i]]++;
	}
}

int etlgen_sample_at(struct etlgen_gen *eg, struct etlgen_rng *r, unsigned cpu, size_t mi,
		     uint32_t tid, uint32_t stack_pid, uint64_t ts)
{
	struct gen *g = (struct gen *)eg;
	const struct etlgen_module *m = &g->s->modules[mi];
	unsigned P = g->P;
	uint64_t ip = leaf_in(g, m, r);
	if (put_sample(g, cpu, ip, tid, ts, 0))
		return -1;
	int stacks = !g->s->no_stacks;
	if (!stacks) {
		/* samples only: no StackWalk event */
	} else if (g->s->stack_keys) {
		/* StackWalk/KeyKernel: a reference to the module's cached stack */
		uint8_t *q = stack_event(g, cpu, 16 + 16 + P, 37, ts, stack_pid, tid);
		if (!q)
			return -1;
		etl_putptr(q + 32, stack_key(g, mi), P);
		g->key_used[mi] = 1;
		if (g->s->user_keys) { /* StackWalk/KeyUser: the shared user key */
			if (!(q = stack_event(g, cpu, 16 + 16 + P, 38, ts, stack_pid, tid)))
				return -1;
			etl_putptr(q + 32, user_stack_key(g), P);
		}
	} else if (put_stack(g, r, cpu, ip, m->stack, m->n_stack, ts, stack_pid, tid)) {
		return -1;
	}
	if (ts > g->cpu[cpu].last_ts)
		g->cpu[cpu].last_ts = ts;
	/* a key never defined (stack_key_defs 2) leaves the stack unresolved */
	if (g->s->stack_keys && g->s->stack_key_defs == 2 && mi == 0)
		stacks = 0;
	expect_sample(g, cpu, mi, ip, stacks ? m->stack : NULL, stacks ? m->n_stack : 0, NULL);
	return 0;
}

/* StackWalk definitions (type 36 KeyRundown, 35 KeyDelete) on CPU 0 at ts of the keys
 * used so far: key, then the cached stack's frames, each gen × 8 bytes into its module
 * past its fixed frame; with user_keys (at the end), the shared user key too. */
static int key_defs(struct gen *g, uint8_t type, uint64_t ts, unsigned gen, int user)
{
	const struct etlgen_scenario *s = g->s;
	unsigned P = g->P;
	if (ts < g->cpu[0].last_ts)
		ts = g->cpu[0].last_ts;
	for (size_t i = 0; i < s->n_modules; i++) {
		if (!g->key_used[i] || (s->stack_key_defs == 2 && i == 0))
			continue;
		const struct etlgen_module *m = &s->modules[i];
		size_t n = 1 + m->n_stack, size = 16 + P + n * P;
		uint8_t *q = reserve(g, 0, size);
		if (!q)
			return -1;
		perfinfo(g, q, size, 24, type, ts);
		etl_putptr(q + 16, stack_key(g, i), P);
		etl_putptr(q + 16 + P, fixed_frame(m) + 8 * gen, P);
		for (size_t k = 0; k < m->n_stack; k++)
			etl_putptr(q + 16 + (k + 2) * P,
				   fixed_frame(&s->modules[m->stack[k]]) + 8 * gen, P);
	}
	for (size_t i = 0; user && i < s->n_modules; i++) {
		if (is_kernel(g, s->modules[i].base))
			continue;
		uint8_t *q = reserve(g, 0, 16 + 2 * P);
		if (!q)
			return -1;
		perfinfo(g, q, 16 + 2 * P, 24, type, ts);
		etl_putptr(q + 16, user_stack_key(g), P);
		etl_putptr(q + 16 + P, fixed_frame(&s->modules[i]), P);
		break;
	}
	g->cpu[0].last_ts = ts;
	return 0;
}

size_t etlgen_sample_module(const struct etlgen_scenario *s, struct etlgen_rng *r, double total_w)
{
	double w = etlgen_rnd01(r) * total_w;
	size_t i;
	for (i = 0; i + 1 < s->n_modules && w >= s->modules[i].sample_weight; i++)
		w -= s->modules[i].sample_weight;
	return i;
}

static int sample_event(struct gen *g, struct etlgen_rng *r, unsigned cpu, size_t mi, uint64_t t)
{
	const struct etlgen_module *m = &g->s->modules[mi];
	struct cpu_buf *c = &g->cpu[cpu];
	uint64_t ts = t > c->busy ? t : c->busy;
	if (ts < c->last_ts)
		ts = c->last_ts;
	uint32_t pid, tid;
	etlgen_sample_thread(g->s, m->sample_process, cpu, &pid, &tid);
	if (etlgen_sample_at((struct etlgen_gen *)g, r, cpu, mi, tid, m->sample_process ? pid : 4, ts))
		return -1;
	c->last_ts = ts;
	c->sample_ts = ts;
	if (g->exp && g->exp->process_samples)
		g->exp->process_samples[etlgen_procs_slot(g->s, m->sample_process)]++;
	return 0;
}

/* The samples inside one DPC of module mi on cpu, [start, start + ticks]. */
static int inside_samples(struct gen *g, struct etlgen_rng *r, unsigned cpu, size_t mi, uint64_t start,
			  uint64_t ticks)
{
	const struct etlgen_module *m = &g->s->modules[mi];
	if (!(m->inside_every_us > 0) || !m->n_inside)
		return 0;
	double every = m->inside_every_us * (double)g->s->qpc_frequency / 1e6;
	uint64_t n = (uint64_t)((double)ticks / every + m->inside_jitter * etlgen_rnd01(r));
	double total_w = 0;
	for (size_t i = 0; i < m->n_inside; i++)
		total_w += m->inside[i].weight;
	for (uint64_t k = 1; k <= n; k++) {
		uint64_t ts = start + (uint64_t)((double)ticks * (double)k / (double)(n + 1));
		double w = etlgen_rnd01(r) * total_w;
		size_t e = 0;
		for (; e + 1 < m->n_inside && w >= m->inside[e].weight; e++)
			w -= m->inside[e].weight;
		const struct etlgen_inside *in = &m->inside[e];
		const struct etlgen_module *lm = &g->s->modules[in->leaf];
		uint64_t ip = leaf_in(g, lm, r);
		/* the thread the DPC interrupted */
		const int who = g->s->interrupted_process;
		uint32_t pid, tid;
		etlgen_sample_thread(g->s, who, cpu, &pid, &tid);
		if (put_sample(g, cpu, ip, tid, ts, m->inside_flag ? 1 : 0))
			return -1;
		int stacks = m->inside_stacks && !g->s->no_stacks;
		if (stacks && put_stack(g, r, cpu, ip, in->callers, in->n_callers, ts, who ? pid : 4,
					tid))
			return -1;
		g->cpu[cpu].last_ts = ts;
		if (!g->exp)
			continue;
		if (g->exp->process_samples)
			g->exp->process_samples[etlgen_procs_slot(g->s, who)]++;
		struct etlgen_module_expect *x = &g->exp->modules[mi];
		x->inside_samples++;
		x->inside_flagged += m->inside_flag != 0;
		x->inside_with_stack += stacks;
		expect_sample(g, cpu, (size_t)in->leaf, ip, stacks ? in->callers : NULL,
			      stacks ? in->n_callers : 0, x);
	}
	return 0;
}

static int dpcisr_event(struct gen *g, struct etlgen_rng *r, unsigned cpu, size_t mi, int isr,
			uint64_t t)
{
	const struct etlgen_module *m = &g->s->modules[mi];
	struct cpu_buf *c = &g->cpu[cpu];
	double us = etlgen_draw(r, isr ? &m->isr_us : &m->dpc_us);
	if (us < 0)
		us = 0;
	if (us > 4e6)
		us = 4e6;
	uint64_t ticks = (uint64_t)llround(us * (double)g->s->qpc_frequency / 1e6);
	uint64_t start = t > c->busy ? t : c->busy;
	if (start < c->last_ts)
		start = c->last_ts;
	if (start == c->sample_ts)
		start++; /* a sample outside DPCs stays outside: intervals are [entry, exit) */
	uint64_t end = start + ticks;
	enum etlgen_kind kind = isr ? (m->isr_msi ? ETLGEN_ISR_MSI : ETLGEN_ISR) : m->dpc_kind;
	if (!isr && inside_samples(g, r, cpu, mi, start, ticks))
		return -1;
	if (!isr && m->inside_hide_dpc) {
		c->busy = end;
		c->last_ts = end;
		return 0;
	}
	return etlgen_dpcisr_at((struct etlgen_gen *)g, r, cpu, mi, kind, start, end);
}

int etlgen_dpcisr_at(struct etlgen_gen *eg, struct etlgen_rng *r, unsigned cpu, size_t mi,
		     enum etlgen_kind kind, uint64_t start, uint64_t end)
{
	struct gen *g = (struct gen *)eg;
	const struct etlgen_module *m = &g->s->modules[mi];
	struct cpu_buf *c = &g->cpu[cpu];
	unsigned P = g->P;
	int isr = kind == ETLGEN_ISR || kind == ETLGEN_ISR_MSI;
	uint8_t type = kind == ETLGEN_DPC ? 68 : kind == ETLGEN_THREADED_DPC ? 66 :
		       kind == ETLGEN_TIMER_DPC ? 69 : kind == ETLGEN_ISR ? 67 : 50;
	size_t psz = isr ? 8 + P + 4 + (kind == ETLGEN_ISR_MSI ? 4 : 0) : 8 + P;
	uint8_t *p = reserve(g, cpu, 16 + psz);
	if (!p)
		return -1;
	perfinfo(g, p, 16 + psz, 15, type, end);
	uint64_t routine = m->base + (m->routine_rva ? m->routine_rva
				      : m->size > 0x100 ? 0x100 + (etlgen_rnd(r) % (m->size - 0x100)) : 0);
	etl_put64(p + 16, start);
	etl_putptr(p + 24, routine, P);
	if (isr) {
		p[24 + P] = 1;                          /* claimed */
		etl_put16(p + 25 + P, (uint16_t)(0x50 + mi)); /* vector, unaligned */
		if (kind == ETLGEN_ISR_MSI)
			etl_put32(p + 28 + P, 1);
	}
	c->busy = end;
	c->last_ts = end;
	uint64_t ns = ticks_to_ns(g, end - start);
	if (g->exp) {
		etlgen_agg_add(&g->exp->modules[mi].kind[kind], ns);
		etlgen_agg_add(&g->exp->kind[kind], ns);
		g->exp->cpu_dpcisr[cpu]++;
	}
	if (g->s->on_dpcisr)
		g->s->on_dpcisr(g->s->ud, (int64_t)ticks_to_ns(g, start - T0), (uint32_t)ns, cpu,
				kind, mi, routine);
	return 0;
}

static int check_load(const struct etlgen_scenario *s, char *msg, size_t n)
{
	const struct etlgen_load *l = &s->load;
	if (!(l->duration_s > 0))
		return 0;
	if (l->threads_per_cpu < 2 || (uint64_t)l->threads_per_cpu * s->cpus > 65536 ||
	    !l->n_processes || !l->processes || !l->first_tid || !l->files_per_process ||
	    l->write_percent > 100 || l->syscall_module >= s->n_modules ||
	    (l->idle_every && l->ready_dpc_module >= s->n_modules) || l->duration_s > 3600 ||
	    1000000000ull % s->qpc_frequency || l->syscall_rate < 0 || l->file_rate < 0 ||
	    l->disk_rate < 0) {
		snprintf(msg, n, "load: needs 2..65536/cpus threads per CPU, processes, a non-zero "
			 "first_tid, files per process, write_percent <= 100, known syscall (and "
			 "ready DPC) modules, duration <= 3600 s, rates >= 0 and a QPC frequency "
			 "dividing 1 GHz (exact ns)");
		return -1;
	}
	return 0;
}

static int check(const struct etlgen_scenario *s, char *msg, size_t n)
{
	if (s->cpus < 1 || s->cpus > 256)
		snprintf(msg, n, "cpus must be 1..256");
	else if (s->pointer_size != 4 && s->pointer_size != 8)
		snprintf(msg, n, "pointer_size must be 4 or 8");
	else if (s->buffer_size < 4096 || s->buffer_size > (16u << 20) || s->buffer_size % 8)
		snprintf(msg, n, "buffer_size must be a multiple of 8 in 4096..16 MiB");
	else if (!(s->duration_s >= 0))
		snprintf(msg, n, "duration_s must be >= 0");
	else if (s->qpc_frequency < 1000)
		snprintf(msg, n, "qpc_frequency too small");
	else if (s->implausible_images > 1000)
		snprintf(msg, n, "implausible_images must be 0..1000");
	else {
		for (size_t i = 0; i < s->n_modules; i++) {
			const struct etlgen_module *m = &s->modules[i];
			if (!m->name || strlen(m->name) > 200 || (m->path && strlen(m->path) > 250)) {
				snprintf(msg, n, "module %zu: bad name/path", i);
				return -1;
			}
			for (size_t k = 0; k < m->n_stack; k++)
				if (m->stack[k] < 0 || (size_t)m->stack[k] >= s->n_modules) {
					snprintf(msg, n, "module %zu: bad stack index", i);
					return -1;
				}
			for (size_t k = 0; k < m->n_inside; k++) {
				const struct etlgen_inside *in = &m->inside[k];
				int bad = in->leaf < 0 || (size_t)in->leaf >= s->n_modules ||
					  !(in->weight >= 0);
				for (size_t j = 0; j < in->n_callers; j++)
					bad |= in->callers[j] < 0 || (size_t)in->callers[j] >= s->n_modules;
				if (bad) {
					snprintf(msg, n, "module %zu: bad inside sample", i);
					return -1;
				}
			}
			if (m->dpc_rate < 0 || m->isr_rate < 0 || m->sample_weight < 0) {
				snprintf(msg, n, "module %zu: negative rate", i);
				return -1;
			}
		}
		const struct etlgen_syscalls *sc = &s->syscalls;
		const struct etlgen_readywait *rw = &s->readywait;
		if (sc->count && (sc->module >= s->n_modules || sc->cpu >= s->cpus || !sc->tid ||
				  !sc->duration_ticks || (sc->sample_every && sc->duration_ticks < 2))) {
			snprintf(msg, n, "syscalls: needs a known module, a CPU of the trace, a "
				 "non-zero tid and duration (2 ticks or more with samples)");
			return -1;
		}
		const struct etlgen_diskio *dk = &s->diskio;
		if ((dk->reads || dk->writes || dk->file_reads) && (dk->cpu >= s->cpus || !dk->tid || !dk->file ||
						  !dk->file_object)) {
			snprintf(msg, n, "diskio: needs a CPU of the trace, a non-zero tid, a file "
				 "and a non-zero file_object");
			return -1;
		}
		const struct etlgen_minifilter *mf = &s->minifilter;
		if ((mf->creates || mf->failures || mf->truncated) &&
		    (mf->module >= s->n_modules || mf->cpu >= s->cpus || !mf->tid || !mf->file ||
		     !mf->file_object || (mf->creates && (!mf->n_pre || !mf->n_post)) ||
		     s->modules[mf->module].size <= 0x1000 || s->modules[mf->module].unmapped)) {
			snprintf(msg, n, "minifilter: needs a mapped module larger than 4 KiB, a CPU "
				 "of the trace, a non-zero tid, a file, a non-zero file_object and "
				 "(with creates) pre_us and post_us delays");
			return -1;
		}
		if (check_load(s, msg, n))
			return -1;
		if (rw->count && (rw->dpc_module >= s->n_modules || rw->cpu >= s->cpus || !rw->tid ||
				  rw->ready_ticks < 2 || !rw->run_ticks)) {
			snprintf(msg, n, "ready_wait: needs a known dpc_module, a CPU of the trace, "
				 "a non-zero tid, run time and a ready time of 2 ticks or more");
			return -1;
		}
		return 0;
	}
	return -1;
}

int etlgen_write(const struct etlgen_scenario *s, FILE *out, struct etlgen_expect *exp,
		 char *msg, size_t msg_len)
{
	char dummy[8];
	if (!msg) {
		msg = dummy;
		msg_len = sizeof dummy;
	}
	if (check(s, msg, msg_len))
		return -1;
	struct gen g = {.s = s, .exp = exp, .out = out, .P = s->pointer_size};
	int rc = -1;
	off_t start_off = ftello(out);
	if (exp) {
		memset(exp, 0, sizeof *exp);
		exp->n_modules = s->n_modules;
		exp->cpus = s->cpus;
		exp->modules = calloc(s->n_modules ? s->n_modules : 1, sizeof *exp->modules);
		exp->cpu_dpcisr = calloc(s->cpus, sizeof *exp->cpu_dpcisr);
		exp->cpu_samples = calloc(s->cpus, sizeof *exp->cpu_samples);
		exp->process_samples = calloc(s->n_processes + 1, sizeof *exp->process_samples);
		if (!exp->modules || !exp->cpu_dpcisr || !exp->cpu_samples || !exp->process_samples)
			goto oom;
		for (size_t i = 0; i < s->n_modules; i++) {
			exp->modules[i].inside_leaf = calloc(s->n_modules, sizeof(uint64_t));
			exp->modules[i].inside_on_stack = calloc(s->n_modules, sizeof(uint64_t));
			if (!exp->modules[i].inside_leaf || !exp->modules[i].inside_on_stack)
				goto oom;
		}
	}
	g.cpu = calloc(s->cpus, sizeof *g.cpu);
	g.key_used = calloc(s->n_modules ? s->n_modules : 1, 1);
	g.zcap = BUF_HDR + etlgen_lz77_bound(s->buffer_size);
	g.zbuf = malloc(g.zcap);
	if (!g.cpu || !g.zbuf || !g.key_used)
		goto oom;
	for (unsigned i = 0; i < s->cpus; i++) {
		g.cpu[i].b = malloc(s->buffer_size);
		if (!g.cpu[i].b)
			goto oom;
		g.cpu[i].used = BUF_HDR;
		g.cpu[i].last_ts = T0;
		g.cpu[i].busy = T0;
	}
	if (header_buffer(&g))
		goto io;
	if (!s->images_at_end && rundown(&g, T0 + 1))
		goto io;
	if (etlgen_procs_rundown((struct etlgen_gen *)&g, s, T0 + 1))
		goto io;
	int sampled = s->sample_rate_hz > 0; /* the sampled threads' rundown, when any */
	for (size_t i = 0; i < s->n_modules; i++)
		sampled |= s->modules[i].inside_every_us > 0 && s->modules[i].n_inside;
	for (unsigned i = 0; sampled && i < s->cpus; i++) {
		const char *name = i < s->n_thread_names ? s->thread_names[i] : NULL;
		if (thread_event(&g, i, 1000 + i, s->thread_names_rundown ? name : NULL, T0 + 1) ||
		    (name && !s->thread_names_rundown && thread_name_event(&g, i, 1000 + i, name, T0 + 1)))
			goto io;
	}

	/* One Poisson stream of all DPC/ISR/sample events; pick kind, module and CPU. */
	double total_rate = s->sample_rate_hz * s->cpus, total_w = 0;
	for (size_t i = 0; i < s->n_modules; i++) {
		total_rate += s->modules[i].dpc_rate + s->modules[i].isr_rate;
		total_w += s->modules[i].sample_weight;
	}
	if (total_w <= 0)
		total_rate -= s->sample_rate_hz * s->cpus;
	struct etlgen_rng r = {s->seed ? s->seed : 1};
	double f = (double)s->qpc_frequency, t = 0, end = s->duration_s;
	int mid_defs = 0;
	while (total_rate > 0) {
		t += -log(etlgen_rnd01(&r)) / total_rate;
		if (t >= end)
			break;
		uint64_t ticks = T0 + 16 + (uint64_t)(t * f);
		unsigned cpu = (unsigned)(etlgen_rnd(&r) % s->cpus);
		double x = etlgen_rnd01(&r) * total_rate;
		size_t i;
		int done = 0;
		for (i = 0; i < s->n_modules && !done; i++) {
			const struct etlgen_module *m = &s->modules[i];
			/* A module with an interrupt affinity runs on its own CPUs only. */
			unsigned mcpu = m->n_cpus ? m->cpus[(size_t)(etlgen_rnd(&r) % m->n_cpus)] % s->cpus : cpu;
			if (x < m->dpc_rate) {
				rc = dpcisr_event(&g, &r, mcpu, i, 0, ticks);
				done = 1;
			} else if ((x -= m->dpc_rate) < m->isr_rate) {
				rc = dpcisr_event(&g, &r, mcpu, i, 1, ticks);
				done = 1;
			} else {
				x -= m->isr_rate;
			}
		}
		if (!done) {
			rc = sample_event(&g, &r, cpu, etlgen_sample_module(s, &r, total_w), ticks);
		}
		if (!rc && s->stack_keys && s->stack_key_defs == 1 && !mid_defs && t >= end / 2) {
			mid_defs = 1; /* the keys used so far evicted from the cache */
			rc = key_defs(&g, 35, ticks, 0, 0);
		}
		if (rc)
			goto io;
	}
	uint64_t last = T0 + 16 + (uint64_t)(end * f);
	for (unsigned i = 0; i < s->cpus; i++)
		if (g.cpu[i].last_ts > last)
			last = g.cpu[i].last_ts;
	if ((s->syscalls.count || s->readywait.count) &&
	    etlgen_sched_write((struct etlgen_gen *)&g, s, exp, last + 1, &last))
		goto io;
	if ((s->diskio.reads || s->diskio.writes || s->diskio.file_reads) &&
	    etlgen_io_write((struct etlgen_gen *)&g, s, exp, last + 1, &last))
		goto io;
	if ((s->minifilter.creates || s->minifilter.failures || s->minifilter.truncated) &&
	    etlgen_flt_write((struct etlgen_gen *)&g, s, exp, last + 1, &last))
		goto io;
	if (s->load.duration_s > 0 &&
	    etlgen_load_write((struct etlgen_gen *)&g, s, exp, last + 1, &last))
		goto io;
	if (s->images_at_end && rundown(&g, last + 1))
		goto io;
	if (etlgen_procs_sysconfig((struct etlgen_gen *)&g, s, last + 1))
		goto io;
	/* StackWalk/KeyRundown of every key used (stack_key_defs 1: other frames than the
	 * middle's KeyDelete) */
	if (s->stack_keys && key_defs(&g, 36, last + 2, s->stack_key_defs == 1, s->user_keys))
		goto io;
	for (unsigned i = 0; i < s->cpus; i++)
		if (flush_cpu(&g, i))
			goto io;
	/* patch BuffersWritten and EndTime when the output can seek */
	if (start_off >= 0 && fseeko(out, start_off + BUF_HDR + 32 + 36, SEEK_SET) == 0) {
		uint8_t v[8];
		etl_put32(v, (uint32_t)g.buffers);
		fwrite(v, 1, 4, out);
		fseeko(out, start_off + BUF_HDR + 32 + 16, SEEK_SET);
		etl_put64(v, START_FT + (last - T0) * 10000000ull / s->qpc_frequency);
		fwrite(v, 1, 8, out);
		fseeko(out, 0, SEEK_END);
	}
	if (fflush(out) != 0 || g.err)
		goto io;
	if (exp) {
		exp->events = g.events;
		exp->buffers = g.buffers;
		exp->bytes = g.bytes;
	}
	rc = 0;
	goto done;
oom:
	snprintf(msg, msg_len, "out of memory");
	rc = -1;
	goto done;
io:
	snprintf(msg, msg_len, "write error");
	rc = -1;
done:
	if (g.cpu)
		for (unsigned i = 0; i < s->cpus; i++)
			free(g.cpu[i].b);
	free(g.cpu);
	free(g.zbuf);
	free(g.key_used);
	if (rc && exp)
		etlgen_expect_free(exp);
	return rc;
}

void etlgen_expect_free(struct etlgen_expect *e)
{
	for (size_t i = 0; e->modules && i < e->n_modules; i++) {
		free(e->modules[i].inside_leaf);
		free(e->modules[i].inside_on_stack);
	}
	free(e->modules);
	free(e->cpu_dpcisr);
	free(e->cpu_samples);
	free(e->process_samples);
	free(e->load_threads);
	memset(e, 0, sizeof *e);
}
