/* test_etl_samples.c — golden tests: every real trace in ../shared/samples/etl decodes to the
 * facts in samples/MANIFEST.md and research/etl-format.md §12 (header values, masks, counts
 * per event kind and header type, kernel images, stack matches, lost events), and the
 * time-ordered merge hands out the same events in non-decreasing timestamp order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "ingest/etl/etl_ingest.h"
#include "ingest/etl/etl_merge.h"
#include "ingest/etl/etl_reader.h"
#include "etl_test_sink.h"

#define SAMPLE(name) SHARED_DIR "/samples/etl/" name

static void ingest_sample(const char *path, struct test_sink *t)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	test_sink_init(t);
	struct ingest_error err = {{0}};
	int rc = etl_ingest(f, &t->sink, &err);
	fclose(f);
	if (rc)
		fprintf(stderr, "etl_ingest: %s\n", err.message);
	assert_int_equal(rc, INGEST_OK);
	assert_int_equal(t->summaries, 1);
	assert_int_equal(test_summary_bool(t, "partial"), 0);
	assert_int_equal(test_summary_num(t, "unknown"), 0);
	/* the counts per kind are disjoint: they add up to the events read, no more */
	double total = 0;
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(t->summary, "counts"))
		total += v->valuedouble;
	assert_true(total == test_summary_num(t, "events"));
}

static double mask(const struct test_sink *t, int i)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(t->summary, "group_masks");
	const cJSON *v = cJSON_GetArrayItem(m, i);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int has_group(const struct test_sink *t, const char *name)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(t->summary, "kernel_groups"), *v;
	cJSON_ArrayForEach(v, g)
		if (cJSON_IsString(v) && !strcmp(v->valuestring, name))
			return 1;
	return 0;
}

static double header_type_total(const struct test_sink *t)
{
	double n = 0;
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(t->summary, "header_types"), *v;
	cJSON_ArrayForEach(v, h)
		n += v->valuedouble;
	return n;
}

/* .sys kernel images counted by the test itself from the raw Image events (file-order
 * reader; the FileName is parsed here, at payload offset 56 for 64-bit and 44 for 32-bit
 * v2/v3 layouts, etl-format.md §8.5), independent of etl_modmap and the summary. */
struct sys_images {
	unsigned long by_type[256]; /* DCStart 3, DCEnd 4, Unload 2 (group 20); Load 10 (group 3) */
	unsigned long events;
	size_t distinct;
	char names[400][256];
};

static void count_sys_images(const char *path, struct sys_images *s)
{
	FILE *f = fopen(path, "rb");
	struct etl_reader r;
	struct etl_event ev;
	memset(s, 0, sizeof *s);
	assert_non_null(f);
	assert_int_equal(etl_reader_open(&r, f), 0);
	while (etl_reader_next(&r, &ev) == 1) {
		if (ev.ev_class != ETL_EC_SYSTEM ||
		    !((ev.group == 20 && ev.type >= 2 && ev.type <= 4) || (ev.group == 3 && ev.type == 10)))
			continue;
		size_t fo = ev.pointer_size == 8 ? 56 : 44, k = 0;
		char name[256];
		for (size_t i = fo; i + 1 < ev.payload_len && k + 1 < sizeof name; i += 2) {
			if (!ev.payload[i] && !ev.payload[i + 1])
				break;
			name[k++] = (char)(ev.payload[i] | 0x20 * (ev.payload[i] >= 'A' && ev.payload[i] <= 'Z'));
		}
		name[k] = '\0';
		if (k < 4 || strcmp(name + k - 4, ".sys") != 0)
			continue;
		const char *base = strrchr(name, '\\') ? strrchr(name, '\\') + 1 : name;
		s->by_type[ev.type]++;
		s->events++;
		size_t j = 0;
		while (j < s->distinct && strcmp(s->names[j], base) != 0)
			j++;
		if (j == s->distinct) {
			assert_true(s->distinct < 400);
			snprintf(s->names[s->distinct++], sizeof s->names[0], "%s", base);
		}
	}
	etl_reader_close(&r);
	fclose(f);
}

