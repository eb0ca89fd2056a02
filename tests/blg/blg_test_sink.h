/* blg_test_sink.h — an in-memory sink for the blg tests: keeps counters, rows, warnings
 * and the summary so tests can check them after blg_ingest(). */
#ifndef ETLSCOPE_BLG_TEST_SINK_H
#define ETLSCOPE_BLG_TEST_SINK_H

#include <stddef.h>
#include <stdint.h>
#include "ingest/sink.h"

struct mem_counter {
	char *path, *machine, *object, *instance, *counter;
	int cpu;
	uint32_t type;
};

struct mem_row {
	int64_t t_us;
	double *v;
	size_t n;
};

struct mem_sink {
	struct mem_counter *c;
	size_t nc;
	struct mem_row *rows;
	size_t nrows;
	char **warn_codes;
	size_t nwarn;
	char *summary; /* printed JSON */
	struct ingest_sink sink;
};

void mem_sink_init(struct mem_sink *m);
void mem_sink_free(struct mem_sink *m);
/* Run blg_ingest on a file; returns its result. err may be NULL. */
int mem_sink_ingest_path(struct mem_sink *m, const char *path, char *err, size_t errcap);
/* Index of the counter with this path (case-insensitive), -1 if none. */
int mem_sink_find(const struct mem_sink *m, const char *path);
size_t mem_sink_warnings(const struct mem_sink *m, const char *code);
/* A whole file in memory (malloc), *n its size; NULL if it cannot be read. */
unsigned char *mem_slurp(const char *path, size_t *n);

#endif
