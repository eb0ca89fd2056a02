/* db_facts.c — the filtered read of the packed per-slice facts (db_facts.h): the blobs of
 * the slices a filter selects, decoded and grouped in memory. */
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

/* Which stored rows answer a filter: up to three ranges of (domain, slice) — the 100 ms
 * slices of the domain, and rows of its per-second or whole-trace rollup (sink.h
 * SINK_FACT_SECOND / _WHOLE); an empty range has lo > hi. */
struct range {
	int dom;
	int64_t lo, hi;
};
struct plan {
	struct range r[3];
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
	*p = (struct plan){{{domain, lo, hi}, {domain, 1, 0}, {domain + SINK_FACT_SECOND, 1, 0}}};
	if (!rolled)
		return;
	if (lo == 0 && hi == INT64_MAX) {
		*p = (struct plan){{{domain, 1, 0}, {domain, 1, 0}, {domain + SINK_FACT_WHOLE, 0, 0}}};
		return;
	}
	int64_t s_lo = (lo + per - 1) / per, s_hi = hi == INT64_MAX ? INT64_MAX : (hi + 1) / per - 1;
	if (s_lo > s_hi)
		return;
	p->r[0].hi = s_lo * per - 1;
	if (s_hi != INT64_MAX) {
		p->r[1].lo = (s_hi + 1) * per;
		p->r[1].hi = hi;
	}
	p->r[2].lo = s_lo;
	p->r[2].hi = s_hi;
}

/* The SELECT of a domain's blobs in a slice range and a CPU set: ?1 run, ?2 domain,
 * ?3..?4 slices; only integers reach the SQL text. */
static int select_sql(const struct db_cpu_set *cpus, char *dst, size_t cap)
{
	int n = snprintf(dst, cap, "SELECT slice, cpu, facts FROM etw_fact_blobs"
			 " WHERE run_id = ?1 AND domain = ?2 AND slice BETWEEN ?3 AND ?4");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return cpus ? cpu_clause(cpus, dst + n, cap - (size_t)n) : 0;
}

enum { SQL_CAP = DB_MAX_CPUS * 6 + 512 };

/* The blob's slice and CPU beside the scan's callback. */
struct scan_ctx {
	db_facts_entry_fn cb;
	void *ud;
	int64_t slice;
	unsigned cpu;
};

static int on_blob_entry(void *ud, const struct db_factblob_entry *e)
{
	struct scan_ctx *c = ud;
	return c->cb(c->ud, c->slice, c->cpu, e);
}

/* db_facts_scan with its SQL buffer (SQL_CAP bytes). */
static int scan_sql(sqlite3 *db, int64_t run_id, int domain, int64_t lo, int64_t hi,
		    const struct db_cpu_set *cpus, struct scan_ctx *c, char *err, size_t errlen,
		    char *sql)
{
	sqlite3_stmt *st;
	if (select_sql(cpus, sql, SQL_CAP)) {
		snprintf(err, errlen, "filter too long");
		return -1;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, domain);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	int rc, out = 0;
	while (!out && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->slice = sqlite3_column_int64(st, 0);
		c->cpu = (unsigned)sqlite3_column_int(st, 1);
		const uint8_t *b = sqlite3_column_blob(st, 2);
		out = db_factblob_decode(b ? b : (const uint8_t *)"", (size_t)sqlite3_column_bytes(st, 2),
					 on_blob_entry, c);
		if (out < 0)
			snprintf(err, errlen, "a stored blob of per-slice facts is damaged (domain %d,"
				 " slice %lld)", domain, (long long)c->slice);
	}
	if (!out && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		out = -1;
	}
	sqlite3_finalize(st);
	return out;
}