#define C(key) test_summary_count(&t, "counts", key)
#define H(key) test_summary_count(&t, "header_types", key)
#define N(key) test_summary_num(&t, key)

static void test_perfview_compressed(void **state)
{
	(void)state;
	struct test_sink t;
	ingest_sample(SAMPLE("perfview-net452-x64-compressed.etl"), &t);
	assert_int_equal(N("buffer_size"), 65536);
	assert_string_equal(test_summary_str(&t, "header_version"), "0x00020206");
	assert_string_equal(test_summary_str(&t, "os_version"), "6.2");
	assert_int_equal(N("os_build"), 9200);
	assert_int_equal(N("cpus"), 8);
	assert_int_equal(N("pointer_size"), 8);
	assert_int_equal(N("qpc_frequency"), 10000000);
	assert_int_equal(N("clock_type"), 1);
	assert_int_equal(N("cpu_mhz"), 3592);
	assert_int_equal(N("log_file_mode"), 0x04010001);
	assert_int_equal(N("buffers_written"), 360);
	assert_int_equal(N("buffers"), 360);
	assert_int_equal(N("compressed_buffers"), 359);
	assert_int_equal(test_summary_bool(&t, "compressed"), 1);
	assert_int_equal(N("compression_format"), 3);
	/* StartTime 132404548206236167 (FILETIME) → Unix µs */
	assert_true(N("start_utc_us") == 1595981220623616.0);
	assert_string_equal(test_summary_str(&t, "logger_name"), "Relogger");
	assert_string_equal(test_summary_str(&t, "log_file_name"), "[multiple files]");
	assert_string_equal(test_summary_str(&t, "computer_name"), "BRIANROB-W8");
	/* MANIFEST: computer "BRIANROB-W8" — the run's machine field */
	const cJSON *machines = cJSON_GetObjectItemCaseSensitive(t.summary, "machines");
	assert_int_equal(cJSON_GetArraySize(machines), 1);
	assert_string_equal(cJSON_GetArrayItem(machines, 0)->valuestring, "BRIANROB-W8");
	assert_int_equal(N("events_lost"), 0);
	assert_int_equal(mask(&t, 0), 0x1270f);
	assert_int_equal(mask(&t, 1), 0x2);
	assert_int_equal(mask(&t, 2), 0);
	assert_true(has_group(&t, "profile"));
	assert_false(has_group(&t, "dpc"));
	assert_false(has_group(&t, "interrupt"));
	assert_false(has_group(&t, "cswitch"));
	assert_int_equal(test_summary_bool(&t, "dpcisr_enabled"), 0);
	assert_true(test_sink_has_warning(&t, "dpcisr_disabled"));
	assert_false(test_sink_has_warning(&t, "events_lost"));

	assert_int_equal(C("SampledProfile"), 79528);
	assert_int_equal(N("stackwalk_events"), 12280); /* MANIFEST: StackWalk 12 280 */
	assert_int_equal(C("StackWalkKeyUser"), 7046);
	assert_int_equal(C("StackWalkKeyKernel"), 2061);
	assert_int_equal(C("StackWalkKeyDelete"), 1909);
	assert_int_equal(C("StackWalkKeyRundown"), 1012);
	assert_int_equal(C("StackWalkStack"), 252);
	assert_int_equal(C("ImageDCStart"), 1763);
	assert_int_equal(C("ImageDCEnd"), 1766);
	assert_int_equal(C("ImageLoad"), 35);
	assert_int_equal(C("ImageUnload"), 32);
	assert_int_equal(C("ProcessDCStart"), 32);
	assert_int_equal(C("ProcessDCEnd"), 32);
	/* 101 Process events: DCStart/DCEnd 32+32, PerfCtr rundown 32, Start/End/Defunct… */
	assert_int_equal(C("ProcessStart") + C("ProcessEnd") + C("ProcessDCStart") +
			 C("ProcessDCEnd") + C("ProcessDefunct") + C("ProcessOther"), 101);
	assert_true(C("TcpIpOther") + C("UdpIpOther") > 500 && C("TcpIpOther") + C("UdpIpOther") < 560);
	assert_true(C("SystemConfigCPU") + C("SystemConfigOther") > 230 &&
		    C("SystemConfigCPU") + C("SystemConfigOther") < 270);
	assert_int_equal(C("ThreadDCStart") + C("ThreadDCEnd") + C("ThreadStart") + C("ThreadEnd"),
			 1358);
	assert_int_equal(C("DiskIoOther"), 2462);
	assert_int_equal(C("FileIoOther"), 3084);
	assert_int_equal(C("DPC") + C("ISR") + C("ThreadedDPC") + C("TimerDPC") + C("ISR_MSI"), 0);
	assert_int_equal(C("CSwitch"), 0);
	assert_int_equal(H("PERFINFO64"), 100157);
	assert_int_equal(H("EVENT_HEADER64"), 34765);
	assert_int_equal(H("EVENT_HEADER32"), 33378);
	assert_int_equal(H("FULL_HEADER64"), 7956);
	assert_int_equal(H("SYSTEM64"), 3189);
	assert_int_equal(H("FULL_HEADER32"), 27);
	assert_int_equal(H("SYSTEM32"), 2);
	/* MANIFEST's header-type counts add up to 179 474 records (its "Events (179 473)"
	 * total is one lower); we match the per-type counts. */
	assert_int_equal(N("events"), header_type_total(&t));
	assert_int_equal(N("events"), 179474);
	/* MANIFEST's "264 `.sys` kernel images" here counts Image *events*: the test's own
	 * count finds 132 .sys DCStart + 132 DCEnd events of 132 distinct drivers (264
	 * distinct would be impossible: only 132 names occur). */
	struct sys_images *si = malloc(sizeof *si);
	assert_non_null(si);
	count_sys_images(SAMPLE("perfview-net452-x64-compressed.etl"), si);
	assert_int_equal(si->events, 264);
	assert_int_equal(si->by_type[3], 132);
	assert_int_equal(si->by_type[4], 132);
	assert_int_equal(si->distinct, 132);
	assert_int_equal(N("kernel_sys_image_events"), si->events);
	assert_int_equal(N("kernel_sys_images"), si->distinct);
	free(si);
	/* MANIFEST: 6 769 stack/key events match a SampledProfile on the same CPU and thread;
	 * stacks are matched on thread and EventTimeStamp on any CPU (issue 13), which adds the
	 * 7 logged on another CPU: 6 776 (tests/support/etlscan.mjs counts the same). */
	assert_int_equal(N("stack_events_matched"), 6776);
	assert_int_equal(N("stack_events_late"), 0);
	assert_int_equal(N("cpu_samples_out_of_order"), 0);
	assert_int_equal(N("stack_keys_unresolved"), 0);
	assert_int_equal(t.samples, 79528);
	assert_int_equal(t.n_dpc, 0);
	/* CLFS.SYS is a kernel module at 0xfffff88000caf000 */
	int clfs = 0;
	for (size_t i = 0; i < t.n_mods; i++)
		if (!strcmp(t.mods[i].path, "\\SystemRoot\\System32\\drivers\\CLFS.SYS")) {
			clfs = 1;
			assert_true(t.mods[i].base == 0xfffff88000caf000ull);
			assert_int_equal(t.mods[i].pid, 0);
			assert_string_equal(t.mods[i].name, "CLFS.SYS");
		}
	assert_true(clfs);
	/* most samples resolve to a module */
	assert_true(t.samples_resolved > t.samples / 2);
	test_sink_free(&t);
}

