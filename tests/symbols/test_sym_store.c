/* test_sym_store.c — the pieces of a SymStore lookup that need no network: PDB base names
 * taken from RSDS records (path tricks refused), the GUID+age key text, and the cache's LRU
 * trimming by bytes (mtimes set here by hand). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "symbols/sym_cache.h"
#include "symbols/sym_find.h"

static void test_basenames(void **state)
{
	(void)state;
	static const struct {
		const char *raw, *want; /* want NULL: refused */
	} rows[] = {
		{"d:\\os\\obj\\amd64fre\\ntkrnlmp.pdb", "ntkrnlmp.pdb"},
		{"/src/out/ndis.pdb", "ndis.pdb"},
		{"Wdf01000.PDB", "Wdf01000.PDB"},
		{"nvlddmkm_x64-v2+r~1$.pdb", "nvlddmkm_x64-v2+r~1$.pdb"},
		{"", NULL},
		{".pdb", NULL},
		{"..\\..\\.pdb", NULL},
		{"x.exe", NULL},
		{"a b.pdb", NULL},
		{"x%2f.pdb", NULL},
		{"x?.pdb", NULL},
		{"c:\\dir\\", NULL},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char out[256];
		int rc = sym_pdb_basename(rows[i].raw, out, sizeof out);
		if (rows[i].want) {
			if (rc != 0)
				fail_msg("\"%s\" refused", rows[i].raw);
			assert_string_equal(out, rows[i].want);
		} else if (rc == 0) {
			fail_msg("\"%s\" accepted as \"%s\"", rows[i].raw, out);
		}
	}
	char long_name[301];
	memset(long_name, 'a', 296);
	strcpy(long_name + 296, ".pdb");
	char out[512];
	assert_int_equal(sym_pdb_basename(long_name, out, sizeof out), -1);
}

static void test_keys(void **state)
{
	(void)state;
	/* GUID {5EE84F8E-67D8-8999-4C4C-44205044422E}, stored Data1..3 little-endian. */
	static const uint8_t want[16] = {0x8e, 0x4f, 0xe8, 0x5e, 0xd8, 0x67, 0x99, 0x89,
					 0x4c, 0x4c, 0x44, 0x20, 0x50, 0x44, 0x42, 0x2e};
	uint8_t g[16];
	uint32_t age = 0;
	assert_int_equal(sym_key_parse("5EE84F8E67D889994C4C44205044422E1A", g, &age), 0);
	assert_memory_equal(g, want, 16);
	assert_int_equal(age, 0x1a);
	assert_int_equal(sym_key_parse("5ee84f8e67d889994c4c44205044422e1", g, &age), 0);
	assert_int_equal(age, 1);
	static const char *bad[] = {
		"", "5EE84F8E67D889994C4C44205044422E", "5EE84F8E-67D8-8999-4C4C-44205044422E1",
		"5EE84F8E67D889994C4C44205044422EX", "5EE84F8E67D889994C4C44205044422E1FFFFFFFFF"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sym_key_parse(bad[i], g, &age) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
}

/* Writes DIR/name/KEY/name of size bytes with mtime t (seconds). */
static void put(const char *dir, const char *name, const char *key, size_t size, time_t t,
		char *path)
{
	char d[400];
	snprintf(d, sizeof d, "%s/%s", dir, name);
	mkdir(d, 0755);
	snprintf(d, sizeof d, "%s/%s/%s", dir, name, key);
	mkdir(d, 0755);
	snprintf(path, 512, "%s/%s", d, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc('x', f);
	fclose(f);
	struct timespec ts[2] = {{t, 0}, {t, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_cache_trim(void **state)
{
	(void)state;
	char dir[] = "/tmp/etlscope-symcache-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char a[512], b[512], c[512], other[512];
	put(dir, "a.pdb", "K1", 1000, 1000, a);
	put(dir, "b.pdb", "K2", 1000, 2000, b);
	put(dir, "c.pdb", "K3", 1000, 3000, c);
	put(dir, "notes.txt", "K4", 5000, 10, other); /* not a PDB: never counted nor removed */
	assert_int_equal(sym_cache_trim(dir, 2500, NULL), 2000);
	assert_int_equal(access(a, F_OK), -1);
	char adir[600];
	snprintf(adir, sizeof adir, "%s/a.pdb", dir);
	assert_int_equal(access(adir, F_OK), -1); /* emptied directories go too */
	assert_int_equal(access(b, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);
	/* A touch makes b the most recent; the kept file survives even when oldest. */
	sym_cache_touch(b);
	assert_int_equal(sym_cache_trim(dir, 1000, c), 1000);
	assert_int_equal(access(c, F_OK), 0);
	assert_int_equal(access(b, F_OK), -1);
	assert_int_equal(sym_cache_trim("/nonexistent/etlscope", 1, NULL), -1);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basenames),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_cache_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
