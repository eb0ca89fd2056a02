/* test_etl_decode.c — event headers of every type and kernel payloads decoded from real
 * captured bytes (etl-format.md §8.1/8.2; 64-bit ISR/ISR-MSI/TimerDPC/SampledProfile bytes
 * from libtrace's captured payloads, re-typed), 32- and 64-bit layouts, buffer-header CPU
 * rule, group-mask decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_buffer.h"
#include "ingest/etl/etl_event.h"
#include "ingest/etl/etl_kernel.h"
#include "ingest/etl/etl_le.h"
#include "ingest/etl/etl_logfile.h"

/* Build a PERFINFO event (16-byte header) around a payload; returns total size. */
static size_t perfinfo(uint8_t *out, int psize, uint16_t version, uint8_t group, uint8_t type,
		       uint64_t ts, const uint8_t *payload, size_t n)
{
	size_t size = 16 + n;
	etl_put16(out, version);
	out[2] = psize == 8 ? ETL_HT_PERFINFO64 : ETL_HT_PERFINFO32;
	out[3] = 0xC0;
	etl_put16(out + 4, (uint16_t)size);
	out[6] = type;
	out[7] = group;
	etl_put64(out + 8, ts);
	memcpy(out + 16, payload, n);
	return size;
}

static void decode_one(const uint8_t *buf, size_t n, struct etl_event *ev)
{
	size_t adv;
	assert_int_equal(etl_event_decode(buf, n, ev, &adv), ETL_EV_OK);
	assert_int_equal(adv % 8, 0);
}

static void test_dpc_64_real_bytes(void **state)
{
	(void)state;
	static const uint8_t p[] = {0xcd, 0xec, 0x3a, 0xa8, 0x66, 0x04, 0x00, 0x00,
				    0xe4, 0xbc, 0x96, 0x74, 0x00, 0xf8, 0xff, 0xff};
	uint8_t buf[64];
	perfinfo(buf, 8, 2, 15, 68, 0x00000466a83aeccdull + 1234, p, sizeof p);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(etl_kernel_classify(&ev, NULL), ETL_K_DPC);
	assert_int_equal(ev.pointer_size, 8);
	struct etl_dpc d;
	assert_int_equal(etl_decode_dpc(&ev, &d), 0);
	assert_true(d.initial_time == 0x00000466a83aeccdull);
	assert_true(d.routine == 0xfffff8007496bce4ull);
	assert_true(ev.timestamp - d.initial_time == 1234);
}

static void test_dpc_32_real_bytes(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x34, 0xc1, 0xb1, 0x91, 0xab, 0x02, 0x00, 0x00,
				    0x1d, 0xeb, 0x0c, 0x90};
	uint8_t buf[64];
	perfinfo(buf, 4, 2, 15, 68, 0x000002ab91b1c134ull + 7, p, sizeof p);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(ev.pointer_size, 4);
	assert_int_equal(ev.payload_len, 12);
	struct etl_dpc d;
	assert_int_equal(etl_decode_dpc(&ev, &d), 0);
	assert_true(d.initial_time == 0x000002ab91b1c134ull);
	assert_true(d.routine == 0x900ceb1dull);
	/* one byte short of a routine: rejected, not read past the payload */
	ev.payload_len = 11;
	assert_int_equal(etl_decode_dpc(&ev, &d), -1);
}

static void test_timer_dpc_64_real_bytes(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x75, 0x24, 0x3c, 0xa8, 0x66, 0x04, 0x00, 0x00,
				    0xd8, 0x04, 0x11, 0x03, 0x00, 0xf8, 0xff, 0xff};
	uint8_t buf[64];
	perfinfo(buf, 8, 2, 15, 69, 0x00000466a83c2475ull + 50, p, sizeof p);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(etl_kernel_classify(&ev, NULL), ETL_K_TIMER_DPC);
	struct etl_dpc d;
	assert_int_equal(etl_decode_dpc(&ev, &d), 0);
	assert_true(d.initial_time == 0x00000466a83c2475ull);
	assert_true(d.routine == 0xfffff800031104d8ull);
}

