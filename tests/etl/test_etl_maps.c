/* test_etl_maps.c — module map (dedup of DCStart/DCEnd, load/unload times, kernel vs
 * per-process spaces, address reuse over time, path spellings, implausible images),
 * stack-key cache (definitions after use, keys reused after KeyDelete), thread map, and the
 * window of samples waiting for their stacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_le.h"
#include "ingest/etl/etl_modmap.h"
#include "ingest/etl/etl_pending.h"
#include "ingest/etl/etl_stacks.h"
#include "ingest/etl/etl_tidmap.h"

static struct etl_image img(const char *path, uint64_t base, uint64_t size, uint32_t pid)
{
	struct etl_image im;
	memset(&im, 0, sizeof im);
	snprintf(im.path, sizeof im.path, "%s", path);
	im.base = base;
	im.size = size;
	im.pid = pid;
	return im;
}

static void test_modmap(void **state)
{
	(void)state;
	struct etl_modmap m;
	etl_modmap_init(&m);
	struct etl_image a = img("\\SystemRoot\\System32\\drivers\\ndis.sys", 0xfffff80001000000ull,
				 0x10000, 0);
	struct etl_image b = img("\\SystemRoot\\System32\\drivers\\old.sys", 0xfffff80002000000ull,
				 0x10000, 0);
	struct etl_image c = img("\\SystemRoot\\System32\\drivers\\new.sys", 0xfffff80002000000ull,
				 0x8000, 0);
	struct etl_image u = img("\\Device\\HarddiskVolume2\\app.exe", 0x400000, 0x10000, 1234);
	assert_int_equal(etl_modmap_add(&m, &a, ETL_K_IMAGE_DCSTART, 0, 8), 0);
	assert_int_equal(etl_modmap_add(&m, &a, ETL_K_IMAGE_DCEND, 9000, 8), 0);
	assert_int_equal(etl_modmap_add(&m, &b, ETL_K_IMAGE_DCSTART, 0, 8), 0);
	assert_int_equal(etl_modmap_add(&m, &b, ETL_K_IMAGE_UNLOAD, 1000, 8), 0);
	assert_int_equal(etl_modmap_add(&m, &c, ETL_K_IMAGE_LOAD, 2000, 8), 0);
	assert_int_equal(etl_modmap_add(&m, &u, ETL_K_IMAGE_LOAD, 50, 8), 0);
	assert_int_equal(etl_modmap_finalize(&m), 0);
	assert_int_equal(m.n, 4);
	for (size_t i = 0; i < m.n; i++)
		m.v[i].id = (int32_t)i;
	const struct etl_module *e = etl_modmap_lookup(&m, 0xfffff80001000100ull, 0, 5, 8);
	assert_non_null(e);
	assert_string_equal(e->name, "ndis.sys");
	assert_true(e->load_ns == INT64_MIN && e->unload_ns == INT64_MAX);
	e = etl_modmap_lookup(&m, 0xfffff80002000100ull, 0, 500, 8);
	assert_string_equal(e->name, "old.sys");
	assert_true(e->unload_ns == 1000);
	e = etl_modmap_lookup(&m, 0xfffff80002000100ull, 0, 3000, 8);
	assert_string_equal(e->name, "new.sys");
	assert_true(e->load_ns == 2000);
	/* beyond new.sys's size but inside old.sys: only old.sys contains it */
	e = etl_modmap_lookup(&m, 0xfffff8000200c000ull, 0, 3000, 8);
	assert_string_equal(e->name, "old.sys");
	/* user image only in its process */
	e = etl_modmap_lookup(&m, 0x401000, 1234, 100, 8);
	assert_non_null(e);
	assert_string_equal(e->name, "app.exe");
	assert_null(etl_modmap_lookup(&m, 0x401000, 999, 100, 8));
	assert_null(etl_modmap_lookup(&m, 0xfffff80003000000ull, 0, 100, 8));
	assert_int_equal(etl_modmap_count_sys(&m), 3);
	assert_true(etl_image_is_kernel_sys(&a, 8));
	assert_false(etl_image_is_kernel_sys(&u, 8));
	etl_modmap_free(&m);
}