static void test_shutdown_perfdiag(void **state)
{
	(void)state;
	struct test_sink t;
	ingest_sample(SAMPLE("airbus-ShutdownPerfDiagLogger.etl"), &t);
	assert_int_equal(N("buffer_size"), 65536);
	assert_string_equal(test_summary_str(&t, "header_version"), "0x0501000a");
	assert_string_equal(test_summary_str(&t, "os_version"), "10.0");
	assert_int_equal(N("os_build"), 18362);
	assert_int_equal(N("cpus"), 2);
	assert_int_equal(N("pointer_size"), 8);
	assert_int_equal(N("qpc_frequency"), 10000000);
	assert_int_equal(N("cpu_mhz"), 1992);
	assert_int_equal(N("log_file_mode"), 0x02000080);
	assert_int_equal(N("buffers_written"), 49);
	assert_int_equal(N("buffers"), 49);
	assert_int_equal(test_summary_bool(&t, "compressed"), 0);
	assert_int_equal(N("events_lost"), 0);
	assert_string_equal(test_summary_str(&t, "logger_name"), "PerfDiag Logger");
	assert_string_equal(test_summary_str(&t, "log_file_name"),
			    "C:\\Windows\\system32\\WDI\\LogFiles\\ShutdownPerfDiagLogger.etl");
	assert_int_equal(mask(&t, 0), 0x7);
	assert_int_equal(mask(&t, 1), 0);
	assert_true(has_group(&t, "loader"));
	assert_int_equal(test_summary_bool(&t, "dpcisr_enabled"), 0);
	assert_true(test_sink_has_warning(&t, "dpcisr_disabled"));
	assert_int_equal(N("events"), 17078);
	assert_int_equal(H("SYSTEM64"), 8433);
	assert_int_equal(H("PERFINFO64"), 8645);
	assert_int_equal(C("ImageDCStart"), 6745);
	assert_int_equal(C("ImageUnload"), 4791);
	assert_int_equal(C("ImageDCEnd"), 2145);
	assert_int_equal(C("ImageLoad"), 72);
	assert_int_equal(C("KernelImageBase"), 1);
	assert_int_equal(C("ImageOther"), 1); /* HypercallPage */
	/* "header group 8": Extension, EndExtension, RundownComplete, type 80 */
	assert_int_equal(C("EventTraceExtension") + C("EventTraceEndExtension") +
			 C("EventTraceRundownComplete") + C("EventTraceOther"), 8);
	assert_int_equal(C("ThreadStart") + C("ThreadEnd") + C("ThreadDCStart") + C("ThreadDCEnd"),
			 3058);
	assert_int_equal(C("ProcessEnd") + C("ProcessDCStart") + C("ProcessDCEnd") +
			 C("ProcessTerminate") + C("ProcessDefunct"), 256);
	assert_int_equal(C("SampledProfile"), 0);
	/* MANIFEST's "188 `.sys` driver images" here counts *drivers*: the test's own count
	 * finds 188 distinct names, one DCStart each, and 376 .sys events in all (188 DCStart,
	 * 185 DCEnd, 3 Unload) — 188 events would be impossible. */
	struct sys_images *si = malloc(sizeof *si);
	assert_non_null(si);
	count_sys_images(SAMPLE("airbus-ShutdownPerfDiagLogger.etl"), si);
	assert_int_equal(si->distinct, 188);
	assert_int_equal(si->by_type[3], 188);
	assert_int_equal(N("kernel_sys_images"), si->distinct);
	assert_int_equal(N("kernel_sys_image_events"), si->events);
	free(si);
	int fltmgr = 0;
	for (size_t i = 0; i < t.n_mods; i++)
		fltmgr |= !strcmp(t.mods[i].name, "FLTMGR.SYS") && t.mods[i].pid == 0;
	assert_true(fltmgr);
	test_sink_free(&t);
}

