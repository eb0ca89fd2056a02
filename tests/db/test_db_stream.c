/* test_db_stream.c — an upload ingested while it is written (ingest_grow.h through
 * db_import_upload): a writer thread copies a real sample into a spool file in chunks, as the
 * upload's request thread does, while the import reads it.
 * - Completed, the streamed import stores exactly what the import of the whole file stores:
 *   the same format, partial flag, summary and file size, and the same number of rows in
 *   every per-run table.
 * - Cut at any offset (start, inside the detection bytes, inside a buffer, one byte short),
 *   it returns an error carrying the upload's reason and leaves no run.
 * - The end's time (ingest_grow_ended_us, what the server's log counts the verdict's wait
 *   from) is 0 while writing, then the monotonic clock at the first end, which a later
 *   end does not move.
 * - The parse's time (ingest_grow_parsed_us, what the log splits that wait by): 0 before
 *   ingest_grow_parsed, then the clock at the first call; a streamed import sets it, at
 *   or after the end and before the import returns; a cut upload's import leaves it 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "db/db.h"
#include "ingest/ingest.h"
#include "ingest/ingest_grow.h"
#include "tests/db/db_test_file.h"
#include "tests/store/store_db.h"

#define CUT_WHY "the upload was interrupted"

struct feeder {
	const char *src, *spool;
	struct ingest_grow *grow;
	long cut; /* bytes to copy before failing; -1: all, then finish */
	unsigned seed;
};

/* The writer: copy src into spool in uneven chunks, announcing each, then end. */
static void *feed(void *arg)
{
	struct feeder *fd = arg;
	FILE *in = fopen(fd->src, "rb"), *out = fopen(fd->spool, "wb");
	char buf[70001];
	long total = 0;
	if (in && out) {
		for (;;) {
			size_t want = 1 + (size_t)(rand_r(&fd->seed) % sizeof buf);
			if (fd->cut >= 0 && (long)want > fd->cut - total)
				want = (size_t)(fd->cut - total);
			size_t n = want ? fread(buf, 1, want, in) : 0;
			if (n == 0 || fwrite(buf, 1, n, out) != n || fflush(out) != 0)
				break;
			total += (long)n;
			ingest_grow_wrote(fd->grow, total);
		}
	}
	if (fd->cut < 0 && in && out && !ferror(in))
		ingest_grow_finish(fd->grow);
	else
		ingest_grow_fail(fd->grow, CUT_WHY);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	return NULL;
}

static long file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fclose(f);
	return n;
}

static int64_t mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The upload's clock stamps as the import left them, and the clock when it returned. */
struct stamps {
	int64_t ended, parsed, returned;
};

/* Import src as a streamed upload cut after `cut` bytes (-1: whole); returns the import's
 * code. announce: give the import the file's length up front (a Content-Length). */
static int import_streamed(sqlite3 *db, const char *src, long cut, int announce, unsigned seed,
			   struct db_import_result *res, struct stamps *st, char *err,
			   size_t errlen)
{
	char spool[] = "/tmp/etlscope-spool-XXXXXX";
	int fd = mkstemp(spool);
	assert_true(fd >= 0);
	close(fd);
	struct ingest_grow *grow = ingest_grow_new(announce ? file_size(src) : -1);
	assert_non_null(grow);
	struct feeder f = {src, spool, grow, cut, seed};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	struct db_run_input in = {NULL, "streamed", 0}; /* as the worker: the size comes last */
	struct ingest_options opts = {.grow = grow};
	int rc = db_import_upload(db, spool, &in, &opts, NULL, res, err, errlen);
	st->returned = mono_us();
	pthread_join(t, NULL);
	st->ended = ingest_grow_ended_us(grow);
	st->parsed = ingest_grow_parsed_us(grow);
	ingest_grow_unref(grow);
	unlink(spool);
	return rc;
}

struct pair {
	sqlite3 *a, *b;
};

static void same_rows(void *ud, const char *table)
{
	struct pair *p = ud;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
	int64_t na = count_rows(p->a, sql), nb = count_rows(p->b, sql);
	if (na != nb)
		fail_msg("%s: %lld rows streamed, %lld from the file", sql, (long long)na,
			 (long long)nb);
}

/* Every table with a run_id column holds as many rows in a as in b. Returns the number of
 * tables compared. */
static int same_rows_per_table(sqlite3 *a, sqlite3 *b)
{
	struct pair p = {a, b};
	return each_run_table(a, same_rows, &p);
}

static const char *const samples[] = {
	SHARED_DIR "/samples/etl/perfview-net452-x64-compressed.etl",
	SHARED_DIR "/samples/perfmon/pal_SampleLog.blg",
	SHARED_DIR "/samples/perfmon/powershell_CounterSamples.csv",
};

