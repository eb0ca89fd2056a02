/* test_api_drivers.c — the drivers/findings API's own parsing: ?cpus lists and ranges
 * (bounds, garbage, repeats), the ms-window → trace-ns conversion (open ends, overflow),
 * and the JSON documents called directly (no HTTP). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "api.h"
#include "api_params.h"
#include "db.h"
#include "db_etw.h"
#include "find_test_run.h"

static int cpus(const char *q, struct db_cpu_set *s)
{
	struct api_request rq = {.query = q};
	cJSON *err = NULL;
	int r = api_param_cpus(&rq, s, &err);
	if (r < 0) {
		assert_non_null(err);
		cJSON_Delete(err);
	}
	return r;
}

static void cpu_lists(void **state)
{
	(void)state;
	struct db_cpu_set s;
	assert_int_equal(cpus(NULL, &s), 0);
	assert_int_equal(cpus("from=1", &s), 0);
	assert_int_equal(cpus("cpus=0,2,4-6&cpus=2047", &s), 1);
	for (unsigned c = 0; c < DB_MAX_CPUS; c++)
		assert_int_equal(db_cpu_set_has(&s, c), c == 0 || c == 2 || (c >= 4 && c <= 6) || c == 2047);
	static const char *const bad[] = {"cpus=x", "cpus=2048", "cpus=1-", "cpus=3-1", "cpus=1;2",
					  "cpus=-1", "cpus=1,,2", "cpus=99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(cpus(bad[i], &s), -1);
}

static void windows(void **state)
{
	(void)state;
	int64_t a, b;
	api_window_ns(1000000, INT64_MIN, INT64_MAX, &a, &b);
	assert_true(a == INT64_MIN && b == INT64_MAX);
	api_window_ns(1000000, 1500000, 3000000, &a, &b);
	assert_int_equal(a, 500000000);
	assert_int_equal(b, 2000000000);
	api_window_ns(0, INT64_MAX - 1, INT64_MIN + 1, &a, &b);
	assert_true(a == INT64_MAX && b == INT64_MIN);
}

static void documents(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = ft_open(path, sizeof path);
	cJSON *out = NULL;
	struct api_request rq = {.query = NULL};
	assert_int_equal(api_run_drivers(db, "nope", &rq, &out), 404);
	cJSON_Delete(out);
	assert_int_equal(api_run_findings(db, "0123456789abcdef0123456789abcdef", &rq, &out), 404);
	cJSON_Delete(out);
	ft_close(db, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpu_lists), cmocka_unit_test(windows), cmocka_unit_test(documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
