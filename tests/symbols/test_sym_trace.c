/* test_sym_trace.c — KernelTraceControl image identity events: hand-built ImageId and
 * DbgID_RSDS payloads (64- and 32-bit pointers, truncated, other providers), and the merged
 * PerfView sample, whose CLFS.SYS image sits at 0xfffff88000caf000 (MANIFEST.md §1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "ingest/etl/etl_event.h"
#include "symbols/pdb.h"
#include "symbols/sym_trace.h"

static const uint8_t ktc[16] = {0xd7, 0x75, 0xe6, 0xb3, 0x54, 0x25, 0x18, 0x4f,
				0x83, 0x0b, 0x27, 0x62, 0x73, 0x25, 0x60, 0xde};

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static struct etl_event classic(uint8_t opcode, unsigned psize, const uint8_t *payload, size_t len)
{
	struct etl_event ev;
	memset(&ev, 0, sizeof ev);
	ev.ev_class = ETL_EC_CLASSIC;
	ev.has_guid = 1;
	memcpy(ev.guid, ktc, 16);
	ev.type = opcode;
	ev.pointer_size = (uint8_t)psize;
	ev.process_id = 4;
	ev.payload = payload;
	ev.payload_len = len;
	return ev;
}

/* DbgID_RSDS: base, pid, GUID, age, UTF-8 name; the key text is written here by hand. */
static void test_rsds(void **state)
{
	(void)state;
	for (unsigned psize = 4; psize <= 8; psize += 4) {
		uint8_t b[128] = {0};
		put(b, psize == 8 ? 0xfffff80021489000ull : 0x82a00000u, (int)psize);
		put(b + psize, 4, 4);
		static const uint8_t g[16] = {0x00, 0x21, 0x48, 0x72, 0x1c, 0x1c, 0x03, 0x4a,
					      0xae, 0xd8, 0xc4, 0xc7, 0x1c, 0x2e, 0x8d, 0x1d};
		memcpy(b + psize + 4, g, 16);
		put(b + psize + 20, 2, 4);
		strcpy((char *)b + psize + 24, "ntkrnlmp.pdb");
		struct etl_event ev = classic(0x24, psize, b, psize + 24 + 13);
		sym_image_id id;
		assert_int_equal(sym_trace_decode(&ev, &id), SYM_EV_RSDS);
		assert_int_equal(id.base, psize == 8 ? 0xfffff80021489000ull : 0x82a00000u);
		assert_string_equal(id.pdb, "ntkrnlmp.pdb");
		char key[42];
		pdb_guid_age_text(id.guid, id.age, key);
		assert_string_equal(key, "724821001C1C4A03AED8C4C71C2E8D1D2");
		/* A name without its NUL stops at the payload end. */
		ev.payload_len = psize + 24 + 4;
		assert_int_equal(sym_trace_decode(&ev, &id), SYM_EV_RSDS);
		assert_string_equal(id.pdb, "ntkr");
		ev.payload_len = psize + 23;
		assert_int_equal(sym_trace_decode(&ev, &id), SYM_EV_BAD);
	}
}

static void test_imageid_and_merge(void **state)
{
	(void)state;
	uint8_t b[64] = {0};
	put(b, 0xfffff88000caf000ull, 8);
	put(b + 8, 0x5c000, 8);
	put(b + 20, 0x5010ab93, 4);
	const char *name = "CLFS.SYS";
	for (size_t i = 0; name[i]; i++)
		b[24 + 2 * i] = (uint8_t)name[i];
	struct etl_event ev = classic(0x00, 8, b, 24 + 18);
	sym_image_id id;
	assert_int_equal(sym_trace_decode(&ev, &id), SYM_EV_IMAGEID);
	assert_int_equal(id.size, 0x5c000);
	assert_int_equal(id.timestamp, 0x5010ab93);
	assert_string_equal(id.file, "CLFS.SYS");
	sym_images t = {0};
	assert_int_equal(sym_images_add(&t, &id, SYM_EV_IMAGEID), 0);
	uint8_t r[64] = {0};
	put(r, 0xfffff88000caf000ull, 8);
	strcpy((char *)r + 32, "clfs.pdb");
	struct etl_event rev = classic(0x24, 8, r, 32 + 9);
	assert_int_equal(sym_images_add(&t, &id, sym_trace_decode(&rev, &id)), 0);
	assert_int_equal(t.n, 1);
	assert_true(t.v[0].has_imageid && t.v[0].has_rsds);
	assert_string_equal(t.v[0].pdb, "clfs.pdb");
	assert_string_equal(t.v[0].file, "CLFS.SYS");
	/* Too short, another opcode, another provider. */
	ev.payload_len = 23;
	assert_int_equal(sym_trace_decode(&ev, &id), SYM_EV_BAD);
	ev.payload_len = 42;
	ev.type = 0x40;
	assert_int_equal(sym_trace_decode(&ev, &id), SYM_EV_NONE);
	ev.type = 0;
	ev.guid[0] ^= 1;
	assert_int_equal(sym_trace_decode(&ev, &id), SYM_EV_NONE);
	sym_images_clear(&t);
}

static void test_perfview_sample(void **state)
{
	(void)state;
	FILE *f = fopen(SHARED_DIR "/samples/etl/perfview-net452-x64-compressed.etl", "rb");
	if (!f)
		skip();
	sym_images t = {0};
	char err[256];
	assert_int_equal(sym_trace_scan(f, &t, err, sizeof err), 0);
	fclose(f);
	const sym_image_id *clfs = NULL;
	size_t with_rsds = 0;
	for (size_t i = 0; i < t.n; i++) {
		with_rsds += t.v[i].has_rsds;
		if (t.v[i].base == 0xfffff88000caf000ull && t.v[i].pid == 0)
			clfs = &t.v[i];
	}
	assert_non_null(clfs);
	assert_true(clfs->has_imageid && clfs->has_rsds);
	assert_string_equal(clfs->file, "CLFS.SYS");
	assert_string_equal(clfs->pdb, "clfs.pdb");
	assert_int_equal(t.bad_events, 0);
	assert_true(with_rsds > t.n / 2); /* a merged trace names most images' PDBs */
	sym_images_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsds),
		cmocka_unit_test(test_imageid_and_merge),
		cmocka_unit_test(test_perfview_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
