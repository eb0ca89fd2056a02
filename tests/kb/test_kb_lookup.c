/* test_kb_lookup.c — kb_lookup(): names and full image paths in any case, collisions,
 * patterns and rename rules, unknown names, and odd or hostile inputs. Expected rows are
 * those of kb/drivers.csv as documented in ../shared/research/drivers.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "kb/kb.h"

/* Looks image up and expects exactly one row: driver, vendor, category. */
static const struct kb_entry *one(const char *image, const char *driver, const char *vendor,
				  const char *category)
{
	const struct kb_entry *out[KB_MATCH_MAX];
	size_t n = kb_lookup(image, out, KB_MATCH_MAX);
	if (n != 1)
		fail_msg("%s: %zu rows, expected 1", image, n);
	assert_string_equal(out[0]->driver, driver);
	assert_string_equal(out[0]->vendor, vendor);
	assert_string_equal(out[0]->category, category);
	return out[0];
}

static size_t count(const char *image)
{
	const struct kb_entry *out[KB_MATCH_MAX];
	return kb_lookup(image, out, KB_MATCH_MAX);
}

static void test_exact_names_and_paths(void **state)
{
	(void)state;
	const struct kb_entry *e = one("\\SystemRoot\\System32\\drivers\\CLFS.SYS", "clfs.sys",
				       "Microsoft", "microsoft-inbox");
	assert_string_equal(kb_category_label(e->category), "Microsoft in-box");
	assert_true(kb_is_microsoft(e));
	assert_string_equal(e->altitude, "");

	static const char *const ndis[] = {
		"ndis.sys",
		"NDIS.SYS",
		"Ndis.Sys",
		"ndis",
		"\\SystemRoot\\System32\\drivers\\NDIS.SYS",
		"C:\\Windows\\system32\\drivers\\ndis.sys",
		"\\Device\\HarddiskVolume2\\Windows\\System32\\drivers\\ndis.sys",
		"\\??\\C:\\Windows\\System32\\drivers\\ndis.sys",
		"/mnt/c/Windows/System32/drivers/ndis.sys",
		"C:\\Windows\\System32\\drivers/ndis.sys",
		"drivers\\ndis.sys\\",
	};
	for (size_t i = 0; i < sizeof ndis / sizeof ndis[0]; i++)
		assert_true(kb_is_microsoft(one(ndis[i], "ndis.sys", "Microsoft", "microsoft-inbox")));

	e = one("\\SystemRoot\\system32\\drivers\\tedrdrv.sys", "tedrdrv.sys",
		"Palo Alto Networks", "edr");
	assert_string_equal(e->altitude, "380430");
	assert_string_equal(kb_category_label(e->category), "EDR");
	assert_false(kb_is_microsoft(e));

	e = one("C:\\Windows\\System32\\DRIVERS\\iansw60e.sys", "iansw60e.sys", "Intel",
		"nic-teaming");
	assert_string_equal(kb_category_label(e->category), "NIC teaming");
	assert_string_equal(e->source, "incident");

	e = one("\\SystemRoot\\system32\\ntoskrnl.exe", "ntoskrnl.exe", "Microsoft",
		"microsoft-inbox");
	assert_string_equal(e->altitude, "425500;425000"); /* several, highest first */
	one("HAL.DLL", "hal.dll", "Microsoft", "microsoft-inbox");
	/* Names listed without extension got ".sys" (drivers.md); so do bare names here. */
	one("Klif", "klif.sys", "Kaspersky Lab", "antivirus");
	/* Multi-valued altitude, highest first. */
	e = one("klif.sys", "klif.sys", "Kaspersky Lab", "antivirus");
	assert_string_equal(e->altitude, "320401;320400");
}

static void test_collisions_return_every_row(void **state)
{
	(void)state;
	const struct kb_entry *out[KB_MATCH_MAX];
	size_t n = kb_lookup("\\SystemRoot\\System32\\drivers\\CBFLTFS4.SYS", out, KB_MATCH_MAX);
	assert_int_equal(n, 4);
	static const char *const vendors[] = { "Backup Systems Ltd", "I3D Technology Inc",
					       "Nomadesk", "Simopro Technology" };
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(out[i]->driver, "cbfltfs4.sys");
		assert_string_equal(out[i]->vendor, vendors[i]); /* CSV order */
	}
	assert_string_equal(out[1]->category, "security-other");

	n = kb_lookup("cbfilter20.sys", out, KB_MATCH_MAX);
	assert_int_equal(n, 12); /* drivers.md: CBFS default names, up to 12 companies */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(out[i]->vendor, out[k]->vendor);

	/* Fewer slots than rows: fills them and says so, never writes past max. */
	const struct kb_entry *small[4] = { NULL, NULL, NULL, NULL };
	assert_int_equal(kb_lookup("cbfilter20.sys", small, 3), 3);
	assert_null(small[3]);
	assert_ptr_equal(small[0], out[0]);
	assert_int_equal(kb_lookup("cbfilter20.sys", small, 1), 1);

	/* Vendor lineage and WDK sample names. */
	assert_true(count("symevnt.sys") >= 2);
	assert_int_equal(count("aafs.sys"), 2);
}

