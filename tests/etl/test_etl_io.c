/* test_etl_io.c — DiskIo and FileIo payload decoders (ingest/etl/etl_diskio.c,
 * etl_fileio.c): 64-bit payloads copied from the PerfView sample (Windows 8, DiskIo v3,
 * FileIo v2), and hand-built payloads of the v2 (MOF) and v3 layouts for both pointer
 * sizes, each also cut one byte short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_diskio.h"
#include "ingest/etl/etl_fileio.h"
#include "ingest/etl/etl_le.h"

static struct etl_event event(uint8_t type, unsigned P, const uint8_t *p, size_t n)
{
	struct etl_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.pointer_size = (uint8_t)P;
	ev.payload = p;
	ev.payload_len = n;
	return ev;
}

static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* Payload builder: W(width, value) items, width 0 = the pointer size. */
struct item { int width; uint64_t v; };
#define END {-1, 0}
static size_t build(const struct item *it, unsigned P, const char *wstr, uint8_t *out)
{
	size_t n = 0;
	for (; it->width >= 0; it++) {
		unsigned w = it->width ? (unsigned)it->width : P;
		etl_putptr(out + n, it->v, w == 8 ? 8 : w == 4 ? 4 : w);
		n += w;
	}
	if (wstr) {
		for (; *wstr; wstr++, n += 2)
			etl_put16(out + n, (uint8_t)*wstr);
		etl_put16(out + n, 0);
		n += 2;
	}
	return n;
}

/* ---- DiskIo: real 64-bit bytes ---- */

static const struct {
	uint8_t type;
	const char *hex;
	struct etl_diskio want;
} disk_real[] = {
	{ETL_DISK_WRITE,
	 "0000000043000200001000000000000000b02c6c0100000050fc5f04a0f8fffff0e8470083faffff"
	 "44240000000000002c000000",
	 {ETL_DISK_WRITE, 1, 0, 0x00020043, 0x1000, 0x16c2cb000, 0xfffff8a0045ffc50ull,
	  0xfffffa830047e8f0ull, 0x2444, 0x2c}},
	{ETL_DISK_WRITE_INIT, "f0e8470083faffff2c000000",
	 {ETL_DISK_WRITE_INIT, 1, 0, 0, 0, 0, 0, 0xfffffa830047e8f0ull, 0, 0x2c}},
	{ETL_DISK_FLUSH, "000000000000060097010c000000000080fb7f0183faffffc0030000",
	 {ETL_DISK_FLUSH, 1, 0, 0x00060000, 0, 0, 0, 0xfffffa83017ffb80ull, 0x000c0197, 0x3c0}},
	{ETL_DISK_READ_INIT, "70d27a0183fafffff8030000",
	 {ETL_DISK_READ_INIT, 1, 0, 0, 0, 0, 0, 0xfffffa83017ad270ull, 0, 0x3f8}},
};

static void assert_disk(const struct etl_diskio *g, const struct etl_diskio *w)
{
	assert_int_equal(g->op, w->op);
	assert_int_equal(g->has_thread, w->has_thread);
	assert_int_equal(g->disk, w->disk);
	assert_int_equal(g->irp_flags, w->irp_flags);
	assert_int_equal(g->size, w->size);
	assert_true(g->offset == w->offset);
	assert_true(g->file_object == w->file_object);
	assert_true(g->irp == w->irp);
	assert_true(g->response_ticks == w->response_ticks);
	assert_int_equal(g->issuing_tid, w->issuing_tid);
}

static void test_diskio_real_64(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof disk_real / sizeof disk_real[0]; i++) {
		uint8_t b[64];
		size_t n = hex(disk_real[i].hex, b);
		struct etl_event ev = event(disk_real[i].type, 8, b, n);
		struct etl_diskio d;
		assert_int_equal(etl_decode_diskio(&ev, &d), 0);
		assert_disk(&d, &disk_real[i].want);
		ev.payload_len = n - 4; /* a Windows 7 (v2) event: no IssuingThreadId */
		assert_int_equal(etl_decode_diskio(&ev, &d), 0);
		assert_int_equal(d.has_thread, 0);
		assert_true(d.irp == disk_real[i].want.irp);
		ev.payload_len = n - 5;
		assert_int_equal(etl_decode_diskio(&ev, &d), -1);
	}
}

