/* find_minifilter.c — finding "minifilter-delay": a filter driver whose callbacks add, per
 * operation of one major function, at least FLT_MIN_AVG_US on average over at least
 * FLT_MIN_OPS operations — "csagent.sys (CrowdStrike Ltd., EDR) added 7.5 ms to each file
 * create (150 of 600 callbacks over 10 ms), 38.0 % of sqlservr.exe (pid 777)'s file time".
 * Read from the per-slice facts of domain SINK_FACT_FLT, whole trace, only when the run's
 * summary says the trace proved the minifilter layout (ingest/etl/etl_fltagg.h).
 * Per operation = (pre + post delay) / the larger of the pre and post completion counts
 * (each operation has at most one of each). "N of M callbacks over 10 ms" counts pre and
 * post completions. The process share: the top process's delay by this driver and function
 * over its file I/O time (FileIo operations paired with their end, domain SINK_FACT_FILE);
 * left out when the trace has no such time or the delay exceeds it (the operations were
 * not all recorded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_facts.h"
#include "etl_fltio.h"
#include "find.h"
#include "sink.h"

#define FLT_MIN_OPS 10
#define FLT_MIN_AVG_US 1000.0
#define FLT_FINDINGS_MAX 5
#define FLT_GROUPS_MAX 256
#define FLT_PIDS_MAX 1024

struct flt_group {
	int32_t module;
	uint8_t major;
	uint64_t n[2], ns[2], over10[2];
	uint32_t top_pid;
	uint64_t top_ns;
};

struct flt_pid { uint32_t pid; int32_t module; uint8_t major; uint64_t ns; };

struct flt_find {
	struct flt_group g[FLT_GROUPS_MAX];
	size_t n;
	struct flt_pid p[FLT_PIDS_MAX];
	size_t np;
};

static struct flt_group *group_of(struct flt_find *f, uint64_t key)
{
	int32_t module = (int32_t)(uint32_t)(key >> 16) - 1;
	uint8_t major = (uint8_t)key;
	for (size_t i = 0; i < f->n; i++)
		if (f->g[i].module == module && f->g[i].major == major)
			return &f->g[i];
	if (f->n == FLT_GROUPS_MAX)
		return NULL;
	struct flt_group *g = &f->g[f->n++];
	memset(g, 0, sizeof *g);
	g->module = module;
	g->major = major;
	return g;
}

static int on_total(void *ud, const struct db_fact_row *r)
{
	struct flt_group *g = group_of(ud, r->key);
	int post = (r->key >> 8) & 1;
	if (g) {
		g->n[post] += r->v[0];
		g->over10[post] += r->v[1];
		g->ns[post] += r->v[2];
	}
	return 0;
}

/* Per (pid, module, major) delay, summed over pre and post. */
static int on_row(void *ud, const struct db_fact_row *r)
{
	struct flt_find *f = ud;
	int32_t module = (int32_t)(uint32_t)(r->key >> 16) - 1;
	uint8_t major = (uint8_t)r->key;
	for (size_t i = 0; i < f->np; i++)
		if (f->p[i].pid == r->pid && f->p[i].module == module && f->p[i].major == major) {
			f->p[i].ns += r->v[2];
			return 0;
		}
	if (f->np < FLT_PIDS_MAX)
		f->p[f->np++] = (struct flt_pid){r->pid, module, major, r->v[2]};
	return 0;
}

static int on_nothing(void *ud, const struct db_fact_row *r)
{
	(void)ud;
	(void)r;
	return 0;
}

static int on_file_total(void *ud, const struct db_fact_row *r)
{
	*(uint64_t *)ud += r->v[2];
	return 0;
}

/* "file create", "read" …: the major function in plain words. */
static const char *op_words(uint8_t major, char *buf, size_t n)
{
	static const struct { uint8_t m; const char *w; } words[] = {
		{0, "file create"}, {2, "close"}, {3, "read"}, {4, "write"},
		{5, "query-information call"}, {6, "set-information call"},
		{9, "flush"}, {12, "directory enumeration"}, {13, "file-system control call"},
		{18, "cleanup"},
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (words[i].m == major)
			return words[i].w;
	const char *name = etl_flt_major_name(major);
	snprintf(buf, n, "%s operation", name ? name : "unknown");
	return buf;
}

/* The top process's name (etw_processes), "" if none. */
static void process_name(struct find_ctx *c, uint32_t pid, char *buf, size_t n)
{
	sqlite3_stmt *st;
	buf[0] = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT name FROM etw_processes WHERE run_id = ? AND pid = ?"
				      " AND name <> '' ORDER BY rowid DESC LIMIT 1", -1, &st, NULL)
	    != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, c->run_id);
	sqlite3_bind_int64(st, 2, pid);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* ", 38.0 % of sqlservr.exe (pid 777)'s file time" or "" (see the top of the file). */