static void test_patterns_and_renames(void **state)
{
	(void)state;
	/* Defender's MpKslDrv.sys deployed as MpKsl<8 hex>.sys. */
	const struct kb_entry *e = one("\\SystemRoot\\System32\\Drivers\\MpKsl1a2b3c4d.sys",
				       "mpksldrv.sys", "Microsoft", "antivirus");
	assert_true(kb_is_microsoft(e));
	assert_string_equal(kb_category_label(e->category), "Antivirus");
	/* The literal name matches once, not once more through its own rule. */
	one("MpKslDrv.sys", "mpksldrv.sys", "Microsoft", "antivirus");

	/* Pismo pfmfs_???.sys: exactly three characters. */
	one("pfmfs_abc.sys", "pfmfs_???.sys", "Pismo Technic Inc.", "virtualization");
	one("PFMFS_0A9.SYS", "pfmfs_???.sys", "Pismo Technic Inc.", "virtualization");
	one("pfmfs_.sys", "pfmfs_.sys", "Pismo Technic Inc", "storage"); /* its own row */
	assert_int_equal(count("pfmfs_ab.sys"), 0);
	assert_int_equal(count("pfmfs_abcd.sys"), 0);

	/* Kaspersky versioned klif: the base klif.sys row. */
	e = one("C:\\Windows\\system32\\drivers\\klif.kes-11-0.sys", "klif.sys", "Kaspersky Lab",
		"antivirus");
	/* A versioned name that is listed literally: its own row first, then klif.sys. */
	const struct kb_entry *out[KB_MATCH_MAX];
	assert_int_equal(kb_lookup("KLIF.KES-21-9.SYS", out, KB_MATCH_MAX), 2);
	assert_string_equal(out[0]->driver, "klif.kes-21-9.sys");
	assert_string_equal(out[0]->vendor, "Kaspersky");
	assert_ptr_equal(out[1], e);
	assert_int_equal(count("klif.sys.bak"), 0);

	/* klupd_* dynamic update drivers. */
	one("klupd_kes-12-6_arkmon.sys", "klupd.sys", "Kaspersky", "antivirus");
	assert_int_equal(kb_lookup("klupd_klif_arkmon.sys", out, KB_MATCH_MAX), 2);
	assert_string_equal(out[0]->driver, "klupd_klif_arkmon.sys");
	assert_string_equal(out[1]->driver, "klupd.sys");
	/* With one slot the exact row wins. */
	assert_int_equal(kb_lookup("klupd_klif_arkmon.sys", out, 1), 1);
	assert_string_equal(out[0]->driver, "klupd_klif_arkmon.sys");
}

static void test_unknown_names(void **state)
{
	(void)state;
	static const char *const unknown[] = {
		"notadriver.sys", "ndis.sys.bak", "ndis.sy", "ndis.dll", "xndis.sys", "ndi.sys",
		"mpksl.dll", "klif.dll", "pfmfs_abc.dll", "ndis.sys:stream", "\xc3\xa9t\xc3\xa9.sys",
		"\xff\xfe.sys", "*", "?", "*.sys", "????.sys",
	};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		if (count(unknown[i]) != 0)
			fail_msg("%s matched", unknown[i]);
}

static void test_odd_inputs_are_safe(void **state)
{
	(void)state;
	const struct kb_entry *out[KB_MATCH_MAX];
	assert_int_equal(kb_lookup(NULL, out, KB_MATCH_MAX), 0);
	assert_int_equal(kb_lookup("ndis.sys", NULL, KB_MATCH_MAX), 0);
	assert_int_equal(kb_lookup("ndis.sys", out, 0), 0);
	static const char *const empty[] = {
		"", "\\", "/", "\\\\\\", "C:\\Windows\\", "\\??\\", ".", "..", "\\.\\", " ",
	};
	for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++)
		assert_int_equal(count(empty[i]), 0);

	/* Long names: up to KB_NAME_MAX is looked at, longer matches nothing; a long path
	 * still resolves through its last component. */
	static char big[4096 + 16];
	memset(big, 'a', 4096);
	memcpy(big + 4096, ".sys", 5);
	assert_int_equal(count(big), 0);
	memset(big, 'a', KB_NAME_MAX - 4);
	memcpy(big + KB_NAME_MAX - 4, ".sys", 5);
	assert_int_equal(count(big), 0);
	memcpy(big, "mpksl", 5); /* 255-character name: still matched by the MpKsl rule */
	assert_int_equal(count(big), 1);
	memset(big, 'a', KB_NAME_MAX);
	memcpy(big, "mpksl", 5);
	memcpy(big + KB_NAME_MAX - 3, ".sys", 5); /* 256 characters */
	assert_int_equal(count(big), 0);
	memset(big, '\\', 4096);
	memcpy(big + 4096, "ndis.sys", 9);
	assert_int_equal(count(big), 1);
	memset(big, '\\', 4096 + 15);
	big[4096 + 15] = '\0';
	assert_int_equal(count(big), 0);
	memset(big, 'a', KB_NAME_MAX); /* 255 characters without a dot: + ".sys" still fits */
	big[KB_NAME_MAX] = '\0';
	assert_int_equal(count(big), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_names_and_paths),
		cmocka_unit_test(test_collisions_return_every_row),
		cmocka_unit_test(test_patterns_and_renames),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_odd_inputs_are_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
