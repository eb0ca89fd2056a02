/* test_db_etw_check.c — the ETW sink's per-record checks on DPC/ISR records it must skip:
 * a CPU number past 2,047, a time past 2^60 - 1 ns (36.5 years into the trace), an unknown
 * kind. Each is skipped with its one warning, and nothing is stored (no database is opened:
 * a skipped record must not reach the store). Bounds worked by hand, not taken from the
 * headers: DB_MAX_CPUS = 2,048 CPUs, AGG_MAX_T_NS = 2^60 - 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "db/db_etw_sink.h"

struct log {
	int n;
	char code[64];
};

static int on_warn(void *ud, const char *code, const char *message)
{
	struct log *l = ud;
	(void)message;
	l->n++;
	snprintf(l->code, sizeof l->code, "%s", code);
	return 0;
}

static void test_skipped_records(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int64_t t_ns;
		unsigned cpu, kind;
		int32_t module;
		const char *code; /* the one warning */
	} cases[] = {
		{"CPU 2048, the first past the last", 1000, 2048, 0, -1, "cpu_out_of_range"},
		{"CPU 65535", 1000, 65535, 1, -1, "cpu_out_of_range"},
		{"CPU and time both out: the CPU is named", (int64_t)1 << 60, 4096, 0, -1, "cpu_out_of_range"},
		{"time 2^60 ns, the first past 2^60 - 1", (int64_t)1 << 60, 0, 0, -1, "time_out_of_range"},
		{"time INT64_MAX", INT64_MAX, 2047, 2, -1, "time_out_of_range"},
		{"time out, module never declared: the time is named", (int64_t)1 << 61, 3, 0, 7, "time_out_of_range"},
		{"kind 5, past the five kinds", 1000, 0, 5, -1, "unknown_dpcisr_kind"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct log l = {0};
		struct db_etw *e = db_etw_begin(NULL, 1, on_warn, &l);
		assert_non_null(e);
		struct sink_dpcisr d = {.t_ns = cases[i].t_ns, .duration_ns = 50000,
					.cpu = (uint16_t)cases[i].cpu, .kind = (uint8_t)cases[i].kind,
					.module_id = cases[i].module, .routine = 0xfffff80072a01234ull};
		int rc = db_etw_dpcisr(e, &d);
		if (rc != 0 || l.n != 1 || strcmp(l.code, cases[i].code) != 0)
			print_error("case \"%s\": rc %d, %d warnings, last %s\n", cases[i].name, rc, l.n,
				    l.n ? l.code : "-");
		assert_int_equal(rc, 0);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.code, cases[i].code);
		db_etw_free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skipped_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