static void test_stack_cache(void **state)
{
	(void)state;
	struct etl_stack_cache c;
	etl_stack_cache_init(&c);
	uint8_t frames[4 * 8];
	struct etl_stack s = {.key = 0xAA, .frames = frames, .n_frames = 3, .psize = 8};
	/* key 0xAA: first (deleted at t=100) three frames */
	etl_put64(frames, 0xfffff80000000010ull);
	etl_put64(frames + 8, 0xfffff80001000020ull);
	etl_put64(frames + 16, 0xfffff80000000030ull);
	assert_int_equal(etl_stack_cache_add(&c, &s, 100), 0);
	/* key 0xAA reused: defined again at rundown t=500, one frame */
	s.n_frames = 1;
	etl_put64(frames, 0xfffff80001000040ull);
	assert_int_equal(etl_stack_cache_add(&c, &s, 500), 0);
	/* a user key: frames stay addresses (each sample resolves them in its own process) */
	s.key = 0xBB;
	etl_put64(frames, 0x400100);
	assert_int_equal(etl_stack_cache_add(&c, &s, 600), 0);
	etl_stack_cache_sort(&c);

	const struct etl_stack_def *def = etl_stack_cache_find(&c, 0xAA, 50);
	assert_non_null(def);
	assert_int_equal(def->n_frames, 3);
	assert_true(etl_stack_def_frame(&c, def, 1) == 0xfffff80001000020ull);
	def = etl_stack_cache_find(&c, 0xAA, 200);
	assert_int_equal(def->n_frames, 1);
	assert_true(etl_stack_def_frame(&c, def, 0) == 0xfffff80001000040ull);
	def = etl_stack_cache_find(&c, 0xAA, 900); /* after the last definition: use it */
	assert_int_equal(def->n_frames, 1);
	def = etl_stack_cache_find(&c, 0xBB, 10);
	assert_int_equal(def->n_frames, 1);
	assert_true(etl_stack_def_frame(&c, def, 0) == 0x400100);
	assert_null(etl_stack_cache_find(&c, 0xCC, 10));
	etl_stack_cache_free(&c);
}

/* Issue 13: one image spelled two ways is one module; System's user-space images are not a
 * global fallback; implausible image events are recognised. */
static void test_modmap_identity(void **state)
{
	(void)state;
	struct etl_modmap m;
	etl_modmap_init(&m);
	struct etl_image a = img("\\Device\\HarddiskVolume2\\Windows\\System32\\X.dll", 0x7ff00000,
				 0x1000, 50);
	struct etl_image b = img("\\Windows\\system32\\x.dll", 0x7ff00000, 0x1000, 50);
	struct etl_image sys = img("\\SystemRoot\\System32\\ntdll.dll", 0x7ffe0000, 0x1000, 4);
	assert_int_equal(etl_modmap_add(&m, &a, ETL_K_IMAGE_LOAD, 10, 8), 0);
	assert_int_equal(etl_modmap_add(&m, &b, ETL_K_IMAGE_UNLOAD, 90, 8), 0);
	assert_int_equal(etl_modmap_add(&m, &sys, ETL_K_IMAGE_DCSTART, 0, 8), 0);
	assert_int_equal(etl_modmap_finalize(&m), 0);
	assert_int_equal(m.n, 2);
	const struct etl_module *e = etl_modmap_lookup(&m, 0x7ff00010, 50, 50, 8);
	assert_non_null(e);
	assert_true(e->load_ns == 10 && e->unload_ns == 90);
	assert_non_null(etl_modmap_lookup(&m, 0x7ffe0010, 4, 50, 8));
	assert_null(etl_modmap_lookup(&m, 0x7ffe0010, 50, 50, 8)); /* not global */
	assert_null(etl_modmap_lookup(&m, 0x7ffe0010, 0, 50, 8));
	char n[64];
	etl_path_norm("\\??\\C:\\Program Files\\A.EXE", n, sizeof n);
	assert_string_equal(n, "\\program files\\a.exe");
	etl_path_norm("\\SystemRoot\\system32\\ntoskrnl.exe", n, sizeof n);
	assert_string_equal(n, "\\windows\\system32\\ntoskrnl.exe");
	etl_path_norm("\\SystemRootX\\a", n, sizeof n);
	assert_string_equal(n, "\\systemrootx\\a");
	struct etl_image bad[] = {
		img("", 0x1000, 0x1000, 8), img("a.dll", 0x1000, 0, 8),
		img("a.dll", 0xFFFFFFFFFFFFF000ull, 0x2000, 0), img("a.dll", 0x1000, 0x1000, 0x80000000u),
		img("a.dll", 0xFFFFF000u, 0x2000, 8),
	};
	for (size_t i = 0; i < 4; i++)
		assert_true(etl_image_implausible(&bad[i], 8));
	assert_true(etl_image_implausible(&bad[4], 4));
	assert_false(etl_image_implausible(&bad[4], 8));
	assert_false(etl_image_implausible(&a, 8));
	etl_modmap_free(&m);
}

static void test_tidmap(void **state)
{
	(void)state;
	struct etl_tidmap t;
	etl_tidmap_init(&t);
	for (uint32_t i = 1; i < 5000; i++)
		assert_int_equal(etl_tidmap_set(&t, i * 4, i), 0);
	assert_int_equal(etl_tidmap_set(&t, 8, 999), 0);
	assert_int_equal(etl_tidmap_get(&t, 8, 0), 999);
	assert_int_equal(etl_tidmap_get(&t, 4 * 4321, 0), 4321);
	assert_int_equal(etl_tidmap_get(&t, 3, 7), 7);
	assert_int_equal(etl_tidmap_get(&t, 0, 7), 0); /* idle thread */
	etl_tidmap_free(&t);
}