/* ---- DiskIo: hand-built, both pointer sizes ---- */

static void test_diskio_built_both_sizes(void **state)
{
	(void)state;
	for (unsigned P = 4; P <= 8; P += 4) {
		uint64_t fo = P == 8 ? 0xffffe0001234abcdull : 0x8a001230u;
		uint64_t irp = P == 8 ? 0xffffe00087654321ull : 0x86543210u;
		const struct item rw[] = {{4, 3}, {4, 0x60043}, {4, 65536}, {4, 0},
					  {8, 0x123456789ull}, {0, fo}, {0, irp}, {8, 987654}, {4, 4242}, END};
		const struct item fl[] = {{4, 1}, {4, 0x60000}, {8, 5555}, {0, irp}, {4, 77}, END};
		uint8_t b[128];
		size_t n = build(rw, P, NULL, b);
		assert_int_equal(n, 24 + 2 * P + 12);
		struct etl_event ev = event(ETL_DISK_READ, P, b, n);
		struct etl_diskio d;
		assert_int_equal(etl_decode_diskio(&ev, &d), 0);
		const struct etl_diskio want = {ETL_DISK_READ, 1, 3, 0x60043, 65536, 0x123456789,
						fo, irp, 987654, 4242};
		assert_disk(&d, &want);
		n = build(fl, P, NULL, b);
		ev = event(ETL_DISK_FLUSH, P, b, n);
		assert_int_equal(etl_decode_diskio(&ev, &d), 0);
		const struct etl_diskio wantf = {ETL_DISK_FLUSH, 1, 1, 0x60000, 0, 0, 0, irp, 5555, 77};
		assert_disk(&d, &wantf);
		ev.type = 99;
		assert_int_equal(etl_decode_diskio(&ev, &d), 1);
	}
}

/* ---- FileIo ---- */

static void test_fileio_name_real_64(void **state)
{
	(void)state;
	uint8_t b[128];
	size_t n = hex("a07d600183faffff5c004400650076006900630065005c00480061007200640064006900"
		       "73006b0056006f006c0075006d00650032005c0024004d00660074000000", b);
	struct etl_event ev = event(ETL_FIO_FILE_RUNDOWN, 8, b, n);
	struct etl_fileio f;
	assert_int_equal(etl_decode_fileio(&ev, &f), 0);
	assert_int_equal(f.cls, ETL_FIOC_NAME);
	assert_true(f.file_object == 0xfffffa8301607da0ull);
	assert_string_equal(f.path, "\\Device\\HarddiskVolume2\\$Mft");
	ev.payload_len = 7;
	assert_int_equal(etl_decode_fileio(&ev, &f), -1);
}

struct fio_case {
	uint8_t type;
	const char *name;
	uint8_t cls;
	const char *wstr;
	size_t min_len_p4, min_len_p8; /* v2 fixed part: one byte less must fail */
	size_t v3_p4, v3_p8;           /* v3 fixed part */
};

/* Items in the order of the layout (README "Disk and file I/O"), values chosen so each field
 * is distinct; v3 moves TTID (u32) behind the pointers. */
static size_t fio_payload_v3(const struct fio_case *c, unsigned P, uint8_t *b)
{
	const uint64_t IRP = 0x1111, TTID = 0x2222, FO = 0x3333, KEY = 0x4444, EXTRA = 0x5555;
	static struct item it[16];
	int k = 0;
	if (c->cls == ETL_FIOC_RW)
		it[k++] = (struct item){8, 0x10000};
	it[k++] = (struct item){0, IRP};
	if (c->cls == ETL_FIOC_OPEND) {
		it[k++] = (struct item){0, EXTRA}; it[k++] = (struct item){4, 0xC0000034};
		it[k] = (struct item)END;
		return build(it, P, c->wstr, b);
	}
	it[k++] = (struct item){0, FO};
	if (c->cls != ETL_FIOC_CREATE)
		it[k++] = (struct item){0, KEY};
	if (c->cls == ETL_FIOC_INFO)
		it[k++] = (struct item){0, EXTRA};
	it[k++] = (struct item){4, TTID};
	switch (c->cls) {
	case ETL_FIOC_CREATE:
		it[k++] = (struct item){4, 0x01000060}; it[k++] = (struct item){4, 0x80};
		it[k++] = (struct item){4, 7};
		break;
	case ETL_FIOC_RW:
		it[k++] = (struct item){4, 4096}; it[k++] = (struct item){4, 0x900};
		break;
	case ETL_FIOC_INFO:
		it[k++] = (struct item){4, 13};
		break;
	case ETL_FIOC_DIRENUM:
		it[k++] = (struct item){4, 616}; it[k++] = (struct item){4, 37};
		it[k++] = (struct item){4, 0};
		break;
	}
	it[k] = (struct item)END;
	return build(it, P, c->wstr, b);
}

