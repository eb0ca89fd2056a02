/* test_api_dpc.c — the DPC/ISR API functions: CPU-list and kind parsing, the ms-since-epoch
 * ↔ ns-since-trace-start conversions, and the histogram/module/events documents on a
 * hand-made ETW run whose every figure is known (incl. durations exactly on the guideline
 * edges, windows, CPU subsets), plus 400/404 answers. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "api/api_dpc.h"
#include "db/db.h"
#include "db_test_file.h"

#define START_US 1655526400000000LL /* 2022-06-18 04:26:40 UTC */
#define US 1000
#define MS 1000000LL

struct fixture {
	sqlite3 *db;
	char path[64];
	char etw[33], perfmon[33];
};

/* Two modules; DPCs (kind 0) on CPUs 0 and 1 of 4, ISRs (kind 3) on CPU 2.
 *   a.sys DPC  50 µs @ 0.5 ms cpu 0, 100 µs @ 1.5 ms cpu 1 (on the guideline), 150 µs @ 2.5 ms cpu 0
 *   b.sys ISR  20 µs @ 0.7 ms, 25 µs @ 1.7 ms (on the guideline), 30 µs @ 2.7 ms — all cpu 2
 *   one unresolved DPC (module -1) of 7 µs @ 3.2 ms on cpu 3 */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[256];
	fx->db = db_test_open(fx->path, sizeof fx->path, "/tmp/etlscope-test-apidpc-XXXXXX");

	struct db_run_input in = {"dpc unit", "unit.etl", 1};
	struct db_sink *s = db_sink_begin(fx->db, &in, err, sizeof err);
	assert_non_null(s);
	const struct ingest_sink *k = db_sink_iface(s);
	struct sink_module ma = {.path = "\\SystemRoot\\System32\\drivers\\a.sys", .name = "a.sys",
				 .base = 0xfffff80000100000ull, .size = 0x10000, .timestamp = 1,
				 .checksum = 2, .load_ns = INT64_MIN, .unload_ns = INT64_MAX};
	struct sink_module mb = {.path = "\\SystemRoot\\System32\\drivers\\b.sys", .name = "b.sys",
				 .base = 0xfffff80000200000ull, .size = 0x10000, .timestamp = 1,
				 .checksum = 2, .load_ns = INT64_MIN, .unload_ns = INT64_MAX};
	int32_t ida, idb;
	assert_int_equal(k->module(k->ud, &ma, &ida), 0);
	assert_int_equal(k->module(k->ud, &mb, &idb), 0);
	assert_int_equal(ida, 0);
	assert_int_equal(idb, 1);
	const struct sink_dpcisr ev[] = {
		{500 * US, 50 * US, 0, SINK_DPC, 0, 0xfffff80000100040ull},
		{700 * US, 20 * US, 2, SINK_ISR, 1, 0xfffff80000200010ull},
		{1500 * US, 100 * US, 1, SINK_DPC, 0, 0xfffff80000100040ull},
		{1700 * US, 25 * US, 2, SINK_ISR, 1, 0xfffff80000200010ull},
		{2500 * US, 150 * US, 0, SINK_DPC, 0, 0xfffff80000101234ull},
		{2700 * US, 30 * US, 2, SINK_ISR, 1, 0xfffff80000200010ull},
		{3200 * US, 7 * US, 3, SINK_DPC, -1, 0xfffff80000900000ull},
	};
	for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
		assert_int_equal(k->dpcisr(k->ud, &ev[i]), 0);
	cJSON *sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "format", "etl");
	cJSON_AddNumberToObject(sum, "cpus", 4);
	cJSON_AddNumberToObject(sum, "start_utc_us", (double)START_US);
	cJSON_AddNumberToObject(sum, "duration_us", 10000000);
	cJSON_AddBoolToObject(sum, "dpcisr_enabled", 1);
	assert_int_equal(k->summary(k->ud, sum), 0);
	cJSON_Delete(sum);
	assert_int_equal(db_sink_commit(s, "etl", 0, NULL, fx->etw, NULL, err, sizeof err), 0);

	/* A perfmon run: no ETW data. */
	struct db_run_input pin = {"perfmon", "p.csv", 1};
	s = db_sink_begin(fx->db, &pin, err, sizeof err);
	k = db_sink_iface(s);
	uint32_t idx;
	struct sink_counter sc = {"\\\\H\\Memory\\Available MBytes", "H", "Memory", NULL,
				  "Available MBytes", -1, 0};
	k->counter(k->ud, &sc, &idx);
	double v = 1;
	k->sample(k->ud, START_US, &v, 1);
	assert_int_equal(db_sink_commit(s, "pdh-csv", 0, NULL, fx->perfmon, NULL, err, sizeof err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	db_test_remove(fx->db, fx->path);
	free(fx);
	return 0;
}

/* Round-trip through text, as a client sees the document. */
static cJSON *client(cJSON *doc)
{
	char *t = cJSON_PrintUnformatted(doc);
	cJSON *c = cJSON_Parse(t);
	free(t);
	cJSON_Delete(doc);
	return c;
}

static double num(const cJSON *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	const cJSON *it = o;
	for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, "."))
		it = cJSON_GetObjectItemCaseSensitive(it, tok);
	assert_non_null(it);
	assert_true(cJSON_IsNumber(it));
	return it->valuedouble;
}

