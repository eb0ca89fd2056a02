/* test_pdh_path.c — counter-path splitting (text-formats.md §1.4) and the CPU mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/pdh/pdh_path.h"

static void check(const char *path, const char *machine, const char *object,
		  const char *instance, const char *counter)
{
	struct pdh_path p;
	assert_int_equal(pdh_path_parse(path, strlen(path), &p), 0);
	assert_string_equal(p.machine, machine);
	assert_string_equal(p.object, object);
	if (instance)
		assert_string_equal(p.instance, instance);
	else
		assert_null(p.instance);
	assert_string_equal(p.counter, counter);
	pdh_path_free(&p);
}

static void not_a_path(const char *text)
{
	struct pdh_path p;
	assert_int_equal(pdh_path_parse(text, strlen(text), &p), -1);
	assert_null(p.storage);
}

static void test_seen_examples(void **state)
{
	(void)state;
	check("\\\\charlieparker\\processor(_total)\\% processor time", "charlieparker",
	      "processor", "_total", "% processor time");
	check("\\\\charlieparker\\network interface(intel[r] ethernet connection i218-lm)\\bytes "
	      "total/sec", "charlieparker", "network interface",
	      "intel[r] ethernet connection i218-lm", "bytes total/sec");
	check("\\\\GS-1-WIN\\Processor(0)\\% DPC Time", "GS-1-WIN", "Processor", "0", "% DPC Time");
	check("\\\\GS-1-WIN\\Processor(_Total)\\DPC Rate", "GS-1-WIN", "Processor", "_Total",
	      "DPC Rate");
	check("\\\\HP-840\\Processor Information(0,0)\\% Processor Performance", "HP-840",
	      "Processor Information", "0,0", "% Processor Performance");
	check("\\\\HP-840\\Processor Information(0,_Total)\\% Processor Performance", "HP-840",
	      "Processor Information", "0,_Total", "% Processor Performance");
	check("\\\\HP-840\\Processor Information(_Total)\\% Processor Performance", "HP-840",
	      "Processor Information", "_Total", "% Processor Performance");
	check("\\\\CHANDSR-X86\\Process(LogonUI)\\% Privileged Time", "CHANDSR-X86", "Process",
	      "LogonUI", "% Privileged Time");
	check("\\\\charlieparker\\network interface(isatap.{ea2a01ef-c879-4737-9677-c2fbbc1b5af4})"
	      "\\bytes total/sec", "charlieparker", "network interface",
	      "isatap.{ea2a01ef-c879-4737-9677-c2fbbc1b5af4}", "bytes total/sec");
}

static void test_single_instance(void **state)
{
	(void)state;
	check("\\\\charlieparker\\memory\\% committed bytes in use", "charlieparker", "memory", NULL,
	      "% committed bytes in use");
	check("\\\\SRV\\System\\Processor Queue Length", "SRV", "System", NULL,
	      "Processor Queue Length");
	check("\\Memory\\Available MBytes", "", "Memory", NULL, "Available MBytes");
}

static void test_tricky_instances(void **state)
{
	(void)state;
	check("\\\\SRV\\Paging File(\\??\\C:\\pagefile.sys)\\% Usage", "SRV", "Paging File",
	      "\\??\\C:\\pagefile.sys", "% Usage");
	check("\\\\SRV\\Thermal Zone Information(\\_TZ.TZ00)\\Temperature", "SRV",
	      "Thermal Zone Information", "\\_TZ.TZ00", "Temperature");
	check("\\\\SRV\\Process(svchost#3)\\% Processor Time", "SRV", "Process", "svchost#3",
	      "% Processor Time");
	check("\\\\SRV\\Thread(explorer/12#1)\\Context Switches/sec", "SRV", "Thread",
	      "explorer/12#1", "Context Switches/sec");
	check("\\\\SRV\\Per Processor Network Interface Card Activity(3, Intel[R] I350)\\DPCs "
	      "Queued/sec", "SRV", "Per Processor Network Interface Card Activity",
	      "3, Intel[R] I350", "DPCs Queued/sec");
	/* a ')' inside the instance that is not followed by '\' stays in the instance */
	check("\\\\SRV\\Obj(a)b)\\C", "SRV", "Obj", "a)b", "C");
}

static void test_counter_with_parentheses(void **state)
{
	(void)state;
	check("\\\\RECHNER\\Prozessor(_Total)\\Prozessorzeit (%)", "RECHNER", "Prozessor", "_Total",
	      "Prozessorzeit (%)");
	check("\\\\RECHNER\\Arbeitsspeicher\\Zugesicherte verwendete Bytes (%)", "RECHNER",
	      "Arbeitsspeicher", NULL, "Zugesicherte verwendete Bytes (%)");
	check("\\\\m\\processeur(_total)\\% temps processeur", "m", "processeur", "_total",
	      "% temps processeur");
}

