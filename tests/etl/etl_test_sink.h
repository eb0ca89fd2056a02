/* etl_test_sink.h — an in-memory sink for the ETL tests: keeps modules, DPC/ISR records,
 * per-module sample counts, warnings and a copy of the summary. */
#ifndef ETLSCOPE_ETL_TEST_SINK_H
#define ETLSCOPE_ETL_TEST_SINK_H

#include <stddef.h>
#include <stdint.h>
#include "ingest/sink.h"

struct test_module {
	char *path, *name;
	uint64_t base, size;
	uint32_t pid;
	int64_t load_ns, unload_ns;
};

struct test_sink {
	struct ingest_sink sink;
	struct test_module *mods;
	size_t n_mods;
	struct sink_dpcisr *dpc;
	size_t n_dpc, cap_dpc;
	uint64_t samples, samples_resolved, samples_with_stack_mods;
	uint64_t *samples_ip_by_mod;     /* indexed by module id */
	uint64_t *samples_stack_by_mod;
	char warnings[16][64];
	size_t n_warnings;
	struct cJSON *summary;
	int summaries;
};

void test_sink_init(struct test_sink *t);
void test_sink_free(struct test_sink *t);
int test_sink_has_warning(const struct test_sink *t, const char *code);
/* Summary helpers: number at key (or -1), string at key, bool (-1 if absent). */
double test_summary_num(const struct test_sink *t, const char *key);
double test_summary_count(const struct test_sink *t, const char *obj, const char *key);
const char *test_summary_str(const struct test_sink *t, const char *key);
int test_summary_bool(const struct test_sink *t, const char *key);

#endif