int db_facts_scan(sqlite3 *db, int64_t run_id, int domain, int64_t lo, int64_t hi,
		  const struct db_cpu_set *cpus, db_facts_entry_fn cb, void *ud, char *err,
		  size_t errlen)
{
	/* on the heap: the server's worker threads have small stacks, and SQLite needs them */
	char *sql = malloc(SQL_CAP);
	if (!sql) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct scan_ctx c = {cb, ud, 0, 0};
	int rc = scan_sql(db, run_id, domain, lo, hi, cpus, &c, err, errlen, sql);
	free(sql);
	return rc;
}

/* ---- grouping in C: one pass over the selected rows for both the rows and the totals
 * (SQLite's GROUP BY sorts every row in a temporary B-tree, twice) ---- */

struct grp {
	uint32_t pid, tid;
	uint64_t key;
	uint64_t v[DB_FACT_VALUES];
};

/* An open-addressing map of groups; used slots have used[i]. */
struct grp_map {
	struct grp *g;
	uint8_t *used;
	size_t n, cap;
};

static size_t grp_hash(uint32_t pid, uint32_t tid, uint64_t key, size_t cap)
{
	uint64_t h = (key ^ ((uint64_t)pid << 32 | tid)) * 0x9e3779b97f4a7c15ull;
	return (size_t)((h ^ (h >> 29)) & (cap - 1));
}

/* The group of (pid, tid, key), added zeroed if new; NULL on ENOMEM. */
static struct grp *grp_get(struct grp_map *m, uint32_t pid, uint32_t tid, uint64_t key)
{
	if (2 * (m->n + 1) > m->cap) {
		struct grp_map b = {NULL, NULL, 0, m->cap ? 2 * m->cap : 256};
		b.g = malloc(b.cap * sizeof *b.g);
		b.used = calloc(b.cap, 1);
		if (!b.g || !b.used) {
			free(b.g);
			free(b.used);
			return NULL;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->used[i])
				continue;
			size_t j = grp_hash(m->g[i].pid, m->g[i].tid, m->g[i].key, b.cap);
			while (b.used[j])
				j = (j + 1) & (b.cap - 1);
			b.g[j] = m->g[i];
			b.used[j] = 1;
		}
		b.n = m->n;
		free(m->g);
		free(m->used);
		*m = b;
	}
	size_t i = grp_hash(pid, tid, key, m->cap);
	for (; m->used[i]; i = (i + 1) & (m->cap - 1))
		if (m->g[i].pid == pid && m->g[i].tid == tid && m->g[i].key == key)
			return &m->g[i];
	m->used[i] = 1;
	m->n++;
	m->g[i] = (struct grp){pid, tid, key, {0}};
	return &m->g[i];
}

/* The used groups moved to the front of m->g; their count. */
static size_t grp_pack(struct grp_map *m)
{
	size_t k = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->used[i])
			m->g[k++] = m->g[i];
	return k;
}

static void grp_free(struct grp_map *m)
{
	free(m->g);
	free(m->used);
}

/* Add one stored row (n, m, ns, bytes) to its group: SCHED per (pid, tid) with v[] as
 * db_facts.h says, the others per (pid, key) with v[] = n, m, ns, bytes. */
static void grp_add(struct grp *g, int sched, uint64_t key, const uint64_t *nmsb)
{
	if (!sched) {
		for (int i = 0; i < 4; i++)
			g->v[i] += nmsb[i];
	} else if (key < 3) {
		g->v[2 * key] += nmsb[2];
		g->v[2 * key + 1] += nmsb[0];
	} else if (key == 3) {
		g->v[6] += nmsb[2];
	}
}

/* Keys compare as the store orders them: signed 64-bit integers. */
static int key_cmp(uint64_t a, uint64_t b)
{
	return (int64_t)a < (int64_t)b ? -1 : (int64_t)a > (int64_t)b;
}

