/* test_sym_path.c — the _NT_SYMBOL_PATH syntax, table-driven: each text, the sources it gives
 * (written here as "kind where <stores>" joined by " | ") or the error it gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "symbols/sym_path.h"

typedef struct row {
	const char *text, *default_cache;
	const char *want;  /* rendered sources, or NULL if an error is expected */
	const char *error; /* substring of the error */
} row;

static const row rows[] = {
	{"srv*C:\\sym*https://msdl.microsoft.com/download/symbols", NULL,
	 "http https://msdl.microsoft.com/download/symbols <C:\\sym>", NULL},
	{"srv*/var/cache/sym*https://msdl.microsoft.com/download/symbols;/opt/pdbs", NULL,
	 "http https://msdl.microsoft.com/download/symbols </var/cache/sym> | dir /opt/pdbs", NULL},
	{"SRV*http://sym.corp/x", "/def", "http http://sym.corp/x </def>", NULL},
	{"srv*http://sym.corp/x", NULL, "http http://sym.corp/x <>", NULL},
	{"cache*/c1;srv*https://a;srv*/c2*https://b", "/def",
	 "http https://a </c1> | http https://b </c2>", NULL},
	{"srv*https://a;cache*/c1;srv*https://b", "/def",
	 "http https://a </def> | http https://b </c1>", NULL},
	{"srv*/a*/b*https://s", NULL, "http https://s </a,/b>", NULL},
	{"srv**https://s", "/def", "http https://s </def>", NULL},
	{"srv*/cache*/mnt/share/symbols", NULL, "store /mnt/share/symbols </cache>", NULL},
	{"symsrv*symsrv.dll*/c*https://s", NULL, "http https://s </c>", NULL},
	{" /a ;; /b ;", NULL, "dir /a | dir /b", NULL},
	{"", NULL, "", NULL},
	{"srv*", NULL, NULL, "needs a server"},
	{"srv*/c*", NULL, NULL, "needs a server"},
	{"https://msdl.microsoft.com/download/symbols", NULL, NULL, "needs \"srv*\""},
	{"foo*bar", NULL, NULL, "unknown symbol path element"},
	{"cache*/a*/b", NULL, NULL, "one directory"},
	{"srv*/1*/2*/3*/4*/5*https://s", NULL, NULL, "too many '*'"},
};

static void render(const sym_path *p, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < p->n; i++) {
		const sym_source *s = &p->src[i];
		const char *kind = s->kind == SYM_SRC_DIR ? "dir" : s->is_http ? "http" : "store";
		n += (size_t)snprintf(out + n, len - n, "%s%s %s", i ? " | " : "", kind, s->where);
		if (s->kind == SYM_SRC_DIR)
			continue;
		n += (size_t)snprintf(out + n, len - n, " <");
		for (int j = 0; j < s->nstores; j++)
			n += (size_t)snprintf(out + n, len - n, "%s%s", j ? "," : "", s->stores[j]);
		n += (size_t)snprintf(out + n, len - n, ">");
	}
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const row *r = &rows[i];
		sym_path p;
		char err[256] = "", got[1024];
		int rc = sym_path_parse(r->text, r->default_cache, &p, err, sizeof err);
		if (r->want) {
			if (rc != 0)
				fail_msg("\"%s\": unexpected error %s", r->text, err);
			render(&p, got, sizeof got);
			if (strcmp(got, r->want))
				fail_msg("\"%s\": got \"%s\", want \"%s\"", r->text, got, r->want);
		} else {
			if (rc == 0)
				fail_msg("\"%s\": parsed, expected an error", r->text);
			if (!strstr(err, r->error))
				fail_msg("\"%s\": error \"%s\" lacks \"%s\"", r->text, err,
					 r->error);
			assert_int_equal(p.n, 0);
		}
		sym_path_clear(&p);
	}
}

static void test_source_bound(void **state)
{
	(void)state;
	char text[4096] = "";
	for (int i = 0; i <= SYM_PATH_MAX_SOURCES; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text), "/d%d;", i);
	sym_path p;
	char err[256];
	assert_int_equal(sym_path_parse(text, NULL, &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_source_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
