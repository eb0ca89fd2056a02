/* store_db.c — temporary databases and sink feeding for the store tests (cmocka asserts
 * on every step, so a failure points at the record that failed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "store_db.h"

void remove_db(const char *path)
{
	char p[300];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

sqlite3 *open_temp(char *path, size_t n)
{
	char err[256];
	snprintf(path, n, "/tmp/etlscope-test-store-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	sqlite3 *db = db_open(path, DB_READWRITE, err, sizeof err);
	assert_non_null(db);
	return db;
}

void feed_modules(const struct ingest_sink *k)
{
	for (int m = 0; m < GEN_MODULES; m++) {
		char name[32], path[64];
		snprintf(name, sizeof name, "drv%d.sys", m);
		snprintf(path, sizeof path, "\\SystemRoot\\System32\\drivers\\drv%d.sys", m);
		struct sink_module sm = {.path = path, .name = name,
					 .base = 0xfffff80000000000ull + (uint64_t)m * 0x10000,
					 .size = 0x10000, .timestamp = 0x5000 + (uint32_t)m,
					 .checksum = 0x77 + (uint32_t)m, .load_ns = INT64_MIN,
					 .unload_ns = INT64_MAX};
		int32_t id;
		assert_int_equal(k->module(k->ud, &sm, &id), 0);
		assert_int_equal(id, m);
	}
}

void feed_dpc(const struct ingest_sink *k, const struct gen_dpc *e)
{
	struct sink_dpcisr d = {e->t_ns, e->duration_ns, e->cpu, e->kind, e->module_id, e->routine};
	assert_int_equal(k->dpcisr(k->ud, &d), 0);
}

void feed_sample(const struct ingest_sink *k, const struct gen_sample *p)
{
	struct sink_cpu_sample s = {.t_ns = p->t_ns, .cpu = p->cpu, .pid = p->pid, .tid = 1,
				    .ip = 0x1000, .module_id = p->module_id,
				    .stack_modules = p->stack, .n_stack_modules = p->nstack,
				    .in_dpcisr = p->in_dpcisr};
	assert_int_equal(k->cpu_sample(k->ud, &s), 0);
}

/* Interleave both streams (by position: each is in its own delivery order). */
int64_t ingest(sqlite3 *db, const struct gen_data *g, int commit)
{
	char err[256];
	struct db_run_input in = {"etw", "syn.etl", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	assert_non_null(s);
	const struct ingest_sink *k = db_sink_iface(s);
	feed_modules(k);
	size_t i = 0, j = 0;
	while (i < g->ndpc || j < g->nsmp) {
		if (i < g->ndpc && (j >= g->nsmp || i * g->nsmp <= j * g->ndpc))
			feed_dpc(k, &g->dpc[i++]);
		else
			feed_sample(k, &g->smp[j++]);
	}
	if (!commit) {
		db_sink_abort(s);
		return -1;
	}
	int64_t id;
	assert_int_equal(db_sink_commit(s, "etl", 0, &id, NULL, NULL, err, sizeof err), 0);
	return id;
}

int64_t count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int each_run_table(sqlite3 *db, void (*fn)(void *ud, const char *table), void *ud)
{
	sqlite3_stmt *st;
	int tables = 0;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT m.name FROM sqlite_master m, "
						"pragma_table_info(m.name) c WHERE m.type = 'table' "
						"AND c.name = 'run_id'", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		fn(ud, (const char *)sqlite3_column_text(st, 0));
		tables++;
	}
	sqlite3_finalize(st);
	return tables;
}

int64_t begin_run(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "BEGIN; INSERT INTO runs(public_id, edit_token, name,"
				      " file_name, file_size, created_us) VALUES ('p','t','n','f',1,0)",
				      NULL, NULL, NULL), SQLITE_OK);
	return sqlite3_last_insert_rowid(db);
}

/* An unsigned LEB128 varint at *p; fails the test if the blob ends inside it. */
static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (unsigned sh = 0; *p < end && sh < 64; sh += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("a truncated varint");
	return 0;
}

void each_stk_count(sqlite3 *db, const char *sql, stk_count_fn fn, void *ud)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	int col = sqlite3_column_count(q) - 1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const uint8_t *p = sqlite3_column_blob(q, col);
		const uint8_t *end = p + sqlite3_column_bytes(q, col);
		assert_int_equal(*p++, 1); /* version */
		uint64_t count = varint(&p, end), pid = 0, tid = 0, node = 0;
		for (uint64_t i = 0; i < count; i++) {
			uint64_t dp = varint(&p, end), t = varint(&p, end), nd = varint(&p, end);
			pid += dp;
			tid = dp ? t : tid + t;
			node = dp || t ? nd : node + nd;
			fn(ud, q, pid, tid, node, varint(&p, end));
		}
		assert_true(p == end);
	}
	sqlite3_finalize(q);
}
