/* test_kb_gen.c — the build-time generator kb_gen on small CSV fixtures: each malformed
 * one is rejected with exit status 1, no output file, and exactly
 * "drivers.csv:LINE: what (text)" on stderr; well-formed ones (CRLF, BOM, quoted commas,
 * UTF-8) are accepted. Runs kb_gen in a temporary directory, as the build does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define H "driver,vendor,product,category,altitude,source\n"
#define OK_ROW "a.sys,Vendor,Product,antivirus,,tag\n"
/* The rows the generator's rename rules point at must exist in a valid file. */
#define RULE_ROWS "klif.sys,Kaspersky Lab,p,antivirus,320400,t\n" \
		  "klupd.sys,Kaspersky,p,antivirus,,t\n"             \
		  "mpksldrv.sys,Microsoft,p,antivirus,,t\n"

struct run {
	int status;      /* exit status, or -1 */
	char err[1024];  /* stderr */
	int have_output; /* kb_table.c written */
};

static void rm_dir(const char *dir)
{
	static const char *const files[] = { "drivers.csv", "kb_table.c", "kb_table.c.tmp" };
	char path[512];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/stderr", dir);
	unlink(path);
	rmdir(dir);
}

/* Writes csv[0..len) as drivers.csv in a fresh directory and runs kb_gen there. */
static struct run gen(const char *csv, size_t len, char *table, size_t table_size)
{
	struct run r = { .status = -1 };
	const char *tmp = getenv("TMPDIR");
	char dir[256], path[512];
	snprintf(dir, sizeof dir, "%s/kb_gen_test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/drivers.csv", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(csv, 1, len, f), len);
	assert_int_equal(fclose(f), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		snprintf(path, sizeof path, "%s/stderr", dir);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0 || chdir(dir) != 0)
			_exit(127);
		execl(KB_GEN, "kb_gen", "drivers.csv", "kb_table.c", (char *)NULL);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))
		r.status = WEXITSTATUS(status);

	snprintf(path, sizeof path, "%s/stderr", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(r.err, 1, sizeof r.err - 1, f);
	r.err[n] = '\0';
	fclose(f);

	snprintf(path, sizeof path, "%s/kb_table.c", dir);
	f = fopen(path, "rb");
	r.have_output = f != NULL;
	if (f && table) {
		size_t got = fread(table, 1, table_size - 1, f);
		table[got] = '\0';
	}
	if (f)
		fclose(f);
	rm_dir(dir);
	return r;
}

static void rejected(const char *csv, size_t len, const char *message)
{
	struct run r = gen(csv, len, NULL, 0);
	char want[600];
	snprintf(want, sizeof want, "drivers.csv:%s\n", message);
	if (r.status != 1 || strcmp(r.err, want) != 0)
		fail_msg("exit %d, stderr \"%s\"; expected exit 1 and \"%s\"", r.status, r.err,
			 want);
	assert_false(r.have_output);
}

#define REJECT(csv, message) rejected(csv, sizeof(csv) - 1, message)

static void test_field_count(void **state)
{
	(void)state;
	REJECT(H OK_ROW "b.sys,V,p,antivirus,,s,extra\n", "3: expected 6 fields, found 7 (b.sys)");
	REJECT(H OK_ROW OK_ROW "c.sys,V,p,antivirus\n", "4: expected 6 fields, found 4 (c.sys)");
	REJECT(H "d.sys,\"V, Inc\",p,antivirus,s\n", "2: expected 6 fields, found 5 (d.sys)");
	REJECT(H OK_ROW "\n" OK_ROW, "3: expected 6 fields, found 1 ()");
	REJECT(H "e.sys,V,p,antivirus,,s,\n", "2: expected 6 fields, found 7 (e.sys)");
}

static void test_header(void **state)
{
	(void)state;
	REJECT("driver,vendor,product,category,altitude\n" OK_ROW,
	       "1: header must be driver,vendor,product,category,altitude,source (driver)");
	REJECT("Driver,vendor,product,category,altitude,source\n" OK_ROW,
	       "1: header must be driver,vendor,product,category,altitude,source (Driver)");
	REJECT("", "1: empty file: expected the header line ()");
	REJECT(OK_ROW, "1: header must be driver,vendor,product,category,altitude,source (a.sys)");
}

static void test_category(void **state)
{
	(void)state;
	REJECT(H OK_ROW "b.sys,V,p,Antivirus,,s\n", "3: unknown category (Antivirus)");
	REJECT(H "b.sys,V,p,,,s\n", "2: unknown category ()");
	REJECT(H "b.sys,V,p,av,,s\n", "2: unknown category (av)");
	REJECT(H "b.sys,V,p,antivirus ,,s\n", "2: unknown category (antivirus )");
	REJECT(H "b.sys,V,p,this-is-a-very-long-category-name-that-gets-truncated,,s\n",
	       "2: unknown category (this-is-a-very-long-category-name-that-g...)");
}

