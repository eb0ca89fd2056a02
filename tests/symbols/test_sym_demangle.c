/* test_sym_demangle.c — undecorating Microsoft C++ names (symbols/sym_demangle.h): a table
 * of decorated names with the undecorated form written by hand from the declarations in
 * fixtures/cxx_public.cpp (and the rules' other cases: not decorated, unparsable, too long);
 * then the PDB gen_pdb.sh builds from that file (cxxfix.pdb, expect_cxx.txt from
 * llvm-pdbutil) must answer each decorated public's address with the undecorated name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pdb.h"
#include "sym_demangle.h"

static const struct {
	const char *decorated, *undecorated; /* NULL: sym_demangle answers NULL */
	size_t max_len;
} cases[] = {
	/* int etl::Widget::poke(int) — a public member function */
	{"?poke@Widget@etl@@QEAAHH@Z", "etl::Widget::poke(int)", 4096},
	/* static long etl::Widget::count(const char *, unsigned) — "static" is dropped */
	{"?count@Widget@etl@@SAJPEBDI@Z", "etl::Widget::count(char const *, unsigned int)", 4096},
	/* overloads stay apart by their parameters */
	{"?etl_overload@@YAHH@Z", "etl_overload(int)", 4096},
	{"?etl_overload@@YAHG@Z", "etl_overload(unsigned short)", 4096},
	/* a C name is not decorated: kept by the caller as it is */
	{"KeBugCheckEx", NULL, 4096},
	{"", NULL, 4096},
	/* not a valid decoration */
	{"?", NULL, 4096},
	{"?@@@", NULL, 4096},
	/* longer than allowed */
	{"?poke@Widget@etl@@QEAAHH@Z", NULL, 10},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *u = sym_demangle(cases[i].decorated, cases[i].max_len);
		if (!cases[i].undecorated) {
			if (u)
				fail_msg("%s: expected no name, got %s", cases[i].decorated, u);
		} else {
			if (!u)
				fail_msg("%s: expected %s, got none", cases[i].decorated,
					 cases[i].undecorated);
			assert_string_equal(u, cases[i].undecorated);
		}
		free(u);
	}
	assert_null(sym_demangle(NULL, 4096));
}

/* The undecorated form the table gives a decorated name, or NULL. */
static const char *expected(const char *decorated)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (cases[i].undecorated && !strcmp(cases[i].decorated, decorated))
			return cases[i].undecorated;
	return NULL;
}

static void test_pdb_publics(void **state)
{
	(void)state;
	char path[600], line[256], name[200], perr[PDB_ERR_LEN];
	unsigned rva;
	int n = 0;
	snprintf(path, sizeof path, "%s/expect_cxx.txt", PDB_FIXTURE_DIR);
	FILE *in = fopen(path, "r");
	if (!in)
		skip(); /* gen_pdb.sh did not run: clang-cl / lld-link missing */
	snprintf(path, sizeof path, "%s/cxxfix.pdb", PDB_FIXTURE_DIR);
	pdb *p = pdb_open(path, perr, sizeof perr);
	if (!p)
		fail_msg("%s: %s", path, perr);
	while (fgets(line, sizeof line, in))
		if (sscanf(line, "cxx %199s %u", name, &rva) == 2) {
			const char *got, *want = expected(name);
			uint32_t off;
			if (!want)
				fail_msg("%s: a decorated public the table does not know", name);
			assert_true(pdb_lookup(p, rva, &got, &off));
			assert_string_equal(got, want);
			assert_int_equal(off, 0);
			n++;
		}
	fclose(in);
	pdb_close(p);
	assert_int_equal(n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_pdb_publics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