static void test_isr_64_real_bytes(void **state)
{
	(void)state;
	static const uint8_t p[] = {0xac, 0x4d, 0x42, 0xa8, 0x66, 0x04, 0x00, 0x00,
				    0xc0, 0x15, 0xf9, 0x02, 0x00, 0xf8, 0xff, 0xff,
				    0x00, 0x81, 0x00, 0x00};
	uint8_t buf[64];
	perfinfo(buf, 8, 2, 15, 67, 0x00000466a8424dacull + 30, p, sizeof p);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(etl_kernel_classify(&ev, NULL), ETL_K_ISR);
	struct etl_isr d;
	assert_int_equal(etl_decode_isr(&ev, 0, &d), 0);
	assert_true(d.initial_time == 0x00000466a8424dacull);
	assert_true(d.routine == 0xfffff80002f915c0ull);
	assert_int_equal(d.return_value, 0);
	assert_int_equal(d.vector, 0x81);
}

static void test_isr_msi_64_real_bytes(void **state)
{
	(void)state;
	static const uint8_t p[] = {0xeb, 0xed, 0x3a, 0xa8, 0x66, 0x04, 0x00, 0x00,
				    0x20, 0x7e, 0x93, 0x00, 0x00, 0xf8, 0xff, 0xff,
				    0x01, 0x91, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uint8_t buf[64];
	perfinfo(buf, 8, 2, 15, 50, 0x00000466a83aedebull + 10, p, sizeof p);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(etl_kernel_classify(&ev, NULL), ETL_K_ISR_MSI);
	struct etl_isr d;
	assert_int_equal(etl_decode_isr(&ev, 1, &d), 0);
	assert_true(d.initial_time == 0x00000466a83aedebull);
	assert_true(d.routine == 0xfffff80000937e20ull);
	assert_int_equal(d.return_value, 1);
	assert_int_equal(d.vector, 0x91);
	assert_int_equal(d.message_number, 0);
	ev.payload_len = 23;
	assert_int_equal(etl_decode_isr(&ev, 1, &d), -1);
}

static void test_isr_32_layout(void **state)
{
	(void)state;
	/* byte-packed 32-bit ISR-MSI: Vector is an unaligned u16 at +13 */
	static const uint8_t p[] = {0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
				    0x78, 0x56, 0x34, 0x82, 0x01, 0xb2, 0x01, 0x00,
				    0x05, 0x00, 0x00, 0x00};
	uint8_t buf[64];
	perfinfo(buf, 4, 2, 15, 50, 0x100000020ull, p, sizeof p);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	struct etl_isr d;
	assert_int_equal(etl_decode_isr(&ev, 1, &d), 0);
	assert_true(d.initial_time == 0x100000010ull);
	assert_true(d.routine == 0x82345678ull);
	assert_int_equal(d.return_value, 1);
	assert_int_equal(d.vector, 0x01b2);
	assert_int_equal(d.message_number, 5);
}

static void test_sampled_profile_64_real_bytes(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x4b, 0xab, 0x8c, 0x74, 0x00, 0xf8, 0xff, 0xff,
				    0x70, 0x1f, 0x00, 0x00, 0x01, 0x00, 0x40, 0x00};
	uint8_t buf[64];
	perfinfo(buf, 8, 2, 15, 46, 99, p, sizeof p);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(etl_kernel_classify(&ev, NULL), ETL_K_SAMPLED_PROFILE);
	struct etl_sampled_profile s;
	assert_int_equal(etl_decode_sampled_profile(&ev, &s), 0);
	assert_true(s.ip == 0xfffff800748cab4bull);
	assert_int_equal(s.thread_id, 0x1f70);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.flags, 0x40);
}

static void test_pmc_pebs_extension(void **state)
{
	(void)state;
	/* SampledProfile with PEBS + 2 PMC counters: version 0x8202, 3 u64 items */
	uint8_t buf[96];
	uint8_t payload[24 + 16] = {0};
	etl_put64(payload, 0x1111); /* pebs */
	etl_put64(payload + 8, 0x2222);
	etl_put64(payload + 16, 0x3333);
	etl_put64(payload + 24, 0xfffff80000001000ull); /* IP */
	etl_put32(payload + 32, 42);
	size_t n = perfinfo(buf, 8, 0x8202, 15, 46, 5, payload, sizeof payload);
	struct etl_event ev;
	decode_one(buf, n, &ev);
	assert_int_equal(ev.version, 2);
	assert_int_equal(ev.has_pebs, 1);
	assert_int_equal(ev.pmc_count, 2);
	assert_int_equal(ev.ext_len, 24);
	assert_true(etl_le64(ev.ext + 8) == 0x2222);
	struct etl_sampled_profile s;
	assert_int_equal(etl_decode_sampled_profile(&ev, &s), 0);
	assert_true(s.ip == 0xfffff80000001000ull);
	assert_int_equal(s.thread_id, 42);
	/* extension larger than the event: malformed */
	etl_put16(buf, 0x8702);
	etl_put16(buf + 4, 16 + 8);
	size_t adv;
	assert_int_equal(etl_event_decode(buf, 24, &ev, &adv), ETL_EV_MALFORMED);
}