/* SCHED rows: running + ready + waiting ns first, then pid, tid. */
static int sched_order(const void *pa, const void *pb)
{
	const struct grp *a = pa, *b = pb;
	uint64_t ta = a->v[0] + a->v[2] + a->v[4], tb = b->v[0] + b->v[2] + b->v[4];
	if (ta != tb)
		return ta > tb ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

/* Other rows: ns, then n (both most first), then pid, key. */
static int sum_order(const void *pa, const void *pb)
{
	const struct grp *a = pa, *b = pb;
	if (a->v[2] != b->v[2])
		return a->v[2] > b->v[2] ? -1 : 1;
	if (a->v[0] != b->v[0])
		return a->v[0] > b->v[0] ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return key_cmp(a->key, b->key);
}

static int key_order(const void *pa, const void *pb)
{
	return key_cmp(((const struct grp *)pa)->key, ((const struct grp *)pb)->key);
}

/* Hand the first limit groups to cb (a callback's non-zero stops early). */
static void emit(const struct grp *g, size_t n, size_t limit, db_fact_fn cb, void *ud)
{
	for (size_t i = 0; i < n && i < limit; i++) {
		struct db_fact_row r = {g[i].pid, g[i].tid, g[i].key, {0}};
		memcpy(r.v, g[i].v, sizeof r.v);
		if (cb(ud, &r))
			return;
	}
}

/* The groups a read adds its facts to, under its filter. */
struct read_ctx {
	const struct db_facts_filter *f;
	int sched;
	struct grp_map rows, totals;
};

/* Add one stored fact to its row and total (1 on ENOMEM, which stops the scan). */
static int on_fact(void *ud, int64_t slice, unsigned cpu, const struct db_factblob_entry *e)
{
	struct read_ctx *c = ud;
	(void)slice;
	(void)cpu;
	if ((c->f->has_pid && e->pid != c->f->pid) || (c->f->has_tid && e->tid != c->f->tid))
		return 0;
	struct grp *g = grp_get(&c->rows, e->pid, c->sched ? e->tid : 0, c->sched ? 0 : e->key);
	struct grp *t = g ? grp_get(&c->totals, 0, 0, c->sched ? 0 : e->key) : NULL;
	if (!t)
		return 1;
	grp_add(g, c->sched, e->key, e->v);
	grp_add(t, c->sched, e->key, e->v);
	return 0;
}

int db_facts_read(sqlite3 *db, int64_t run_id, int domain, const struct db_facts_filter *f,
		  db_fact_fn rows_cb, db_fact_fn totals_cb, void *ud, char *err, size_t errlen)
{
	int rolled = db_facts_present(db, run_id, domain + SINK_FACT_WHOLE);
	if (rolled < 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	struct plan p;
	plan_of(f, domain, rolled, &p);
	struct read_ctx c = {f, domain == SINK_FACT_SCHED, {0}, {0}};
	int rc = 0;
	for (int i = 0; i < 3 && !rc; i++)
		if (p.r[i].lo <= p.r[i].hi)
			rc = db_facts_scan(db, run_id, p.r[i].dom, p.r[i].lo, p.r[i].hi, f->cpus,
					   on_fact, &c, err, errlen);
	if (rc > 0)
		snprintf(err, errlen, "out of memory");
	if (!rc) {
		size_t n = grp_pack(&c.rows);
		if (n) /* (an empty map has no array: qsort wants one) */
			qsort(c.rows.g, n, sizeof *c.rows.g, c.sched ? sched_order : sum_order);
		emit(c.rows.g, n, f->limit, rows_cb, ud);
		n = grp_pack(&c.totals);
		if (c.sched && !n) { /* the SCHED totals are one row, zeros when nothing matched */
			struct db_fact_row z = {0};
			totals_cb(ud, &z);
		}
		if (n)
			qsort(c.totals.g, n, sizeof *c.totals.g, key_order);
		emit(c.totals.g, n, SIZE_MAX, totals_cb, ud);
	}
	grp_free(&c.rows);
	grp_free(&c.totals);
	return rc ? -1 : 0;
}

int db_facts_present(sqlite3 *db, int64_t run_id, int domain)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM etw_fact_blobs WHERE run_id = ? AND domain = ?"
			       " LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, domain);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
