/* test_etl_event_again.c — etl_event_decode_again, the merge's decode of a kernel record
 * over the stream's previous event: a table of (previous record, record) pairs built byte
 * by byte here, each record's fields written out by hand (etl-format.md §8.1: SYSTEM 32-byte,
 * COMPACT 24-byte, PERFINFO 16-byte headers; PMC/PEBS items after the header), and every
 * field a kernel header does not set checked zero whatever the previous record left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_event_again.h"
#include "ingest/etl/etl_le.h"

/* A record in a test's buffer: its header's fields as a writer puts them. */
struct rec {
	uint8_t ht, flags;
	uint16_t word0;   /* SYSTEM/COMPACT/PERFINFO: version | PMC count << 8 | PEBS 0x8000;
			   * EVENT_HEADER and WPP: the size */
	uint16_t size;    /* kernel headers: bytes 4..5 */
	uint8_t type, group;
	uint32_t tid, pid;
	uint64_t ts;
	int manifest_ext; /* EVENT_HEADER: flags 0x0001 with an item list that overruns */
};

enum { BUF = 256 };

/* Lay a record at out[0..]; the buffer is filled with 0x5A first so no byte is zero by luck. */
static void put_rec(uint8_t *out, const struct rec *r)
{
	memset(out, 0x5A, BUF);
	if (r->ht == 0xFF) { /* the buffer's unused tail */
		memset(out, 0xFF, BUF);
		return;
	}
	etl_put16(out, r->word0);
	out[2] = r->ht;
	out[3] = r->flags;
	if (r->ht == ETL_HT_EVENT_HEADER64) {
		etl_put16(out + 4, r->manifest_ext ? ETL_EHF_EXTENDED_INFO : 0); /* header flags */
		etl_put32(out + 8, r->tid);
		etl_put32(out + 12, r->pid);
		etl_put64(out + 16, r->ts);
		memset(out + 24, 0xA7, 16);     /* provider GUID */
		etl_put16(out + 40, 0x1234);     /* id */
		out[42] = 3; out[43] = 16; out[44] = 4; out[45] = 9; /* version channel level opcode */
		etl_put16(out + 46, 77);         /* task */
		etl_put64(out + 48, 0x8000000000000010ull); /* keyword */
		if (r->manifest_ext)
			etl_put16(out + 80, 200); /* an item longer than the record */
		return;
	}
	if ((r->flags & 0xC0) != 0xC0)
		return; /* WPP: the size in word0 is all it needs */
	etl_put16(out + 4, r->size);
	out[6] = r->type;
	out[7] = r->group;
	if (r->ht == ETL_HT_PERFINFO32 || r->ht == ETL_HT_PERFINFO64) {
		etl_put64(out + 8, r->ts);
	} else {
		etl_put32(out + 8, r->tid);
		etl_put32(out + 12, r->pid);
		etl_put64(out + 16, r->ts);
	}
}

struct want {
	int rc;
	size_t advance;
	uint8_t header_type, ev_class, pointer_size, has_ids;
	uint16_t version;
	uint8_t group, type;
	uint32_t tid, pid;
	uint64_t ts;
	uint8_t pmc_count, has_pebs;
	size_t ext_off, ext_len, payload_off, payload_len, size;
};

struct row {
	const char *what;
	struct rec prev;
	size_t prev_len;
	struct rec cur;
	size_t cur_len; /* bytes left in the buffer at the record */
	struct want w;
};