static void test_system_and_compact_headers(void **state)
{
	(void)state;
	uint8_t buf[64] = {0};
	etl_put16(buf, 3);
	buf[2] = ETL_HT_SYSTEM64;
	buf[3] = 0xC0;
	etl_put16(buf + 4, 40);
	buf[6] = 1; /* Thread start */
	buf[7] = 5;
	etl_put32(buf + 8, 77);  /* tid */
	etl_put32(buf + 12, 88); /* pid */
	etl_put64(buf + 16, 123456);
	etl_put32(buf + 32, 88);
	etl_put32(buf + 36, 77);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(ev.ev_class, ETL_EC_SYSTEM);
	assert_int_equal(ev.thread_id, 77);
	assert_int_equal(ev.process_id, 88);
	assert_true(ev.timestamp == 123456);
	assert_int_equal(ev.payload_len, 8);
	struct etl_thread t;
	assert_int_equal(etl_kernel_classify(&ev, NULL), ETL_K_THREAD_START);
	assert_int_equal(etl_decode_thread(&ev, &t), 0);
	assert_int_equal(t.pid, 88);
	assert_int_equal(t.tid, 77);

	buf[2] = ETL_HT_COMPACT32;
	etl_put16(buf + 4, 24 + 24);
	buf[6] = 36; /* CSwitch */
	memset(buf + 24, 0, 24);
	etl_put32(buf + 24, 10);
	etl_put32(buf + 28, 20);
	buf[24 + 14] = 5;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(ev.pointer_size, 4);
	assert_int_equal(ev.payload_len, 24);
	struct etl_cswitch c;
	assert_int_equal(etl_kernel_classify(&ev, NULL), ETL_K_CSWITCH);
	assert_int_equal(etl_decode_cswitch(&ev, &c), 0);
	assert_int_equal(c.new_tid, 10);
	assert_int_equal(c.old_tid, 20);
	assert_int_equal(c.old_state, 5);
}

static void test_full_and_instance_headers(void **state)
{
	(void)state;
	/* A 32-bit classic FULL_HEADER Image event (GUID 2cb15d1d-5fc1-11d2-abe1-00a0c911f518) */
	static const uint8_t guid[16] = {0x1d, 0x5d, 0xb1, 0x2c, 0xc1, 0x5f, 0xd2, 0x11,
					 0xab, 0xe1, 0x00, 0xa0, 0xc9, 0x11, 0xf5, 0x18};
	uint8_t buf[160] = {0};
	size_t size = 48 + 44 + 2 * 8;
	etl_put16(buf, (uint16_t)size);
	buf[2] = ETL_HT_FULL_HEADER32;
	buf[3] = 0xC0;
	buf[4] = 3; /* DCStart */
	etl_put16(buf + 6, 2);
	etl_put64(buf + 16, 9);
	memcpy(buf + 24, guid, 16);
	uint8_t *p = buf + 48;
	etl_put32(p, 0x01160000);
	etl_put32(p + 4, 0x0019e000);
	etl_put32(p + 8, 7644);
	const char *name = "a\\b.exe";
	for (int i = 0; name[i]; i++)
		etl_put16(p + 44 + 2 * i, (uint8_t)name[i]);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(ev.ev_class, ETL_EC_CLASSIC);
	assert_int_equal(ev.type, 3);
	assert_int_equal(ev.version, 2);
	assert_memory_equal(ev.guid, guid, 16);
	int g;
	assert_int_equal(etl_kernel_classify(&ev, &g), ETL_K_IMAGE_DCSTART);
	assert_int_equal(g, 20);
	struct etl_image im;
	assert_int_equal(etl_decode_image(&ev, &im), 0);
	assert_true(im.base == 0x01160000);
	assert_true(im.size == 0x0019e000);
	assert_int_equal(im.pid, 7644);
	assert_string_equal(im.path, "a\\b.exe");

	buf[2] = ETL_HT_INSTANCE64;
	etl_put16(buf, 72 + 8);
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(ev.ev_class, ETL_EC_CLASSIC);
	assert_int_equal(ev.payload_len, 8);
	assert_int_equal(ev.pointer_size, 8);
}

