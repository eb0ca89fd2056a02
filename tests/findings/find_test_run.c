/* find_test_run.c — see find_test_run.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "db.h"
#include "find_test_run.h"
#include "tests/db/db_test_file.h"

sqlite3 *ft_open(char *path, size_t n)
{
	return db_test_open(path, n, "/tmp/etlscope-test-find-XXXXXX");
}

void ft_close(sqlite3 *db, const char *path)
{
	db_test_remove(db, path);
}

char *ft_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int64_t ft_import(sqlite3 *db, const char *path)
{
	struct db_import_result res;
	struct db_run_input in = {"test", "test.etl", 1};
	char err[256];
	if (db_import_file(db, path, &in, &res, err, sizeof err) != 0)
		fail_msg("import %s: %s", path, err);
	cJSON_Delete(res.summary);
	return res.run_id;
}

int64_t ft_scenario(sqlite3 *db, const char *json, struct etlgen_expect *exp)
{
	struct etlgen_scenario s;
	char msg[256], path[] = "/tmp/etlscope-test-find-etl-XXXXXX";
	if (etlgen_scenario_parse(json, &s, msg, sizeof msg) != 0)
		fail_msg("scenario: %s", msg);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	if (etlgen_write(&s, f, exp, msg, sizeof msg) != 0)
		fail_msg("etlgen: %s", msg);
	fclose(f);
	etlgen_scenario_free(&s);
	int64_t id = ft_import(db, path);
	unlink(path);
	return id;
}

int64_t ft_fed(sqlite3 *db, const char *const *names, size_t n, cJSON *summary,
	       void (*feed)(const struct ingest_sink *k, void *ud), void *ud)
{
	char err[256];
	struct db_run_input in = {"fed", "fed.etl", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	assert_non_null(s);
	const struct ingest_sink *k = db_sink_iface(s);
	for (size_t i = 0; i < n; i++) {
		char path[300];
		snprintf(path, sizeof path, "\\SystemRoot\\System32\\drivers\\%s", names[i]);
		struct sink_module m = {.path = path, .name = names[i],
					.base = 0xfffff80000000000ull + i * 0x100000, .size = 0x100000,
					.load_ns = INT64_MIN, .unload_ns = INT64_MAX};
		int32_t id;
		assert_int_equal(k->module(k->ud, &m, &id), 0);
		assert_int_equal(id, (int32_t)i);
	}
	feed(k, ud);
	assert_int_equal(k->summary(k->ud, summary), 0);
	int64_t run_id;
	if (db_sink_commit(s, "etl", 0, &run_id, NULL, NULL, err, sizeof err) != 0)
		fail_msg("commit: %s", err);
	cJSON_Delete(summary);
	return run_id;
}

const cJSON *ft_finding(const cJSON *doc, const char *id)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "findings"))
		if (strcmp(cJSON_GetObjectItem(f, "id")->valuestring, id) == 0)
			return f;
	return NULL;
}

double ft_num(const cJSON *finding, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(finding, "numbers"), key);
	if (!cJSON_IsNumber(v))
		fail_msg("finding has no number %s", key);
	return v->valuedouble;
}

int ft_count(const cJSON *doc)
{
	return cJSON_GetArraySize(cJSON_GetObjectItem(doc, "findings"));
}

size_t ft_module_index(const char *json, const char *name)
{
	cJSON *s = cJSON_Parse(json), *m;
	size_t i = 0;
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(s, "modules"))
	{
		if (strcmp(cJSON_GetObjectItem(m, "name")->valuestring, name) == 0) {
			cJSON_Delete(s);
			return i;
		}
		i++;
	}
	cJSON_Delete(s);
	fail_msg("no module %s", name);
	return 0;
}