#define PI64 ETL_HT_PERFINFO64
static const struct row rows[] = {
	{"DPC after DPC (the common step)",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 2000, 0}, 100,
	 {ETL_EV_OK, 40, PI64, ETL_EC_SYSTEM, 8, 0, 2, 15, 66, 0, 0, 2000, 0, 0, 16, 0, 16, 24, 40}},
	{"odd size: advance to the next 8, bounded by what is left",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {PI64, 0xC0, 2, 37, 68, 15, 0, 0, 3000, 0}, 38,
	 {ETL_EV_OK, 38, PI64, ETL_EC_SYSTEM, 8, 0, 2, 15, 68, 0, 0, 3000, 0, 0, 16, 0, 16, 21, 37}},
	{"SYSTEM32 with ids after a PERFINFO",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {ETL_HT_SYSTEM32, 0xC0, 3, 48, 36, 3, 4242, 17, 5000, 0}, BUF,
	 {ETL_EV_OK, 48, ETL_HT_SYSTEM32, ETL_EC_SYSTEM, 4, 1, 3, 3, 36, 4242, 17, 5000, 0, 0,
	  32, 0, 32, 16, 48}},
	{"PERFINFO after SYSTEM64: the ids it left are gone",
	 {ETL_HT_SYSTEM64, 0xC0, 2, 40, 36, 3, 4242, 17, 5000, 0}, BUF,
	 {PI64, 0xC0, 2, 40, 67, 15, 0, 0, 6000, 0}, BUF,
	 {ETL_EV_OK, 40, PI64, ETL_EC_SYSTEM, 8, 0, 2, 15, 67, 0, 0, 6000, 0, 0, 16, 0, 16, 24, 40}},
	{"COMPACT64 with two PMC counters and a PEBS index",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {ETL_HT_COMPACT64, 0xC0, 0x8000 | 2 << 8 | 1, 64, 36, 3, 7, 8, 7000, 0}, BUF,
	 {ETL_EV_OK, 64, ETL_HT_COMPACT64, ETL_EC_SYSTEM, 8, 1, 1, 3, 36, 7, 8, 7000, 2, 1,
	  24, 24, 48, 16, 64}},
	{"PERFINFO32 after a PMC event: the counters it left are gone",
	 {ETL_HT_COMPACT64, 0xC0, 0x8000 | 2 << 8 | 1, 64, 36, 3, 7, 8, 7000, 0}, BUF,
	 {ETL_HT_PERFINFO32, 0xC0, 2, 24, 66, 15, 0, 0, 8000, 0}, BUF,
	 {ETL_EV_OK, 24, ETL_HT_PERFINFO32, ETL_EC_SYSTEM, 4, 0, 2, 15, 66, 0, 0, 8000, 0, 0,
	  16, 0, 16, 8, 24}},
	{"PERFINFO after an EVENT_HEADER: its GUID, keyword and the rest are gone",
	 {ETL_HT_EVENT_HEADER64, 0xC0, 96, 0, 0, 0, 11, 12, 900, 0}, BUF,
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 2000, 0}, BUF,
	 {ETL_EV_OK, 40, PI64, ETL_EC_SYSTEM, 8, 0, 2, 15, 66, 0, 0, 2000, 0, 0, 16, 0, 16, 24, 40}},
	{"PERFINFO after an EVENT_HEADER whose items overran (a partial decode)",
	 {ETL_HT_EVENT_HEADER64, 0xC0, 96, 0, 0, 0, 11, 12, 900, 1}, BUF,
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 2000, 0}, BUF,
	 {ETL_EV_OK, 40, PI64, ETL_EC_SYSTEM, 8, 0, 2, 15, 66, 0, 0, 2000, 0, 0, 16, 0, 16, 24, 40}},
	{"declared size past the buffer: malformed",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 2000, 0}, 32,
	 {ETL_EV_MALFORMED, 0, PI64, ETL_EC_SYSTEM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
	{"seven PMC counters in a 24-byte PERFINFO: malformed",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {PI64, 0xC0, 7 << 8 | 2, 24, 66, 15, 0, 0, 2000, 0}, BUF,
	 {ETL_EV_MALFORMED, 0, PI64, ETL_EC_SYSTEM, 8, 0, 2, 15, 66, 0, 0, 2000, 7, 0, 0, 0, 0,
	  0, 0}},
	{"a COMPACT header in 16 bytes: malformed",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {ETL_HT_COMPACT64, 0xC0, 2, 16, 36, 3, 7, 8, 7000, 0}, BUF,
	 {ETL_EV_MALFORMED, 0, ETL_HT_COMPACT64, ETL_EC_SYSTEM, 8, 0, 0, 3, 36, 0, 0, 0, 0, 0,
	  0, 0, 0, 0, 0}},
	{"a WPP message after a DPC: skipped, nothing of the DPC left",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {0x00, 0x90, 48, 0, 0, 0, 0, 0, 0, 0}, BUF,
	 {ETL_EV_SKIPPED, 48, ETL_HT_MESSAGE, ETL_EC_MESSAGE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	  0, 0, 48}},
	{"the 0xFF fill after a DPC: the end",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0}, BUF,
	 {ETL_EV_END, BUF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
	{"fewer than 16 bytes left: the long way's end",
	 {PI64, 0xC0, 2, 40, 66, 15, 0, 0, 1000, 0}, BUF,
	 {0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0}, 7,
	 {ETL_EV_END, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
};

static void test_again_table(void **state)
{
	(void)state;
	static uint8_t prev[BUF], cur[BUF];
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		const struct want *w = &r->w;
		print_message("row %zu: %s\n", i, r->what);
		struct etl_event ev;
		memset(&ev, 0, sizeof ev); /* a stream's event starts zeroed */
		size_t adv = 0;
		put_rec(prev, &r->prev);
		(void)etl_event_decode_again(prev, r->prev_len, &ev, &adv);
		put_rec(cur, &r->cur);
		adv = 12345;
		assert_int_equal(etl_event_decode_again(cur, r->cur_len, &ev, &adv), w->rc);
		/* what no kernel header sets, whatever the previous record left */
		static const uint8_t zero16[16];
		assert_int_equal(ev.level, 0);
		assert_int_equal(ev.event_id, 0);
		assert_int_equal(ev.task, 0);
		assert_int_equal(ev.channel, 0);
		assert_true(ev.keyword == 0);
		assert_int_equal(ev.header_flags, 0);
		assert_int_equal(ev.has_guid, 0);
		assert_memory_equal(ev.guid, zero16, 16);
		assert_int_equal(ev.cpu, 0);
		if (w->rc == ETL_EV_MALFORMED)
			continue; /* the rest of a malformed record's struct is unspecified */
		assert_int_equal(adv, w->advance);
		assert_int_equal(ev.header_type, w->header_type);
		assert_int_equal(ev.ev_class, w->ev_class);
		assert_int_equal(ev.pointer_size, w->pointer_size);
		assert_int_equal(ev.has_ids, w->has_ids);
		assert_int_equal(ev.version, w->version);
		assert_int_equal(ev.group, w->group);
		assert_int_equal(ev.type, w->type);
		assert_int_equal(ev.thread_id, w->tid);
		assert_int_equal(ev.process_id, w->pid);
		assert_true(ev.timestamp == w->ts);
		assert_int_equal(ev.pmc_count, w->pmc_count);
		assert_int_equal(ev.has_pebs, w->has_pebs);
		if (w->rc == ETL_EV_OK) {
			assert_ptr_equal(ev.ext, cur + w->ext_off);
			assert_ptr_equal(ev.payload, cur + w->payload_off);
		}
		if (w->rc != ETL_EV_END)
			assert_ptr_equal(ev.raw, cur);
		assert_int_equal(ev.ext_len, w->ext_len);
		assert_int_equal(ev.payload_len, w->payload_len);
		assert_int_equal(ev.size, w->size);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_again_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