static void test_event_header_with_extended_items(void **state)
{
	(void)state;
	uint8_t buf[256] = {0};
	size_t size = 80 + 8 + 8 + (8 + 8 + 2 * 8) + 4;
	etl_put16(buf, (uint16_t)size);
	buf[2] = ETL_HT_EVENT_HEADER64;
	buf[3] = 0xC0;
	etl_put16(buf + 4, ETL_EHF_EXTENDED_INFO);
	etl_put32(buf + 8, 11);
	etl_put32(buf + 12, 22);
	etl_put64(buf + 16, 777);
	buf[24] = 0xb3; /* some GUID */
	etl_put16(buf + 40, 1001); /* id */
	buf[42] = 1;               /* version */
	buf[45] = 12;              /* opcode */
	etl_put16(buf + 46, 5);    /* task */
	/* item 1: 8-byte related activity fragment, linkage set */
	uint8_t *it = buf + 80;
	etl_put16(it, 16);
	etl_put16(it + 2, 1);
	etl_put16(it + 4, 1);
	etl_put16(it + 6, 8);
	/* item 2: STACK_TRACE64: match id + 2 frames, last item */
	it = buf + 96;
	etl_put16(it, 32);
	etl_put16(it + 2, 6);
	etl_put16(it + 4, 0);
	etl_put16(it + 6, 24);
	etl_put64(it + 8, 0x99);
	etl_put64(it + 16, 0xfffff80000001234ull);
	etl_put64(it + 24, 0x7ff600001000ull);
	etl_put32(buf + 128, 0xabcdef01); /* user data */
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(ev.ev_class, ETL_EC_MANIFEST);
	assert_int_equal(ev.event_id, 1001);
	assert_int_equal(ev.version, 1);
	assert_int_equal(ev.type, 12);
	assert_int_equal(ev.task, 5);
	assert_int_equal(ev.ext_len, 48);
	assert_int_equal(ev.payload_len, 4);
	assert_int_equal(etl_le32(ev.payload), 0xabcdef01);
	size_t pos = 0;
	struct etl_ext_item item;
	assert_int_equal(etl_ext_item_next(&ev, &pos, &item), 1);
	assert_int_equal(item.ext_type, 1);
	assert_int_equal(etl_ext_item_next(&ev, &pos, &item), 1);
	assert_int_equal(item.ext_type, 6);
	assert_int_equal(item.data_len, 24);
	assert_true(etl_le64(item.data + 8) == 0xfffff80000001234ull);
	assert_int_equal(etl_ext_item_next(&ev, &pos, &item), 0);
	/* an item list that runs past the event */
	etl_put16(buf + 96 + 6, 200);
	size_t adv;
	assert_int_equal(etl_event_decode(buf, sizeof buf, &ev, &adv), ETL_EV_MALFORMED);
}

static void test_cursor_skips_wpp_and_stops(void **state)
{
	(void)state;
	uint8_t buf[128];
	memset(buf, 0xFF, sizeof buf);
	/* WPP message of 20 bytes (flags byte 0x90), then a DPC, then 0xFF fill */
	memset(buf, 0, 24);
	etl_put16(buf, 20);
	buf[3] = 0x90;
	static const uint8_t p[16] = {1};
	perfinfo(buf + 24, 8, 2, 15, 68, 5, p, sizeof p);
	struct etl_event_cursor c;
	struct etl_event ev;
	etl_event_cursor_init(&c, buf, sizeof buf, 3);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_SKIPPED);
	assert_int_equal(ev.ev_class, ETL_EC_MESSAGE);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_OK);
	assert_int_equal(ev.cpu, 3);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_END);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_END);
	/* a size larger than the buffer, a size below the header, a bad marker */
	perfinfo(buf, 8, 2, 15, 68, 5, p, sizeof p);
	etl_put16(buf + 4, 200);
	etl_event_cursor_init(&c, buf, 64, 0);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_MALFORMED);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_END);
	etl_put16(buf + 4, 8);
	etl_event_cursor_init(&c, buf, 64, 0);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_MALFORMED);
	buf[3] = 0x12;
	etl_event_cursor_init(&c, buf, 64, 0);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_MALFORMED);
	buf[3] = 0xC0;
	buf[2] = 0x0E; /* WNODE: size unknown */
	etl_event_cursor_init(&c, buf, 64, 0);
	assert_int_equal(etl_event_next(&c, &ev), ETL_EV_MALFORMED);
}

