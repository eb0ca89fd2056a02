/* db_sched_timeline.c — the per-CPU scheduling timeline of a run as JSON, over a window
 * (the stored slices that overlap it) and a CPU set, at the stored slice width or merged
 * into at most `points` groups of consecutive slices per CPU (server-side decimation for
 * long windows; groups start at the window's first slice). A
 * merged group adds up each stored slice's top threads, "other" and idle; its top 3 is
 * taken from those sums, so a thread that was never in a slice's top 3 stays in
 * other_ns (the sums of every field are preserved exactly). */
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "db_sched.h"

#define GROUP_THREADS 32

struct group {
	int cpu;
	int64_t idx;
	uint32_t n;
	int64_t tid[GROUP_THREADS], pid[GROUP_THREADS];
	uint64_t ns[GROUP_THREADS];
	uint64_t other, idle;
};

/* g covers stored slices g->idx .. g->idx + per - 1 of slice_ns each. */
static void emit(cJSON *arr, struct group *g, int64_t slice_ns, int64_t per)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "cpu", g->cpu);
	cJSON_AddNumberToObject(r, "slice", (double)(g->idx / per));
	cJSON_AddNumberToObject(r, "t_s", (double)g->idx * (double)slice_ns / 1e9);
	cJSON_AddNumberToObject(r, "slice_s", (double)(per * slice_ns) / 1e9);
	cJSON *top = cJSON_AddArrayToObject(r, "top");
	for (int k = 0; k < 3; k++) {
		uint32_t best = UINT32_MAX;
		for (uint32_t i = 0; i < g->n; i++)
			if (g->ns[i] && (best == UINT32_MAX || g->ns[i] > g->ns[best]))
				best = i;
		if (best == UINT32_MAX)
			break;
		cJSON *t = cJSON_CreateObject();
		cJSON_AddNumberToObject(t, "tid", (double)g->tid[best]);
		if (g->pid[best] == 4294967295ll)
			cJSON_AddNullToObject(t, "pid");
		else
			cJSON_AddNumberToObject(t, "pid", (double)g->pid[best]);
		cJSON_AddNumberToObject(t, "ns", (double)g->ns[best]);
		cJSON_AddItemToArray(top, t);
		g->ns[best] = 0;
	}
	for (uint32_t i = 0; i < g->n; i++)
		g->other += g->ns[i];
	cJSON_AddNumberToObject(r, "other_ns", (double)g->other);
	cJSON_AddNumberToObject(r, "idle_ns", (double)g->idle);
	cJSON_AddItemToArray(arr, r);
}

static void add(struct group *g, int64_t tid, int64_t pid, uint64_t ns)
{
	uint32_t i = 0;
	while (i < g->n && g->tid[i] != tid)
		i++;
	if (i == g->n && g->n == GROUP_THREADS) {
		g->other += ns;
		return;
	}
	if (i == g->n) {
		g->tid[i] = tid;
		g->pid[i] = pid;
		g->ns[i] = 0;
		g->n++;
	}
	g->ns[i] += ns;
}

int db_sched_timeline_json(sqlite3 *db, int64_t run_id, const struct db_sched_filter *f,
			   cJSON *arr, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t nslices = 0, slice_ns = 0, k = 1;
	int rc;
	if (sqlite3_prepare_v2(db, "SELECT max(slice) + 1, max(slice_ns) FROM etw_sched_slices"
				   " WHERE run_id = ?", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		nslices = sqlite3_column_int64(st, 0);
		slice_ns = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (nslices <= 0 || slice_ns <= 0)
		return 0;
	/* the stored slices overlapping [from, to) */
	int64_t lo = f->from_ns <= 0 ? 0 : f->from_ns / slice_ns;
	int64_t hi = f->to_ns == INT64_MAX ? nslices - 1
		     : f->to_ns < 0 ? -1 : (f->to_ns - 1) / slice_ns;
	if (hi > nslices - 1)
		hi = nslices - 1;
	if (hi < lo)
		return 0;
	if (f->points && hi - lo + 1 > f->points)
		k = (hi - lo + 1 + f->points - 1) / f->points;
	if (sqlite3_prepare_v2(db, "SELECT cpu, slice, tid0, pid0, ns0, tid1, pid1, ns1, tid2, pid2,"
				   " ns2, other_ns, idle_ns FROM etw_sched_slices WHERE run_id = ?"
				   " AND slice BETWEEN ? AND ? ORDER BY cpu, slice", -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	struct group g = {.cpu = -1, .idx = -1};
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int cpu = sqlite3_column_int(st, 0);
		if (f->cpus && (cpu < 0 || cpu >= DB_MAX_CPUS || !db_cpu_set_has(f->cpus, (unsigned)cpu)))
			continue;
		int64_t idx = lo + (sqlite3_column_int64(st, 1) - lo) / k * k;
		if (cpu != g.cpu || idx != g.idx) {
			if (g.cpu >= 0)
				emit(arr, &g, slice_ns, k);
			memset(&g, 0, sizeof g);
			g.cpu = cpu;
			g.idx = idx;
		}
		for (int r = 0; r < 3; r++)
			if (sqlite3_column_type(st, 2 + 3 * r) != SQLITE_NULL)
				add(&g, sqlite3_column_int64(st, 2 + 3 * r),
				    sqlite3_column_int64(st, 3 + 3 * r),
				    (uint64_t)sqlite3_column_int64(st, 4 + 3 * r));
		g.other += (uint64_t)sqlite3_column_int64(st, 11);
		g.idle += (uint64_t)sqlite3_column_int64(st, 12);
	}
	if (g.cpu >= 0)
		emit(arr, &g, slice_ns, k);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
sqlfail:
	snprintf(err, errlen, "cannot read the scheduling timeline: %s", sqlite3_errmsg(db));
	return -1;
}