static int call(int (*fn)(sqlite3 *, const char *, const struct api_request *, cJSON **),
		struct fixture *fx, const char *id, const char *query, cJSON **out)
{
	struct api_request rq = {.query = query};
	int st = fn(fx->db, id, &rq, out);
	*out = client(*out);
	return st;
}

static void cpu_list(void **state)
{
	(void)state;
	struct db_cpu_set s;
	unsigned n;
	assert_int_equal(api_parse_cpu_list("0,2,4-6", &s, &n), 0);
	assert_int_equal(n, 5);
	for (unsigned c = 0; c < 8; c++)
		assert_int_equal(db_cpu_set_has(&s, c), c == 0 || c == 2 || c == 4 || c == 5 || c == 6);
	assert_int_equal(api_parse_cpu_list(" 1 , 3,3,2-3", &s, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(api_parse_cpu_list("2047", &s, &n), 0);
	assert_true(db_cpu_set_has(&s, 2047));
	static const char *const bad[] = {"", "a", "3-1", "2048", "1,", ",1", "1-", "-1",
					  "0x1", "99999999", "1;2", "1-2-3", "0-2048"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(api_parse_cpu_list(bad[i], &s, &n), -1);
}

static void kinds(void **state)
{
	(void)state;
	uint32_t m;
	assert_int_equal(api_parse_kinds("dpc", &m), 0);
	assert_int_equal(m, DB_KIND_DPCS);
	assert_int_equal(api_parse_kinds("isr", &m), 0);
	assert_int_equal(m, DB_KIND_ISRS);
	assert_int_equal(api_parse_kinds("normal_dpc,msi_isr", &m), 0);
	assert_int_equal(m, (1u << SINK_DPC) | (1u << SINK_ISR_MSI));
	assert_int_equal(api_parse_kinds("threaded_dpc,timer_dpc,line_isr", &m), 0);
	assert_int_equal(m, (1u << SINK_THREADED_DPC) | (1u << SINK_TIMER_DPC) | (1u << SINK_ISR));
	static const char *const bad[] = {"", "dpc,", ",dpc", "DPC", "foo", "dpcs", "isr,,dpc"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(api_parse_kinds(bad[i], &m), -1);
	for (int k = 0; k < SINK_DPCISR_KINDS; k++) {
		assert_int_equal(api_parse_kinds(api_dpc_kind_name(k), &m), 0);
		assert_int_equal(m, 1u << k);
	}
}

static void conversions(void **state)
{
	(void)state;
	assert_int_equal(api_epoch_us_to_trace_ns(INT64_MIN, START_US), INT64_MIN);
	assert_int_equal(api_epoch_us_to_trace_ns(INT64_MAX, START_US), INT64_MAX);
	assert_int_equal(api_epoch_us_to_trace_ns(START_US + 1500, START_US), 1500000);
	assert_int_equal(api_epoch_us_to_trace_ns(START_US - 2, START_US), -2000);
	assert_int_equal(api_epoch_us_to_trace_ns(9000000000000000000LL, START_US), INT64_MAX);
	assert_int_equal(api_epoch_us_to_trace_ns(-9000000000000000000LL, START_US), INT64_MIN);
	/* ns → ms since the epoch: whole µs exactly, and the sub-µs part added. */
	assert_true(api_trace_ns_to_epoch_ms(0, START_US) == 1655526400000.0);
	assert_true(api_trace_ns_to_epoch_ms(2500000, START_US) == 1655526400002.5);
	assert_true(fabs(api_trace_ns_to_epoch_ms(1234567, START_US) - 1655526400001.234567) < 1e-3);
}

static void histogram_exact(void **state)
{
	struct fixture *fx = *state;
	cJSON *o;
	assert_int_equal(call(api_run_dpc_histogram, fx, fx->etw, NULL, &o), 200);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "dpcisr_enabled")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "edges_us")), DB_DPC_NEDGES);
	assert_true(num(o, "dpc.count") == 4);
	assert_true(num(o, "dpc.total_ns") == 307000);
	assert_true(num(o, "dpc.max_ns") == 150000);
	assert_true(num(o, "dpc.max_us") == 150);
	assert_true(num(o, "dpc.mean_us") == 76.75);
	assert_true(num(o, "dpc.guideline_us") == 100);
	assert_true(num(o, "dpc.above_count") == 1); /* 100 µs is on the guideline, not above */
	assert_true(num(o, "dpc.above_share") == 0.25);
	assert_true(num(o, "dpc.above_total_ms") == 0.15);
	assert_true(num(o, "dpc.first_above_bucket") == 21);
	assert_true(num(o, "isr.count") == 3);
	assert_true(num(o, "isr.total_ns") == 75000);
	assert_true(num(o, "isr.above_count") == 1); /* 25 µs on the guideline, 30 above */
	assert_true(num(o, "isr.first_above_bucket") == 15);
	assert_true(num(o, "kinds.line_isr.count") == 3);
	assert_true(num(o, "kinds.msi_isr.count") == 0);
	/* Buckets: (80, 100] holds the 100 µs DPC; (20, 25] the 25 µs ISR. */
	const cJSON *dc = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "dpc"), "counts");
	const cJSON *ic = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "isr"), "counts");
	const cJSON *edges = cJSON_GetObjectItem(o, "edges_us");
	assert_true(cJSON_GetArrayItem(edges, 20)->valuedouble == 100);
	assert_true(cJSON_GetArrayItem(dc, 20)->valuedouble == 1);
	assert_true(cJSON_GetArrayItem(edges, 14)->valuedouble == 25);
	assert_true(cJSON_GetArrayItem(ic, 14)->valuedouble == 1);
	assert_true(cJSON_GetArrayItem(ic, 15)->valuedouble == 1); /* 30 µs: (25, 32] */
	cJSON_Delete(o);

	/* Window [1 ms, 2 ms) from the start, as ms since the epoch: the 1.5 ms DPC and the
	 * 1.7 ms ISR. A fractional bound widens to whole ms. */
	char q[160];
	snprintf(q, sizeof q, "from=%lld.4&to=%lld.5", START_US / 1000 + 1, START_US / 1000 + 1);
	assert_int_equal(call(api_run_dpc_histogram, fx, fx->etw, q, &o), 200);
	assert_true(num(o, "dpc.count") == 1);
	assert_true(num(o, "dpc.total_ns") == 100000);
	assert_true(num(o, "isr.count") == 1);
	assert_true(num(o, "window.from") == (double)(START_US / 1000 + 1));
	assert_true(num(o, "window.to") == (double)(START_US / 1000 + 2));
	assert_true(num(o, "window.from_s") == 0.001);
	cJSON_Delete(o);

	/* CPU subset and kinds. */
	assert_int_equal(call(api_run_dpc_histogram, fx, fx->etw, "cpus=0,3", &o), 200);
	assert_true(num(o, "dpc.count") == 3);
	assert_true(num(o, "dpc.total_ns") == 207000);
	assert_true(num(o, "isr.count") == 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "isr"), "mean_us")));
	cJSON_Delete(o);
	assert_int_equal(call(api_run_dpc_histogram, fx, fx->etw, "kind=isr&module=1", &o), 200);
	assert_true(num(o, "dpc.count") == 0);
	assert_true(num(o, "isr.count") == 3);
	cJSON_Delete(o);
	assert_int_equal(call(api_run_dpc_histogram, fx, fx->etw, "module=-1", &o), 200);
	assert_true(num(o, "dpc.count") == 1);
	assert_true(num(o, "dpc.max_ns") == 7000);
	cJSON_Delete(o);
}