static void test_amsi_events_lost(void **state)
{
	(void)state;
	struct test_sink t;
	ingest_sample(SAMPLE("airbus-AMSITrace.etl"), &t);
	assert_int_equal(N("os_build"), 18362);
	assert_int_equal(N("cpus"), 8);
	assert_int_equal(N("log_file_mode"), 0x08000001);
	assert_int_equal(N("events_lost"), 3);
	assert_int_equal(N("buffers"), 6);
	assert_string_equal(test_summary_str(&t, "logger_name"), "AMSITraceSession");
	assert_int_equal(H("EVENT_HEADER64"), 19);
	assert_int_equal(C("Manifest"), 19);
	assert_true(test_sink_has_warning(&t, "events_lost"));
	assert_int_equal(test_summary_bool(&t, "group_masks_present"), 0);
	assert_int_equal(test_summary_bool(&t, "dpcisr_enabled"), 0);
	test_sink_free(&t);
}

static void test_lxcore_minimal(void **state)
{
	(void)state;
	struct test_sink t;
	ingest_sample(SAMPLE("airbus-lxcore_kernel.etl"), &t);
	assert_int_equal(N("os_build"), 19041);
	assert_int_equal(N("cpus"), 6);
	assert_int_equal(N("buffer_size"), 8192);
	assert_int_equal(N("buffers"), 3);
	assert_int_equal(N("log_file_mode"), 0);
	assert_int_equal(C("Manifest"), 2);
	assert_int_equal(H("EVENT_HEADER64"), 2);
	test_sink_free(&t);
}

