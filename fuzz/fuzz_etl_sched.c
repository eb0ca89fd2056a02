/* fuzz_etl_sched.c — libFuzzer harness for the scheduling/syscall decoders and state
 * machine: the input is a sequence of records {kind byte, cpu byte, pointer-size bit,
 * delta-time byte, length byte, payload} decoded as CSwitch / ReadyThread / SysClEnter /
 * SysClExit and fed to etl_sched_event, then everything is emitted to a sink that checks
 * each row's invariants (a syscall's max ≤ total, histogram counts sum to count, a
 * timeline slice holds no more than its length, a thread's time per state in a 100 ms
 * fact slice at most the slice, its ready time behind DPCs at most its ready time). Kind
 * byte bit 3 makes the record a DPC/ISR interval [t − cpu-byte… , t) instead. Whole
 * traces with these events reach the same code through fuzz_etl_buffer (seeded with an
 * etlgen trace carrying them, fuzz/seed.sh). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/etl/etl_schedtrack.h"

static int on_syscall(void *ud, const struct sink_syscall *s)
{
	uint64_t n = 0;
	(void)ud;
	for (int b = 0; b < SINK_SYSCALL_BUCKETS; b++)
		n += s->hist[b];
	if (n != s->count || s->max_ns > s->total_ns || !s->process)
		abort();
	return 0;
}

static int on_thread(void *ud, const struct sink_sched_thread *t)
{
	uint64_t w = 0;
	(void)ud;
	for (int r = 0; r < SINK_WAIT_REASONS; r++)
		w += t->wait_ns[r];
	if (w != t->waiting_ns)
		abort();
	return 0;
}

static int on_ready(void *ud, const struct sink_sched_ready *r)
{
	(void)ud;
	if (!r->count || !r->process || !r->by_process)
		abort();
	return 0;
}

static int on_slice(void *ud, const struct sink_sched_slice *s)
{
	uint64_t sum = s->other_ns + s->idle_ns;
	(void)ud;
	for (int k = 0; k < SINK_SLICE_TOP; k++)
		sum += s->ns[k];
	if (sum > s->slice_ns)
		abort();
	return 0;
}

struct fact_sums { uint64_t ready, behind; };

static int on_facts(void *ud, const struct sink_slice_fact *f, size_t n)
{
	struct fact_sums *c = ud;
	for (size_t i = 0; i < n; i++) {
		if (f[i].domain != SINK_FACT_SCHED)
			continue;
		if (f[i].ns > (uint64_t)SINK_FACT_SLICE_NS)
			abort();
		if (f[i].key == SINK_FACT_READY)
			c->ready += f[i].ns;
		if (f[i].key == SINK_FACT_READY_DPC)
			c->behind += f[i].ns;
	}
	return 0;
}

static int32_t resolve(void *ud, uint64_t a, int64_t t, unsigned p)
{
	(void)ud, (void)a, (void)t;
	if (p != 4 && p != 8)
		abort();
	return -1;
}

static const char *name(void *ud, uint32_t pid)
{
	(void)ud, (void)pid;
	return "";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum etl_kernel_kind kinds[4] = {ETL_K_CSWITCH, ETL_K_READY_THREAD,
						      ETL_K_SYSCALL_ENTER, ETL_K_SYSCALL_EXIT};
	struct etl_tidmap tids;
	struct etl_sched s;
	etl_tidmap_init(&tids);
	etl_tidmap_set(&tids, 1, 10);
	etl_sched_init(&s, &tids);
	etl_sched_set_slice(&s, 16); /* small slices: intervals cross many of them */
	struct fact_sums sums = {0, 0};
	struct ingest_sink fk = {.ud = &sums, .slice_facts = on_facts};
	struct etl_slicefacts facts;
	if (etl_slicefacts_init(&facts, &fk) != 0)
		abort();
	s.facts = &facts;
	int64_t t = 0;
	size_t off = 0;
	while (off + 5 <= size) {
		const uint8_t *h = data + off;
		size_t n = h[4];
		off += 5;
		if (n > size - off)
			n = size - off;
		uint8_t *copy = malloc(n ? n : 1); /* exact-size copy: ASan sees overreads */
		if (!copy)
			break;
		memcpy(copy, data + off, n);
		off += n;
		struct etl_event ev;
		memset(&ev, 0, sizeof ev);
		ev.ev_class = ETL_EC_SYSTEM;
		ev.pointer_size = (h[0] & 4) ? 8 : 4;
		ev.cpu = h[1];
		ev.payload = copy;
		ev.payload_len = n;
		t += h[3];
		uint64_t addr;
		if ((h[0] & 8) && etl_sched_dpcisr(&s, h[1], t - h[2], t) != 0)
			abort();
		if (!(h[0] & 8) && etl_sched_event(&s, &ev, kinds[h[0] & 3], t) != 0)
			abort(); /* only ENOMEM fails, and inputs are small */
		if (etl_sched_in_syscall(&s, h[2], &addr)) {
			int32_t mods[2] = {h[2] & 1, 5};
			etl_sched_syscall_sample(&s, 10, addr, mods, 2);
		}
		free(copy);
	}
	struct ingest_sink k = {.syscall = on_syscall, .sched_thread = on_thread,
				.sched_ready = on_ready, .sched_slice = on_slice};
	etl_sched_emit(&s, &k, resolve, name, NULL);
	if (etl_slicefacts_flush(&facts) != 0 || sums.behind > sums.ready)
		abort();
	etl_slicefacts_free(&facts);
	etl_sched_free(&s);
	etl_tidmap_free(&tids);
	return 0;
}