static void test_streamed_import_equals_file_import(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		for (int announce = 0; announce <= 1; announce++) {
			char pa[64], pb[64], err[512];
			sqlite3 *a = db_test_open(pa, sizeof pa, "/tmp/etlscope-stream-XXXXXX");
			sqlite3 *b = db_test_open(pb, sizeof pb, "/tmp/etlscope-whole-XXXXXX");
			struct db_import_result ra, rb;
			struct db_run_input in = {NULL, "streamed", file_size(samples[i])};
			struct stamps st;
			int rca = import_streamed(a, samples[i], -1, announce, 7 + (unsigned)i, &ra,
						  &st, err, sizeof err);
			if (rca != 0)
				fail_msg("%s: %s", samples[i], err);
			assert_true(st.ended > 0);
			assert_in_range(st.parsed, st.ended, st.returned);
			assert_int_equal(db_import_file(b, samples[i], &in, &rb, err, sizeof err), 0);
			assert_int_equal(ra.format, rb.format);
			assert_int_equal(ra.partial, rb.partial);
			assert_true(cJSON_Compare(ra.summary, rb.summary, 1));
			assert_true(same_rows_per_table(a, b) > 5);
			assert_int_equal(count_rows(a, "SELECT count(*) FROM runs"), 1);
			assert_int_equal(count_rows(a, "SELECT file_size FROM runs"), in.file_size);
			cJSON_Delete(ra.summary);
			cJSON_Delete(rb.summary);
			db_test_remove(a, pa);
			db_test_remove(b, pb);
		}
	}
}

static void test_cut_upload_leaves_no_run(void **state)
{
	(void)state;
	unsigned seed = 20261205;
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		long size = file_size(samples[i]);
		long cuts[8] = {0, 1, 100, INGEST_DETECT_BYTES + 1, size / 2, size - 1, 0, 0};
		cuts[6] = (long)(rand_r(&seed) % (unsigned)size);
		cuts[7] = (long)(rand_r(&seed) % (unsigned)size);
		for (size_t k = 0; k < 8; k++) {
			char p[64], err[512] = "";
			sqlite3 *db = db_test_open(p, sizeof p, "/tmp/etlscope-cut-XXXXXX");
			struct db_import_result res;
			struct stamps st;
			int rc = import_streamed(db, samples[i], cuts[k], (int)(k & 1), seed + (unsigned)k,
						 &res, &st, err, sizeof err);
			if (rc == 0 || !strstr(err, CUT_WHY))
				fail_msg("%s cut at %ld: rc %d, \"%s\"", samples[i], cuts[k], rc, err);
			assert_int_equal(st.parsed, 0);
			assert_int_equal(count_rows(db, "SELECT count(*) FROM runs"), 0);
			db_test_remove(db, p);
		}
	}
}

static void test_end_time_is_the_first_end(void **state)
{
	(void)state;
	for (int complete = 0; complete < 2; complete++) {
		struct ingest_grow *g = ingest_grow_new(10);
		assert_non_null(g);
		ingest_grow_wrote(g, 4);
		assert_int_equal(ingest_grow_ended_us(g), 0);
		int64_t before = mono_us();
		if (complete)
			ingest_grow_finish(g);
		else
			ingest_grow_fail(g, CUT_WHY);
		int64_t after = mono_us(), end = ingest_grow_ended_us(g);
		assert_in_range(end, before, after);
		while (mono_us() == after) /* the clock moves on before the second end */
			;
		if (complete)
			ingest_grow_fail(g, CUT_WHY);
		else
			ingest_grow_finish(g);
		assert_int_equal(ingest_grow_ended_us(g), end);
		ingest_grow_unref(g);
	}
}

static void test_parsed_time_is_the_first_call(void **state)
{
	(void)state;
	struct ingest_grow *g = ingest_grow_new(-1);
	assert_non_null(g);
	assert_int_equal(ingest_grow_parsed_us(g), 0);
	int64_t before = mono_us();
	ingest_grow_parsed(g);
	int64_t after = mono_us(), parsed = ingest_grow_parsed_us(g);
	assert_in_range(parsed, before, after);
	while (mono_us() == after) /* the clock moves on before the second call */
		;
	ingest_grow_parsed(g);
	assert_int_equal(ingest_grow_parsed_us(g), parsed);
	ingest_grow_unref(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streamed_import_equals_file_import),
		cmocka_unit_test(test_cut_upload_leaves_no_run),
		cmocka_unit_test(test_end_time_is_the_first_end),
		cmocka_unit_test(test_parsed_time_is_the_first_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
