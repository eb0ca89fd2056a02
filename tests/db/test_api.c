/* test_api.c — the JSON documents: run lookups, parameter validation, exact numbers, and
 * the per-CPU document's choice of processor object and CPU order. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "api/api.h"
#include "api/api_params.h"
#include "db/db.h"
#include "db/db_catalog.h"

static char db_path[64];
static char run_id[33];

/* A run with Processor(0..3), Processor Information(0,0..7) (listed out of order, with a
 * duplicated column) and one non-CPU counter; 100 samples at 1 s. */
static int setup(void **state)
{
	char err[256];
	snprintf(db_path, sizeof db_path, "/tmp/etlscope-test-api-XXXXXX");
	int fd = mkstemp(db_path);
	close(fd);
	unlink(db_path);
	sqlite3 *db = db_open(db_path, DB_READWRITE, err, sizeof err);
	struct db_run_input in = {"api test", "api.csv", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	const struct ingest_sink *k = db_sink_iface(s);
	uint32_t idx;
	char path[96], inst[16];
	for (int c = 0; c < 4; c++) {
		snprintf(path, sizeof path, "\\\\H\\Processor(%d)\\%% DPC Time", c);
		snprintf(inst, sizeof inst, "%d", c);
		struct sink_counter sc = {path, "H", "Processor", inst, "% DPC Time", c, 0};
		k->counter(k->ud, &sc, &idx);
	}
	static const int order[] = {7, 6, 5, 4, 3, 2, 1, 0, 3};
	for (int i = 0; i < 9; i++) {
		int c = order[i];
		snprintf(path, sizeof path, "\\\\H\\Processor Information(0,%d)\\%% DPC Time", c);
		snprintf(inst, sizeof inst, "0,%d", c);
		struct sink_counter sc = {path, "H", "Processor Information", inst, "% DPC Time", c, 0};
		k->counter(k->ud, &sc, &idx);
	}
	struct sink_counter mem = {"\\\\H\\Memory\\Available MBytes", "H", "Memory", NULL,
				   "Available MBytes", -1, 0};
	k->counter(k->ud, &mem, &idx);
	for (int r = 0; r < 100; r++) {
		double v[14];
		for (int i = 0; i < 4; i++)
			v[i] = 1000 + i;
		for (int i = 0; i < 9; i++)
			v[4 + i] = i == 8 ? -1 : 10 * order[i] + r * 0.001;
		v[13] = 86.93735103284412;
		k->sample(k->ud, 1600000000000000LL + r * 1000000LL, v, 14);
	}
	assert_int_equal(db_sink_commit(s, "pdh-csv", 0, NULL, run_id, NULL, err, sizeof err), 0);
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	char p[80];
	db_close(*state);
	unlink(db_path);
	snprintf(p, sizeof p, "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", db_path);
	unlink(p);
	return 0;
}

/* Numbers are raw JSON text in the built document: print and parse it as a client would. */
static cJSON *as_client_sees(cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	cJSON *back = cJSON_Parse(text);
	cJSON_free(text);
	cJSON_Delete(doc);
	assert_non_null(back);
	return back;
}

static void test_cpu_document(void **state)
{
	cJSON *out;
	struct api_request rq = {.query = "counter=%25+dpc+time&points=1000"};
	assert_int_equal(api_run_cpu(*state, run_id, &rq, &out), 200);
	out = as_client_sees(out);
	assert_string_equal(cJSON_GetObjectItem(out, "object")->valuestring, "Processor Information");
	cJSON *series = cJSON_GetObjectItem(out, "series");
	assert_int_equal(cJSON_GetArraySize(series), 8);
	for (int c = 0; c < 8; c++) {
		cJSON *s = cJSON_GetArrayItem(series, c);
		assert_int_equal(cJSON_GetObjectItem(s, "cpu")->valueint, c);
		double v0 = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "mean"), 0)->valuedouble;
		assert_true(v0 == 10.0 * c); /* the duplicate (-1) never wins */
	}
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(out, "t")), 100);
	cJSON_Delete(out);

	rq.query = "counter=No+Such+Counter";
	assert_int_equal(api_run_cpu(*state, run_id, &rq, &out), 404);
	assert_non_null(cJSON_GetObjectItem(out, "error"));
	cJSON_Delete(out);
	rq.query = NULL;
	assert_int_equal(api_run_cpu(*state, run_id, &rq, &out), 400);
	cJSON_Delete(out);
}

