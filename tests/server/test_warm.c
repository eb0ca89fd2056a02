/* test_warm.c — the kept-stacks warmer (server/warm.h) on a real run store: a run queued
 * again while its warm is loading (the symbol job published a newer version of it) stops
 * that load, which is counted dropped, and the waiting warm then keeps the run. The loader
 * is the test's own: its first load scans SQLite (a long recursive count) until the warm's
 * progress handler stops it; its second returns a one-node array at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sqlite3.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "db/db_stk_cache.h"
#include "db/db_store.h"
#include "server/warm.h"

/* calls: loads begun; the first load's scan result (SQLITE_INTERRUPT when stopped) */
struct loader {
	int calls;
	int first_rc;
};

static int load(void *ud, sqlite3 *db, int64_t run_id, size_t max_bytes, struct db_stk_nodes *n)
{
	struct loader *l = ud;
	(void)run_id, (void)max_bytes;
	memset(n, 0, sizeof *n);
	if (__atomic_add_fetch(&l->calls, 1, __ATOMIC_SEQ_CST) == 1) {
		/* seconds of VM steps unless the progress handler stops it */
		int rc = sqlite3_exec(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
					  "FROM c LIMIT 10000000) SELECT count(*) FROM c",
				      NULL, NULL, NULL);
		__atomic_store_n(&l->first_rc, rc, __ATOMIC_SEQ_CST);
		return -1;
	}
	n->nn = n->nf = 1;
	n->parent = calloc(2, sizeof *n->parent);
	n->frame = calloc(2, sizeof *n->frame);
	n->fmod = calloc(2, sizeof *n->fmod);
	n->foff = calloc(2, sizeof *n->foff);
	if (!n->parent || !n->frame || !n->fmod || !n->foff) {
		db_stk_nodes_clear(n);
		return -1;
	}
	return 0;
}

static struct server_warm_stats stats_of(struct server_warm *w)
{
	struct server_warm_stats st;
	server_warm_stats(w, &st);
	return st;
}

static void test_queued_again_stops_its_load(void **state)
{
	char dir[] = "/tmp/test-warm-XXXXXX", path[3][300], err[256], cmd[320];
	(void)state;
	assert_non_null(mkdtemp(dir));
	const char *names[3] = {"runs", "catalog.db", "cpu.csv"};
	for (int i = 0; i < 3; i++)
		snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
	FILE *f = fopen(path[2], "w");
	assert_non_null(f);
	fputs("\"(PDH-CSV 4.0) (Coordinated Universal Time)(0)\",\"\\\\W\\Processor(_Total)\\% Processor Time\"\n"
	      "\"12/06/2026 12:00:00.000\",\"7\"\n\"12/06/2026 12:00:01.000\",\"9\"\n", f);
	fclose(f);
	struct db_store *st = db_store_open(path[1], path[0], NULL, NULL, err, sizeof err);
	assert_non_null(st);
	struct db_run_writer wr;
	struct db_import_result res;
	struct db_run_input in = {"warm", "cpu.csv", 100};
	assert_int_equal(db_store_run_begin(st, &wr, err, sizeof err), 0);
	assert_int_equal(db_import_file(wr.db, path[2], &in, &res, err, sizeof err), 0);
	cJSON_Delete(res.summary);
	assert_int_equal(db_store_run_publish(st, &wr, NULL, err, sizeof err), 0);

	struct loader l = {0, SQLITE_OK};
	struct db_stk_cache *c = db_stk_cache_new(1 << 20, load, &l);
	struct server_warm *w = server_warm_start(st, c, err, sizeof err);
	assert_non_null(w);
	server_warm_queue(w, res.public_id);
	while (__atomic_load_n(&l.calls, __ATOMIC_SEQ_CST) < 1) /* the first load scans */
		sched_yield();
	server_warm_queue(w, res.public_id); /* its newer version */
	while (stats_of(w).busy)
		sched_yield();
	struct server_warm_stats ws = stats_of(w);
	assert_int_equal(l.calls, 2);
	assert_int_equal(l.first_rc, SQLITE_INTERRUPT);
	assert_int_equal(ws.dropped, 1);
	assert_int_equal(ws.warmed, 1);
	assert_int_equal(ws.not_kept, 0);
	assert_int_equal(ws.yielded, 0);
	struct db_stk_cache_stats cs;
	db_stk_cache_stats(c, &cs);
	assert_int_equal(cs.entries, 1);

	server_warm_stop(w);
	db_stk_cache_free(c);
	db_store_free(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queued_again_stops_its_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
