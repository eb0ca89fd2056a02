/* api_sched.c — GET /api/runs/{id}/syscalls and /api/runs/{id}/scheduling: the syscall
 * and per-thread scheduling aggregates of an ETW run (db/db_sched_query.c), with the
 * trace's event counts telling whether they were recorded at all. Filters: pid, tid
 * (scheduling only), limit (rows per table, 1..5000, default 1000). The tables cover the
 * whole trace; "selection" (api_facts.c) answers the window, CPU, pid and tid filter. */
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "api_facts.h"
#include "api_params.h"
#include "db.h"
#include "db_sched.h"

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
	struct db_sched_filter f = {0};
	struct api_facts_query q;
	char err[256];
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	uint32_t timeline = 0;
	if ((st = api_facts_parse(&r, rq, &q, out)) ||
	    api_param_u32(rq, "timeline", 0, 1, &timeline, out) < 0 ||
	    api_param_u32(rq, "points", 1, 10000, &f.points, out) < 0) {
		db_run_clear(&r);
		return st ? st : 400;
	}
	f.has_pid = q.f.has_pid;
	f.pid = q.f.pid;
	f.has_tid = q.f.has_tid;
	f.tid = q.f.tid;
	f.limit = q.f.limit;
	f.timeline = threads && timeline;
	f.from_ns = q.f.from_ns; /* the timeline follows the window and CPUs too */
	f.to_ns = q.f.to_ns;
	f.cpus = q.f.cpus;
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
		if (api_facts_add(db, &r, &q, threads ? SINK_FACT_SCHED : SINK_FACT_SYSCALL, o,
				  err, sizeof err)) {
			cJSON_Delete(o);
			o = NULL;
		}
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
