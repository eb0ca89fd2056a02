/* test_db_factblob.c — the packed per-slice facts (db/db_factblob.c, db_factblob_store.c,
 * db_facts.c): a blob decodes to what was encoded (unordered keys, high-bit keys, 32-bit
 * pids, zero values); every damaged blob (each truncation, a wrong version, a count too
 * large, a pid past 32 bits, a bad mask, a byte too many) is refused, read inside its
 * bounds; windows over slices whose counts are distinct powers of two read exactly their
 * slices (a skipped or extra blob changes the sum), two windows add up to the whole, and
 * migration 15 repacks the rows of an older database into blobs that read the same.
 * Expected numbers are written here by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db/db.h"
#include "db/db_facts.h"
#include "db/db_factblob.h"
#include "db/db_factblob_store.h"
#include "db_test_file.h"

#define RUN 7
#define MS 1000000LL

/* ---- the codec ---- */

static const struct sink_slice_fact facts[] = {
	{1, 0, 0, 4, 40, 0xfffff80012345678ull, 3, 0, 700, 0},
	{1, 0, 0, 4, 41, 0x10, 1, 1, 1, 1},
	{1, 0, 0, 2, 7, 0x10, 0, 0, 0, 0},           /* pid going down: no order needed */
	{1, 0, 0, UINT32_MAX, UINT32_MAX, UINT64_MAX, UINT64_MAX, 5, UINT64_MAX, 9},
	{1, 0, 0, 0, 0, 0, 2, 0, 0, 4096},
};
#define NFACTS (sizeof facts / sizeof facts[0])

struct got {
	struct db_factblob_entry e[16];
	size_t n;
};

static int collect(void *ud, const struct db_factblob_entry *e)
{
	struct got *g = ud;
	if (g->n < 16)
		g->e[g->n] = *e;
	g->n++;
	return 0;
}

static size_t encode(uint8_t *buf)
{
	assert_true(db_factblob_bound(NFACTS) <= 1024);
	return db_factblob_encode(facts, NFACTS, buf);
}

static void test_round_trip(void **state)
{
	(void)state;
	uint8_t buf[1024];
	size_t len = encode(buf);
	struct got g = {0};
	assert_int_equal(db_factblob_decode(buf, len, collect, &g), 0);
	assert_int_equal(g.n, NFACTS);
	for (size_t i = 0; i < NFACTS; i++) {
		assert_int_equal(g.e[i].pid, facts[i].pid);
		assert_int_equal(g.e[i].tid, facts[i].tid);
		assert_true(g.e[i].key == facts[i].key);
		assert_true(g.e[i].v[0] == facts[i].n && g.e[i].v[1] == facts[i].m &&
			    g.e[i].v[2] == facts[i].ns && g.e[i].v[3] == facts[i].bytes);
	}
	/* the empty blob: version, count 0 */
	g.n = 0;
	assert_int_equal(db_factblob_decode((const uint8_t *)"\1\0", 2, collect, &g), 0);
	assert_int_equal(g.n, 0);
}

/* Each cut of a blob, in a buffer of exactly its length (ASan sees a read past it). */
static void test_truncated(void **state)
{
	(void)state;
	uint8_t buf[1024];
	size_t len = encode(buf);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *p = malloc(cut ? cut : 1);
		memcpy(p, buf, cut);
		struct got g = {0};
		assert_int_equal(db_factblob_decode(p, cut, collect, &g), -1);
		free(p);
	}
}