static int process_share(struct find_ctx *c, const struct flt_group *g, cJSON *num, char *buf,
			 size_t n)
{
	buf[0] = 0;
	if (!g->top_ns || g->top_pid == SINK_PID_UNKNOWN)
		return 0;
	struct db_facts_filter f = {INT64_MIN, INT64_MAX, NULL, 1, 0, g->top_pid, 0, 5000};
	uint64_t file_ns = 0;
	if (db_facts_read(c->db, c->run_id, SINK_FACT_FILE, &f, on_nothing, on_file_total, &file_ns,
			  c->err, c->errlen))
		return -1;
	char name[256], pct[32];
	process_name(c, g->top_pid, name, sizeof name);
	cJSON_AddNumberToObject(num, "top_pid", g->top_pid);
	cJSON_AddNumberToObject(num, "top_pid_delay_ms", (double)g->top_ns / 1e6);
	cJSON_AddNumberToObject(num, "top_pid_file_io_ms", (double)file_ns / 1e6);
	if (!file_ns || g->top_ns > file_ns)
		return 0;
	find_percent(100.0 * (double)g->top_ns / (double)file_ns, pct, sizeof pct);
	if (name[0])
		snprintf(buf, n, ", %s of %s (pid %u)'s file I/O time", pct, name, g->top_pid);
	else
		snprintf(buf, n, ", %s of pid %u's file I/O time", pct, g->top_pid);
	return 0;
}

static int emit(struct find_ctx *c, struct flt_group *g)
{
	const struct attr_row *row = c->attr ? attr_find(c->attr, g->module) : NULL;
	uint64_t ops = g->n[0] > g->n[1] ? g->n[0] : g->n[1];
	uint64_t total = g->ns[0] + g->ns[1];
	double avg_us = (double)total / (double)ops / 1e3;
	char desc[400], avg[32], over[32], calls[32], words[96], share[400];
	if (row)
		find_driver_desc(row, desc, sizeof desc);
	else
		snprintf(desc, sizeof desc, "module %d", g->module);
	find_duration_us(avg_us, avg, sizeof avg);
	find_thousands(g->over10[0] + g->over10[1], over, sizeof over);
	find_thousands(g->n[0] + g->n[1], calls, sizeof calls);
	cJSON *num = cJSON_CreateObject();
	cJSON_AddNumberToObject(num, "module_id", g->module);
	if (row)
		cJSON_AddStringToObject(num, "module", row->name);
	const char *mj = etl_flt_major_name(g->major);
	cJSON_AddStringToObject(num, "major_function", mj ? mj : "unknown");
	cJSON_AddNumberToObject(num, "operations", (double)ops);
	cJSON_AddNumberToObject(num, "avg_us", avg_us);
	cJSON_AddNumberToObject(num, "total_ms", (double)total / 1e6);
	cJSON_AddNumberToObject(num, "pre_total_ms", (double)g->ns[0] / 1e6);
	cJSON_AddNumberToObject(num, "post_total_ms", (double)g->ns[1] / 1e6);
	cJSON_AddNumberToObject(num, "callbacks", (double)(g->n[0] + g->n[1]));
	cJSON_AddNumberToObject(num, "callbacks_over_10ms", (double)(g->over10[0] + g->over10[1]));
	if (process_share(c, g, num, share, sizeof share)) {
		cJSON_Delete(num);
		return -1;
	}
	cJSON *link = cJSON_CreateObject();
	cJSON_AddNumberToObject(link, "module", g->module);
	find_emit(c, "minifilter-delay", g->over10[0] + g->over10[1] ? FIND_WARNING : FIND_INFO,
		  (double)total, "io", link, num, "%s added %s to each %s (%s of %s callbacks over "
		  "10 ms)%s.", desc, avg, op_words(g->major, words, sizeof words), over, calls, share);
	return 0;
}

int find_rules_minifilter(struct find_ctx *c)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(c->summary, "minifilter");
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(m, "state");
	if (!cJSON_IsString(state) || strcmp(state->valuestring, "decoded") != 0)
		return 0;
	struct flt_find *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(c->err, c->errlen, "findings: out of memory");
		return -1;
	}
	struct db_facts_filter all = {INT64_MIN, INT64_MAX, NULL, 0, 0, 0, 0, 5000};
	int rc = db_facts_read(c->db, c->run_id, SINK_FACT_FLT, &all, on_row, on_total, f, c->err,
			       c->errlen);
	for (size_t i = 0; rc == 0 && i < f->np; i++)
		for (size_t k = 0; k < f->n; k++)
			if (f->g[k].module == f->p[i].module && f->g[k].major == f->p[i].major &&
			    f->p[i].ns > f->g[k].top_ns) {
				f->g[k].top_ns = f->p[i].ns;
				f->g[k].top_pid = f->p[i].pid;
			}
	/* the largest totals first, at most FLT_FINDINGS_MAX */
	for (int emitted = 0; rc == 0 && emitted < FLT_FINDINGS_MAX; emitted++) {
		struct flt_group *best = NULL;
		for (size_t k = 0; k < f->n; k++) {
			struct flt_group *g = &f->g[k];
			uint64_t ops = g->n[0] > g->n[1] ? g->n[0] : g->n[1];
			if (g->module >= 0 && ops >= FLT_MIN_OPS &&
			    (double)(g->ns[0] + g->ns[1]) / (double)ops / 1e3 >= FLT_MIN_AVG_US &&
			    (!best || g->ns[0] + g->ns[1] > best->ns[0] + best->ns[1]))
				best = g;
		}
		if (!best)
			break;
		rc = emit(c, best);
		best->module = -1; /* done */
	}
	free(f);
	return rc;
}