static void modules_exact(void **state)
{
	struct fixture *fx = *state;
	cJSON *o;
	assert_int_equal(call(api_run_dpc_modules, fx, fx->etw, NULL, &o), 200);
	assert_true(num(o, "trace_cpu_ms") == 40000); /* 10 s × 4 CPUs */
	const cJSON *mods = cJSON_GetObjectItem(o, "modules");
	assert_int_equal(cJSON_GetArraySize(mods), 3);
	const cJSON *a = cJSON_GetArrayItem(mods, 0); /* busiest first */
	assert_string_equal(cJSON_GetObjectItem(a, "name")->valuestring, "a.sys");
	assert_true(num(a, "dpc.count") == 3);
	assert_true(num(a, "dpc.total_ms") == 0.3);
	assert_true(num(a, "dpc.mean_us") == 100);
	assert_true(num(a, "dpc.above_count") == 1);
	assert_true(num(a, "dpc.share_of_trace") == 300000.0 / 4e10);
	const cJSON *cpus = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "dpc"), "cpus");
	assert_int_equal(cJSON_GetArraySize(cpus), 2);
	assert_true(cJSON_GetArrayItem(cpus, 1)->valuedouble == 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(a, "isr")));
	const cJSON *b = cJSON_GetArrayItem(mods, 1);
	assert_string_equal(cJSON_GetObjectItem(b, "name")->valuestring, "b.sys");
	assert_true(num(b, "isr.count") == 3);
	assert_true(num(b, "isr.max_us") == 30);
	const cJSON *u = cJSON_GetArrayItem(mods, 2);
	assert_string_equal(cJSON_GetObjectItem(u, "name")->valuestring, "(unresolved)");
	assert_true(num(u, "id") == -1);
	assert_non_null(strstr(cJSON_GetObjectItem(o, "estimates")->valuestring, "estimate"));
	cJSON_Delete(o);
	/* Share of the window: 1 ms window on 2 CPUs. */
	char q[160];
	snprintf(q, sizeof q, "from=%lld&to=%lld&cpus=1-2", START_US / 1000 + 1, START_US / 1000 + 2);
	assert_int_equal(call(api_run_dpc_modules, fx, fx->etw, q, &o), 200);
	assert_true(num(o, "window_cpu_ms") == 2);
	a = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "modules"), 0);
	assert_true(num(a, "dpc.share_of_window") == 100000.0 / 2e6);
	cJSON_Delete(o);
}