static void test_syzygy_32bit(void **state)
{
	(void)state;
	struct test_sink t;
	ingest_sample(SAMPLE("syzygy-image_data_32_v2.etl"), &t);
	assert_int_equal(N("os_build"), 7600);
	assert_int_equal(N("cpus"), 16);
	assert_int_equal(N("pointer_size"), 4);
	assert_string_equal(test_summary_str(&t, "logger_name"), "Make Test Data Session");
	assert_int_equal(H("SYSTEM32"), 1);
	assert_int_equal(H("FULL_HEADER32"), 26);
	/* classic Image-GUID events, types 2/3/10, 32-bit payloads */
	assert_int_equal(C("ImageDCStart") + C("ImageUnload") + C("ImageLoad"), 26);
	assert_true(t.n_mods > 0);
	test_sink_free(&t);
}

/* T0 and the 32-bit fixed part are visible through the reader. */
static void test_reader_header_values(void **state)
{
	(void)state;
	FILE *f = fopen(SAMPLE("perfview-net452-x64-compressed.etl"), "rb");
	assert_non_null(f);
	struct etl_reader r;
	assert_int_equal(etl_reader_open(&r, f), 0);
	assert_true(r.lf.header_timestamp == 1942608875ull);
	assert_true(r.lf.start_time == 132404548206236167ull);
	assert_int_equal(r.lf.header_pointer_size, 8);
	etl_reader_close(&r);
	fclose(f);
	f = fopen(SAMPLE("syzygy-image_data_32_v2.etl"), "rb");
	assert_non_null(f);
	assert_int_equal(etl_reader_open(&r, f), 0);
	assert_int_equal(r.lf.header_pointer_size, 4);
	assert_int_equal(r.lf.pointer_size, 4);
	assert_int_equal(r.lf.clock_type, 1);
	etl_reader_close(&r);
	fclose(f);
}

static void check_merge(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct etl_reader r;
	assert_int_equal(etl_reader_open(&r, f), 0);
	struct etl_event ev;
	uint64_t file_order = 0;
	while (etl_reader_next(&r, &ev) == 1)
		file_order++;
	etl_reader_close(&r);
	struct etl_merge m;
	assert_int_equal(etl_merge_open(&m, f), 0);
	uint64_t n = 0, last = 0, backwards = 0;
	while (etl_merge_next(&m, &ev) == 1) {
		backwards += ev.timestamp < last;
		last = ev.timestamp;
		n++;
	}
	assert_int_equal(n, file_order);
	assert_int_equal(backwards, 0);
	etl_merge_close(&m);
	fclose(f);
}

