/* test_pdb.c — the PDB reader against a PDB written by lld-link from tests/symbols/fixtures:
 * every procedure (global and static), every code public and every DLL export resolves to
 * its name at the address llvm-pdbutil / llvm-objdump give; data, gaps and other sections do
 * not; the identity matches llvm-pdbutil's GUID and age. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "symbols/pdb.h"
#include "pdb_fixture.h"

static fx F;

static int setup(void **state)
{
	(void)state;
	fx_load(&F); /* missing fixture: each test skips */
	return 0;
}

static pdb *open_fixture(void)
{
	if (F.n == 0)
		skip(); /* no clang-cl / lld-link / llvm-pdbutil: see gen_pdb.sh */
	char err[PDB_ERR_LEN] = "";
	pdb *p = pdb_open(F.pdb, err, sizeof err);
	if (!p)
		fail_msg("pdb_open: %s", err);
	return p;
}

static void expect_name(const pdb *p, uint32_t rva, const char *name, uint32_t off)
{
	const char *got = NULL;
	uint32_t got_off = 0;
	if (!pdb_lookup(p, rva, &got, &got_off))
		fail_msg("rva 0x%x: not found, expected %s+0x%x", rva, name, off);
	assert_string_equal(got, name);
	assert_int_equal(got_off, off);
}

static void expect_none(const pdb *p, uint32_t rva)
{
	const char *got = NULL;
	uint32_t off = 0;
	if (pdb_lookup(p, rva, &got, &off))
		fail_msg("rva 0x%x: expected nothing, got %s+0x%x", rva, got, off);
}

static const fx_row *proc_at(uint32_t rva)
{
	for (size_t i = 0; i < F.n; i++)
		if (!strcmp(F.rows[i].kind, "proc") && F.rows[i].a == rva)
			return &F.rows[i];
	return NULL;
}

static void test_procs_first_and_last_byte(void **state)
{
	(void)state;
	pdb *p = open_fixture();
	int procs = 0, statics = 0;
	for (size_t i = 0; i < F.n; i++) {
		const fx_row *r = &F.rows[i];
		if (strcmp(r->kind, "proc"))
			continue;
		procs++;
		statics += !strncmp(r->name, "helper_", 7); /* static: no public of that name */
		expect_name(p, r->a, r->name, 0);
		expect_name(p, r->a + r->b - 1, r->name, r->b - 1);
	}
	assert_int_equal(procs, 5);
	assert_int_equal(statics, 2);
	pdb_close(p);
}

static void test_publics_and_exports(void **state)
{
	(void)state;
	pdb *p = open_fixture();
	int code = 0, data = 0, exports = 0;
	for (size_t i = 0; i < F.n; i++) {
		const fx_row *r = &F.rows[i];
		if (!strcmp(r->kind, "public") && r->b == 1) {
			/* A public shares its rva with the procedure of the same (C) name, if any. */
			const fx_row *pr = proc_at(r->a);
			expect_name(p, r->a, pr ? pr->name : r->name, 0);
			code++;
		} else if (!strcmp(r->kind, "public")) {
			expect_none(p, r->a); /* a data public in .rdata: not a function */
			data++;
		} else if (!strcmp(r->kind, "export")) {
			expect_name(p, r->a, r->name, 0);
			exports++;
		}
	}
	assert_int_equal(code, 5);
	assert_int_equal(data, 1);
	assert_int_equal(exports, 5);
	/* Procedures and code publics after merging by address: 5 procs + 2 public-only. */
	assert_int_equal(pdb_symbol_count(p), 7);
	pdb_close(p);
}

static void test_outside_sections(void **state)
{
	(void)state;
	pdb *p = open_fixture();
	uint32_t first_text = 0, end_max = 0;
	for (size_t i = 0; i < F.n; i++) {
		const fx_row *r = &F.rows[i];
		if (strcmp(r->kind, "section"))
			continue;
		/* The first byte past each section's VirtualSize belongs to no symbol. */
		expect_none(p, r->a + r->b);
		if (!strcmp(r->name, "1"))
			first_text = r->a;
		if (r->a + r->b > end_max)
			end_max = r->a + r->b;
	}
	assert_true(first_text > 0);
	expect_none(p, first_text - 1);
	expect_none(p, 0);
	expect_none(p, end_max + 0x10000);
	expect_none(p, UINT32_MAX);
	pdb_close(p);
}

static void test_identity(void **state)
{
	(void)state;
	pdb *p = open_fixture();
	const char *want = NULL;
	for (size_t i = 0; i < F.n; i++)
		if (!strcmp(F.rows[i].kind, "guid"))
			want = F.rows[i].name;
	assert_non_null(want);
	char key[42];
	pdb_guid_age_text(pdb_id(p)->guid, pdb_id(p)->age, key);
	assert_string_equal(key, want);
	assert_true(pdb_matches(p, pdb_id(p)->guid, pdb_id(p)->dbi_age));
	uint8_t other[16];
	memcpy(other, pdb_id(p)->guid, 16);
	other[15] ^= 1;
	assert_false(pdb_matches(p, other, pdb_id(p)->age));
	assert_false(pdb_matches(p, pdb_id(p)->guid, pdb_id(p)->age + 1));
	pdb_close(p);
}

static void test_guid_text_by_hand(void **state)
{
	(void)state;
	/* GUID {5EE84F8E-67D8-8999-4C4C-44205044422E} as stored: Data1..3 little-endian. */
	static const uint8_t g[16] = {0x8e, 0x4f, 0xe8, 0x5e, 0xd8, 0x67, 0x99, 0x89,
				      0x4c, 0x4c, 0x44, 0x20, 0x50, 0x44, 0x42, 0x2e};
	char key[42];
	pdb_guid_age_text(g, 0x1a, key);
	assert_string_equal(key, "5EE84F8E67D889994C4C44205044422E1A");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procs_first_and_last_byte),
		cmocka_unit_test(test_publics_and_exports),
		cmocka_unit_test(test_outside_sections),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_guid_text_by_hand),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