static void events_routines(void **state)
{
	struct fixture *fx = *state;
	cJSON *o;
	assert_int_equal(call(api_run_dpc_events, fx, fx->etw, "limit=2", &o), 200);
	const cJSON *ev = cJSON_GetObjectItem(o, "events");
	assert_int_equal(cJSON_GetArraySize(ev), 2);
	const cJSON *e0 = cJSON_GetArrayItem(ev, 0);
	assert_string_equal(cJSON_GetObjectItem(e0, "routine")->valuestring, "a.sys+0x1234");
	assert_string_equal(cJSON_GetObjectItem(e0, "kind")->valuestring, "normal_dpc");
	assert_true(num(e0, "duration_us") == 150);
	assert_true(num(e0, "t_s") == 0.0025);
	assert_true(num(e0, "t") == (double)START_US / 1000 + 2.5);
	assert_true(num(e0, "cpu") == 0);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(e0, "sample")));
	assert_true(num(cJSON_GetArrayItem(ev, 1), "duration_us") == 30);
	cJSON_Delete(o);
	/* Unresolved routine: a bare address. */
	assert_int_equal(call(api_run_dpc_events, fx, fx->etw, "module=-1&limit=5", &o), 200);
	ev = cJSON_GetObjectItem(o, "events");
	assert_int_equal(cJSON_GetArraySize(ev), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 0), "routine")->valuestring,
			    "0xfffff80000900000");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 0), "sample")));
	cJSON_Delete(o);
}

