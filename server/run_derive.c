/* run_derive.c — what is computed from a run's stored rows before its file is published:
 * the findings (so the first visitor waits for nothing) and the stored call trees (so a
 * whole-run tree reads only the nodes it returns). Every way a run is stored — an upload's
 * job, `etlscope ingest` and `demo`, an imported run file — calls this one function, so
 * what a run file holds does not depend on how it arrived. */
#include <malloc.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "api.h"
#include "find.h"
#include "server.h"

void server_run_derive(sqlite3 *db, int64_t run_id, const char *public_id)
{
	cJSON *doc = NULL;
	char err[256];
	/* The ingest's buffers and page cache are freed by now, and each step below builds its
	 * own large maps: hand the freed pages back first, so that peaks do not add up. */
	malloc_trim(0);
	/* on failure GET /findings computes them again and reports the error */
	if (find_get(db, run_id, &doc, err, sizeof err) == 0)
		cJSON_Delete(doc);
	malloc_trim(0);
	/* on failure requests walk the stored stacks as before */
	if (api_stk_pre_build(db, public_id, err, sizeof err))
		fprintf(stderr, "etlscope: run %s: call trees: %s\n", public_id, err);
}
