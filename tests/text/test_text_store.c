/* test_text_store.c — text exports through the SQLite store: the xperf sample's histograms
 * read back per block on their own edges (and stay out of the ETW queries); a generated
 * WPA export feeds the ordinary DPC/ISR queries with exact counts; refused files leave no
 * run behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "db/db.h"
#include "db/db_etw.h"
#include "db/db_report.h"
#include "ingest/ingest.h"
#include "tests/text/wpa_gen.h"

#define XPERF SHARED_DIR "/samples/xperf/djdallmann_KeyboardDPCandInterruptLatency-PS2vsUSB.txt"
#define DISK SHARED_DIR "/samples/wpa/etwanalyzer_Disk_Usage_Utilization_by_Disk.csv"

static sqlite3 *open_temp(char *path, size_t n)
{
	char err[256];
	snprintf(path, n, "/tmp/etlscope-test-text-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	sqlite3 *db = db_open(path, DB_READWRITE, err, sizeof err);
	assert_non_null(db);
	return db;
}

static void remove_db(const char *path)
{
	char p[300];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

struct seen {
	int n;
	uint64_t totals[8];
	uint8_t kinds[8];
	char modules[8][32];
	size_t nb[8];
	uint64_t first_hi[8];
};

static int on_block(void *ud, const struct db_report_block *b)
{
	struct seen *s = ud;
	if (s->n == 8)
		return -1;
	s->totals[s->n] = b->total;
	s->kinds[s->n] = b->kind;
	snprintf(s->modules[s->n], sizeof s->modules[0], "%s", b->module ? b->module : "*");
	s->nb[s->n] = b->nbuckets;
	s->first_hi[s->n] = b->buckets[0].hi_ns;
	s->n++;
	return 0;
}

static void test_xperf_store(void **state)
{
	char path[64], err[256];
	struct db_import_result res;
	struct db_run_input in = {"kbd", "kbd.txt", 1980};
	struct seen s = {0};
	(void)state;
	sqlite3 *db = open_temp(path, sizeof path);
	assert_int_equal(db_import_file(db, XPERF, &in, &res, err, sizeof err), 0);
	assert_int_equal(res.format, INGEST_FMT_XPERF_DPCISR);
	assert_int_equal(db_report_blocks(db, res.run_id, 0, on_block, &s, err, sizeof err), 0);
	assert_int_equal(s.n, 5);
	static const uint64_t totals[] = {921, 920, 938, 937, 937};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(s.totals[i], totals[i]);
		assert_int_equal(s.first_hi[i], 1000);
	}
	assert_string_equal(s.modules[0], "kbdhid.sys");
	assert_string_equal(s.modules[4], "i8042prt.sys");
	assert_int_equal(s.kinds[4], SINK_ISR);
	assert_int_equal(s.nb[0], 7);
	/* only the ISR block through a kind filter */
	memset(&s, 0, sizeof s);
	assert_int_equal(db_report_blocks(db, res.run_id, DB_KIND_ISRS, on_block, &s, err,
					  sizeof err), 0);
	assert_int_equal(s.n, 1);
	/* counts from a report are not events: the ETW histogram has none */
	struct db_etw_filter f = {.run_id = res.run_id, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	struct db_dpc_histogram h;
	int rc = db_dpc_histogram(db, &f, &h, err, sizeof err);
	assert_true(rc == 1 || (rc == 0 && h.kind[SINK_DPC].count == 0));
	cJSON_Delete(res.summary);
	db_close(db);
	remove_db(path);
}

static void test_wpa_store(void **state)
{
	char path[64], err[256], csv_path[64];
	struct db_import_result res;
	struct wg_rec r[300];
	size_t len;
	(void)state;
	wg_records(r, 300);
	char *csv = wg_csv(r, 300, 1, 1, 0, &len);
	snprintf(csv_path, sizeof csv_path, "/tmp/etlscope-test-wpa-XXXXXX");
	int fd = mkstemp(csv_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, csv, len), (ssize_t)len);
	close(fd);
	free(csv);
	struct db_run_input in = {"wpa", "dpc.csv", (int64_t)len};
	sqlite3 *db = open_temp(path, sizeof path);
	assert_int_equal(db_import_file(db, csv_path, &in, &res, err, sizeof err), 0);
	assert_int_equal(res.format, INGEST_FMT_WPA_CSV);
	struct db_etw_filter f = {.run_id = res.run_id, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	struct db_dpc_histogram h;
	assert_int_equal(db_dpc_histogram(db, &f, &h, err, sizeof err), 0);
	uint64_t want[SINK_DPCISR_KINDS] = {0}, max[SINK_DPCISR_KINDS] = {0}, above = 0;
	for (int i = 0; i < 300; i++) {
		want[r[i].kind]++;
		if (r[i].incl_ns > max[r[i].kind])
			max[r[i].kind] = r[i].incl_ns;
		above += r[i].incl_ns > db_dpc_guideline_ns(r[i].kind);
	}
	uint64_t got_above = 0;
	for (int k = 0; k < SINK_DPCISR_KINDS; k++) {
		assert_int_equal(h.kind[k].count, want[k]);
		assert_int_equal(h.kind[k].max_ns, max[k]);
		got_above += h.kind[k].above_count;
	}
	assert_int_equal(got_above, above);
	cJSON_Delete(res.summary);
	/* a refused file stores nothing */
	struct db_run_input in2 = {"disk", "disk.csv", 1};
	assert_int_equal(db_import_file(db, DISK, &in2, &res, err, sizeof err), 1);
	assert_non_null(strstr(err, "not a DPC/ISR table"));
	db_close(db);
	remove_db(path);
	unlink(csv_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xperf_store),
		cmocka_unit_test(test_wpa_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
