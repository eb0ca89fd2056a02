/* find_test_run.h — helpers for the attribution and findings tests: temporary databases,
 * runs from etlgen scenarios (with the generator's exact expectations), hand-fed ETW runs
 * through the real SQLite sink, and finding look-ups in a findings document. */
#ifndef ETLSCOPE_FIND_TEST_RUN_H
#define ETLSCOPE_FIND_TEST_RUN_H

#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "tools/etlgen/etlgen.h"

sqlite3 *ft_open(char *path, size_t n);
void ft_close(sqlite3 *db, const char *path);
char *ft_read(const char *path);
/* Import a file; returns the run id. */
int64_t ft_import(sqlite3 *db, const char *path);
/* Write the scenario (JSON text) with etlgen and import it; exp receives the generator's
 * expectations (NULL: not wanted). */
int64_t ft_scenario(sqlite3 *db, const char *json, struct etlgen_expect *exp);
/* Index of the scenario module named name in exp order (etlgen keeps the scenario's
 * order); fails the test when there is none. */
size_t ft_module_index(const char *json, const char *name);
/* A hand-fed run: modules named in names (kernel drivers), then what the callback feeds;
 * summary (taken over) becomes the run's summary. */
struct ingest_sink;
int64_t ft_fed(sqlite3 *db, const char *const *names, size_t n, cJSON *summary,
	       void (*feed)(const struct ingest_sink *k, void *ud), void *ud);
/* The finding with this id (NULL when absent). */
const cJSON *ft_finding(const cJSON *doc, const char *id);
/* Number member of a finding's numbers. */
double ft_num(const cJSON *finding, const char *key);
/* Count of findings. */
int ft_count(const cJSON *doc);

#endif
