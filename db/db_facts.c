/* db_facts.c — the filtered read of the per-slice facts (db_facts.h). */
#include <stdio.h>
#include <string.h>
#include "db_facts.h"
#include "sink.h"

/* Appends " AND cpu IN (…)" for a CPU set: only integers reach the SQL text. */
static int cpu_clause(const struct db_cpu_set *cpus, char *dst, size_t cap)
{
	size_t len = (size_t)snprintf(dst, cap, " AND cpu IN (-1");
	for (unsigned c = 0; c < DB_MAX_CPUS && len < cap; c++)
		if (db_cpu_set_has(cpus, c))
			len += (size_t)snprintf(dst + len, cap - len, ",%u", c);
	if (len + 2 >= cap)
		return -1;
	memcpy(dst + len, ")", 2);
	return 0;
}

/* The WHERE clause shared by the row and total queries: ?1 run, ?2 domain, ?3..?4 slices,
 * ?5 pid, ?6 tid (NULL: any). */
static int where_clause(const struct db_facts_filter *f, char *dst, size_t cap)
{
	int n = snprintf(dst, cap, "WHERE run_id = ?1 AND domain = ?2 AND slice BETWEEN ?3 AND ?4"
			 " AND (?5 IS NULL OR pid = ?5) AND (?6 IS NULL OR tid = ?6)");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return f->cpus ? cpu_clause(f->cpus, dst + n, cap - (size_t)n) : 0;
}

static void bind_filter(sqlite3_stmt *st, int64_t run_id, int domain,
			const struct db_facts_filter *f)
{
	int64_t lo = f->from_ns <= 0 ? 0 : f->from_ns / SINK_FACT_SLICE_NS;
	int64_t hi = f->to_ns == INT64_MAX ? INT64_MAX
		     : f->to_ns <= 0 ? -1 : (f->to_ns - 1) / SINK_FACT_SLICE_NS;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, domain);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	if (f->has_pid)
		sqlite3_bind_int64(st, 5, f->pid);
	if (f->has_tid)
		sqlite3_bind_int64(st, 6, f->tid);
}

#define SCHED_COLS                                                                        \
	"SUM(CASE key WHEN 0 THEN ns END), SUM(CASE key WHEN 0 THEN n END),"               \
	" SUM(CASE key WHEN 1 THEN ns END), SUM(CASE key WHEN 1 THEN n END),"              \
	" SUM(CASE key WHEN 2 THEN ns END), SUM(CASE key WHEN 2 THEN n END),"              \
	" SUM(CASE key WHEN 3 THEN ns END)"

static int run_query(sqlite3 *db, const char *sql, int64_t run_id, int domain,
		     const struct db_facts_filter *f, int limit_param, db_fact_fn cb, void *ud,
		     char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	bind_filter(st, run_id, domain, f);
	if (limit_param)
		sqlite3_bind_int64(st, 7, f->limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_fact_row r = {(uint32_t)sqlite3_column_int64(st, 0),
					(uint32_t)sqlite3_column_int64(st, 1),
					(uint64_t)sqlite3_column_int64(st, 2), {0}};
		for (int i = 0; i < DB_FACT_VALUES; i++)
			r.v[i] = (uint64_t)sqlite3_column_int64(st, 3 + i);
		if (cb(ud, &r)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_facts_read(sqlite3 *db, int64_t run_id, int domain, const struct db_facts_filter *f,
		  db_fact_fn rows_cb, db_fact_fn totals_cb, void *ud, char *err, size_t errlen)
{
	char where[DB_MAX_CPUS * 6 + 256], sql[sizeof where + 512];
	if (where_clause(f, where, sizeof where)) {
		snprintf(err, errlen, "filter too long");
		return -1;
	}
	int sched = domain == SINK_FACT_SCHED;
	if (sched)
		snprintf(sql, sizeof sql, "SELECT pid, tid, 0, " SCHED_COLS " FROM etw_slice_facts"
			 " %s GROUP BY pid, tid ORDER BY SUM(CASE WHEN key < 3 THEN ns END) DESC, pid, tid"
			 " LIMIT ?7", where);
	else
		snprintf(sql, sizeof sql, "SELECT pid, 0, key, SUM(n), SUM(m), SUM(ns), SUM(bytes),"
			 " 0, 0, 0 FROM etw_slice_facts %s GROUP BY pid, key"
			 " ORDER BY SUM(ns) DESC, SUM(n) DESC, pid, key LIMIT ?7", where);
	if (run_query(db, sql, run_id, domain, f, 1, rows_cb, ud, err, errlen))
		return -1;
	if (sched)
		snprintf(sql, sizeof sql, "SELECT 0, 0, 0, " SCHED_COLS " FROM etw_slice_facts %s",
			 where);
	else
		snprintf(sql, sizeof sql, "SELECT 0, 0, key, SUM(n), SUM(m), SUM(ns), SUM(bytes), 0, 0,"
			 " 0 FROM etw_slice_facts %s GROUP BY key ORDER BY key", where);
	return run_query(db, sql, run_id, domain, f, 0, totals_cb, ud, err, errlen);
}

int db_facts_present(sqlite3 *db, int64_t run_id, int domain)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM etw_slice_facts WHERE run_id = ? AND domain = ?"
			       " LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, domain);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
