/* db_facts.c — the filtered read of the per-slice facts (db_facts.h). */
#include <stdio.h>
#include <stdlib.h>
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

/* Which stored rows answer a filter: 100 ms slices [a_lo, a_hi] and [b_lo, b_hi] of the
 * domain, and rows r_lo..r_hi of the rollup domain r_dom (sink.h SINK_FACT_SECOND /
 * _WHOLE); an empty range has lo > hi. */
struct plan {
	int64_t a_lo, a_hi, b_lo, b_hi, r_lo, r_hi;
	int r_dom;
};

/* The whole trace from its whole-trace rollup; a window from whole seconds plus the 100 ms
 * slices at its two ends; runs stored before the rollups (none for the domain) from
 * slices only. */
static void plan_of(const struct db_facts_filter *f, int domain, int rolled, struct plan *p)
{
	int64_t lo = f->from_ns <= 0 ? 0 : f->from_ns / SINK_FACT_SLICE_NS;
	int64_t hi = f->to_ns == INT64_MAX ? INT64_MAX
		     : f->to_ns <= 0 ? -1 : (f->to_ns - 1) / SINK_FACT_SLICE_NS;
	const int64_t per = SINK_FACT_SLICES_PER_SECOND;
	*p = (struct plan){lo, hi, 1, 0, 1, 0, domain + SINK_FACT_SECOND};
	if (!rolled)
		return;
	if (lo == 0 && hi == INT64_MAX) {
		*p = (struct plan){1, 0, 1, 0, 0, 0, domain + SINK_FACT_WHOLE};
		return;
	}
	int64_t s_lo = (lo + per - 1) / per, s_hi = hi == INT64_MAX ? INT64_MAX : (hi + 1) / per - 1;
	if (s_lo > s_hi)
		return;
	p->a_hi = s_lo * per - 1;
	if (s_hi != INT64_MAX) {
		p->b_lo = (s_hi + 1) * per;
		p->b_hi = hi;
	}
	p->r_lo = s_lo;
	p->r_hi = s_hi;
}

/* The rows of a plan with the filter: ?1 run, ?2 domain, ?3..?4 and ?8..?9 slices, ?10
 * rollup domain, ?11..?12 its rows, ?5 pid, ?6 tid (NULL: any); only integers reach the
 * SQL text. */
static int from_clause(const struct db_facts_filter *f, char *dst, size_t cap)
{
	char flt[DB_MAX_CPUS * 6 + 128];
	int n = snprintf(flt, sizeof flt, " AND (?5 IS NULL OR pid = ?5) AND (?6 IS NULL OR tid = ?6)");
	if (f->cpus && cpu_clause(f->cpus, flt + n, sizeof flt - (size_t)n))
		return -1;
	static const char *const range[3] = {"?2 AND slice BETWEEN ?3 AND ?4",
					      "?2 AND slice BETWEEN ?8 AND ?9",
					      "?10 AND slice BETWEEN ?11 AND ?12"};
	size_t len = (size_t)snprintf(dst, cap, "(");
	for (int i = 0; i < 3 && len < cap; i++)
		len += (size_t)snprintf(dst + len, cap - len,
					"%sSELECT pid, tid, key, n, m, ns, bytes FROM etw_slice_facts"
					" WHERE run_id = ?1 AND domain = %s%s", i ? " UNION ALL " : "",
					range[i], flt);
	if (len + 2 >= cap)
		return -1;
	memcpy(dst + len, ")", 2);
	return 0;
}

static void bind_filter(sqlite3_stmt *st, int64_t run_id, int domain,
			const struct db_facts_filter *f, const struct plan *p)
{
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, domain);
	sqlite3_bind_int64(st, 3, p->a_lo);
	sqlite3_bind_int64(st, 4, p->a_hi);
	if (f->has_pid)
		sqlite3_bind_int64(st, 5, f->pid);
	if (f->has_tid)
		sqlite3_bind_int64(st, 6, f->tid);
	sqlite3_bind_int64(st, 8, p->b_lo);
	sqlite3_bind_int64(st, 9, p->b_hi);
	sqlite3_bind_int(st, 10, p->r_dom);
	sqlite3_bind_int64(st, 11, p->r_lo);
	sqlite3_bind_int64(st, 12, p->r_hi);
}

