/* test_etl_ioagg.c — disk I/O aggregation (ingest/etl/etl_ioagg.c): latency buckets at
 * their edges, per-row sums, names current at the I/O's time, the slowest-20 list, the row
 * bound (the 65 537th key folds into the unknown row, with a warning), per-type counts and
 * the queue depth slices (clipped to the trace, hand-computed), also when the one pass keeps
 * them for the end through its temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_fileio.h"
#include "ingest/etl/etl_ioagg.h"

static void test_bucket_edges(void **state)
{
	(void)state;
	static const struct { uint64_t ns; unsigned b; } cases[] = {
		{0, 0}, {999, 0}, {1000, 1}, {1999, 1}, {2000, 2}, {3999, 2}, {4000, 3},
		{1000000, 10}, {1023999, 10}, {1024000, 11},
		{(1ull << 23) * 1000 - 1, 23}, {(1ull << 23) * 1000, 24}, {UINT64_MAX, 24},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(etl_ioagg_bucket(cases[i].ns), cases[i].b);
}

struct capture {
	struct sink_disk_io_row rows[8];
	size_t nrows;
	struct sink_disk_io_slow slow[SINK_DISKIO_SLOWEST];
	size_t nslow;
	struct sink_io_type_count types[8];
	size_t ntypes;
	int warnings, queue_warnings, unmatched_warnings;
	uint64_t total_count;
	struct sink_file_io_row files[8];
	size_t nfiles;
	uint32_t queue_disk[4];
	double busy[4][SINK_DISKIO_SLICES];
	size_t nqueue;
	uint64_t slice_ns;
};

static int cap_row(void *ud, const struct sink_disk_io_row *r)
{
	struct capture *c = ud;
	if (c->nrows < 8)
		c->rows[c->nrows++] = *r;
	c->total_count += r->count;
	return 0;
}
static int cap_slow(void *ud, const struct sink_disk_io_slow *s)
{
	struct capture *c = ud;
	c->slow[c->nslow++] = *s;
	return 0;
}
static int cap_type(void *ud, const struct sink_io_type_count *t)
{
	struct capture *c = ud;
	c->types[c->ntypes++] = *t;
	return 0;
}
static int cap_warn(void *ud, const char *code, const char *msg)
{
	struct capture *c = ud;
	(void)msg;
	if (strcmp(code, "io_rows_folded") == 0)
		c->warnings++;
	else if (strcmp(code, "io_queue_disks") == 0)
		c->queue_warnings++;
	else if (strcmp(code, "io_opend_unmatched") == 0)
		c->unmatched_warnings++;
	else
		fail_msg("unexpected warning %s", code);
	return 0;
}

static int cap_file(void *ud, const struct sink_file_io_row *r)
{
	struct capture *c = ud;
	assert_true(c->nfiles < 8);
	c->files[c->nfiles++] = *r;
	return 0;
}

static int cap_queue(void *ud, const struct sink_disk_queue *q)
{
	struct capture *c = ud;
	c->queue_disk[c->nqueue] = q->disk;
	c->slice_ns = q->slice_ns;
	memcpy(c->busy[c->nqueue++], q->busy_ns, sizeof c->busy[0]);
	return 0;
}

static struct ingest_sink sink_for(struct capture *c)
{
	struct ingest_sink s;
	memset(&s, 0, sizeof s);
	s.ud = c;
	s.disk_io_row = cap_row;
	s.disk_io_slow = cap_slow;
	s.io_type_count = cap_type;
	s.warning = cap_warn;
	s.disk_queue = cap_queue;
	s.file_io_row = cap_file;
	return s;
}

static struct etl_diskio io(uint8_t op, uint64_t fo, uint32_t size)
{
	struct etl_diskio d;
	memset(&d, 0, sizeof d);
	d.op = op;
	d.disk = 1;
	d.file_object = fo;
	d.size = size;
	return d;
}

static void test_rows_names_slowest_types(void **state)
{
	(void)state;
	struct etl_ioagg a;
	struct capture c;
	memset(&c, 0, sizeof c);
	etl_ioagg_init(&a);
	assert_int_equal(etl_ioagg_name(&a, 0xA0, "\\Device\\HarddiskVolume2\\a.dat"), 0);
	assert_int_equal(etl_ioagg_name(&a, 0, "ignored"), 0);
	struct etl_diskio r = io(ETL_DISK_READ, 0xA0, 4096);
	/* 25 reads of 1..25 ms by pid 7 on a.dat, then the object is renamed: b.dat */
	for (uint64_t i = 1; i <= 25; i++)
		assert_int_equal(etl_ioagg_disk(&a, &r, (int64_t)i, i * 1000000, 7, 70), 0);
	assert_int_equal(etl_ioagg_name(&a, 0xA0, "\\Device\\HarddiskVolume2\\b.dat"), 0);
	assert_int_equal(etl_ioagg_disk(&a, &r, 100, 500, 7, 70), 0);
	struct etl_diskio w = io(ETL_DISK_WRITE, 0xB0, 512); /* never named */
	assert_int_equal(etl_ioagg_disk(&a, &w, 101, 2500, SINK_PID_UNKNOWN, 0), 0);
	etl_ioagg_count(&a, ETL_GROUP_DISKIO, ETL_DISK_READ, 1);
	etl_ioagg_count(&a, ETL_GROUP_FILEIO, 0x60, 0);
	etl_ioagg_count(&a, ETL_GROUP_FILEIO, 0x60, 0);
	struct ingest_sink s = sink_for(&c);
	assert_int_equal(etl_ioagg_emit(&a, &s), 0);

	assert_int_equal(c.nrows, 3);
	int seen = 0;
	for (size_t i = 0; i < c.nrows; i++) {
		const struct sink_disk_io_row *x = &c.rows[i];
		if (x->file && strstr(x->file, "a.dat")) {
			assert_int_equal(x->count, 25);
			assert_int_equal(x->bytes, 25 * 4096);
			assert_true(x->total_ns == 325ull * 1000000);
			assert_true(x->max_ns == 25000000);
			assert_int_equal(x->pid, 7);
			/* 1000 µs in bucket 10 ([512, 1024) µs), 2000 in 11, 3000–4000 in 12
			 * ([2048, 4096)), 5000–8000 in 13, 9000–16000 in 14, 17000–25000 in 15 */
			assert_int_equal(x->hist[10], 1);
			assert_int_equal(x->hist[11], 1);
			assert_int_equal(x->hist[12], 2);
			assert_int_equal(x->hist[13], 4);
			assert_int_equal(x->hist[14], 8);
			assert_int_equal(x->hist[15], 9);
			seen |= 1;
		} else if (x->file && strstr(x->file, "b.dat")) {
			assert_int_equal(x->count, 1);
			assert_int_equal(x->hist[0], 1);
			seen |= 2;
		} else {
			assert_null(x->file);
			assert_int_equal(x->op, ETL_DISK_WRITE);
			assert_int_equal(x->pid, SINK_PID_UNKNOWN);
			assert_int_equal(x->hist[2], 1); /* 2.5 µs */
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	assert_int_equal(c.nslow, SINK_DISKIO_SLOWEST);
	for (size_t i = 0; i < c.nslow; i++)
		assert_true(c.slow[i].duration_ns == (25 - i) * 1000000ull);
	assert_int_equal(c.ntypes, 2);
	assert_int_equal(c.types[0].group, ETL_GROUP_DISKIO);
	assert_string_equal(c.types[0].name, "Read");
	assert_int_equal(c.types[0].undecoded, 0);
	assert_int_equal(c.types[1].group, 4);
	assert_string_equal(c.types[1].name, "PreOpInit");
	assert_int_equal(c.types[1].count, 2);
	assert_int_equal(c.types[1].undecoded, 2);
	assert_int_equal(c.warnings, 0);
	etl_ioagg_free(&a);
}

static void test_row_bound_folds(void **state)
{
	(void)state;
	struct etl_ioagg a;
	struct capture c;
	memset(&c, 0, sizeof c);
	etl_ioagg_init(&a);
	struct etl_diskio r = io(ETL_DISK_READ, 0, 1);
	for (uint32_t pid = 1; pid <= ETL_IOAGG_MAX_ROWS + 10; pid++)
		assert_int_equal(etl_ioagg_disk(&a, &r, pid, 1000, pid, pid), 0);
	assert_int_equal(a.rows_n, ETL_IOAGG_MAX_ROWS + 1); /* + the folded row */
	assert_int_equal(a.rows_folded, 10);
	struct ingest_sink s = sink_for(&c);
	assert_int_equal(etl_ioagg_emit(&a, &s), 0);
	assert_true(c.total_count == ETL_IOAGG_MAX_ROWS + 10);
	assert_int_equal(c.warnings, 1);
	etl_ioagg_free(&a);
}

/* Span 1000 ns → 100 slices of 10 ns. [5, 25] on disk 1 gives 5, 10, 5 ns to slices 0–2;
 * [−5, 5] is clipped to [0, 5]; [990, 1010] to [990, 1000]; disk 20 has no queue. */
static void test_queue_depth_slices(void **state)
{
	(void)state;
	struct etl_ioagg a;
	struct capture c;
	memset(&c, 0, sizeof c);
	etl_ioagg_init(&a);
	etl_ioagg_set_span(&a, 1000);
	struct etl_diskio d = io(ETL_DISK_READ, 0, 1);
	assert_int_equal(etl_ioagg_disk(&a, &d, 25, 20, 1, 1), 0);
	assert_int_equal(etl_ioagg_disk(&a, &d, 5, 10, 1, 1), 0);
	assert_int_equal(etl_ioagg_disk(&a, &d, 1010, 20, 1, 1), 0);
	d.disk = 20;
	assert_int_equal(etl_ioagg_disk(&a, &d, 500, 100, 1, 1), 0);
	struct ingest_sink s = sink_for(&c);
	assert_int_equal(etl_ioagg_emit(&a, &s), 0);
	assert_int_equal(c.nqueue, 1);
	assert_int_equal(c.queue_disk[0], 1);
	assert_int_equal(c.slice_ns, 10);
	double want[SINK_DISKIO_SLICES] = {0};
	want[0] = 5 + 5;
	want[1] = 10;
	want[2] = 5;
	want[99] = 10;
	for (int i = 0; i < SINK_DISKIO_SLICES; i++)
		assert_true(c.busy[0][i] == want[i]);
	assert_int_equal(c.queue_warnings, 1);
	etl_ioagg_free(&a);
}

/* The one pass's deferred queue (defer set before the span is known): 3 buffers and 17
 * more of I/Os, so most of them go through the temporary file; memory never holds more
 * than the buffer, and the slices equal the overlaps worked out here, interval by interval
 * (span 100 000 ns: slices of 1 000 ns; integer times, so every sum is exact). The I/Os
 * go to disks 0-3 at pseudo-random times and latencies, some past either end of the span. */
static void test_deferred_queue_spills(void **state)
{
	(void)state;
	enum { N = 3 * ETL_IOAGG_DEFER_BUF + 17, DISKS = 4 };
	static double want[DISKS][SINK_DISKIO_SLICES];
	struct etl_ioagg a;
	struct capture c;
	memset(&c, 0, sizeof c);
	memset(want, 0, sizeof want);
	etl_ioagg_init(&a);
	a.defer = 1;
	uint64_t x = 12345;
	for (int k = 0; k < N; k++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		int64_t t = (int64_t)(x >> 33) % 110000 - 5000;
		uint64_t dur = (x >> 20) % 7000;
		struct etl_diskio d = io(ETL_DISK_READ, 0, 1);
		d.disk = (uint32_t)(k % DISKS);
		assert_int_equal(etl_ioagg_disk(&a, &d, t, dur, 1, 1), 0);
		assert_true(a.deferred_n <= ETL_IOAGG_DEFER_BUF);
		double lo = (double)t - (double)dur < 0 ? 0 : (double)t - (double)dur;
		double hi = t > 100000 ? 100000 : (double)t;
		for (int i = 0; i < SINK_DISKIO_SLICES; i++) {
			double s0 = i * 1000.0, s1 = s0 + 1000, l = lo > s0 ? lo : s0,
			       h = hi < s1 ? hi : s1;
			if (h > l)
				want[d.disk][i] += h - l;
		}
	}
	assert_int_equal(a.spilled_n, 3 * ETL_IOAGG_DEFER_BUF);
	assert_int_equal(a.deferred_n, 17);
	etl_ioagg_set_span(&a, 100000);
	assert_false(a.deferred_lost);
	assert_null(a.spill);
	struct ingest_sink s = sink_for(&c);
	assert_int_equal(etl_ioagg_emit(&a, &s), 0);
	assert_int_equal(c.nqueue, DISKS);
	for (int k = 0; k < DISKS; k++) {
		assert_int_equal(c.queue_disk[k], k);
		for (int i = 0; i < SINK_DISKIO_SLICES; i++)
			assert_true(c.busy[k][i] == want[k][i]);
	}
	etl_ioagg_free(&a);
}

static struct etl_fileio fop(uint8_t type, uint64_t irp, uint64_t fo, uint32_t size, const char *path)
{
	struct etl_fileio f;
	memset(&f, 0, sizeof f);
	f.type = type;
	f.irp = irp;
	f.file_object = fo;
	f.size = size;
	snprintf(f.path, sizeof f.path, "%s", path);
	return f;
}

/* Create names the object; reads pair with their OperationEnd by IrpPtr (an IRP reused
 * before its end replaces the waiting one, which stays untimed); an OperationEnd without
 * an operation is counted and warned about. */
static void test_file_ops_paired_by_irp(void **state)
{
	(void)state;
	struct etl_ioagg a;
	struct capture c;
	memset(&c, 0, sizeof c);
	etl_ioagg_init(&a);
	struct etl_fileio cr = fop(ETL_FIO_CREATE, 0x10, 0xF0, 0, "C:\\db\\data.mdf");
	assert_int_equal(etl_ioagg_file_op(&a, &cr, 100, 42), 0);
	assert_int_equal(etl_ioagg_file_end(&a, &(struct etl_fileio){.type = ETL_FIO_OP_END, .irp = 0x10}, 2100), 0);
	for (int i = 0; i < 3; i++) { /* reads of 4 KiB taking 1000, 2000, 3000 ns */
		struct etl_fileio rd = fop(ETL_FIO_READ, 0x20 + (uint64_t)i, 0xF0, 4096, "");
		assert_int_equal(etl_ioagg_file_op(&a, &rd, 1000 * i, 42), 0);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(etl_ioagg_file_end(&a, &(struct etl_fileio){.type = ETL_FIO_OP_END, .irp = 0x20 + (uint64_t)i}, 1000 * i + 1000 * (i + 1)), 0);
	/* IRP 0x30 reused before its end: the first read is never timed */
	struct etl_fileio r1 = fop(ETL_FIO_READ, 0x30, 0xF0, 100, ""), r2 = r1;
	assert_int_equal(etl_ioagg_file_op(&a, &r1, 5000, 42), 0);
	assert_int_equal(etl_ioagg_file_op(&a, &r2, 6000, 42), 0);
	assert_int_equal(etl_ioagg_file_end(&a, &(struct etl_fileio){.type = ETL_FIO_OP_END, .irp = 0x30}, 6500), 0);
	assert_int_equal(etl_ioagg_file_end(&a, &(struct etl_fileio){.type = ETL_FIO_OP_END, .irp = 0x99}, 7000), 0);
	struct ingest_sink s = sink_for(&c);
	assert_int_equal(etl_ioagg_emit(&a, &s), 0);
	assert_int_equal(c.nfiles, 2);
	for (size_t i = 0; i < c.nfiles; i++) {
		const struct sink_file_io_row *r = &c.files[i];
		assert_string_equal(r->file, "C:\\db\\data.mdf");
		assert_int_equal(r->pid, 42);
		if (r->op == ETL_FIO_CREATE) {
			assert_string_equal(r->op_name, "Create");
			assert_int_equal(r->count, 1);
			assert_int_equal(r->completed, 1);
			assert_true(r->total_ns == 2000);
		} else {
			assert_string_equal(r->op_name, "Read");
			assert_int_equal(r->count, 5);
			assert_int_equal(r->completed, 4);
			assert_int_equal(r->bytes, 3 * 4096 + 200);
			assert_true(r->total_ns == 1000 + 2000 + 3000 + 500);
			assert_true(r->max_ns == 3000);
		}
	}
	assert_int_equal(c.unmatched_warnings, 1);
	assert_int_equal(c.nrows, 0); /* no disk rows */
	etl_ioagg_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_rows_names_slowest_types),
		cmocka_unit_test(test_row_bound_folds),
		cmocka_unit_test(test_queue_depth_slices),
		cmocka_unit_test(test_deferred_queue_spills),
		cmocka_unit_test(test_file_ops_paired_by_irp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
