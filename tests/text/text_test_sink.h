/* text_test_sink.h — an in-memory sink for the text-importer tests: keeps every module,
 * DPC/ISR record, histogram bucket, usage cell, warning and the summary. */
#ifndef ETLSCOPE_TEXT_TEST_SINK_H
#define ETLSCOPE_TEXT_TEST_SINK_H

#include <stddef.h>
#include <stdint.h>
#include "ingest/ingest.h"

struct cJSON;

struct tt_bucket {
	uint32_t block;
	char *module; /* NULL = all modules */
	uint8_t kind;
	uint64_t lo_ns, hi_ns, count;
};
struct tt_usage {
	char *module;
	uint8_t kind;
	uint16_t cpu;
	uint64_t busy_us;
};

struct tt_sink {
	struct ingest_sink sink;
	char **modules;
	size_t nmodules;
	struct sink_dpcisr *ev;
	size_t nev;
	struct tt_bucket *b;
	size_t nb;
	struct tt_usage *u;
	size_t nu;
	char **warn_codes, **warn_msgs;
	size_t nwarn;
	struct cJSON *summary;
	char err[512];
};

void tt_init(struct tt_sink *t);
void tt_free(struct tt_sink *t);
size_t tt_warnings(const struct tt_sink *t, const char *code);
double tt_num(const struct tt_sink *t, const char *name);
const char *tt_str(const struct tt_sink *t, const char *name);

enum tt_parser { TT_XPERF, TT_WPA };
/* Parse a buffer (fmemopen) with the given limits (0 = defaults). */
int tt_parse_mem(struct tt_sink *t, enum tt_parser p, const char *data, size_t len,
		 size_t max_line, size_t block);
int tt_parse_file(struct tt_sink *t, enum tt_parser p, const char *path);
/* Sum of counts of buckets in one block. */
uint64_t tt_block_sum(const struct tt_sink *t, uint32_t block);

#endif
