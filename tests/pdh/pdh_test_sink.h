/* pdh_test_sink.h — an in-memory ingest sink for the PDH tests: keeps every counter,
 * every sample row, every warning and the summary so tests can assert on them. */
#ifndef ETLSCOPE_PDH_TEST_SINK_H
#define ETLSCOPE_PDH_TEST_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ingest/sink.h"

struct cJSON;

struct test_counter {
	char *path, *machine, *object, *instance, *counter; /* instance may be NULL */
	int cpu;
};

struct test_sink {
	struct ingest_sink sink;
	struct test_counter *counters;
	size_t ncounters;
	int64_t *times;     /* [nsamples] */
	double *values;     /* [nsamples * width] row-major; width = ncounters at first row */
	size_t *widths;     /* n passed with each sample */
	size_t nsamples, width;
	char **warn_codes, **warn_msgs;
	size_t nwarnings;
	struct cJSON *summary; /* duplicate of what the parser sent, or NULL */
	int fail_after;        /* if > 0: the fail_after-th sample call returns -99 */
};

void test_sink_init(struct test_sink *t);
void test_sink_free(struct test_sink *t);
/* Number of warnings with this code. */
size_t test_sink_warnings(const struct test_sink *t, const char *code);
/* Value of row r, counter i (NAN if beyond the row's width). */
double test_sink_value(const struct test_sink *t, size_t r, size_t i);

/* Parse a memory buffer (fmemopen) or a file into t. Return pdh_text_parse's result. */
int test_parse_mem(struct test_sink *t, const char *data, size_t len, char sep,
		   size_t max_line, size_t block, char *errbuf, size_t errlen);
int test_parse_file(struct test_sink *t, const char *path, char sep, char *errbuf,
		    size_t errlen);

/* Summary helpers: number / string member of the summary (NAN / NULL if absent). */
double test_summary_num(const struct test_sink *t, const char *name);
const char *test_summary_str(const struct test_sink *t, const char *name);

#endif
