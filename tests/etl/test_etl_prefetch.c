/* test_etl_prefetch.c — the decompress-ahead thread (ingest/etl/etl_prefetch.h) hands the
 * merge exactly what its own walker would have read. Oracle: every buffer of an etlgen
 * XPRESS trace read by a plain walker in file order (etl_walker_next, no thread), compared
 * byte for byte — header, payload, the walker's next offset and index, `expanded` — with
 * each buffer taken through the prefetch in another order. Cases (table): buffers taken in
 * file order, in reverse, every other one first; a buffer cut short by the end of the file
 * and one whose compressed stream is damaged (the thread's read is not used: the take
 * answers 0 and the caller's own read meets the cut or the damage, as without the thread);
 * a buffer never named (read by the caller). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "ingest/etl/etl_buffer.h"
#include "ingest/etl/etl_prefetch.h"
#include "tools/etlgen/etlgen.h"

#define MAX_BUFS 512

static const struct etlgen_module mods[] = {
	{.name = "ntoskrnl.exe", .base = 0xfffff80002000000ull, .size = 0x800000, .dpc_rate = 3000,
	 .dpc_kind = ETLGEN_TIMER_DPC, .dpc_us = {ETLGEN_FIXED, 5, 0}, .sample_weight = 1},
	{.name = "ndis.sys", .base = 0xfffff88001000000ull, .size = 0x100000, .dpc_rate = 4000,
	 .dpc_kind = ETLGEN_DPC, .dpc_us = {ETLGEN_LOGNORMAL, 20, 0.8}, .isr_rate = 2000,
	 .isr_msi = 1, .isr_us = {ETLGEN_UNIFORM, 1, 6}},
};

/* An XPRESS etlgen trace of 4 KiB buffers in a temporary file. */
static FILE *trace(void)
{
	struct etlgen_scenario s = {
		.cpus = 4, .pointer_size = 8, .compressed = 1, .buffer_size = 4096,
		.duration_s = 1, .seed = 5, .qpc_frequency = 10000000, .build = 19041,
		.sample_rate_hz = 100, .dpc_groups_enabled = 1, .modules = mods, .n_modules = 2,
	};
	FILE *f = tmpfile();
	assert_non_null(f);
	char msg[128];
	assert_int_equal(etlgen_write(&s, f, NULL, msg, sizeof msg), 0);
	fflush(f);
	rewind(f);
	return f;
}

/* What a plain walker reads at each buffer: the oracle. */
struct seen {
	int rc;
	struct etl_buffer_header hdr;
	uint64_t off, next_off;
	uint32_t index, next_index;
	int bad, cut, compressed;
	size_t len;
	uint8_t *payload;
	uint64_t expanded; /* bytes this buffer added to the walker's count */
};

static size_t oracle(FILE *f, struct seen *o)
{
	struct etl_walker w;
	etl_walker_init(&w, f);
	size_t n = 0;
	for (; n < MAX_BUFS; n++) {
		struct etl_buffer b;
		uint64_t off = w.off, before = w.expanded;
		uint32_t index = w.index;
		int rc = etl_walker_next(&w, &b);
		if (rc == ETL_WALK_END)
			break;
		o[n] = (struct seen){.rc = rc, .hdr = b.hdr, .off = off, .index = index,
				     .next_off = w.off, .next_index = w.index, .bad = b.bad,
				     .cut = b.cut, .compressed = !!(b.hdr.flags & ETL_BUF_COMPRESSED),
				     .len = b.payload_len, .expanded = w.expanded - before};
		o[n].payload = malloc(b.payload_len ? b.payload_len : 1);
		assert_non_null(o[n].payload);
		if (b.payload_len)
			memcpy(o[n].payload, b.payload, b.payload_len);
		if (rc != ETL_WALK_OK)
			break;
	}
	etl_walker_free(&w);
	return n + (n < MAX_BUFS && o[n].payload ? 1 : 0);
}

enum order { IN_ORDER, REVERSED, ODD_FIRST };
enum damage { NONE, CUT_LAST, CORRUPT_ONE, ONE_UNNAMED };

struct pf_case {
	const char *what;
	enum order order;
	enum damage damage;
	int settle; /* wait for the thread before taking: every named buffer then hits */
};

/* Takes buffer i the way the merge does (seek, take, else read) and checks it against the
 * oracle; returns whether the prefetch had it. */
static int take_and_check(struct etl_prefetch *p, FILE *f, const struct seen *o)
{
	struct etl_walker w;
	etl_walker_init(&w, f);
	w.compression_format = ETL_COMPRESSION_XPRESS;
	etl_walker_seek(&w, o->off, o->index);
	struct etl_buffer b;
	int hit = etl_prefetch_take(p, o->index, &w, &b);
	int rc = hit ? ETL_WALK_OK : etl_walker_next(&w, &b);
	assert_int_equal(rc, o->rc);
	if (rc == ETL_WALK_OK) {
		assert_memory_equal(&b.hdr, &o->hdr, sizeof b.hdr);
		assert_int_equal(b.file_offset, o->off);
		assert_int_equal(b.index, o->index);
		assert_int_equal(b.bad, o->bad);
		assert_int_equal(b.cut, o->cut);
		assert_int_equal(b.payload_len, o->len);
		if (o->len)
			assert_memory_equal(b.payload, o->payload, o->len);
		assert_int_equal(w.off, o->next_off);
		assert_int_equal(w.index, o->next_index);
		assert_int_equal(w.expanded, o->expanded);
	}
	etl_walker_free(&w);
	return hit;
}

