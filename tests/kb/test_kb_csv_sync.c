/* test_kb_csv_sync.c — kb/drivers.csv must be a byte-identical copy of
 * ../shared/drivers/drivers.csv when that file exists (skipped when it does not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static void test_copy_is_current(void **state)
{
	(void)state;
	FILE *shared = fopen(SHARED_DIR "/drivers/drivers.csv", "rb");
	if (!shared)
		skip();
	FILE *ours = fopen(KB_CSV, "rb");
	assert_non_null(ours);
	char a[65536], b[65536];
	int same = 1;
	for (;;) {
		size_t na = fread(a, 1, sizeof a, shared), nb = fread(b, 1, sizeof b, ours);
		if (na != nb || memcmp(a, b, na) != 0) {
			same = 0;
			break;
		}
		if (na == 0)
			break;
	}
	fclose(shared);
	fclose(ours);
	if (!same)
		fail_msg("kb/drivers.csv differs from ../shared/drivers/drivers.csv: copy the new one in");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_is_current),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