static void test_buffer_header_cpu_rule(void **state)
{
	(void)state;
	uint8_t h[0x48] = {0};
	struct etl_buffer_header bh;
	etl_put32(h, 0x10000);
	h[0x28] = 3;
	h[0x29] = 8; /* Win7: alignment byte, no PROC_INDEX flag */
	etl_buffer_header_parse(h, &bh);
	assert_int_equal(bh.cpu, 3);
	etl_put16(h + 0x34, ETL_BUF_PROC_INDEX);
	etl_put16(h + 0x28, 0x0105); /* processor 261 */
	etl_buffer_header_parse(h, &bh);
	assert_int_equal(bh.cpu, 261);
	etl_put16(h + 0x28, 0xF805);
	etl_buffer_header_parse(h, &bh);
	assert_int_equal(bh.cpu, 5);
}

static void test_group_masks(void **state)
{
	(void)state;
	uint8_t buf[64] = {0};
	uint8_t p[36] = {0};
	etl_put32(p, 0x1270f);
	etl_put32(p + 4, 0x2);
	perfinfo(buf, 8, 2, 0, 5, 1, p, sizeof p);
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	uint32_t m[8];
	assert_int_equal(etl_groupmask_parse(&ev, m), 1);
	assert_int_equal(etl_groupmask_dpcisr(m), 0);
	const char *names[64];
	int n = etl_groupmask_names(m, names, 64);
	int profile = 0, loader = 0;
	for (int i = 0; i < n; i++) {
		profile |= !strcmp(names[i], "profile");
		loader |= !strcmp(names[i], "loader");
	}
	assert_true(profile && loader);
	m[1] = 0x80;
	assert_int_equal(etl_groupmask_dpcisr(m), 1);
	memset(p, 0, sizeof p);
	perfinfo(buf, 8, 2, 0, 32, 1, p, sizeof p);
	decode_one(buf, sizeof buf, &ev);
	assert_int_equal(etl_groupmask_parse(&ev, m), 0); /* all-zero EndExtension */
}

static void test_process_payload_v4(void **state)
{
	(void)state;
	/* x64 Process DCStart v4 with a SID (S-1-5-18) then "Idle" */
	uint8_t p[128] = {0};
	etl_put64(p, 0xffffe00000001000ull);
	etl_put32(p + 8, 4);
	etl_put32(p + 12, 0);
	etl_put32(p + 16, 1);
	etl_put64(p + 24, 0x1aa000);
	etl_put32(p + 32, 0);           /* flags */
	etl_put64(p + 36, 0xffff0000);  /* TOKEN_USER pointer (non-zero) */
	uint8_t *sid = p + 36 + 16;
	sid[0] = 1;
	sid[1] = 1; /* one sub-authority */
	sid[7] = 5;
	etl_put32(sid + 8, 18);
	memcpy(sid + 12, "Idle", 5);
	uint8_t buf[192] = {0};
	perfinfo(buf, 8, 4, 3, 3, 1, p, (size_t)(sid + 17 - p));
	struct etl_event ev;
	decode_one(buf, sizeof buf, &ev);
	struct etl_process pr;
	assert_int_equal(etl_kernel_classify(&ev, NULL), ETL_K_PROCESS_DCSTART);
	assert_int_equal(etl_decode_process(&ev, &pr), 0);
	assert_int_equal(pr.pid, 4);
	assert_int_equal(pr.session, 1);
	assert_string_equal(pr.image_name, "Idle");
}

/* Every kernel hook id of etl-format.md's "Opcodes we need" table that has a kind, plus
 * Image Load by the classic Image type 10 (0x140A) and Thread SetName (0x0548, TraceEvent's
 * ThreadSetName): its kind; every other (group, type) of a kernel header, none. */