static void test_damaged(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		uint8_t b[16];
		size_t len;
	} bad[] = {
		{"version 2", {2, 0}, 2},
		{"version 0", {0, 0}, 2},
		{"count past the bytes", {1, 9, 0, 0, 0, 0}, 6},
		{"a varint of 11 bytes", {1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}, 13},
		{"pid past 32 bits", {1, 1, 0x80, 0x80, 0x80, 0x80, 0x20, 0, 0, 0}, 10}, /* zigzag 2^33 */
		{"a mask of 5 bits", {1, 1, 0, 0, 0, 0x10, 1}, 7},
		{"a byte too many", {1, 1, 0, 0, 0, 1, 5, 0}, 8},
		{"an entry short of its value", {1, 1, 0, 0, 0, 3, 5}, 7},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct got g = {0};
		uint8_t *p = malloc(bad[i].len);
		memcpy(p, bad[i].b, bad[i].len);
		if (db_factblob_decode(p, bad[i].len, collect, &g) != -1)
			fail_msg("accepted: %s", bad[i].what);
		free(p);
	}
	/* and the well-formed one the last two are cut from */
	struct got g = {0};
	assert_int_equal(db_factblob_decode((const uint8_t *)"\1\1\0\0\0\1\5", 7, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_true(g.e[0].v[0] == 5);
}

/* ---- the store: slices whose counts are distinct powers of two ---- */

#define SLICES 25 /* 2.5 s */

/* Syscall facts of pid 4 / tid 40, key 0x10: on CPU 0 slice i has n = 2^i; on CPU 1
 * m = 2^i; plus pid 5 / tid 50 on CPU 1 with bytes = 2^i. Slice 5 of CPU 0 comes in two
 * parts (16 + 16). With rollups: per second and whole, summed by hand here. */
static void store_facts(sqlite3 *db, int rolled)
{
	struct db_factblob_writer w = {.db = db};
	char err[256];
	uint64_t sec[3][3] = {{0}}, whole[3] = {0};
	for (uint32_t i = 0; i < SLICES; i++) {
		uint64_t v = 1ull << i;
		struct sink_slice_fact f[] = {
			{SINK_FACT_SYSCALL, 0, i, 4, 40, 0x10, v, 0, 0, 0},
			{SINK_FACT_SYSCALL, 1, i, 4, 40, 0x10, 0, v, 0, 0},
			{SINK_FACT_SYSCALL, 1, i, 5, 50, 0x10, 0, 0, 0, v},
		};
		if (i == 5) {
			f[0].n = v / 2;
			assert_int_equal(db_factblob_write(&w, RUN, f, 1, err, sizeof err), 0);
		}
		assert_int_equal(db_factblob_write(&w, RUN, f, 3, err, sizeof err), 0);
		for (int k = 0; k < 3; k++) {
			sec[i / 10][k] += v;
			whole[k] += v;
		}
	}
	for (uint32_t s = 0; rolled && s < 3; s++) {
		struct sink_slice_fact f[] = {
			{SINK_FACT_SYSCALL + SINK_FACT_SECOND, 0, s, 4, 40, 0x10, sec[s][0], 0, 0, 0},
			{SINK_FACT_SYSCALL + SINK_FACT_SECOND, 1, s, 4, 40, 0x10, 0, sec[s][1], 0, 0},
			{SINK_FACT_SYSCALL + SINK_FACT_SECOND, 1, s, 5, 50, 0x10, 0, 0, 0, sec[s][2]},
		};
		assert_int_equal(db_factblob_write(&w, RUN, f, 3, err, sizeof err), 0);
	}
	struct sink_slice_fact f[] = {
		{SINK_FACT_SYSCALL + SINK_FACT_WHOLE, 0, 0, 4, 40, 0x10, whole[0], 0, 0, 0},
		{SINK_FACT_SYSCALL + SINK_FACT_WHOLE, 1, 0, 4, 40, 0x10, 0, whole[1], 0, 0},
		{SINK_FACT_SYSCALL + SINK_FACT_WHOLE, 1, 0, 5, 50, 0x10, 0, 0, 0, whole[2]},
	};
	if (rolled)
		assert_int_equal(db_factblob_write(&w, RUN, f, 3, err, sizeof err), 0);
	db_factblob_writer_clear(&w);
}

struct sums {
	uint64_t v[4];
	int rows;
};

static int on_row(void *ud, const struct db_fact_row *r)
{
	((struct sums *)ud)->rows++;
	(void)r;
	return 0;
}

static int on_total(void *ud, const struct db_fact_row *r)
{
	struct sums *s = ud;
	for (int k = 0; k < 4; k++)
		s->v[k] += r->v[k];
	return 0;
}

/* Sums of the syscall facts of [from_ms, to_ms) on cpus (NULL: all), pid (0: any). */
static struct sums read_window(sqlite3 *db, int64_t from_ms, int64_t to_ms,
			       const struct db_cpu_set *cpus, uint32_t pid)
{
	struct db_facts_filter f = {from_ms == INT64_MIN ? INT64_MIN : from_ms * MS,
				    to_ms == INT64_MAX ? INT64_MAX : to_ms * MS, cpus, pid != 0, 0,
				    pid, 0, 1000};
	struct sums s = {{0}, 0};
	char err[256];
	assert_int_equal(db_facts_read(db, RUN, SINK_FACT_SYSCALL, &f, on_row, on_total, &s, err,
				       sizeof err), 0);
	return s;
}

/* 2^lo + … + 2^hi */
static uint64_t bits(int lo, int hi)
{
	return (2ull << hi) - (1ull << lo);
}

static void check_windows(sqlite3 *db)
{
	static const struct {
		int64_t from_ms, to_ms;
		int lo, hi; /* slices */
	} w[] = {
		{INT64_MIN, INT64_MAX, 0, SLICES - 1}, {0, 1000, 0, 9}, {300, 2200, 3, 21},
		{1000, 2000, 10, 19}, {450, 1550, 4, 15}, {1999, 2001, 19, 20}, {2400, INT64_MAX, 24, 24},
		{INT64_MIN, 1300, 0, 12}, {1300, INT64_MAX, 13, SLICES - 1}, {500, 600, 5, 5},
	};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		struct sums s = read_window(db, w[i].from_ms, w[i].to_ms, NULL, 0);
		uint64_t want = bits(w[i].lo, w[i].hi);
		if (s.v[0] != want || s.v[1] != want || s.v[3] != want)
			fail_msg("window %zu [%lld, %lld) ms: n %llx m %llx bytes %llx, want %llx", i,
				 (long long)w[i].from_ms, (long long)w[i].to_ms,
				 (unsigned long long)s.v[0], (unsigned long long)s.v[1],
				 (unsigned long long)s.v[3], (unsigned long long)want);
		assert_int_equal(s.rows, 2); /* pid 4 and pid 5, key 0x10 */
	}
	/* two windows add up to the whole */
	struct sums a = read_window(db, INT64_MIN, 1300, NULL, 0);
	struct sums b = read_window(db, 1300, INT64_MAX, NULL, 0);
	struct sums all = read_window(db, INT64_MIN, INT64_MAX, NULL, 0);
	for (int k = 0; k < 4; k++)
		assert_true(a.v[k] + b.v[k] == all.v[k]);
	/* CPU 0 holds n only; pid 5 bytes only */
	struct db_cpu_set c0 = {0};
	db_cpu_set_add(&c0, 0);
	struct sums s = read_window(db, 300, 2200, &c0, 0);
	assert_true(s.v[0] == bits(3, 21) && s.v[1] == 0 && s.v[3] == 0);
	s = read_window(db, 300, 2200, NULL, 5);
	assert_true(s.v[0] == 0 && s.v[1] == 0 && s.v[3] == bits(3, 21));
	assert_int_equal(s.rows, 1);
}