static struct etl_pending_sample *push(struct etl_pending *p, uint64_t ts, uint32_t tid)
{
	struct etl_pending_sample *s = etl_pending_push(p, ts);
	if (s) {
		s->s.t_ns = (int64_t)ts;
		s->s.tid = tid;
	}
	return s;
}

static void test_pending(void **state)
{
	(void)state;
	struct etl_pending p;
	assert_int_equal(etl_pending_init(&p, 4, 100), 0);
	assert_non_null(push(&p, 10, 1));
	assert_non_null(push(&p, 20, 1));
	assert_non_null(push(&p, 20, 2));
	/* two samples of thread 1 at one time take stack events in turn */
	struct etl_pending_sample *a = push(&p, 30, 1), *b = push(&p, 30, 1);
	assert_null(b); /* full: the caller must let the oldest leave first */
	assert_true(etl_pending_due(&p, 30) == etl_pending_find(&p, 10, 1, 0)); /* full */
	etl_pending_pop(&p);
	b = push(&p, 30, 1);
	assert_non_null(b);
	assert_true(etl_pending_find(&p, 30, 1, 0) == a);
	a->stack_kinds |= 1;
	assert_true(etl_pending_find(&p, 30, 1, 0) == b);
	b->stack_kinds |= 1;
	assert_true(etl_pending_find(&p, 30, 1, 0) == a); /* all have one: the first */
	assert_true(etl_pending_find(&p, 30, 1, 2) == a);
	assert_true(etl_pending_find(&p, 20, 2, 0)->s.tid == 2);
	assert_null(etl_pending_find(&p, 20, 3, 0));
	assert_null(etl_pending_find(&p, 25, 1, 0));
	/* where a DPC's interval starts its search: the first sample at or after a time (the
	 * ring has wrapped: b sits in slot 0) */
	assert_int_equal(etl_pending_lower(&p, 0), 0);
	assert_int_equal(etl_pending_lower(&p, 20), 0);
	assert_int_equal(etl_pending_lower(&p, 21), 2);
	assert_int_equal(etl_pending_lower(&p, 31), 4);
	assert_true(etl_pending_at(&p, 2) == a);
	assert_true(etl_pending_at(&p, 3) == b);
	assert_null(etl_pending_at(&p, 4));
	/* sample 10 left: a stack for time <= 10 came too late, later ones did not */
	assert_true(etl_pending_too_late(&p, 10));
	assert_true(etl_pending_too_late(&p, 5));
	assert_false(etl_pending_too_late(&p, 11));
	/* time order only: an older sample is refused */
	etl_pending_pop(&p);
	assert_null(push(&p, 15, 1));
	/* the horizon: samples older than t - 100 leave */
	assert_null(etl_pending_due(&p, 120));
	assert_non_null(etl_pending_due(&p, 121));
	while (etl_pending_due(&p, INT64_MAX))
		etl_pending_pop(&p);
	assert_int_equal(p.count, 0);
	etl_pending_free(&p);
}

/* A half's heap bytes: 12 per frame of capacity (8, then doubling up to the 256 kept),
 * counted into the shared counter as the half grows and taken off when it is freed. */
static void test_frame_bytes(void **state)
{
	(void)state;
	struct etl_frames h = {0}, k = {0};
	size_t bytes = 0;
	assert_int_equal(etl_frames_add(&h, 0x1000, 3, &bytes), 0);
	assert_int_equal(bytes, 8 * 12);
	for (uint64_t i = 1; i < 9; i++)
		assert_int_equal(etl_frames_add(&h, 0x1000 + i, (int32_t)i - 1, &bytes), 0);
	assert_int_equal(bytes, 16 * 12);
	assert_int_equal(etl_frames_add(&k, 0x2000, -1, &bytes), 0);
	assert_int_equal(bytes, 16 * 12 + 8 * 12);
	for (uint64_t i = 9; i < 600; i++) /* beyond 256: dropped, no growth */
		assert_int_equal(etl_frames_add(&h, 0x1000 + i, 7, &bytes), 0);
	assert_int_equal(h.n, ETL_PENDING_MAX_HALF);
	assert_int_equal(bytes, 256 * 12 + 8 * 12);
	assert_int_equal(etl_frames_bytes(&h), 256 * 12);
	assert_true(h.addr[0] == 0x1000 && h.mod[0] == 3);
	assert_true(h.addr[8] == 0x1008 && h.mod[8] == 7);
	assert_true(h.addr[255] == 0x1000 + 255 && h.mod[255] == 7);
	assert_true(k.addr[0] == 0x2000 && k.mod[0] == -1);
	etl_frames_free(&h, &bytes);
	assert_int_equal(bytes, 8 * 12);
	etl_frames_free(&k, &bytes);
	assert_int_equal(bytes, 0);
	assert_null(h.addr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modmap),
		cmocka_unit_test(test_stack_cache),
		cmocka_unit_test(test_modmap_identity),
		cmocka_unit_test(test_tidmap),
		cmocka_unit_test(test_frame_bytes),
		cmocka_unit_test(test_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
