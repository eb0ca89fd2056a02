/* prebuild_bench.c — times the after-ingest build of the stored call trees alone
 * (api_stk_pre_build, api/api_stacks_pre.c) on an already ingested run file: it empties and
 * rebuilds that run's stk_pretree, stk_preslice, stk_prefilt and stk_prebfly rows, as
 * `etlscope ingest` does after storing. Measure it with /usr/bin/time (CPU and peak RSS).
 *   prebuild_bench RUN_FILE.db PUBLIC_ID */
#include <stdio.h>
#include <sqlite3.h>
#include "api/api.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: prebuild_bench RUN_FILE.db PUBLIC_ID\n");
		return 2;
	}
	sqlite3 *db;
	if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
		fprintf(stderr, "prebuild_bench: %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	char err[256];
	int rc = api_stk_pre_build(db, argv[2], err, sizeof err);
	if (rc)
		fprintf(stderr, "prebuild_bench: %s\n", err);
	sqlite3_close(db);
	return rc ? 1 : 0;
}
