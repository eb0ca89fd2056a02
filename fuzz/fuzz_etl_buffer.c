/* fuzz_etl_buffer.c — libFuzzer harness for the ETL reader: arbitrary bytes through the
 * buffer walker, XPRESS decompression, every event header decoder, the kernel payload
 * decoders, the per-CPU merge and the whole etl_ingest pipeline, in two passes and in one
 * (via fmemopen).
 * Asserts resource bounds, not just "no crash": decompressed bytes (the work) ≤ 121 × input
 * bytes in each pass; buffer memory ≤ 2 × 16 MiB per walker and ≤ the merge budget (+ a
 * header per stream) in total; every event handed out lies in the trace's time window;
 * a run never lasts longer than the header allows (≤ 366 days + slack).
 * Invariants (fuzz/invariant.h): every module id a DPC/ISR or CPU sample names was handed
 * out by the sink (or is -1); the summary's counts per kind add up to its events, its
 * header types to events + skipped records, and its DPC/ISR and sample totals to what the
 * sink received. (Times are not checked for order: a damaged trace may go back.) */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "ingest/etl/etl_ingest.h"
#include "ingest/etl/etl_kernel.h"
#include "ingest/etl/etl_merge.h"
#include "ingest/etl/etl_reader.h"
#include "invariant.h"

struct seen {
	int32_t modules;
	uint64_t dpcisr, samples, summaries;
};

static int on_module(void *ud, const struct sink_module *m, int32_t *id)
{
	struct seen *s = ud;
	FUZZ_CHECK(m->path && m->name);
	*id = s->modules++;
	return 0;
}

static void check_id(const struct seen *s, int32_t id)
{
	FUZZ_CHECK(id >= -1 && id < s->modules);
}

/* The one pass's end-of-run facts of a module it emitted. */
static int on_module_update(void *ud, int32_t id, const struct sink_module *m)
{
	struct seen *s = ud;
	FUZZ_CHECK(id >= 0 && id < s->modules && m->path && m->name);
	return 0;
}

/* The one pass starting over in two passes: everything received is forgotten. */
static int on_restart(void *ud)
{
	struct seen *s = ud;
	memset(s, 0, sizeof *s);
	return 0;
}

/* the widest window the time guard accepts, each side of T0: a year of header span + slack */
#define MAX_SPAN_NS ((int64_t)(366ll * 86400 * 1000000000ll + 2 * (int64_t)ETL_TIME_SLACK_NS))

static int on_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	struct seen *s = ud;
	FUZZ_CHECK(e->t_ns >= -MAX_SPAN_NS && e->t_ns <= MAX_SPAN_NS);
	FUZZ_CHECK(e->kind < SINK_DPCISR_KINDS);
	check_id(s, e->module_id);
	s->dpcisr++;
	return 0;
}

static int on_sample(void *ud, const struct sink_cpu_sample *c)
{
	struct seen *s = ud;
	check_id(s, c->module_id);
	for (uint32_t i = 0; i < c->n_stack_modules; i++)
		check_id(s, c->stack_modules[i]);
	s->samples++;
	return 0;
}

static int on_warning(void *ud, const char *code, const char *msg)
{
	(void)ud;
	FUZZ_CHECK(code && msg);
	return 0;
}

static int on_summary(void *ud, const struct cJSON *j)
{
	struct seen *s = ud;
	FUZZ_CHECK(j && ++s->summaries == 1);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "duration_us");
	FUZZ_CHECK(!cJSON_IsNumber(d) || d->valuedouble <= (double)MAX_SPAN_NS / 1000 + 1);
	double events = fuzz_num(j, "events");
	FUZZ_CHECK(fuzz_sum(j, "counts") == events);
	FUZZ_CHECK(fuzz_sum(j, "header_types") == events + fuzz_num(j, "skipped_records"));
	FUZZ_CHECK(fuzz_num(j, "dpcisr_records") == (double)s->dpcisr);
	FUZZ_CHECK(fuzz_num(j, "cpu_samples") == (double)s->samples);
	return 0;
}

/* decompressed bytes per input byte: 64 × + 4096 per buffer of ≥ 0x49 bytes < 121 × */
static void check_work(uint64_t expanded, size_t size)
{
	if (expanded > 121 * (uint64_t)size)
		abort();
}

static void check_walker_memory(const struct etl_walker *w)
{
	if (w->raw_cap + w->data_cap > 2 * (size_t)ETL_BUFFER_MAX_SIZE)
		abort();
}

static void decode_all(const struct etl_event *ev)
{
	union {
		struct etl_dpc dpc;
		struct etl_isr isr;
		struct etl_sampled_profile sp;
		struct etl_stack st;
		struct etl_image im;
		struct etl_process pr;
		struct etl_thread th;
		struct etl_cswitch cs;
		struct etl_sysconfig_cpu sc;
	} u;
	etl_decode_dpc(ev, &u.dpc);
	etl_decode_isr(ev, 1, &u.isr);
	etl_decode_sampled_profile(ev, &u.sp);
	if (etl_decode_stack(ev, &u.st) == 0 && u.st.n_frames)
		(void)etl_stack_frame(&u.st, u.st.n_frames - 1);
	if (etl_decode_stack_key_def(ev, &u.st) == 0 && u.st.n_frames)
		(void)etl_stack_frame(&u.st, u.st.n_frames - 1);
	etl_decode_image(ev, &u.im);
	etl_decode_process(ev, &u.pr);
	etl_decode_thread(ev, &u.th);
	etl_decode_cswitch(ev, &u.cs);
	etl_decode_sysconfig_cpu(ev, &u.sc);
	size_t pos = 0;
	struct etl_ext_item it;
	while (etl_ext_item_next(ev, &pos, &it) == 1)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	struct etl_reader r;
	if (etl_reader_open(&r, f) == 0) {
		struct etl_event ev;
		etl_reader_check_times(&r);
		while (etl_reader_next(&r, &ev) == 1) {
			if (!etl_time_guard_in_window(&r.guard, ev.timestamp))
				abort();
			decode_all(&ev);
		}
	}
	check_work(r.walker.expanded, size);
	check_walker_memory(&r.walker);
	etl_reader_close(&r);
	struct etl_merge m;
	if (etl_merge_open(&m, f) == 0) {
		struct etl_event ev;
		while (etl_merge_next(&m, &ev) == 1) {
			if (!etl_time_guard_in_window(&m.guard, ev.timestamp) ||
			    m.budget.held > m.budget.max + m.n_streams * ETL_BUFFER_HEADER_SIZE)
				abort();
			decode_all(&ev);
		}
		check_work(etl_merge_expanded(&m), size);
	}
	etl_merge_close(&m);
	rewind(f);
	struct seen n = {0};
	struct ingest_sink sink = {.ud = &n, .module = on_module, .dpcisr = on_dpcisr,
				   .cpu_sample = on_sample, .warning = on_warning,
				   .summary = on_summary};
	struct ingest_error err;
	etl_ingest(f, &sink, &err);
	rewind(f); /* and the one pass, which may start over in two */
	memset(&n, 0, sizeof n);
	sink.module_update = on_module_update;
	sink.restart = on_restart;
	etl_ingest_ex(f, ETL_ONE_PASS, &sink, &err);
	fclose(f);
	return 0;
}