static void test_series_parameters(void **state)
{
	static const char *const bad[] = {"c=13&points=0", "c=13&points=99999", "c=13&from=abc",
					  "c=13&from=5&to=4", "c=x", "", "c=13&to=1e400"};
	cJSON *out;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct api_request rq = {.query = bad[i]};
		assert_int_equal(api_run_series(*state, run_id, &rq, &out), 400);
		assert_true(cJSON_IsString(cJSON_GetObjectItem(out, "error")));
		cJSON_Delete(out);
	}
	struct api_request nf = {.query = "c=99"};
	assert_int_equal(api_run_series(*state, run_id, &nf, &out), 404);
	cJSON_Delete(out);

	struct api_request ok = {.query = "c=13&points=10"};
	assert_int_equal(api_run_series(*state, run_id, &ok, &out), 200);
	char *text = cJSON_PrintUnformatted(out);
	assert_non_null(strstr(text, "86.93735103284412")); /* exact, not cJSON's 15 digits */
	cJSON_free(text);
	assert_int_equal(cJSON_GetObjectItem(out, "points")->valueint, 10);
	assert_int_equal(cJSON_GetObjectItem(out, "raw_samples")->valueint, 100);
	cJSON_Delete(out);
}

static void test_run_lookup(void **state)
{
	cJSON *out;
	struct api_request rq = {.query = NULL};
	static const char *const ids[] = {"", "x", "00000000000000000000000000000000",
					  "../../etc/passwd", "ABCDEF00000000000000000000000000"};
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		assert_int_equal(api_run_get(*state, ids[i], &rq, &out), 404);
		cJSON_Delete(out);
	}
	assert_int_equal(api_run_get(*state, run_id, &rq, &out), 200);
	assert_string_equal(cJSON_GetObjectItem(out, "name")->valuestring, "api test");
	cJSON *cc = cJSON_GetObjectItem(out, "cpu_counters");
	assert_int_equal(cJSON_GetArraySize(cc), 2); /* % DPC Time under two objects */
	cJSON_Delete(out);
	struct db_catalog *cat = db_catalog_sqlite_wrap(*state);
	assert_int_equal(api_runs_list(cat, &rq, &out), 200);
	db_catalog_close(cat);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(out, "runs")), 1);
	cJSON_Delete(out);
}

static void test_exact_numbers(void **state)
{
	static const double v[] = {86.93735103284412, 0.1, 1e300, -2.5e-310, 1480196790874.0, 3};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		cJSON *n = api_json_number(v[i]);
		char *text = cJSON_PrintUnformatted(n);
		assert_true(strtod(text, NULL) == v[i]);
		cJSON_free(text);
		cJSON_Delete(n);
	}
	cJSON *n = api_json_number(NAN);
	assert_true(cJSON_IsNull(n));
	cJSON_Delete(n);
	/* the text itself: integers below 10^15 as digits (their fast path), the rest as
	 * before (C's %.15g / %.17g) */
	static const struct {
		double v;
		const char *text;
	} t[] = {{3, "3"}, {-42, "-42"}, {0, "0"}, {-0.0, "-0"}, {999999999999999.0, "999999999999999"},
		 {1e15, "1e+15"}, {-1e15, "-1e+15"}, {1480196790874.0, "1480196790874"}, {2.5, "2.5"},
		 {9007199254740993.0, "9007199254740992"}};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		n = api_json_number(t[i].v);
		char *text = cJSON_PrintUnformatted(n);
		assert_string_equal(text, t[i].text);
		cJSON_free(text);
		cJSON_Delete(n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_document),
		cmocka_unit_test(test_series_parameters),
		cmocka_unit_test(test_run_lookup),
		cmocka_unit_test(test_exact_numbers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
