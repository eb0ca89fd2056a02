/* api_sched.c — GET /api/runs/{id}/syscalls and /api/runs/{id}/scheduling: the syscall
 * and per-thread scheduling aggregates of an ETW run (db/db_sched_query.c), with the
 * trace's event counts telling whether they were recorded at all. Filters: pid, tid
 * (scheduling only), limit (rows per table, 1..5000, default 1000). The aggregates cover
 * the whole trace: no time window, CPU or module filter applies to them (docs/api.md). */
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "api_params.h"
#include "db.h"
#include "db_sched.h"

#define SCHED_LIMIT_MAX 5000

/* ?name=N (min..max) into *v; 1 present, 0 absent, -1 with *out set. */
static int param_u32(const struct api_request *rq, const char *name, uint32_t min,
		     uint32_t max, uint32_t *v, cJSON **out)
{
	char buf[16], *end = NULL;
	int got = api_param(rq, name, 0, buf, sizeof buf);
	if (got == 0)
		return 0;
	unsigned long n = 0;
	if (got > 0 && buf[0] >= '0' && buf[0] <= '9')
		n = strtoul(buf, &end, 10);
	if (!end || *end || n < min || n > max) {
		*out = api_error("%s must be an integer from %u to %u", name, min, max);
		return -1;
	}
	*v = (uint32_t)n;
	return 1;
}

/* The run's count of event kind `name` from its summary (0 if none). */
static double event_count(const struct db_run *r, const char *name)
{
	cJSON *s = r->summary ? cJSON_Parse(r->summary) : NULL;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(s, "counts"), name);
	double v = cJSON_IsNumber(c) ? c->valuedouble : 0;
	cJSON_Delete(s);
	return v;
}

static int serve(sqlite3 *db, const char *run_id, const struct api_request *rq, int threads,
		 cJSON **out)
{
	struct db_run r;
	struct db_sched_filter f = {.limit = 1000};
	char err[256];
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	int got_pid = param_u32(rq, "pid", 0, UINT32_MAX - 1, &f.pid, out);
	int got_tid = got_pid < 0 ? -1 : param_u32(rq, "tid", 0, UINT32_MAX - 1, &f.tid, out);
	uint32_t timeline = 0;
	if (got_tid < 0 || param_u32(rq, "limit", 1, SCHED_LIMIT_MAX, &f.limit, out) < 0 ||
	    param_u32(rq, "timeline", 0, 1, &timeline, out) < 0 ||
	    param_u32(rq, "points", 1, 10000, &f.points, out) < 0) {
		db_run_clear(&r);
		return 400;
	}
	f.has_pid = got_pid;
	f.timeline = threads && timeline;
	f.has_tid = got_tid;
	cJSON *o = threads ? db_sched_threads_json(db, r.id, &f, err, sizeof err)
			   : db_sched_syscalls_json(db, r.id, &f, err, sizeof err);
	if (o) {
		cJSON *ev = cJSON_AddObjectToObject(o, "events");
		static const char *const kinds[2][2] = {{"SysClEnter", "SysClExit"},
							{"CSwitch", "ReadyThread"}};
		for (int i = 0; i < 2; i++)
			cJSON_AddItemToObject(ev, kinds[threads][i],
					      api_json_number(event_count(&r, kinds[threads][i])));
		cJSON_AddBoolToObject(o, "recorded", event_count(&r, kinds[threads][0]) > 0);
	}
	db_run_clear(&r);
	if (!o) {
		*out = api_error("%s", err);
		return 500;
	}
	*out = o;
	return 200;
}

int api_run_syscalls(sqlite3 *db, const char *run_id, const struct api_request *rq,
		     cJSON **out)
{
	return serve(db, run_id, rq, 0, out);
}

int api_run_scheduling(sqlite3 *db, const char *run_id, const struct api_request *rq,
		       cJSON **out)
{
	return serve(db, run_id, rq, 1, out);
}