static void test_driver_name(void **state)
{
	(void)state;
	REJECT(H OK_ROW "NDIS.SYS,Microsoft,p,microsoft-inbox,,s\n",
	       "3: driver name must be lower case (NDIS.SYS)");
	REJECT(H "Ndis.sys,Microsoft,p,microsoft-inbox,,s\n",
	       "2: driver name must be lower case (Ndis.sys)");
	REJECT(H ",V,p,antivirus,,s\n", "2: empty driver name ()");
	REJECT(H "\"\",V,p,antivirus,,s\n", "2: empty driver name ()");
	REJECT(H "nvfr_cpd,V,p,antivirus,,s\n",
	       "2: driver name has no extension (.sys, .dll or .exe) (nvfr_cpd)");
	REJECT(H "a.sy,V,p,antivirus,,s\n",
	       "2: driver name extension is not .sys, .dll or .exe (a.sy)");
	REJECT(H "a.sys.,V,p,antivirus,,s\n",
	       "2: driver name extension is not .sys, .dll or .exe (a.sys.)");
	REJECT(H ".sys,V,p,antivirus,,s\n", "2: driver name is only an extension (.sys)");
	REJECT(H "a b.sys,V,p,antivirus,,s\n",
	       "2: driver name has a character other than a-z 0-9 . _ - $ ? * (a b.sys)");
	REJECT(H "c:\\x.sys,V,p,antivirus,,s\n",
	       "2: driver name has a character other than a-z 0-9 . _ - $ ? * (c:\\x.sys)");
	REJECT(H "*.sys,V,p,antivirus,,s\n",
	       "2: pattern must start with at least 3 literal characters (*.sys)");
	REJECT(H "ab?.sys,V,p,antivirus,,s\n",
	       "2: pattern must start with at least 3 literal characters (ab?.sys)");
	REJECT(H "abc.s?s,V,p,antivirus,,s\n", "2: wildcard in the extension (abc.s?s)");
	REJECT(H "abc?,V,p,antivirus,,s\n",
	       "2: driver name has no extension (.sys, .dll or .exe) (abc?)");
}

static void test_vendor_and_altitude(void **state)
{
	(void)state;
	REJECT(H "b.sys,,p,antivirus,,s\n", "2: empty vendor (b.sys)");
	static const char *const bad[] = { "32a", "1;", ";1", "1;;2", "1.", ".5", "1.2.3", " 1",
					   "1,5", "-1", "1 ;2" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char csv[200], msg[200];
		int quoted = strchr(bad[i], ',') != NULL;
		snprintf(csv, sizeof csv, H "b.sys,V,p,antivirus,%s%s%s,s\n", quoted ? "\"" : "",
			 bad[i], quoted ? "\"" : "");
		snprintf(msg, sizeof msg,
			 "2: altitude must be digits(.digits) separated by ';' (%s)", bad[i]);
		rejected(csv, strlen(csv), msg);
	}
}

static void test_quotes_and_bytes(void **state)
{
	(void)state;
	REJECT(H OK_ROW "f.sys,\"V, Inc,p,antivirus,,s\n",
	       "3: unterminated quote (\"V, Inc,p,antivirus,,s)");
	REJECT(H "f.sys,V,p,antivirus,,\"s\n", "2: unterminated quote (\"s)");
	REJECT(H "f.sys,\"V\"x,p,antivirus,,s\n",
	       "2: text after a closing quote (\"V\"x,p,antivirus,,s)");
	REJECT(H "f.sys,V\"x,p,antivirus,,s\n",
	       "2: quote inside an unquoted field (V\"x,p,antivirus,,s)");
	REJECT(H "f.sys,V,p\tq,antivirus,,s\n",
	       "2: control character (f.sys,V,p\\x09q,antivirus,,s)");
	REJECT(H "f.sys,V,p\rq,antivirus,,s\n",
	       "2: control character (f.sys,V,p\\x0dq,antivirus,,s)");
	REJECT(H "f.sys,V,p\x7f,antivirus,,s\n",
	       "2: control character (f.sys,V,p\\x7f,antivirus,,s)");
	rejected(H "f.sys,V,p\0,antivirus,,s\n", sizeof(H) + 25 - 1,
		 "2: control character (f.sys,V,p\\x00,antivirus,,s)");
	REJECT(H "f.sys,V\xff,p,antivirus,,s\n",
	       "2: invalid UTF-8 (or a C1 control character) (\\xff,p,antivirus,,s)");
	REJECT(H "f.sys,V\xc3,p,antivirus,,s\n",
	       "2: invalid UTF-8 (or a C1 control character) (\\xc3,p,antivirus,,s)");
	REJECT(H "f.sys,V\xc0\xaf,p,antivirus,,s\n", /* overlong '/' */
	       "2: invalid UTF-8 (or a C1 control character) (\\xc0\\xaf,p,antivirus,,s)");
	REJECT(H "f.sys,V\xed\xa0\x80,p,antivirus,,s\n", /* a surrogate */
	       "2: invalid UTF-8 (or a C1 control character) (\\xed\\xa0\\x80,p,antivirus,,s)");
	REJECT(H "f.sys,V\xc2\x85,p,antivirus,,s\n", /* NEL */
	       "2: invalid UTF-8 (or a C1 control character) (\\xc2\\x85,p,antivirus,,s)");
}