static size_t fio_payload(const struct fio_case *c, unsigned P, uint8_t *b)
{
	const uint64_t IRP = 0x1111, TTID = 0x2222, FO = 0x3333, KEY = 0x4444, EXTRA = 0x5555;
	static struct item it[16];
	int k = 0;
	switch (c->cls) {
	case ETL_FIOC_CREATE:
		it[k++] = (struct item){0, IRP}; it[k++] = (struct item){0, TTID};
		it[k++] = (struct item){0, FO}; it[k++] = (struct item){4, 0x01000060};
		it[k++] = (struct item){4, 0x80}; it[k++] = (struct item){4, 7};
		break;
	case ETL_FIOC_SIMPLE:
		it[k++] = (struct item){0, IRP}; it[k++] = (struct item){0, TTID};
		it[k++] = (struct item){0, FO}; it[k++] = (struct item){0, KEY};
		break;
	case ETL_FIOC_RW:
		it[k++] = (struct item){8, 0x10000}; it[k++] = (struct item){0, IRP};
		it[k++] = (struct item){0, TTID}; it[k++] = (struct item){0, FO};
		it[k++] = (struct item){0, KEY}; it[k++] = (struct item){4, 4096};
		it[k++] = (struct item){4, 0x900};
		break;
	case ETL_FIOC_INFO:
		it[k++] = (struct item){0, IRP}; it[k++] = (struct item){0, TTID};
		it[k++] = (struct item){0, FO}; it[k++] = (struct item){0, KEY};
		it[k++] = (struct item){0, EXTRA}; it[k++] = (struct item){4, 13};
		break;
	case ETL_FIOC_DIRENUM:
		it[k++] = (struct item){0, IRP}; it[k++] = (struct item){0, TTID};
		it[k++] = (struct item){0, FO}; it[k++] = (struct item){0, KEY};
		it[k++] = (struct item){4, 616}; it[k++] = (struct item){4, 37};
		it[k++] = (struct item){4, 0};
		break;
	case ETL_FIOC_OPEND:
		it[k++] = (struct item){0, IRP}; it[k++] = (struct item){0, EXTRA};
		it[k++] = (struct item){4, 0xC0000034};
		break;
	}
	it[k] = (struct item)END;
	return build(it, P, c->wstr, b);
}

static const struct fio_case fio_cases[] = {
	{ETL_FIO_CREATE, "Create", ETL_FIOC_CREATE, "C:\\data\\db.mdf", 24, 36, 24, 32},
	{ETL_FIO_CLEANUP, "Cleanup", ETL_FIOC_SIMPLE, NULL, 16, 32, 16, 28},
	{ETL_FIO_CLOSE, "Close", ETL_FIOC_SIMPLE, NULL, 16, 32, 16, 28},
	{ETL_FIO_FLUSH, "Flush", ETL_FIOC_SIMPLE, NULL, 16, 32, 16, 28},
	{ETL_FIO_READ, "Read", ETL_FIOC_RW, NULL, 32, 48, 32, 44},
	{ETL_FIO_WRITE, "Write", ETL_FIOC_RW, NULL, 32, 48, 32, 44},
	{ETL_FIO_SET_INFO, "SetInfo", ETL_FIOC_INFO, NULL, 24, 44, 24, 40},
	{ETL_FIO_DELETE, "Delete", ETL_FIOC_INFO, NULL, 24, 44, 24, 40},
	{ETL_FIO_RENAME, "Rename", ETL_FIOC_INFO, NULL, 24, 44, 24, 40},
	{ETL_FIO_QUERY_INFO, "QueryInfo", ETL_FIOC_INFO, NULL, 24, 44, 24, 40},
	{ETL_FIO_FS_CONTROL, "FSControl", ETL_FIOC_INFO, NULL, 24, 44, 24, 40},
	{ETL_FIO_DIR_ENUM, "DirEnum", ETL_FIOC_DIRENUM, "*.log", 28, 44, 28, 40},
	{ETL_FIO_DIR_NOTIFY, "DirNotify", ETL_FIOC_DIRENUM, "*", 28, 44, 28, 40},
	{ETL_FIO_OP_END, "OperationEnd", ETL_FIOC_OPEND, NULL, 12, 20, 12, 20},
};