#define SCHED_COLS                                                                        \
	"SUM(CASE key WHEN 0 THEN ns END), SUM(CASE key WHEN 0 THEN n END),"               \
	" SUM(CASE key WHEN 1 THEN ns END), SUM(CASE key WHEN 1 THEN n END),"              \
	" SUM(CASE key WHEN 2 THEN ns END), SUM(CASE key WHEN 2 THEN n END),"              \
	" SUM(CASE key WHEN 3 THEN ns END)"

static int run_query(sqlite3 *db, const char *sql, int64_t run_id, int domain,
		     const struct db_facts_filter *f, const struct plan *p, int limit_param,
		     db_fact_fn cb, void *ud, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	bind_filter(st, run_id, domain, f, p);
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

enum { FROM_CAP = 3 * (DB_MAX_CPUS * 6 + 384), SQL_CAP = FROM_CAP + 512 };
struct sql_bufs {
	char from[FROM_CAP], sql[SQL_CAP];
};

/* db_facts_read with its SQL buffers (FROM_CAP and SQL_CAP bytes). */
static int read_plan(sqlite3 *db, int64_t run_id, int domain, const struct db_facts_filter *f,
		     db_fact_fn rows_cb, db_fact_fn totals_cb, void *ud, char *err, size_t errlen,
		     struct sql_bufs *b, struct plan *p)
{
	char *from = b->from, *sql = b->sql;
	int rolled = db_facts_present(db, run_id, domain + SINK_FACT_WHOLE);
	if (rolled < 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	plan_of(f, domain, rolled, p);
	if (from_clause(f, from, FROM_CAP)) {
		snprintf(err, errlen, "filter too long");
		return -1;
	}
	int sched = domain == SINK_FACT_SCHED;
	if (sched)
		snprintf(sql, SQL_CAP, "SELECT pid, tid, 0, " SCHED_COLS " FROM %s"
			 " GROUP BY pid, tid ORDER BY SUM(CASE WHEN key < 3 THEN ns END) DESC, pid, tid"
			 " LIMIT ?7", from);
	else
		snprintf(sql, SQL_CAP, "SELECT pid, 0, key, SUM(n), SUM(m), SUM(ns), SUM(bytes),"
			 " 0, 0, 0 FROM %s GROUP BY pid, key"
			 " ORDER BY SUM(ns) DESC, SUM(n) DESC, pid, key LIMIT ?7", from);
	if (run_query(db, sql, run_id, domain, f, p, 1, rows_cb, ud, err, errlen))
		return -1;
	if (sched)
		snprintf(sql, SQL_CAP, "SELECT 0, 0, 0, " SCHED_COLS " FROM %s", from);
	else
		snprintf(sql, SQL_CAP, "SELECT 0, 0, key, SUM(n), SUM(m), SUM(ns), SUM(bytes), 0, 0,"
			 " 0 FROM %s GROUP BY key ORDER BY key", from);
	return run_query(db, sql, run_id, domain, f, p, 0, totals_cb, ud, err, errlen);
}

int db_facts_read(sqlite3 *db, int64_t run_id, int domain, const struct db_facts_filter *f,
		  db_fact_fn rows_cb, db_fact_fn totals_cb, void *ud, char *err, size_t errlen)
{
	/* on the heap: the server's worker threads have small stacks, and SQLite needs them */
	struct sql_bufs *b = malloc(sizeof *b);
	struct plan p;
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = read_plan(db, run_id, domain, f, rows_cb, totals_cb, ud, err, errlen, b, &p);
	free(b);
	return rc;
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
