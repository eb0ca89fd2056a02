/* test_store_ingest.c — the ETW half of the sink: an aborted ingest leaves no rows,
 * perfmon counters and ETW records coexist in one run, bad records become warnings, a
 * time outlier keeps results exact, and corrupted aggregates give errors, not crashes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "db/db.h"
#include "db/db_etw.h"
#include "store_db.h"

static void test_abort_leaves_nothing_and_perfmon_coexists(void **state)
{
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	struct gen_data g;
	gen_make(&g, 20000, 3000, 3000, 7);
	ingest(db, &g, 0);
	const char *tables[] = {"runs", "etw_runs", "etw_modules", "etw_agg", "etw_dpc_chunks",
				"etw_dpc_samples"};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(count_rows(db, sql), 0);
	}
	/* one run with counters and ETW records */
	struct db_run_input in = {"both", "both.etl", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	const struct ingest_sink *k = db_sink_iface(s);
	uint32_t idx;
	struct sink_counter sc = {"\\\\H\\Processor(0)\\% DPC Time", "H", "Processor", "0",
				  "% DPC Time", 0, 0};
	assert_int_equal(k->counter(k->ud, &sc, &idx), 0);
	feed_modules(k);
	for (size_t i = 0; i < g.ndpc; i++) {
		if (i % 1000 == 0) {
			double v = (double)i;
			assert_int_equal(k->sample(k->ud, (int64_t)i, &v, 1), 0);
		}
		feed_dpc(k, &g.dpc[i]);
	}
	int64_t id;
	assert_int_equal(db_sink_commit(s, "etl", 0, &id, NULL, NULL, err, sizeof err), 0);
	uint32_t c0 = 0;
	struct db_series_query q = {id, &c0, 1, INT64_MIN, INT64_MAX, 0};
	struct db_series ser;
	assert_int_equal(db_series_read(db, &q, &ser, err, sizeof err), 0);
	assert_int_equal(ser.n, 20);
	db_series_clear(&ser);
	struct db_etw_filter f = {id, INT64_MIN, INT64_MAX, NULL, NULL, 0, 0};
	struct db_dpc_histogram h, want;
	assert_int_equal(db_dpc_histogram(db, &f, &h, err, sizeof err), 0);
	gen_histogram(&g, &f, &want);
	assert_memory_equal(&h, &want, sizeof h);
	/* a perfmon-only run has no ETW data: 1 */
	struct db_run_input in2 = {"pm", "pm.csv", 1};
	s = db_sink_begin(db, &in2, err, sizeof err);
	k = db_sink_iface(s);
	assert_int_equal(k->counter(k->ud, &sc, &idx), 0);
	double v = 1;
	assert_int_equal(k->sample(k->ud, 5, &v, 1), 0);
	assert_int_equal(db_sink_commit(s, "pdh-csv", 0, &id, NULL, NULL, err, sizeof err), 0);
	f.run_id = id;
	assert_int_equal(db_dpc_histogram(db, &f, &h, err, sizeof err), 1);
	gen_free(&g);
	db_close(db);
	remove_db(path);
}

