/* test_kb_data.c — the built table against kb/drivers.csv itself: one row per data line,
 * the version string, every row findable by its own name, categories and labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "kb/kb.h"

/* Data lines (non-empty lines after the header) and the FNV-1a 64 hash of the bytes. */
static size_t csv_data_lines(uint64_t *hash)
{
	FILE *f = fopen(KB_CSV, "rb");
	assert_non_null(f);
	size_t lines = 0, len = 0;
	uint64_t h = 0xcbf29ce484222325ull;
	int c;
	while ((c = fgetc(f)) != EOF) {
		h = (h ^ (unsigned char)c) * 0x100000001b3ull;
		if (c == '\n') {
			lines += len > 0;
			len = 0;
		} else if (c != '\r') {
			len++;
		}
	}
	lines += len > 0;
	fclose(f);
	*hash = h;
	return lines - 1;
}

static void test_count_and_version(void **state)
{
	(void)state;
	uint64_t hash;
	size_t rows = csv_data_lines(&hash);
	assert_int_equal(kb_count(), rows);
	assert_int_equal(kb_count(), 3138); /* drivers.md */
	char want[64];
	snprintf(want, sizeof want, "%zu drivers, %012llx", rows,
		 (unsigned long long)(hash >> 16));
	assert_string_equal(kb_version(), want);
	assert_null(kb_at(kb_count()));
	assert_null(kb_at((size_t)-1));
}

static void test_every_row_findable(void **state)
{
	(void)state;
	for (size_t i = 0; i < kb_count(); i++) {
		const struct kb_entry *e = kb_at(i), *out[KB_MATCH_MAX];
		assert_non_null(e);
		size_t n = kb_lookup(e->driver, out, KB_MATCH_MAX);
		size_t hits = 0;
		for (size_t k = 0; k < n; k++)
			hits += out[k] == e;
		if (hits != 1)
			fail_msg("row %zu (%s, %s) found %zu times", i, e->driver, e->vendor, hits);
	}
}

static void test_categories_counted(void **state)
{
	(void)state;
	/* drivers.md, Counts. */
	static const struct { const char *category, *label; size_t rows; } want[] = {
		{ "antivirus", "Antivirus", 720 },
		{ "activity-monitor", "Activity monitor", 624 },
		{ "microsoft-inbox", "Microsoft in-box", 463 },
		{ "other", "Other", 315 },
		{ "security-other", "Other security", 310 },
		{ "encryption", "Encryption", 167 },
		{ "storage", "Storage", 151 },
		{ "backup", "Backup", 115 },
		{ "virtualization", "Virtualization", 103 },
		{ "nic", "NIC", 74 },
		{ "edr", "EDR", 72 },
		{ "graphics", "Graphics", 13 },
		{ "network-filter", "Network filter", 9 },
		{ "nic-teaming", "NIC teaming", 2 },
	};
	size_t total = 0, microsoft = 0;
	for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
		assert_string_equal(kb_category_label(want[w].category), want[w].label);
		size_t n = 0;
		for (size_t i = 0; i < kb_count(); i++)
			n += strcmp(kb_at(i)->category, want[w].category) == 0;
		assert_int_equal(n, want[w].rows);
		total += n;
	}
	assert_int_equal(total, kb_count());
	for (size_t i = 0; i < kb_count(); i++)
		microsoft += kb_is_microsoft(kb_at(i));
	assert_int_equal(microsoft, 506); /* drivers.md: 506 rows have vendor Microsoft */
	assert_null(kb_category_label("Antivirus"));
	assert_null(kb_category_label(""));
	assert_null(kb_category_label(NULL));
	assert_false(kb_is_microsoft(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_and_version),
		cmocka_unit_test(test_every_row_findable),
		cmocka_unit_test(test_categories_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