/* The fields a class's layout has no item for (the MOF pages, README "Disk and file I/O")
 * are zero after a decode over a struct full of garbage. */
static void assert_unset_zero(const struct etl_fileio *f, uint8_t cls)
{
	int rw = cls == ETL_FIOC_RW, info = cls == ETL_FIOC_INFO, dir = cls == ETL_FIOC_DIRENUM;
	int create = cls == ETL_FIOC_CREATE, opend = cls == ETL_FIOC_OPEND;
	if (opend) {
		assert_true(f->ttid == 0);
		assert_true(f->file_object == 0);
	}
	if (create || opend)
		assert_true(f->file_key == 0);
	if (!info && !opend)
		assert_true(f->extra_info == 0);
	if (!rw)
		assert_true(f->offset == 0);
	if (!rw && !dir)
		assert_int_equal(f->size, 0);
	if (!rw)
		assert_int_equal(f->io_flags, 0);
	if (!create) {
		assert_int_equal(f->create_options, 0);
		assert_int_equal(f->file_attributes, 0);
		assert_int_equal(f->share_access, 0);
	}
	if (!info && !dir)
		assert_int_equal(f->info_class, 0);
	if (!opend)
		assert_int_equal(f->nt_status, 0);
}

static void test_fileio_ops_both_versions_and_sizes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof fio_cases / sizeof fio_cases[0]; i++) {
		const struct fio_case *c = &fio_cases[i];
		assert_string_equal(etl_fileio_type_name(c->type), c->name);
		assert_int_equal(etl_fileio_class_of(c->type), c->cls);
		for (unsigned v = 2; v <= 3; v++)
		for (unsigned P = 4; P <= 8; P += 4) {
			uint8_t b[256];
			size_t n = v == 3 ? fio_payload_v3(c, P, b) : fio_payload(c, P, b);
			struct etl_event ev = event(c->type, P, b, n);
			ev.version = (uint16_t)v;
			struct etl_fileio f;
			memset(&f, 0xA5, sizeof f); /* what a caller's stack may hold */
			assert_int_equal(etl_decode_fileio(&ev, &f), 0);
			assert_unset_zero(&f, c->cls);
			assert_true(f.irp == 0x1111);
			if (c->cls != ETL_FIOC_OPEND) {
				assert_true(f.ttid == 0x2222);
				assert_true(f.file_object == 0x3333);
			}
			if (c->cls == ETL_FIOC_SIMPLE || c->cls == ETL_FIOC_RW ||
			    c->cls == ETL_FIOC_INFO || c->cls == ETL_FIOC_DIRENUM)
				assert_true(f.file_key == 0x4444);
			switch (c->cls) {
			case ETL_FIOC_CREATE:
				assert_int_equal(f.create_options, 0x01000060);
				assert_int_equal(f.file_attributes, 0x80);
				assert_int_equal(f.share_access, 7);
				break;
			case ETL_FIOC_RW:
				assert_true(f.offset == 0x10000);
				assert_int_equal(f.size, 4096);
				assert_int_equal(f.io_flags, 0x900);
				break;
			case ETL_FIOC_INFO:
				assert_true(f.extra_info == 0x5555);
				assert_int_equal(f.info_class, 13);
				break;
			case ETL_FIOC_DIRENUM:
				assert_int_equal(f.size, 616);
				assert_int_equal(f.info_class, 37);
				break;
			case ETL_FIOC_OPEND:
				assert_true(f.extra_info == 0x5555);
				assert_int_equal(f.nt_status, 0xC0000034);
				break;
			}
			assert_string_equal(f.path, c->wstr ? c->wstr : "");
			size_t fixed = v == 3 ? (P == 8 ? c->v3_p8 : c->v3_p4)
					      : (P == 8 ? c->min_len_p8 : c->min_len_p4);
			ev.payload_len = fixed;
			assert_int_equal(etl_decode_fileio(&ev, &f), 0);
			ev.payload_len = fixed - 1;
			assert_int_equal(etl_decode_fileio(&ev, &f), -1);
		}
	}
}

