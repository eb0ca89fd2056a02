/* api_facts.h — the shared filter of /syscalls, /scheduling, /diskio and /fileio (window,
 * CPUs, process, thread) and the "selection" they answer from the per-slice facts
 * (db/db_facts.h). Internal to api/. */
#ifndef ETLSCOPE_API_FACTS_H
#define ETLSCOPE_API_FACTS_H

#include <stdint.h>
#include "api.h"
#include "db.h"
#include "db_facts.h"

/* ?name=N (min..max) into *v; 1 present, 0 absent, -1 with *out set. */
int api_param_u32(const struct api_request *rq, const char *name, uint32_t min, uint32_t max,
		  uint32_t *v, cJSON **out);

struct api_facts_query {
	int64_t start_us;              /* the run's start, µs since the epoch */
	int64_t duration_ns;
	int has_cpus;
	struct db_cpu_set cpus;
	struct db_facts_filter f;
};
/* Parse from, to, cpus, pid, tid (and limit, default 1000, max 5000) for run r. 0, or 400
 * with *out set. */
int api_facts_parse(const struct db_run *r, const struct api_request *rq,
		    struct api_facts_query *q, cJSON **out);
/* Add "applies" and "selection" with its window, CPUs and whether domain's facts are
 * stored, but no rows, to o: the selection object, or NULL with err filled. */
cJSON *api_facts_head(sqlite3 *db, const struct db_run *r, const struct api_facts_query *q,
		      int domain, cJSON *o, char *err, size_t errlen);
/* Add "applies" and "selection" (domain's rows and totals under the filter) to o.
 * 0, or -1 with err filled. */
int api_facts_add(sqlite3 *db, const struct db_run *r, const struct api_facts_query *q,
		  int domain, cJSON *o, char *err, size_t errlen);

#endif