static void test_merge_time_order(void **state)
{
	(void)state;
	check_merge(SAMPLE("perfview-net452-x64-compressed.etl"));
	check_merge(SAMPLE("airbus-ShutdownPerfDiagLogger.etl"));
	check_merge(SAMPLE("airbus-AMSITrace.etl"));
	check_merge(SAMPLE("syzygy-image_data_32_v2.etl"));
}

/* perfmon .blg files are ETL containers of classic FULL_HEADER events from the PDH provider
 * (etl-format.md §9, §12): the reader hands them out with GUID, class type and payload. */
static void test_blg_container(void **state)
{
	(void)state;
	static const uint8_t pdh[16] = {0xb3, 0x3b, 0x3f, 0x93, 0x3e, 0x94, 0x0d, 0x49,
					0x9c, 0xed, 0x3c, 0xbb, 0x14, 0xc1, 0x44, 0x79};
	FILE *f = fopen(SHARED_DIR "/samples/perfmon/pal_SampleLog.blg", "rb");
	assert_non_null(f);
	struct etl_reader r;
	assert_int_equal(etl_reader_open(&r, f), 0);
	assert_int_equal(r.lf.buffer_size, 65536);
	assert_int_equal(r.lf.version, 0x04010006);
	assert_int_equal(r.lf.build, 6000);
	assert_int_equal(r.lf.pointer_size, 4);
	assert_int_equal(r.lf.header_pointer_size, 4);
	assert_int_equal(r.lf.clock_type, 2);
	/* clock 2: timestamps are FILETIMEs; the header event's equals StartTime */
	assert_true(r.lf.header_timestamp == r.lf.start_time);
	assert_int_equal(etl_reader_ns(&r, r.lf.start_time + 10000000), 1000000000);
	struct etl_event ev;
	uint64_t classic = 0, with_pdh = 0;
	while (etl_reader_next(&r, &ev) == 1) {
		if (ev.header_type != ETL_HT_FULL_HEADER32)
			continue;
		classic++;
		assert_int_equal(ev.ev_class, ETL_EC_CLASSIC);
		assert_int_equal(ev.has_guid, 1);
		assert_true(ev.payload_len <= ev.size - 48);
		with_pdh += memcmp(ev.guid, pdh, 16) == 0;
	}
	assert_true(classic > 0);
	assert_int_equal(with_pdh, classic);
	assert_int_equal(r.st.malformed_buffers, 0);
	etl_reader_close(&r);
	fclose(f);
}

/* The file-order reader never seeks backwards: it works on a pipe. */
static void test_reader_on_pipe(void **state)
{
	(void)state;
	FILE *p = popen("cat '" SAMPLE("perfview-net452-x64-compressed.etl") "'", "r");
	assert_non_null(p);
	struct etl_reader r;
	assert_int_equal(etl_reader_open(&r, p), 0);
	struct etl_event ev;
	uint64_t n = 0;
	while (etl_reader_next(&r, &ev) == 1)
		n++;
	assert_int_equal(n, 179474);
	assert_int_equal(r.st.buffers, 360);
	assert_int_equal(r.st.truncated, 0);
	assert_int_equal(r.masks[0], 0x1270f);
	etl_reader_close(&r);
	pclose(p);
}

/* A trace cut inside its first buffer: the header facts (MANIFEST) and the whole events
 * before the cut are kept, with a "truncated" warning; a cut inside the header event itself
 * is called truncated, not "not an ETW trace". */