static void test_fileio_minifilter_and_unknown_not_decoded(void **state)
{
	(void)state;
	static const char *const names[] = {"PreOpInit", "PostOpInit", "PreOpCompletion",
					    "PostOpCompletion", "PreOpFailure", "PostOpFailure"};
	uint8_t b[64] = {0};
	for (uint8_t t = 0x60; t <= 0x65; t++) {
		struct etl_event ev = event(t, 8, b, sizeof b);
		struct etl_fileio f;
		assert_int_equal(etl_decode_fileio(&ev, &f), 1);
		assert_int_equal(f.cls, ETL_FIOC_MINIFILTER);
		assert_string_equal(etl_fileio_type_name(t), names[t - 0x60]);
	}
	struct etl_event ev = event(0x50, 8, b, sizeof b);
	struct etl_fileio f;
	assert_int_equal(etl_decode_fileio(&ev, &f), 1);
	assert_int_equal(f.cls, ETL_FIOC_NONE);
	assert_string_equal(etl_fileio_type_name(0x50), "Unknown");
}

/* The class of every type byte, from the FileIo type list of the MOF pages (etl-format.md,
 * README "Disk and file I/O"): 0 Name, 32 FileCreate, 35 FileDelete, 36 FileRundown (names);
 * 64 Create; 65 Cleanup, 66 Close, 73 Flush (simple); 67 Read, 68 Write; 69 SetInfo,
 * 70 Delete, 71 Rename, 74 QueryInfo, 75 FSControl (info); 72 DirEnum, 77 DirNotify;
 * 76 OperationEnd; 0x60-0x65 the minifilter events; every other byte none. */
static void test_fileio_class_of_every_type(void **state)
{
	(void)state;
	static const struct { unsigned type; uint8_t cls; } known[] = {
		{0, ETL_FIOC_NAME}, {32, ETL_FIOC_NAME}, {35, ETL_FIOC_NAME}, {36, ETL_FIOC_NAME},
		{64, ETL_FIOC_CREATE}, {65, ETL_FIOC_SIMPLE}, {66, ETL_FIOC_SIMPLE},
		{73, ETL_FIOC_SIMPLE}, {67, ETL_FIOC_RW}, {68, ETL_FIOC_RW}, {69, ETL_FIOC_INFO},
		{70, ETL_FIOC_INFO}, {71, ETL_FIOC_INFO}, {74, ETL_FIOC_INFO}, {75, ETL_FIOC_INFO},
		{72, ETL_FIOC_DIRENUM}, {77, ETL_FIOC_DIRENUM}, {76, ETL_FIOC_OPEND},
		{0x60, ETL_FIOC_MINIFILTER}, {0x61, ETL_FIOC_MINIFILTER}, {0x62, ETL_FIOC_MINIFILTER},
		{0x63, ETL_FIOC_MINIFILTER}, {0x64, ETL_FIOC_MINIFILTER}, {0x65, ETL_FIOC_MINIFILTER},
	};
	for (unsigned t = 0; t < 256; t++) {
		uint8_t want = ETL_FIOC_NONE;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			if (known[i].type == t)
				want = known[i].cls;
		if (etl_fileio_class_of((uint8_t)t) != want)
			fail_msg("type %u: class %d, want %d", t, etl_fileio_class_of((uint8_t)t), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diskio_real_64),
		cmocka_unit_test(test_diskio_built_both_sizes),
		cmocka_unit_test(test_fileio_name_real_64),
		cmocka_unit_test(test_fileio_ops_both_versions_and_sizes),
		cmocka_unit_test(test_fileio_minifilter_and_unknown_not_decoded),
		cmocka_unit_test(test_fileio_class_of_every_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