static void test_script_verbatim(void **state)
{
	(void)state;
	check("\\\\<script>alert(1)</script>\\Obj(<script>alert(1)</script>)\\<img src=x>",
	      "<script>alert(1)</script>", "Obj", "<script>alert(1)</script>", "<img src=x>");
}

static void test_not_paths(void **state)
{
	(void)state;
	not_a_path("");
	not_a_path("\\");
	not_a_path("Data Collector Set description");
	not_a_path("(PDH-CSV 4.0) (Pacific Standard Time)(480)");
	not_a_path("\\\\MACHINE");
	not_a_path("\\\\MACHINE\\");
	not_a_path("\\\\MACHINE\\Memory");
	not_a_path("\\\\MACHINE\\Memory\\");
	not_a_path("\\\\MACHINE\\Processor(0\\% DPC Time"); /* never closed */
	not_a_path("\\\\MACHINE\\Processor(0)\\");
	not_a_path("\\\\MACHINE\\(0)\\x");
}

static void test_length_not_nul(void **state)
{
	struct pdh_path p;
	const char *s = "\\\\M\\Memory\\Cache Faults/secGARBAGE";
	(void)state;
	assert_int_equal(pdh_path_parse(s, strlen(s) - 7, &p), 0);
	assert_string_equal(p.counter, "Cache Faults/sec");
	pdh_path_free(&p);
}

static int cpu_of(const char *object, const char *instance, const struct pdh_cpu_nodes *n)
{
	return pdh_cpu_number(n, pdh_cpu_classify(object, instance));
}

static void test_cpu_mapping(void **state)
{
	struct pdh_cpu_nodes n;
	(void)state;
	pdh_cpu_nodes_init(&n);
	assert_int_equal(cpu_of("Processor", "0", &n), 0);
	assert_int_equal(cpu_of("processor", "17", &n), 17); /* Export-Counter lower-cases */
	assert_int_equal(cpu_of("PROCESSOR", "63", &n), 63);
	assert_int_equal(cpu_of("Processor", "_Total", &n), -1);
	assert_int_equal(cpu_of("processor", "_total", &n), -1);
	assert_int_equal(cpu_of("Processor", NULL, &n), -1);
	assert_int_equal(cpu_of("Processor", "", &n), -1);
	assert_int_equal(cpu_of("Processor", "-1", &n), -1);
	assert_int_equal(cpu_of("Processor", "99999999999", &n), -1);
	assert_int_equal(cpu_of("Processor Information", "0,5", &n), 5);
	assert_int_equal(cpu_of("processor information", "0,10", &n), 10);
	assert_int_equal(cpu_of("Processor Information", "0,_Total", &n), -1);
	assert_int_equal(cpu_of("Processor Information", "_Total", &n), -1);
	assert_int_equal(cpu_of("Process", "0", &n), -1);
	assert_int_equal(cpu_of("Processor Performance", "0", &n), -1);
	assert_int_equal(cpu_of("Memory", NULL, &n), -1);
	/* node 1 with no node-0 columns seen: unknowable */
	assert_int_equal(cpu_of("Processor Information", "1,0", &n), -1);
}

static void test_cpu_mapping_nodes(void **state)
{
	struct pdh_cpu_nodes n;
	(void)state;
	pdh_cpu_nodes_init(&n);
	/* two nodes of 4 CPUs, node 0 listed in lexical order, node 1 first */
	static const char *inst[] = {"1,0", "1,3", "1,1", "1,2", "1,_Total",
				     "0,0", "0,1", "0,2", "0,3", "0,_Total"};
	for (size_t i = 0; i < sizeof inst / sizeof *inst; i++)
		pdh_cpu_nodes_add(&n, pdh_cpu_classify("Processor Information", inst[i]));
	assert_int_equal(cpu_of("Processor Information", "0,3", &n), 3);
	assert_int_equal(cpu_of("Processor Information", "1,0", &n), 4);
	assert_int_equal(cpu_of("Processor Information", "1,3", &n), 7);
	assert_int_equal(cpu_of("Processor Information", "1,_Total", &n), -1);
	/* node 3 when node 2 is missing */
	assert_int_equal(cpu_of("Processor Information", "3,0", &n), -1);
}

static void test_ieq(void **state)
{
	(void)state;
	assert_true(pdh_path_ieq("Processor Information", "processor information"));
	assert_true(pdh_path_ieq("", ""));
	assert_false(pdh_path_ieq("Processor", "Processor Information"));
	assert_false(pdh_path_ieq("Processor", "Processo"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seen_examples),
		cmocka_unit_test(test_single_instance),
		cmocka_unit_test(test_tricky_instances),
		cmocka_unit_test(test_counter_with_parentheses),
		cmocka_unit_test(test_script_verbatim),
		cmocka_unit_test(test_not_paths),
		cmocka_unit_test(test_length_not_nul),
		cmocka_unit_test(test_cpu_mapping),
		cmocka_unit_test(test_cpu_mapping_nodes),
		cmocka_unit_test(test_ieq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