static void errors(void **state)
{
	struct fixture *fx = *state;
	cJSON *o;
	static const char *const bad[] = {"cpus=x", "kind=nope", "module=z", "module=-5",
					  "from=1&to=0", "from=abc", "cpus=1-"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(call(api_run_dpc_histogram, fx, fx->etw, bad[i], &o), 400);
		assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "error")));
		cJSON_Delete(o);
	}
	assert_int_equal(call(api_run_dpc_events, fx, fx->etw, "bucket=42", &o), 400);
	cJSON_Delete(o);
	assert_int_equal(call(api_run_dpc_timeline, fx, fx->etw, "points=2001", &o), 400);
	cJSON_Delete(o);
	assert_int_equal(call(api_run_dpc_histogram, fx, fx->perfmon, NULL, &o), 404);
	cJSON_Delete(o);
	assert_int_equal(call(api_run_dpc_modules, fx, "0123456789abcdef0123456789abcdef", NULL, &o), 404);
	cJSON_Delete(o);
	struct api_request rq = {.query = NULL};
	assert_int_equal(api_run_dpcisr(fx->db, fx->etw, "nope", &rq, &o), 404);
	cJSON_Delete(o);
	assert_int_equal(call(api_run_modules, fx, fx->perfmon, NULL, &o), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "modules")), 0);
	cJSON_Delete(o);
}

static void timeline_sums(void **state)
{
	struct fixture *fx = *state;
	cJSON *o;
	assert_int_equal(call(api_run_dpc_timeline, fx, fx->etw, "points=4&cpus=0,2", &o), 200);
	assert_true(num(o, "points") == 4);
	const cJSON *cpus = cJSON_GetObjectItem(o, "cpus");
	assert_int_equal(cJSON_GetArraySize(cpus), 2);
	assert_true(num(cJSON_GetArrayItem(cpus, 1), "cpu") == 2);
	double slice = num(o, "slice_ms"), dpc0 = 0, isr2 = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetArrayItem(cpus, 0), "dpc"))
		dpc0 += it->valuedouble * slice;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetArrayItem(cpus, 1), "isr"))
		isr2 += it->valuedouble * slice;
	assert_true(fabs(dpc0 - 0.2) < 1e-5); /* 50 + 150 µs on CPU 0 (shares to 1 ppm) */
	assert_true(fabs(isr2 - 0.075) < 1e-5);
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpu_list),
		cmocka_unit_test(kinds),
		cmocka_unit_test(conversions),
		cmocka_unit_test(histogram_exact),
		cmocka_unit_test(modules_exact),
		cmocka_unit_test(events_routines),
		cmocka_unit_test(timeline_sums),
		cmocka_unit_test(errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