static void test_windows_rolled(void **state)
{
	struct db_test_fx *fx = *state;
	store_facts(fx->db, 1);
	check_windows(fx->db);
	/* a slice's blob gone: a window over it misses exactly its bit */
	assert_int_equal(sqlite3_exec(fx->db, "DELETE FROM etw_fact_blobs WHERE domain = 1 AND"
				      " slice = 4 AND cpu = 0", NULL, NULL, NULL), SQLITE_OK);
	assert_true(read_window(fx->db, 300, 2200, NULL, 0).v[0] == bits(3, 21) - (1ull << 4));
}

static void test_windows_slices_only(void **state)
{
	struct db_test_fx *fx = *state;
	store_facts(fx->db, 0);
	check_windows(fx->db);
}

static void test_damaged_blob_is_an_error(void **state)
{
	struct db_test_fx *fx = *state;
	store_facts(fx->db, 1);
	assert_int_equal(sqlite3_exec(fx->db, "UPDATE etw_fact_blobs SET facts = x'0105'"
				      " WHERE domain = 1 AND slice = 3 AND cpu = 0", NULL, NULL, NULL),
			 SQLITE_OK);
	struct db_facts_filter f = {300 * MS, 2200 * MS, NULL, 0, 0, 0, 0, 1000};
	struct sums s = {{0}, 0};
	char err[256] = "";
	assert_int_equal(db_facts_read(fx->db, RUN, SINK_FACT_SYSCALL, &f, on_row, on_total, &s,
				       err, sizeof err), -1);
	assert_non_null(strstr(err, "damaged"));
}