static const struct {
	const char *path;
	double os_build, cpus;
} first_buffer_cut[] = {
	{SAMPLE("airbus-AMSITrace.etl"), 18362, 8},
	{SAMPLE("airbus-ShutdownPerfDiagLogger.etl"), 18362, 2},
	{SAMPLE("airbus-lxcore_kernel.etl"), 19041, 6},
	{SAMPLE("perfview-net452-x64-compressed.etl"), 9200, 8},
	{SAMPLE("syzygy-image_data_32_v2.etl"), 7600, 16},
};

static int ingest_prefix(const char *path, size_t n, struct test_sink *t, struct ingest_error *err)
{
	unsigned char *buf = malloc(n);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
	FILE *m = fmemopen(buf, n, "rb");
	assert_non_null(m);
	test_sink_init(t);
	int rc = etl_ingest(m, &t->sink, err);
	fclose(m);
	free(buf);
	return rc;
}

static void test_cut_in_first_buffer(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof first_buffer_cut / sizeof *first_buffer_cut; i++) {
		static const size_t cuts[] = {600, 3000, 20000};
		double events = 0;
		for (size_t j = 0; j < 3; j++) {
			struct test_sink t;
			struct ingest_error err = {{0}};
			assert_int_equal(ingest_prefix(first_buffer_cut[i].path, cuts[j], &t, &err),
					 INGEST_OK);
			assert_int_equal(N("os_build"), first_buffer_cut[i].os_build);
			assert_int_equal(N("cpus"), first_buffer_cut[i].cpus);
			assert_int_equal(test_summary_bool(&t, "partial"), 1);
			assert_true(test_sink_has_warning(&t, "truncated"));
			assert_int_equal(N("unknown"), 0); /* the event cut in half is not "damage" */
			assert_true(N("events") >= 1 && N("events") >= events);
			events = N("events");
			test_sink_free(&t);
		}
		struct test_sink t;
		struct ingest_error err = {{0}};
		assert_int_equal(ingest_prefix(first_buffer_cut[i].path, 100, &t, &err),
				 INGEST_EFORMAT);
		assert_non_null(strstr(err.message, "truncated inside its first buffer"));
		test_sink_free(&t);
	}
}

/* Cut at a buffer boundary the file ends cleanly; the header's BuffersWritten (6, MANIFEST)
 * shows what is missing. */
static void test_cut_at_buffer_boundary(void **state)
{
	(void)state;
	struct test_sink t;
	struct ingest_error err = {{0}};
	assert_int_equal(ingest_prefix(SAMPLE("airbus-AMSITrace.etl"), 3 * 65536, &t, &err),
			 INGEST_OK);
	assert_int_equal(N("buffers"), 3);
	assert_int_equal(N("buffers_written"), 6);
	assert_int_equal(test_summary_bool(&t, "partial"), 1);
	assert_true(test_sink_has_warning(&t, "truncated"));
	test_sink_free(&t);
}

static void test_not_an_etl(void **state)
{
	(void)state;
	static char text[] = "\"(PDH-CSV 4.0)\",\"x\"\r\n";
	FILE *f = fmemopen(text, sizeof text - 1, "rb");
	struct test_sink t;
	test_sink_init(&t);
	struct ingest_error err = {{0}};
	assert_int_equal(etl_ingest(f, &t.sink, &err), INGEST_EFORMAT);
	assert_true(strlen(err.message) > 0);
	assert_int_equal(t.summaries, 0);
	fclose(f);
	test_sink_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfview_compressed),
		cmocka_unit_test(test_shutdown_perfdiag),
		cmocka_unit_test(test_amsi_events_lost),
		cmocka_unit_test(test_lxcore_minimal),
		cmocka_unit_test(test_syzygy_32bit),
		cmocka_unit_test(test_reader_header_values),
		cmocka_unit_test(test_merge_time_order),
		cmocka_unit_test(test_blg_container),
		cmocka_unit_test(test_reader_on_pipe),
		cmocka_unit_test(test_not_an_etl),
		cmocka_unit_test(test_cut_in_first_buffer),
		cmocka_unit_test(test_cut_at_buffer_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