static const struct pf_case cases[] = {
	{"file order, taken as ready", IN_ORDER, NONE, 0},
	{"file order, thread settled first", IN_ORDER, NONE, 1},
	{"reversed", REVERSED, NONE, 1},
	{"odd buffers first", ODD_FIRST, NONE, 0},
	{"last buffer cut by the file's end", IN_ORDER, CUT_LAST, 1},
	{"one compressed stream damaged", IN_ORDER, CORRUPT_ONE, 1},
	{"one buffer not named", REVERSED, ONE_UNNAMED, 1},
};

static void run_case(const struct pf_case *c)
{
	FILE *f = trace();
	static struct seen o[MAX_BUFS + 1];
	memset(o, 0, sizeof o);
	size_t n = oracle(f, o);
	assert_true(n > 12 && n < MAX_BUFS);
	size_t victim = n / 2; /* a compressed buffer in the middle */
	while (!o[victim].compressed)
		victim++;
	if (c->damage == CUT_LAST || c->damage == CORRUPT_ONE) {
		uint64_t cut_at = o[n - 1].off + 100, junk_at = o[victim].off + ETL_BUFFER_HEADER_SIZE + 8;
		for (size_t i = 0; i < n; i++)
			free(o[i].payload);
		memset(o, 0, sizeof o);
		if (c->damage == CUT_LAST) { /* the file ends 100 bytes into its last buffer */
			assert_int_equal(ftruncate(fileno(f), (off_t)cut_at), 0);
		} else { /* 64 bytes of the victim's compressed stream replaced by 0xFF */
			uint8_t junk[64];
			memset(junk, 0xFF, sizeof junk);
			assert_int_equal(fseeko(f, (off_t)junk_at, SEEK_SET), 0);
			assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
			fflush(f);
		}
		n = oracle(f, o);
		if (c->damage == CORRUPT_ONE)
			assert_int_equal(o[victim].bad, ETL_BAD_DECODE);
		else
			assert_int_equal(o[n - 1].rc, ETL_WALK_TRUNCATED);
	}
	struct etl_prefetch *p = etl_prefetch_new(f, NULL, ETL_COMPRESSION_XPRESS, 0);
	assert_non_null(p);
	size_t named = 0;
	for (size_t i = 0; i < n; i++)
		if ((o[i].compressed || o[i].rc != ETL_WALK_OK) && o[i].index != 0 &&
		    !(c->damage == ONE_UNNAMED && i == victim)) {
			etl_prefetch_name(p, o[i].off, o[i].index);
			named++;
		}
	assert_true(named > ETL_PREFETCH_SLOTS);
	size_t order[MAX_BUFS], k = 0;
	if (c->order == IN_ORDER)
		for (size_t i = 0; i < n; i++)
			order[k++] = i;
	else if (c->order == REVERSED)
		for (size_t i = n; i-- > 0;)
			order[k++] = i;
	else {
		for (size_t i = 1; i < n; i += 2)
			order[k++] = i;
		for (size_t i = 0; i < n; i += 2)
			order[k++] = i;
	}
	size_t hits = 0;
	for (size_t j = 0; j < k; j++) {
		size_t i = order[j];
		if (c->settle)
			etl_prefetch_settle(p);
		int hit = take_and_check(p, f, &o[i]);
		hits += (size_t)hit;
		/* what the thread must not hand over */
		if (o[i].rc != ETL_WALK_OK || o[i].bad || !o[i].compressed)
			assert_int_equal(hit, 0);
		if (c->damage == ONE_UNNAMED && i == victim)
			assert_int_equal(hit, 0);
		/* settled and in file order: every named buffer was decompressed before its take
		 * (the slots are refilled in file order as each is taken) */
		if (c->settle && c->order == IN_ORDER && o[i].rc == ETL_WALK_OK && !o[i].bad &&
		    o[i].compressed && o[i].index != 0)
			assert_int_equal(hit, 1);
	}
	uint64_t h, t;
	etl_prefetch_counts(p, &h, &t);
	assert_int_equal(h, hits);
	assert_int_equal(t, k);
	if (c->settle)
		assert_true(hits > 0);
	etl_prefetch_free(p);
	for (size_t i = 0; i < n; i++)
		free(o[i].payload);
	fclose(f);
}

static void test_prefetch_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		print_message("case: %s\n", cases[i].what);
		run_case(&cases[i]);
	}
}

/* Freed with buffers still named and slots still full: the thread stops, nothing leaks
 * (the sanitizer build checks the leak). */
static void test_free_while_busy(void **state)
{
	(void)state;
	FILE *f = trace();
	struct etl_walker w;
	etl_walker_init(&w, f);
	struct etl_prefetch *p = etl_prefetch_new(f, NULL, ETL_COMPRESSION_XPRESS, 0);
	assert_non_null(p);
	struct etl_buffer b;
	while (etl_walker_next(&w, &b) == ETL_WALK_OK)
		if (b.index)
			etl_prefetch_name(p, b.file_offset, b.index);
	etl_walker_free(&w);
	etl_prefetch_free(p);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefetch_table),
		cmocka_unit_test(test_free_while_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