/* A database written before migration 15: the facts as rows of etw_slice_facts (the SQL
 * of migration 13), user_version 14; migrating repacks them and drops the table. */
static void test_migration_repacks(void **state)
{
	struct db_test_fx *fx = *state;
	sqlite3 *db = fx->db;
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE etw_slice_facts ("
		"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
		"  domain INTEGER NOT NULL, slice INTEGER NOT NULL, cpu INTEGER NOT NULL,"
		"  pid INTEGER NOT NULL, tid INTEGER NOT NULL, key INTEGER NOT NULL,"
		"  n INTEGER NOT NULL, m INTEGER NOT NULL, ns INTEGER NOT NULL, bytes INTEGER NOT NULL,"
		"  PRIMARY KEY (run_id, domain, slice, cpu, pid, tid, key)) WITHOUT ROWID;"
		"DROP TABLE etw_fact_blobs; PRAGMA user_version=14;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO etw_slice_facts VALUES"
					    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL), SQLITE_OK);
	for (int run = RUN; run <= RUN + 1; run++) /* a second run: its rows stay its own */
		for (int i = 0; i < SLICES; i++)
			for (int cpu = 0; cpu < 2; cpu++) {
				const int64_t v[] = {run, SINK_FACT_SYSCALL, i, cpu, 4 + cpu, 40 + cpu * 10,
						     (int64_t)0xfffff80000001000ull, cpu ? 0 : 1ll << i,
						     cpu ? 1ll << i : 0, 100, cpu ? 1ll << i : 0};
				sqlite3_reset(st);
				for (int k = 0; k < 11; k++)
					sqlite3_bind_int64(st, k + 1, k == 0 && run != RUN ? run : v[k]);
				assert_int_equal(sqlite3_step(st), SQLITE_DONE);
			}
	sqlite3_finalize(st);
	char err[256] = "";
	if (db_migrate(db, err, sizeof err))
		fail_msg("migrate: %s", err);
	/* one blob per (run, domain, slice, CPU), the old table gone */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), (SELECT count(*) FROM sqlite_master"
					    " WHERE name = 'etw_slice_facts') FROM etw_fact_blobs",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2 * SLICES * 2);
	assert_int_equal(sqlite3_column_int(st, 1), 0);
	sqlite3_finalize(st);
	/* no rollups (the rows had none): windows read 100 ms slices */
	static const struct {
		int64_t from_ms, to_ms;
		int lo, hi;
	} w[] = {{INT64_MIN, INT64_MAX, 0, SLICES - 1}, {300, 2200, 3, 21}, {1999, 2001, 19, 20}};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		struct sums s = read_window(db, w[i].from_ms, w[i].to_ms, NULL, 0);
		uint64_t want = bits(w[i].lo, w[i].hi);
		assert_true(s.v[0] == want && s.v[1] == want && s.v[3] == want);
		assert_true(s.v[2] == 100ull * 2 * (uint64_t)(w[i].hi - w[i].lo + 1));
		assert_int_equal(s.rows, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test_setup_teardown(test_windows_rolled, db_test_fx_setup, db_test_fx_teardown),
		cmocka_unit_test_setup_teardown(test_windows_slices_only, db_test_fx_setup, db_test_fx_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_blob_is_an_error, db_test_fx_setup, db_test_fx_teardown),
		cmocka_unit_test_setup_teardown(test_migration_repacks, db_test_fx_setup, db_test_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
