/* fuzz_etl_buffer.c — libFuzzer harness for the ETL reader: arbitrary bytes through the
 * buffer walker, XPRESS decompression, every event header decoder, the kernel payload
 * decoders, the per-CPU merge and the whole etl_ingest pipeline (via fmemopen). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ingest/etl/etl_ingest.h"
#include "ingest/etl/etl_kernel.h"
#include "ingest/etl/etl_merge.h"
#include "ingest/etl/etl_reader.h"

static int on_module(void *ud, const struct sink_module *m, int32_t *id)
{
	size_t *n = ud;
	*id = (int32_t)(*n)++;
	return m->path && m->name ? 0 : -1;
}

static int on_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	(void)ud;
	return e->kind < SINK_DPCISR_KINDS ? 0 : -1;
}

static int on_sample(void *ud, const struct sink_cpu_sample *s)
{
	int32_t x = 0;
	(void)ud;
	for (uint32_t i = 0; i < s->n_stack_modules; i++)
		x |= s->stack_modules[i]; /* touch every id: ASan checks the array bounds */
	return x < -1 ? -1 : 0;
}

static int on_warning(void *ud, const char *code, const char *msg)
{
	(void)ud;
	return code && msg ? 0 : -1;
}

static int on_summary(void *ud, const struct cJSON *s)
{
	(void)ud;
	return s ? 0 : -1;
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
		while (etl_reader_next(&r, &ev) == 1)
			decode_all(&ev);
	}
	etl_reader_close(&r);
	struct etl_merge m;
	if (etl_merge_open(&m, f) == 0) {
		struct etl_event ev;
		while (etl_merge_next(&m, &ev) == 1)
			decode_all(&ev);
	}
	etl_merge_close(&m);
	rewind(f);
	size_t n = 0;
	struct ingest_sink sink = {.ud = &n, .module = on_module, .dpcisr = on_dpcisr,
				   .cpu_sample = on_sample, .warning = on_warning,
				   .summary = on_summary};
	struct ingest_error err;
	etl_ingest(f, &sink, &err);
	fclose(f);
	return 0;
}