static void test_line_numbers_with_crlf(void **state)
{
	(void)state;
	REJECT("driver,vendor,product,category,altitude,source\r\n"
	       "a.sys,V,p,antivirus,,s\r\n"
	       "b.sys,\"V, \"\"Inc\"\"\",p,antivirus,,s\r\n"
	       "c.sys,V,p,Antivirus,,s\r\n",
	       "4: unknown category (Antivirus)");
	REJECT("\xef\xbb\xbf" H OK_ROW "B.sys,V,p,antivirus,,s",
	       "3: driver name must be lower case (B.sys)");
}

static void test_duplicates_and_long_lines(void **state)
{
	(void)state;
	REJECT(H "a.sys,V,p,antivirus,,s\nb.sys,V,p,antivirus,,s\na.sys,W,p,antivirus,,s\n"
		 "a.sys,V,q,other,,s\n",
	       "5: duplicate driver and vendor (also on line 2) (a.sys)");
	static char csv[sizeof(H) + 5000 + 64];
	size_t n = (size_t)snprintf(csv, sizeof csv, H "a.sys,V,");
	memset(csv + n, 'p', 4100);
	n += 4100;
	n += (size_t)snprintf(csv + n, sizeof csv - n, ",antivirus,,s\n");
	rejected(csv, n, "2: line longer than 4096 bytes (a.sys,V,pppppppppppppppppppppppppppppppp...)");
}

static void test_missing_rule_target(void **state)
{
	(void)state;
	static const char csv[] = H OK_ROW "klif.sys,K,p,antivirus,,s\nklupd.sys,K,p,antivirus,,s\n";
	struct run r = gen(csv, sizeof csv - 1, NULL, 0);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "drivers.csv: rule mpksl*.sys -> mpksldrv.sys: no row named "
				   "mpksldrv.sys\n");
	assert_false(r.have_output);
}

static void test_accepts_well_formed(void **state)
{
	(void)state;
	static char table[16384];
	/* BOM, CRLF, quoted commas and quotes, UTF-8, a pattern, multi-valued and fractional
	 * altitudes, a name collision, .dll/.exe, $ in a name, no final line end. */
	static const char csv[] =
		"\xef\xbb\xbf"
		"driver,vendor,product,category,altitude,source\r\n"
		"zz$drv.sys,\"Acme, Inc.\",\"The \"\"best\"\" driver\",edr,329355.5;389040,t1;t2\r\n"
		"aafs.sys,ViGero,FSFilter Encryption minifilter,encryption,149110,altitudes\r\n"
		"aafs.sys,AppAssure Software,x,backup,284100,altitudes\r\n"
		"pfmfs_???.sys,Pismo Technic Inc.,p,virtualization,172100,altitudes\r\n"
		"hal.dll,Microsoft,HAL,microsoft-inbox,,m\r\n"
		"ntoskrnl.exe,Microsoft,NT,microsoft-inbox,425500;425000,m\r\n"
		"klif.sys,Kaspersky Lab,p,antivirus,320400,t\r\n"
		"klupd.sys,Kaspersky,p,antivirus,,t\r\n"
		"mpksldrv.sys,Microsoft,p,antivirus,,t\r\n"
		"lha.sys,LG Electronics Inc.,Microsoft\xc2\xae Windows\xc2\xae,other,,loldrivers";
	struct run r = gen(csv, sizeof csv - 1, table, sizeof table);
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.err);
	assert_string_equal(r.err, "");
	assert_true(r.have_output);
	assert_non_null(strstr(table, "kb_table_version[] = \"10 drivers, "));
	assert_non_null(strstr(table, "{ \"zz$drv.sys\", \"Acme, Inc.\", \"The \\\"best\\\" driver\", "
				      "\"edr\", \"329355.5;389040\", \"t1;t2\" }"));
	assert_non_null(strstr(table, "\"Microsoft\\302\\256 Windows\\302\\256\""));
	assert_non_null(strstr(table, "{ \"pfmfs_\\?\\?\\?.sys\", 9, 1 }"));
	assert_non_null(strstr(table, "{ \"mpksl*.sys\", 6, 1 }"));
	assert_non_null(strstr(table, "kb_table_exact_n = 9;"));
	/* Collisions keep CSV order after sorting by name. */
	const char *vi = strstr(table, "\"ViGero\""), *aa = strstr(table, "\"AppAssure Software\"");
	assert_true(vi && aa && vi < aa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_category),
		cmocka_unit_test(test_driver_name),
		cmocka_unit_test(test_vendor_and_altitude),
		cmocka_unit_test(test_quotes_and_bytes),
		cmocka_unit_test(test_line_numbers_with_crlf),
		cmocka_unit_test(test_duplicates_and_long_lines),
		cmocka_unit_test(test_missing_rule_target),
		cmocka_unit_test(test_accepts_well_formed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
