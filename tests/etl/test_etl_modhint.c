/* test_etl_modhint.c — the module lookup's per-granule hint (etl_modhint.h): a hint answers
 * only for an address its module holds, in that module's space, between its load and unload;
 * a table of (module in the slot, query, answer) rows, the answers worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_modhint.h"

#define KBASE 0xfffff80072a00000ull /* a kernel driver: 1.5 MiB, loaded at 1 s, gone at 9 s */

static const struct etl_module ndis = {
	.space = 0, .base = KBASE, .size = 0x180000, .load_ns = 1000000000,
	.unload_ns = 9000000000};
static const struct etl_module app = { /* app.exe in process 1234 (space 1235) */
	.space = 1235, .base = 0x7ff600000000ull, .size = 0x10000, .load_ns = INT64_MIN,
	.unload_ns = INT64_MAX};

struct row {
	const char *what;
	const struct etl_module *in_slot; /* set for the query's granule first (NULL: none) */
	uint64_t addr, space;
	int64_t t_ns;
	const struct etl_module *want;
};

static const struct row rows[] = {
	{"empty slot", NULL, KBASE + 0x100, 0, 2000000000, NULL},
	{"inside, in its time", &ndis, KBASE + 0x100, 0, 2000000000, &ndis},
	{"its first byte at its load", &ndis, KBASE, 0, 1000000000, &ndis},
	{"its last byte at its unload", &ndis, KBASE + 0x17FFFF, 0, 9000000000, &ndis},
	{"one byte past its end (same granule as its last)", &ndis, KBASE + 0x180000, 0,
	 2000000000, NULL},
	{"one byte before its base", &ndis, KBASE - 1, 0, 2000000000, NULL},
	{"before its load", &ndis, KBASE + 0x100, 0, 999999999, NULL},
	{"after its unload", &ndis, KBASE + 0x100, 0, 9000000001, NULL},
	{"the address in a process's space", &ndis, KBASE + 0x100, 5, 2000000000, NULL},
	{"a user module in its process", &app, 0x7ff600001234ull, 1235, 0, &app},
	{"the same address in another process", &app, 0x7ff600001234ull, 1236, 0, NULL},
	{"the same address in the kernel's space", &app, 0x7ff600001234ull, 0, 0, NULL},
	{"a user module at the first and last times", &app, 0x7ff60000FFFFull, 1235, INT64_MIN,
	 &app},
};

static void test_hint_table(void **state)
{
	(void)state;
	static struct etl_modhint h;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		const struct row *r = &rows[i];
		print_message("row %zu: %s\n", i, r->what);
		etl_modhint_clear(&h);
		const struct etl_module **slot = etl_modhint_slot(&h, r->addr);
		*slot = r->in_slot;
		assert_ptr_equal(etl_modhint_get(slot, r->addr, r->space, r->t_ns), r->want);
	}
}

/* The slot is the granule's: every address of a 64 KiB granule shares one slot, the
 * granules of the benchmark's five driver bases (which share their low granule bits: a
 * plain modulo would put three in one slot) have five, and clearing forgets them. */
static void test_slots(void **state)
{
	(void)state;
	static struct etl_modhint h;
	etl_modhint_clear(&h);
	for (uint64_t a = KBASE; a < KBASE + 0x10000; a += 0x1111)
		assert_ptr_equal(etl_modhint_slot(&h, a), etl_modhint_slot(&h, KBASE));
	static const uint64_t bases[] = {0xfffff80070600000ull, 0xfffff80070000000ull,
					 0xfffff80072a00000ull, 0xfffff80073000000ull,
					 0xfffff80074000000ull};
	for (size_t i = 0; i < 5; i++)
		for (size_t j = i + 1; j < 5; j++)
			assert_ptr_not_equal(etl_modhint_slot(&h, bases[i]),
					     etl_modhint_slot(&h, bases[j]));
	const struct etl_module **s = etl_modhint_slot(&h, KBASE);
	*s = &ndis;
	etl_modhint_clear(&h);
	assert_null(*s);
	assert_null(etl_modhint_get(s, KBASE + 0x100, 0, 2000000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hint_table),
		cmocka_unit_test(test_slots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