static void test_bad_records_warn_not_crash(void **state)
{
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	struct db_run_input in = {"bad", "bad.etl", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	const struct ingest_sink *k = db_sink_iface(s);
	struct sink_dpcisr d = {1000, 5000, 4000, SINK_DPC, -1, 0}; /* cpu >= 2048: skipped */
	assert_int_equal(k->dpcisr(k->ud, &d), 0);
	d.cpu = 1;
	d.kind = 9; /* unknown kind: skipped */
	assert_int_equal(k->dpcisr(k->ud, &d), 0);
	d.kind = SINK_ISR;
	d.module_id = 77; /* never declared: counted as unresolved */
	assert_int_equal(k->dpcisr(k->ud, &d), 0);
	int64_t id;
	assert_int_equal(db_sink_commit(s, "etl", 1, &id, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM run_warnings"), 3);
	struct db_etw_filter f = {id, INT64_MIN, INT64_MAX, NULL, NULL, 0, 0};
	struct db_dpc_modules m;
	assert_int_equal(db_dpc_modules(db, &f, &m, err, sizeof err), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.rows[0].module_id, -1);
	assert_int_equal(m.rows[0].s.count, 1);
	db_dpc_modules_clear(&m);
	db_close(db);
	remove_db(path);
}

/* One event far in the future first: everything after it is late. Results stay exact
 * (late slices are flushed and merged while ingesting, not held to the end). */
static void test_outlier_first_stays_exact(void **state)
{
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	struct gen_data g;
	gen_make(&g, 200001, 0, 20000, 99);
	struct gen_dpc outlier = {500000 * MS, 777777, 3, SINK_DPC, 2, 1};
	memmove(g.dpc + 1, g.dpc, sizeof *g.dpc * (g.ndpc - 1));
	g.dpc[0] = outlier;
	int64_t id = ingest(db, &g, 1);
	const int64_t win[][2] = {{INT64_MIN, INT64_MAX}, {1500 * MS, 17001 * MS},
				  {499999 * MS, 500001 * MS}, {19999 * MS, 20000 * MS}};
	for (size_t i = 0; i < sizeof win / sizeof win[0]; i++) {
		struct db_etw_filter f = {id, win[i][0], win[i][1], NULL, NULL, 0, 0};
		struct db_dpc_histogram h, want;
		assert_int_equal(db_dpc_histogram(db, &f, &h, err, sizeof err), 0);
		gen_histogram(&g, &f, &want);
		assert_memory_equal(&h, &want, sizeof h);
	}
	gen_free(&g);
	db_close(db);
	remove_db(path);
}

static void test_corrupt_aggregates_are_errors(void **state)
{
	char path[64], err[256];
	sqlite3 *db = open_temp(path, sizeof path);
	struct gen_data g;
	gen_make(&g, 30000, 5000, 5000, 11);
	int64_t id = ingest(db, &g, 1);
	struct db_etw_filter f = {id, 100 * MS, 4000 * MS, NULL, NULL, 0, 0};
	struct db_dpc_histogram h;
	struct db_dpc_modules m;
	struct db_cpu_samples cs;
	struct db_dpc_timeline t;
	struct db_cpu_util u;
	/* truncate every blob, then flip bytes: every query returns -1 or 0, never crashes */
	assert_int_equal(sqlite3_exec(db, "UPDATE etw_agg SET data = substr(data, 1, length(data) - 3)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_dpc_histogram(db, &f, &h, err, sizeof err), -1);
	assert_non_null(strstr(err, "corrupt"));
	assert_int_equal(db_dpc_modules(db, &f, &m, err, sizeof err), -1);
	assert_int_equal(db_cpu_samples(db, &f, &cs, err, sizeof err), -1);
	assert_int_equal(db_dpc_timeline(db, &f, 50, &t, err, sizeof err), -1);
	assert_int_equal(db_cpu_utilization(db, &f, 50, &u, err, sizeof err), -1);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE etw_agg SET data = randomblob(length(data) + 5);"
				      "UPDATE etw_runs SET n_modules = 2",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_dpc_histogram(db, &f, &h, err, sizeof err), -1);
	int rc = db_dpc_modules(db, &f, &m, err, sizeof err);
	assert_true(rc == -1);
	assert_int_equal(sqlite3_exec(db, "UPDATE etw_runs SET top_level = 99", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(db_dpc_histogram(db, &f, &h, err, sizeof err), -1);
	gen_free(&g);
	db_close(db);
	remove_db(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abort_leaves_nothing_and_perfmon_coexists),
		cmocka_unit_test(test_bad_records_warn_not_crash),
		cmocka_unit_test(test_outlier_first_stays_exact),
		cmocka_unit_test(test_corrupt_aggregates_are_errors),
	};
	return cmocka_run_group_tests_name("store_ingest", tests, NULL, NULL);
}
