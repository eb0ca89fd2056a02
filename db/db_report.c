/* db_report.c — storing and reading pre-bucketed DPC/ISR histograms and per-CPU usage from
 * text reports (see db_report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_etw.h"
#include "db_report.h"

struct db_report {
	sqlite3 *db;
	int64_t run_id;
	sqlite3_stmt *ins_bucket, *ins_usage;
	char err[256];
};

struct db_report *db_report_begin(sqlite3 *db, int64_t run_id)
{
	struct db_report *r = calloc(1, sizeof *r);
	if (r) {
		r->db = db;
		r->run_id = run_id;
	}
	return r;
}

const char *db_report_error(const struct db_report *r)
{
	return r->err;
}

void db_report_free(struct db_report *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->ins_bucket);
	sqlite3_finalize(r->ins_usage);
	free(r);
}

static int fail(struct db_report *r, const char *what)
{
	snprintf(r->err, sizeof r->err, "%s: %s", what, sqlite3_errmsg(r->db));
	return -1;
}

int db_report_bucket(struct db_report *r, const struct sink_dpcisr_bucket *b)
{
	if (b->kind >= SINK_DPCISR_KINDS || b->count > INT64_MAX || b->lo_ns > INT64_MAX ||
	    (b->hi_ns != UINT64_MAX && (b->hi_ns > INT64_MAX || b->hi_ns <= b->lo_ns))) {
		snprintf(r->err, sizeof r->err, "an impossible histogram bucket");
		return -1;
	}
	if (!r->ins_bucket &&
	    sqlite3_prepare_v2(r->db, "INSERT INTO report_dpc_buckets(run_id, block, kind, module,"
				      " lo_ns, hi_ns, count) VALUES (?,?,?,?,?,?,?)",
			       -1, &r->ins_bucket, NULL) != SQLITE_OK)
		return fail(r, "preparing histogram store");
	sqlite3_stmt *q = r->ins_bucket;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, r->run_id);
	sqlite3_bind_int64(q, 2, b->block);
	sqlite3_bind_int(q, 3, b->kind);
	if (b->module)
		sqlite3_bind_text(q, 4, b->module, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 4);
	sqlite3_bind_int64(q, 5, (int64_t)b->lo_ns);
	if (b->hi_ns == UINT64_MAX)
		sqlite3_bind_null(q, 6);
	else
		sqlite3_bind_int64(q, 6, (int64_t)b->hi_ns);
	sqlite3_bind_int64(q, 7, (int64_t)b->count);
	if (sqlite3_step(q) != SQLITE_DONE)
		return fail(r, "storing a histogram bucket");
	return 0;
}

int db_report_usage(struct db_report *r, const struct sink_dpcisr_usage *u)
{
	if (u->kind >= SINK_DPCISR_KINDS || u->busy_us > INT64_MAX || !u->module) {
		snprintf(r->err, sizeof r->err, "an impossible usage cell");
		return -1;
	}
	/* the same module twice in one table (or two tables of one kind) adds up */
	if (!r->ins_usage &&
	    sqlite3_prepare_v2(r->db, "INSERT INTO report_dpc_usage(run_id, kind, module, cpu,"
				      " busy_us) VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET"
				      " busy_us = busy_us + excluded.busy_us",
			       -1, &r->ins_usage, NULL) != SQLITE_OK)
		return fail(r, "preparing usage store");
	sqlite3_stmt *q = r->ins_usage;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, r->run_id);
	sqlite3_bind_int(q, 2, u->kind);
	sqlite3_bind_text(q, 3, u->module, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 4, u->cpu);
	sqlite3_bind_int64(q, 5, (int64_t)u->busy_us);
	if (sqlite3_step(q) != SQLITE_DONE)
		return fail(r, "storing a usage cell");
	return 0;
}

static int kind_ok(uint32_t mask, int kind)
{
	return mask == 0 || (mask >> kind & 1);
}

int db_report_blocks(sqlite3 *db, int64_t run_id, uint32_t kind_mask,
		     int (*cb)(void *ud, const struct db_report_block *b), void *ud, char *err,
		     size_t errlen)
{
	sqlite3_stmt *st;
	struct db_report_bucket *bk = NULL;
	size_t n = 0, cap = 0;
	char *module = NULL;
	int64_t cur = -1;
	int cur_kind = 0, any = 0, rc = 0, step, null_module = 0;
	uint64_t total = 0;

	if (sqlite3_prepare_v2(db, "SELECT block, kind, module, lo_ns, hi_ns, count FROM"
				   " report_dpc_buckets WHERE run_id=? ORDER BY block, lo_ns",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading histograms: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	for (;;) {
		step = sqlite3_step(st);
		int64_t block = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -2;
		if (block != cur && cur >= 0 && kind_ok(kind_mask, cur_kind)) {
			struct db_report_block b = {(uint32_t)cur, (uint8_t)cur_kind,
						    null_module ? NULL : module, total, n, bk};
			if ((rc = cb(ud, &b)) != 0)
				break;
		}
		if (step != SQLITE_ROW)
			break;
		any = 1;
		if (block != cur) {
			const unsigned char *m = sqlite3_column_text(st, 2);
			free(module);
			module = strdup(m ? (const char *)m : "");
			if (!module) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				break;
			}
			null_module = m == NULL;
			cur = block;
			cur_kind = sqlite3_column_int(st, 1);
			n = 0;
			total = 0;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct db_report_bucket *nb = realloc(bk, nc * sizeof *nb);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				break;
			}
			bk = nb;
			cap = nc;
		}
		bk[n].lo_ns = (uint64_t)sqlite3_column_int64(st, 3);
		bk[n].hi_ns = sqlite3_column_type(st, 4) == SQLITE_NULL
				      ? UINT64_MAX : (uint64_t)sqlite3_column_int64(st, 4);
		bk[n].count = (uint64_t)sqlite3_column_int64(st, 5);
		total += bk[n].count;
		n++;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		snprintf(err, errlen, "reading histograms: %s", sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_finalize(st);
	free(bk);
	free(module);
	return rc ? rc : any ? 0 : 1;
}

int db_report_usage_rows(sqlite3 *db, int64_t run_id,
			 int (*cb)(void *ud, const struct db_report_usage_row *u), void *ud,
			 char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = 0, any = 0, step;
	if (sqlite3_prepare_v2(db, "SELECT kind, module, cpu, busy_us FROM report_dpc_usage"
				   " WHERE run_id=? ORDER BY kind, module, cpu",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading usage: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_report_usage_row u = {(uint8_t)sqlite3_column_int(st, 0),
						(const char *)sqlite3_column_text(st, 1),
						(uint16_t)sqlite3_column_int(st, 2),
						(uint64_t)sqlite3_column_int64(st, 3)};
		any = 1;
		if ((rc = cb(ud, &u)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		snprintf(err, errlen, "reading usage: %s", sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc ? rc : any ? 0 : 1;
}