static void test_classify_every_hook(void **state)
{
	(void)state;
	static const struct { uint16_t hook; enum etl_kernel_kind k; } hooks[] = {
		{0x0000, ETL_K_HEADER}, {0x0005, ETL_K_EXTENSION}, {0x0020, ETL_K_END_EXTENSION},
		{0x0008, ETL_K_RUNDOWN_COMPLETE},
		{0x0301, ETL_K_PROCESS_START}, {0x0302, ETL_K_PROCESS_END},
		{0x0303, ETL_K_PROCESS_DCSTART}, {0x0304, ETL_K_PROCESS_DCEND},
		{0x030B, ETL_K_PROCESS_TERMINATE}, {0x0327, ETL_K_PROCESS_DEFUNCT},
		{0x030A, ETL_K_IMAGE_LOAD},
		{0x0501, ETL_K_THREAD_START}, {0x0502, ETL_K_THREAD_END},
		{0x0503, ETL_K_THREAD_DCSTART}, {0x0504, ETL_K_THREAD_DCEND},
		{0x0524, ETL_K_CSWITCH}, {0x0532, ETL_K_READY_THREAD}, {0x0548, ETL_K_THREAD_SET_NAME},
		{0x0B0A, ETL_K_SYSCONFIG_CPU},
		{0x0F2E, ETL_K_SAMPLED_PROFILE}, {0x0F32, ETL_K_ISR_MSI},
		{0x0F33, ETL_K_SYSCALL_ENTER}, {0x0F34, ETL_K_SYSCALL_EXIT},
		{0x0F42, ETL_K_THREADED_DPC}, {0x0F43, ETL_K_ISR}, {0x0F44, ETL_K_DPC},
		{0x0F45, ETL_K_TIMER_DPC}, {0x0F48, ETL_K_PROFILE_SET_INTERVAL},
		{0x0F49, ETL_K_PROFILE_COLLECTION_START}, {0x0F4A, ETL_K_PROFILE_COLLECTION_END},
		{0x140A, ETL_K_IMAGE_LOAD}, {0x1402, ETL_K_IMAGE_UNLOAD},
		{0x1403, ETL_K_IMAGE_DCSTART}, {0x1404, ETL_K_IMAGE_DCEND},
		{0x1421, ETL_K_KERNEL_IMAGE_BASE},
		{0x1820, ETL_K_STACK}, {0x1822, ETL_K_STACK_KEY_CREATE},
		{0x1823, ETL_K_STACK_KEY_DELETE}, {0x1824, ETL_K_STACK_KEY_RUNDOWN},
		{0x1825, ETL_K_STACK_KEY_KERNEL}, {0x1826, ETL_K_STACK_KEY_USER},
	};
	struct etl_event ev;
	memset(&ev, 0, sizeof ev);
	ev.ev_class = ETL_EC_SYSTEM;
	for (unsigned hook = 0; hook < 0x10000; hook++) {
		enum etl_kernel_kind want = ETL_K_OTHER;
		for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
			if (hooks[i].hook == hook)
				want = hooks[i].k;
		ev.group = (uint8_t)(hook >> 8);
		ev.type = (uint8_t)hook;
		int g = -2;
		enum etl_kernel_kind k = etl_kernel_classify(&ev, &g);
		if (k != want || g != (int)(hook >> 8))
			fail_msg("hook 0x%04X: kind %d group %d, want %d group %u", hook, k, g, want,
				 hook >> 8);
	}
	ev.ev_class = ETL_EC_MANIFEST; /* not a kernel header: no kind, no group */
	ev.group = 0x0F;
	ev.type = 68;
	int g = 0;
	assert_int_equal(etl_kernel_classify(&ev, &g), ETL_K_OTHER);
	assert_int_equal(g, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dpc_64_real_bytes),
		cmocka_unit_test(test_dpc_32_real_bytes),
		cmocka_unit_test(test_timer_dpc_64_real_bytes),
		cmocka_unit_test(test_isr_64_real_bytes),
		cmocka_unit_test(test_isr_msi_64_real_bytes),
		cmocka_unit_test(test_isr_32_layout),
		cmocka_unit_test(test_sampled_profile_64_real_bytes),
		cmocka_unit_test(test_pmc_pebs_extension),
		cmocka_unit_test(test_system_and_compact_headers),
		cmocka_unit_test(test_full_and_instance_headers),
		cmocka_unit_test(test_event_header_with_extended_items),
		cmocka_unit_test(test_cursor_skips_wpp_and_stops),
		cmocka_unit_test(test_buffer_header_cpu_rule),
		cmocka_unit_test(test_group_masks),
		cmocka_unit_test(test_process_payload_v4),
		cmocka_unit_test(test_classify_every_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
