/* fuzz_etl_store.c — libFuzzer harness for an upload's whole path past the HTTP layer:
 * arbitrary bytes through format detection, the parser on its own thread feeding the
 * SQLite sink (sink_pipe), the ETW store (aggregates, reservoirs, event chunks) and the
 * commit; then every DPC/ISR and CPU query reads the stored run back. Uses one in-memory
 * database for the whole run; each input's run is deleted again. Asserts that a stored
 * trace never lasts longer than its header can allow (a year + the time guard's slack),
 * whatever its timestamps say, and that a partial summary means a partial run. Invariants
 * (fuzz/invariant.h): the whole-run histogram holds every DPC/ISR the parser reported
 * (summary dpcisr_records), its buckets add up to its counts, the per-module rows add up
 * to the histogram, the longest events come longest first, and every module id in an
 * answer is -1 or a module stored for the run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "db/db.h"
#include "db/db_etw.h"
#include "ingest.h"
#include "invariant.h"
#include "ingest/etl/etl_timeguard.h"

/* the longest run a trace can be stored with, in µs: 366 days of header span + slack */
#define MAX_RUN_US (366ll * 86400 * 1000000 + 2 * (long long)(ETL_TIME_SLACK_NS / 1000))

static void check_run(sqlite3 *db, int64_t run_id, int partial)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT format, status, duration_us FROM runs WHERE id=?", -1,
			       &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		abort();
	const char *fmt = (const char *)sqlite3_column_text(st, 0);
	const char *status = (const char *)sqlite3_column_text(st, 1);
	if (fmt && !strcmp(fmt, "etl") && sqlite3_column_int64(st, 2) > MAX_RUN_US)
		abort();
	if (!status || strcmp(status, partial ? "partial" : "ready") != 0)
		abort();
	sqlite3_finalize(st);
}

static sqlite3 *fuzz_db; /* the harness's fixture: opened once, migrations and KB are slow */

static int32_t nmodules(sqlite3 *db, int64_t run_id)
{
	sqlite3_stmt *st;
	int32_t n = -1;
	FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(id), -1) FROM etw_modules"
					  " WHERE run_id=?", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int(st, 0);
		FUZZ_CHECK(sqlite3_column_int(st, 1) == n - 1); /* dense ids 0..n-1 */
	}
	sqlite3_finalize(st);
	return n;
}

/* What a whole-run read must satisfy (dpcisr: the parser's count, -1 if it gave none). */
static void check_whole_run(sqlite3 *db, int64_t run_id, double dpcisr)
{
	char err[256];
	struct db_etw_filter all = {run_id, INT64_MIN, INT64_MAX, NULL, NULL, 0, 0};
	int32_t nmod = nmodules(db, run_id);
	struct db_dpc_histogram h;
	if (db_dpc_histogram(db, &all, &h, err, sizeof err) != 0)
		return;
	uint64_t total = 0;
	for (int k = 0; k < SINK_DPCISR_KINDS; k++) {
		uint64_t b = 0;
		for (int i = 0; i < DB_DPC_NBUCKETS; i++)
			b += h.kind[k].buckets[i];
		FUZZ_CHECK(b == h.kind[k].count);
		FUZZ_CHECK(h.kind[k].above_count <= h.kind[k].count);
		FUZZ_CHECK(h.kind[k].max_ns <= h.kind[k].total_ns);
		total += h.kind[k].count;
	}
	if (dpcisr >= 0)
		FUZZ_CHECK((double)total == dpcisr);
	struct db_dpc_modules m = {0};
	if (db_dpc_modules(db, &all, &m, err, sizeof err) == 0) {
		uint64_t sum = 0;
		for (size_t i = 0; i < m.n; i++) {
			FUZZ_CHECK(m.rows[i].module_id >= -1 && m.rows[i].module_id < nmod);
			sum += m.rows[i].s.count;
		}
		FUZZ_CHECK(sum == total);
		db_dpc_modules_clear(&m);
	}
	struct db_dpc_event *ev = NULL;
	size_t n = 0;
	if (db_dpc_events(db, &all, -1, 50, &ev, &n, err, sizeof err) == 0) {
		for (size_t i = 0; i < n; i++) {
			FUZZ_CHECK(ev[i].module_id >= -1 && ev[i].module_id < nmod);
			FUZZ_CHECK(i == 0 || ev[i].duration_ns <= ev[i - 1].duration_ns);
		}
		free(ev);
	}
}

static void read_back(sqlite3 *db, int64_t run_id)
{
	char err[256];
	struct db_etw_filter all = {run_id, INT64_MIN, INT64_MAX, NULL, NULL, 0, 0};
	struct db_etw_filter win = {run_id, 1000000, 50000000, NULL, NULL, 0, 0};
	const struct db_etw_filter *fs[] = {&all, &win};
	for (int i = 0; i < 2; i++) {
		const struct db_etw_filter *f = fs[i];
		struct db_dpc_histogram h;
		db_dpc_histogram(db, f, &h, err, sizeof err);
		struct db_dpc_modules m = {0};
		if (db_dpc_modules(db, f, &m, err, sizeof err) == 0)
			db_dpc_modules_clear(&m);
		struct db_dpc_timeline t = {0};
		if (db_dpc_timeline(db, f, 50, &t, err, sizeof err) == 0)
			db_dpc_timeline_clear(&t);
		for (int b = -1; b < DB_DPC_NBUCKETS; b += 7) {
			struct db_dpc_event *ev = NULL;
			size_t n = 0;
			if (db_dpc_events(db, f, b, 20, &ev, &n, err, sizeof err) == 0)
				free(ev);
		}
		struct db_cpu_samples s = {0};
		if (db_cpu_samples(db, f, &s, err, sizeof err) == 0)
			db_cpu_samples_clear(&s);
		struct db_cpu_util u = {0};
		if (db_cpu_utilization(db, f, 40, &u, err, sizeof err) == 0)
			db_cpu_util_clear(&u);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], path[64];
	if (!fuzz_db) {
		fuzz_db = db_open(":memory:", DB_READWRITE, err, sizeof err);
		if (!fuzz_db) {
			fprintf(stderr, "fuzz_etl_store: %s\n", err);
			abort();
		}
	}
	int fd = memfd_create("upload", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct db_run_input in = {"fuzz", "fuzz.etl", (int64_t)size};
	struct db_import_result res;
	if (db_import_file(fuzz_db, path, &in, &res, err, sizeof err) == 0) {
		check_run(fuzz_db, res.run_id, res.partial);
		read_back(fuzz_db, res.run_id);
		check_whole_run(fuzz_db, res.run_id,
				res.format == INGEST_FMT_ETL ? fuzz_num(res.summary, "dpcisr_records") : -1);
		cJSON_Delete(res.summary);
	}
	close(fd);
	sqlite3_exec(fuzz_db, "DELETE FROM runs", NULL, NULL, NULL);
	return 0;
}
