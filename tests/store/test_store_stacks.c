/* test_store_stacks.c — the stack store (db/db_stacks.c, db_stacks_read.c) through the SQLite
 * sink: frames deduplicated, the prefix tree shared between stacks, the IP put in front of
 * a stack that lacks it, counts per (slice, CPU, pid, tid, leaf) exact after a late sample
 * lands in a slice already flushed, filters by window/CPU/thread/Idle, and process and
 * thread lifetimes. Expected values are worked out by hand from the records below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "db/db_etw.h"
#include "db/db_stacks.h"
#include "db/db_stk_nodes.h"
#include "db/db_stk_map.h"
#include "store_db.h"

#define NT 0xfffff80070600000ull
#define TCP 0xfffff80072000000ull
#define IDM 0xfffff80073000000ull
#define APP 0x00007ff600000000ull
enum { M_NT, M_TCP, M_IDM, M_APP };

static void sample(const struct ingest_sink *k, int64_t t_ms, uint16_t cpu, uint32_t pid,
		   uint32_t tid, uint64_t ip, int32_t ip_mod, const struct sink_frame *f, uint32_t n)
{
	struct sink_cpu_sample s = {.t_ns = t_ms * 1000000, .cpu = cpu, .pid = pid, .tid = tid,
				    .ip = ip, .module_id = ip_mod, .ip_kernel = ip >= NT,
				    .cover_module_id = -1, .frames = f, .n_frames = n};
	assert_int_equal(k->cpu_sample(k->ud, &s), 0);
}

/* One entry of a count blob, a row of temp.stk_counts (unpack_counts). */
static void insert_count(void *ud, sqlite3_stmt *row, uint64_t pid, uint64_t tid,
			 uint64_t node, uint64_t n)
{
	sqlite3_stmt *ins = ud;
	int64_t v[7] = {sqlite3_column_int64(row, 0), sqlite3_column_int64(row, 1),
			sqlite3_column_int64(row, 2), (int64_t)pid, (int64_t)tid, (int64_t)node,
			(int64_t)n};
	sqlite3_reset(ins);
	for (int c = 0; c < 7; c++)
		sqlite3_bind_int64(ins, c + 1, v[c]);
	assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
}

/* The count blobs (stk_count_blobs, migration 19) unpacked as db/db_stkblob.h describes
 * the format — decoded here, not by db_stkblob.c — into a TEMP stk_counts table with the
 * columns the rows had before, for the SQL checks below. */
static void unpack_counts(sqlite3 *db)
{
	sqlite3_stmt *ins;
	assert_int_equal(sqlite3_exec(db, "DROP TABLE IF EXISTS temp.stk_counts; CREATE TEMP"
				      " TABLE stk_counts(run_id, slice, cpu, pid, tid, node, n)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO temp.stk_counts VALUES"
					    " (?,?,?,?,?,?,?)", -1, &ins, NULL), SQLITE_OK);
	each_stk_count(db, "SELECT run_id, slice, cpu, counts FROM stk_count_blobs",
		       insert_count, ins);
	sqlite3_finalize(ins);
}

/* Each query's single number, against its expected value (stk_counts: unpacked first). */
struct row_check {
	const char *sql;
	int64_t want;
};
static void check_rows(sqlite3 *db, const struct row_check *t, size_t n)
{
	unpack_counts(db);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(count_rows(db, t[i].sql), t[i].want);
}

static int64_t sum;
static int add(void *ud, int64_t node, uint32_t pid, uint32_t tid, int64_t slice, int64_t n)
{
	(void)ud, (void)node, (void)pid, (void)tid, (void)slice;
	sum += n;
	return 0;
}

static int64_t total(sqlite3 *db, int64_t run, struct db_stk_filter f)
{
	char err[256];
	sum = 0;
	assert_int_equal(db_stk_counts(db, run, &f, 0, add, NULL, err, sizeof err), 0);
	return sum;
}

static void test_store(void **state)
{
	(void)state;
	char path[64], err[256], pub[33], tok[33];
	sqlite3 *db = open_temp(path, sizeof path);
	struct db_run_input in = {"stacks", "s.etl", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	const struct ingest_sink *k = db_sink_iface(s);
	const struct {
		const char *name;
		uint64_t base;
		uint32_t pid;
	} mods[] = {{"ntoskrnl.exe", NT, 0}, {"tcpip.sys", TCP, 0}, {"idmtdi.sys", IDM, 0},
		    {"wspsrv.exe", APP, 4321}};
	for (int i = 0; i < 4; i++) {
		struct sink_module m = {.path = mods[i].name, .name = mods[i].name,
					.base = mods[i].base, .size = 0x100000, .pid = mods[i].pid,
					.load_ns = INT64_MIN, .unload_ns = INT64_MAX};
		int32_t id;
		assert_int_equal(k->module(k->ud, &m, &id), 0);
		assert_int_equal(id, i);
	}
	struct sink_task tasks[] = {
		{SINK_PROCESS_START, 1, 0, 4321, 0, 600, "wspsrv.exe", "wspsrv.exe -service"},
		{SINK_THREAD_START, 1, 0, 4321, 10, 0, "", ""},
		{SINK_THREAD_START, 0, 100000000, 4321, 11, 0, "", ""},
		{SINK_THREAD_END, 0, 900000000, 4321, 11, 0, "", ""},
		{SINK_PROCESS_END, 0, 950000000, 4321, 0, 600, "wspsrv.exe", ""},
	};
	for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
		assert_int_equal(k->task(k->ud, &tasks[i]), 0);
	/* A: the TDI filter under tcpip under the kernel, 7 times on CPU 0, thread 10 */
	const struct sink_frame a[] = {{IDM + 0x10, 0x10, M_IDM, 0}, {TCP + 0x200, 0x200, M_TCP, 0},
				       {NT + 0x300, 0x300, M_NT, 0}};
	for (int i = 0; i < 7; i++)
		sample(k, i * 10, 0, 4321, 10, IDM + 0x10, M_IDM, a, 3);
	/* B: the kernel frame alone (a prefix of A), 3 times on CPU 1, thread 11, slice 1 */
	for (int i = 0; i < 3; i++)
		sample(k, 150 + i, 1, 4321, 11, NT + 0x300, M_NT, a + 2, 1);
	/* C: Idle without a stack, twice on CPU 2: the IP is the stack */
	sample(k, 20, 2, 0, 0, NT + 0x400, M_NT, NULL, 0);
	sample(k, 21, 2, 0, 0, NT + 0x400, M_NT, NULL, 0);
	/* D: only the user half matched: the IP (idmtdi) goes in front; slice 2 closes slice 0 */
	const struct sink_frame d[] = {{APP + 0x50, 0x50, M_APP, 0}};
	sample(k, 250, 0, 4321, 10, IDM + 0x10, M_IDM, d, 1);
	/* a late A in slice 0, after that slice was flushed: added, not lost or doubled */
	sample(k, 5, 0, 4321, 10, IDM + 0x10, M_IDM, a, 3);
	int64_t run;
	assert_int_equal(db_sink_commit(s, "etl", 0, &run, pub, tok, err, sizeof err), 0);

	const struct row_check rows[] = {
		/* frames: idmtdi+0x10, tcpip+0x200, nt+0x300, nt+0x400, app+0x50 */
		{"SELECT count(*) FROM stk_frames", 5},
		/* nodes: nt300, nt300>tcp200, >idm10; nt400; app50, app50>idm10 */
		{"SELECT count(*) FROM stk_nodes", 6},
		{"SELECT count(*) FROM stk_counts", 4},
		{"SELECT sum(n) FROM stk_counts", 14},
		{"SELECT n FROM stk_counts WHERE slice=0 AND cpu=0", 8},
		{"SELECT n_samples FROM stk_runs", 14},
	};
	check_rows(db, rows, sizeof rows / sizeof rows[0]);

	/* the path of A's leaf, root first */
	int64_t leaf = count_rows(db, "SELECT node FROM stk_counts WHERE slice=0 AND cpu=0");
	struct db_stk_reader *r = db_stk_reader_new(db, run);
	struct db_stk_frame fr[8];
	assert_int_equal(db_stk_path(r, leaf, fr, 8), 3);
	assert_int_equal(fr[0].module_id, M_NT);
	assert_int_equal(fr[0].offset, 0x300);
	assert_int_equal(fr[1].module_id, M_TCP);
	assert_int_equal(fr[2].module_id, M_IDM);
	assert_int_equal(fr[2].offset, 0x10);
	leaf = count_rows(db, "SELECT node FROM stk_counts WHERE slice=2");
	assert_int_equal(db_stk_path(r, leaf, fr, 8), 2);
	assert_int_equal(fr[0].module_id, M_APP);
	assert_int_equal(fr[1].module_id, M_IDM);
	db_stk_reader_free(r);
	/* the same path from the run's arrays (db_stk_nodes.h), as the server keeps them:
	 * 6 nodes and 5 frames (the counts above); too small a bound loads nothing */
	struct db_stk_nodes nodes;
	assert_int_equal(db_stk_nodes_load(db, run, db_stk_nodes_bytes(6, 5) - 1, &nodes), 1);
	assert_null(nodes.parent);
	assert_int_equal(db_stk_nodes_load(db, run, db_stk_nodes_bytes(6, 5), &nodes), 0);
	assert_int_equal(nodes.nn, 6);
	assert_int_equal(nodes.nf, 5);
	r = db_stk_reader_new_nodes(db, run, &nodes);
	assert_int_equal(db_stk_path(r, leaf, fr, 8), 2);
	assert_int_equal(fr[0].module_id, M_APP);
	assert_int_equal(fr[0].offset, 0x50);
	assert_int_equal(fr[1].module_id, M_IDM);
	assert_int_equal(fr[1].offset, 0x10);
	assert_int_equal(db_stk_path(r, 7, fr, 8), -1); /* no such node */
	db_stk_reader_free(r);
	/* the slice rows: 4 stored counts (3 busy, 1 Idle) in slices 0..2; a bound with no
	 * room for them adds none */
	assert_int_equal(db_stk_nodes_load_slices(db, run, db_stk_nodes_size(&nodes), &nodes), 1);
	assert_int_equal(nodes.nslices, 0);
	/* room for the rows' first allocation (4096 rows, busy and Idle) without their filter
	 * columns only (8 bytes a row, 18 with them), beside 2 × 4 slice starts: windows only */
	size_t base = db_stk_nodes_size(&nodes), starts = 2 * 4 * sizeof(uint32_t);
	assert_int_equal(db_stk_nodes_load_slices(db, run, base + starts + 2 * 4096 * 8, &nodes), 0);
	assert_int_equal(nodes.nslices, 3);
	assert_int_equal(nodes.slice_filters, 0);
	assert_int_equal(db_stk_nodes_size(&nodes), base + starts + 4 * 8);
	struct db_stk_filter early = {.from_ns = 0, .to_ns = 100000000, .idle = 1};
	sum = 0;
	assert_int_equal(db_stk_nodes_leaf_sums(&nodes, &early, add, NULL), 0);
	assert_int_equal(sum, 10);
	early.ntids = 1;
	early.tids[0] = 10;
	assert_int_equal(db_stk_nodes_leaf_sums(&nodes, &early, add, NULL), 1);
	db_stk_nodes_clear_slices(&nodes);
	assert_int_equal(db_stk_nodes_size(&nodes), base);
	assert_int_equal(db_stk_nodes_load_slices(db, run, 1 << 20, &nodes), 0);
	assert_int_equal(nodes.slice_filters, 1);
	assert_int_equal(db_stk_nodes_size(&nodes), base + starts + 4 * 18);
	assert_int_equal(nodes.rows[0].len + nodes.rows[1].len, 4);
	uint64_t cpu1[DB_MAX_CPUS / 64] = {1u << 1}, cpu02[DB_MAX_CPUS / 64] = {1u | 1u << 2};
	const struct {
		int64_t from_ms, to_ms;
		int idle;
		const uint64_t *cpus;
		uint32_t tid;
		int64_t want; /* the samples above, by hand; -1: as db_stk_counts sums them */
	} wins[] = {
		{0, 200, 0, NULL, 0, 11}, {0, 100, 0, NULL, 0, 8}, {0, 100, 1, NULL, 0, 10},
		{200, 300, 0, NULL, 0, 1}, {300, 400, 1, NULL, 0, 0}, {-100, 1000, 1, NULL, 0, 14},
		{50, 60, 0, NULL, 0, 8}, {100, 100, 1, NULL, 0, 0}, {-100, 1000, 0, cpu1, 0, 3},
		{-100, 1000, 0, NULL, 10, 9}, {0, 100, 1, cpu02, 0, -1}, {0, 200, 0, cpu1, 10, -1},
		{100, 300, 1, NULL, 10, -1},
	};
	for (size_t i = 0; i < sizeof wins / sizeof wins[0]; i++) {
		struct db_stk_filter w = {.from_ns = wins[i].from_ms * 1000000,
					  .to_ns = wins[i].to_ms * 1000000, .idle = wins[i].idle,
					  .cpu_words = wins[i].cpus, .tids = {wins[i].tid},
					  .ntids = wins[i].tid != 0};
		sum = 0;
		assert_int_equal(db_stk_nodes_leaf_sums(&nodes, &w, add, NULL), 0);
		int64_t got = sum, sql = total(db, run, w);
		if (wins[i].want >= 0)
			assert_int_equal(got, wins[i].want);
		assert_int_equal(got, sql); /* and SQLite's GROUP BY agrees */
	}
	db_stk_nodes_clear(&nodes);

	/* filters */
	struct db_stk_filter all = {.from_ns = INT64_MIN, .to_ns = INT64_MAX};
	assert_int_equal(total(db, run, all), 12); /* Idle left out */
	all.idle = 1;
	assert_int_equal(total(db, run, all), 14);
	struct db_stk_filter win = {.from_ns = 0, .to_ns = 200000000};
	assert_int_equal(total(db, run, win), 11); /* slices 0 and 1 */
	win.to_ns = 100000000;
	assert_int_equal(total(db, run, win), 8);  /* slice 0 only */
	uint64_t cpus[DB_MAX_CPUS / 64] = {1u << 1};
	struct db_stk_filter cpu = {.from_ns = INT64_MIN, .to_ns = INT64_MAX, .cpu_words = cpus};
	assert_int_equal(total(db, run, cpu), 3);
	struct db_stk_filter th = {.from_ns = INT64_MIN, .to_ns = INT64_MAX, .tids = {10}, .ntids = 1};
	assert_int_equal(total(db, run, th), 9);

	/* processes and threads */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM etw_processes WHERE pid=4321 AND"
				 " start_ns IS NULL AND end_ns=950000000 AND name='wspsrv.exe' AND"
				 " command_line='wspsrv.exe -service'"), 1);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM etw_threads WHERE tid=11 AND"
				 " start_ns=100000000 AND end_ns=900000000"), 1);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM etw_threads WHERE tid=10 AND"
				 " start_ns IS NULL AND end_ns IS NULL"), 1);
	db_close(db);
	remove_db(path);
}

/* The id cache alone: every id put is found until the map fills, then it is forgotten
 * whole; the Bloom filter never calls a key it was given new; the bytes are fixed. */
static void test_id_cache(void **state)
{
	(void)state;
	struct stk_ids m;
	assert_int_equal(stk_ids_init(&m, 4, 10), 0); /* 16 slots (12 ids), 1,024 bits */
	assert_int_equal(stk_ids_bytes(&m), 16 * 16 + 1024 / 8);
	for (uint32_t i = 1; i <= 12; i++)
		stk_ids_put(&m, 1000 + i, i % 3, i);
	for (uint32_t i = 1; i <= 12; i++)
		assert_int_equal(stk_ids_get(&m, 1000 + i, i % 3), i);
	assert_int_equal(stk_ids_get(&m, 1001, 2), 0); /* same a, other b */
	assert_int_equal(m.forgot, 0);
	stk_ids_put(&m, 2000, 0, 13); /* the 13th: the map forgets, then keeps it */
	assert_int_equal(m.forgot, 1);
	assert_int_equal(stk_ids_get(&m, 1005, 2), 0);
	assert_int_equal(stk_ids_get(&m, 2000, 0), 13);
	for (uint32_t i = 1; i <= 12; i++)
		assert_int_equal(stk_ids_surely_new(&m, 1000 + i, i % 3), 0);
	int surely = 0;
	for (uint32_t i = 0; i < 100; i++)
		surely += stk_ids_surely_new(&m, 5000 + i, 7);
	assert_true(surely > 50); /* 13 keys × 3 bits in 1,024: most others are ruled out */
	assert_int_equal(stk_ids_bytes(&m), 16 * 16 + 1024 / 8);
	stk_ids_free(&m);
}

/* A growing id cache (4 slots up to 16) forgets exactly when a 16-slot one would: full
 * (¾ of its slots) at 3 ids it doubles to 8, at 6 to 16, and only the 13th id, at 12 in 16
 * slots, makes it forget. Caps and the moment worked by hand from the ¾ rule. */
static void test_id_cache_growing(void **state)
{
	(void)state;
	struct stk_ids m;
	assert_int_equal(stk_ids_init_growing(&m, 2, 4, 10), 0);
	static const size_t cap_after[13] = {4, 4, 4, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16};
	for (uint32_t i = 1; i <= 12; i++) {
		assert_int_equal(stk_ids_full(&m), 0);
		assert_int_equal(stk_ids_put(&m, 1000 + i, i % 3, i), 0);
		assert_int_equal(m.cap, cap_after[i - 1]);
		for (uint32_t j = 1; j <= i; j++) /* every id kept across each doubling */
			assert_int_equal(stk_ids_get(&m, 1000 + j, j % 3), j);
	}
	assert_int_equal(stk_ids_full(&m), 1);
	assert_int_equal(m.forgot, 0);
	assert_int_equal(stk_ids_bytes(&m), 16 * 16 + 1024 / 8);
	assert_int_equal(stk_ids_put(&m, 1005, 2, 55), 0); /* a key it holds: updated, no forget */
	assert_int_equal(m.forgot, 0);
	assert_int_equal(stk_ids_get(&m, 1005, 2), 55);
	assert_int_equal(stk_ids_put(&m, 2000, 0, 13), 0); /* the 13th: forgets, keeps it */
	assert_int_equal(m.forgot, 1);
	assert_int_equal(m.cap, cap_after[12]);
	assert_int_equal(m.n, 1);
	assert_int_equal(stk_ids_get(&m, 1005, 2), 0);
	assert_int_equal(stk_ids_get(&m, 2000, 0), 13);
	for (uint32_t i = 1; i <= 12; i++)
		assert_int_equal(stk_ids_surely_new(&m, 1000 + i, i % 3), 0);
	stk_ids_free(&m);
}

/* Stacks through a store whose id caches hold 3 ids and forget: frames and nodes are still
 * stored once each and every count lands on the right leaf. 40 samples cycle through 4
 * stacks of 1..4 frames over 10 frame addresses, so the caches forget many times. */
/* A map that grows (call trees): every entry kept across each doubling, and no slot past the
 * bound whatever is put. */
static void test_growing_map(void **state)
{
	(void)state;
	struct stk_map m;
	assert_int_equal(stk_map_init(&m, 2), 0); /* 4 slots: full at 3 entries */
	for (uint64_t i = 0; i < 12; i++) { /* 16 slots at most: 12 entries */
		struct stk_entry *e = stk_map_put_grow(&m, i, 100 + i, 7, 4);
		assert_non_null(e);
		e->v = (int64_t)(i * 10);
	}
	assert_int_equal(m.cap, 16);
	assert_null(stk_map_put_grow(&m, 12, 112, 7, 4)); /* full at the bound */
	assert_int_equal(m.cap, 16);
	assert_int_equal(m.n, 12);
	for (uint64_t i = 0; i < 12; i++) {
		struct stk_entry *e = stk_map_get(&m, i, 100 + i, 7);
		assert_non_null(e);
		assert_int_equal(e->v, i * 10);
	}
	assert_null(stk_map_get(&m, 12, 112, 7));
	stk_map_free(&m);
}

/* A map's entries in key order for a flush: entry i has key (i / 100, i / 10 % 10, i % 10),
 * so the i-th in order is entry i; put in a scrambled order, every entry comes once,
 * ascending, with its value, and a second call (a flush retried) finds the same entries. */
static void test_sorted_map(void **state)
{
	(void)state;
	struct stk_map m;
	assert_int_equal(stk_map_init(&m, 10), 0); /* 1,024 slots: 700 entries fit */
	enum { N = 700 };
	for (uint64_t j = 0; j < N; j++) {
		uint64_t i = j * 389 % N; /* 389 and 700 coprime: every i once, scrambled */
		struct stk_entry *e = stk_map_put(&m, i / 100, i / 10 % 10, i % 10);
		assert_non_null(e);
		e->v = (int64_t)i + 1;
	}
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(stk_map_sorted(&m), N);
		for (uint64_t i = 0; i < N; i++) { /* key (i/100, i/10%10, i%10) is the i-th */
			assert_int_equal(m.e[i].k[0], i / 100);
			assert_int_equal(m.e[i].k[1], i / 10 % 10);
			assert_int_equal(m.e[i].k[2], i % 10);
			assert_int_equal(m.e[i].v, (int64_t)i + 1);
		}
	}
	stk_map_reset(&m);
	assert_int_equal(stk_map_sorted(&m), 0);
	stk_map_free(&m);
}

/* stk_map_sorted_upto: the entries with k[0] ≤ bound first, in key order, the rest after
 * them (any order); then stk_map_reset_sorted leaves every slot empty. Expected values from
 * the keys' construction: key i is (i/100, i/10%10, i%10), v = i + 1. */
static void test_sorted_upto(void **state)
{
	(void)state;
	struct stk_map m;
	assert_int_equal(stk_map_init(&m, 10), 0);
	enum { N = 700 };
	static const struct { uint64_t bound; size_t below; } cases[] = {
		{3, 400}, {0, 100}, {6, 700}, {UINT64_MAX, 700}, {7, 700},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		for (uint64_t j = 0; j < N; j++) {
			uint64_t i = j * 389 % N;
			struct stk_entry *e = stk_map_put(&m, i / 100, i / 10 % 10, i % 10);
			assert_non_null(e);
			e->v = (int64_t)i + 1;
		}
		size_t all = 0;
		assert_int_equal(stk_map_sorted_upto(&m, cases[c].bound, &all), cases[c].below);
		assert_int_equal(all, N);
		for (uint64_t i = 0; i < cases[c].below; i++) {
			assert_int_equal(m.e[i].k[0], i / 100);
			assert_int_equal(m.e[i].k[1], i / 10 % 10);
			assert_int_equal(m.e[i].k[2], i % 10);
			assert_int_equal(m.e[i].v, (int64_t)i + 1);
		}
		int64_t rest = 0; /* the others: each once, so their v sum to the rest of 1..N */
		for (size_t i = cases[c].below; i < N; i++) {
			assert_true(m.e[i].used && m.e[i].k[0] > cases[c].bound);
			assert_int_equal(m.e[i].v, (int64_t)(m.e[i].k[0] * 100 + m.e[i].k[1] * 10 +
							      m.e[i].k[2]) + 1);
			rest += m.e[i].v;
		}
		int64_t below = (int64_t)cases[c].below;
		assert_int_equal(rest, (int64_t)N * (N + 1) / 2 - below * (below + 1) / 2);
		stk_map_reset_sorted(&m, all);
		assert_int_equal(m.n, 0);
		for (size_t i = 0; i < m.cap; i++)
			assert_false(m.e[i].used);
	}
	stk_map_free(&m);
}

static void test_forgetting_cache(void **state)
{
	(void)state;
	char path[64];
	sqlite3 *db = open_temp(path, sizeof path);
	int64_t run = begin_run(db);
	struct db_stacks *w = db_stacks_begin_sized(db, run, 2, 6);
	assert_non_null(w);
	assert_int_equal(db_stacks_module(w, 0, NT), 0);
	/* stack k (1..4): frames NT + 0x10 × (k + j) for j = 0..k-1, leaf first */
	for (int i = 0; i < 40; i++) {
		int k = i % 4 + 1;
		struct sink_frame f[4];
		for (int j = 0; j < k; j++)
			f[j] = (struct sink_frame){NT + 0x10u * (unsigned)(k + j), 0x10u * (unsigned)(k + j),
						   0, 0};
		struct sink_cpu_sample s = {.t_ns = i * 1000000LL, .pid = 4, .tid = 8, .ip = f[0].addr,
					    .module_id = 0, .frames = f, .n_frames = (uint32_t)k};
		assert_int_equal(db_stacks_sample(w, &s), 0);
	}
	assert_int_equal(db_stacks_finish(w), 0);
	db_stacks_free(w);
	const struct row_check rows[] = {
		/* distinct offsets: 0x10 × {1; 2,3; 3,4,5; 4,5,6,7} = 7; nodes: 1 + 2 + 3 + 4 */
		{"SELECT count(*) FROM stk_frames", 7},
		{"SELECT count(DISTINCT offset) FROM stk_frames", 7},
		{"SELECT count(*) FROM stk_nodes", 10},
		{"SELECT count(*) FROM stk_counts", 4},
		{"SELECT min(n) FROM stk_counts", 10},
		{"SELECT max(n) FROM stk_counts", 10},
	};
	check_rows(db, rows, sizeof rows / sizeof rows[0]);
	/* the deepest stack's path, root first: 0x70, 0x60, 0x50, 0x40 */
	int64_t leaf = count_rows(db, "SELECT c.node FROM stk_counts c JOIN stk_nodes n ON"
				      " n.run_id=c.run_id AND n.id=c.node JOIN stk_frames f ON"
				      " f.run_id=n.run_id AND f.id=n.frame WHERE f.offset=64");
	struct db_stk_reader *r = db_stk_reader_new(db, run);
	struct db_stk_frame fr[8];
	assert_int_equal(db_stk_path(r, leaf, fr, 8), 4);
	for (int j = 0; j < 4; j++)
		assert_int_equal(fr[j].offset, 0x70 - 0x10 * j);
	db_stk_reader_free(r);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	db_close(db);
	remove_db(path);
}

/* Stacks drawn from a small frame set (shared prefixes, repeated paths), one in four with
 * a leaf frame never seen before (the store's worst case), stored through id caches small
 * enough to be forgotten again and again: every distinct frame and root-first path is one
 * row, counted here by a linear scan over what was drawn (not by the store's maps). */
#define MANY 1500
#define MANY_DEPTH 6
struct drawn {
	int n;
	uint32_t off[MANY_DEPTH]; /* root first */
};
static struct drawn drawn[MANY];

static int same_prefix(const struct drawn *a, const struct drawn *b, int len)
{
	return a->n >= len && b->n >= len && !memcmp(a->off, b->off, (size_t)len * sizeof a->off[0]);
}

/* Rows a leaf totals reader gave: their number, their sum, and a hash of the sequence of
 * (node, n) (the order matters: tree builders keep the first stack reaching a node). */
struct held_walk {
	int64_t rows, sum;
	uint64_t seq;
};
static int on_held(void *ud, int64_t node, uint32_t pid, uint32_t tid, int64_t slice, int64_t n)
{
	struct held_walk *h = ud;
	(void)pid, (void)tid, (void)slice;
	h->seq = (h->seq * 1000003u) ^ (uint64_t)node;
	h->seq = (h->seq * 1000003u) ^ (uint64_t)n;
	h->rows++;
	h->sum += n;
	return 0;
}

static void test_forgetting_many(void **state)
{
	(void)state;
	static const unsigned sizes[][2] = {{2, 6}, {3, 6}, {4, 8}, {6, 10}, {17, 23}};
	uint32_t x = 12345;
	int64_t want_frames = 0, want_nodes = 0;
	for (int i = 0; i < MANY; i++) {
		struct drawn *d = &drawn[i];
		x = x * 1103515245u + 12345u;
		d->n = (int)(x >> 16) % MANY_DEPTH + 1;
		for (int j = 0; j < d->n; j++) {
			x = x * 1103515245u + 12345u;
			d->off[j] = 0x10u * ((x >> 16) % 5 + 1); /* 5 shared offsets */
		}
		if (i % 4 == 0)
			d->off[d->n - 1] = 0x1000u + 0x10u * (uint32_t)i; /* a new leaf */
	}
	for (int i = 0; i < MANY; i++) /* distinct frames: offsets first seen at (i, j) */
		for (int j = 0; j < drawn[i].n; j++) {
			int seen = 0;
			for (int k = 0; k <= i && !seen; k++)
				for (int m = 0; m < (k < i ? drawn[k].n : j) && !seen; m++)
					seen = drawn[k].off[m] == drawn[i].off[j];
			want_frames += !seen;
		}
	for (int i = 0; i < MANY; i++) /* distinct paths: prefixes of length 1..n first seen */
		for (int len = 1; len <= drawn[i].n; len++) {
			int seen = 0;
			for (int k = 0; k < i && !seen; k++)
				seen = same_prefix(&drawn[k], &drawn[i], len);
			want_nodes += !seen;
		}
	int64_t want_leaves[2] = {0, 0}; /* distinct whole paths among Idle (1) samples or not */
	for (int i = 0; i < MANY; i++) {
		int idle = i % 10 == 0, seen = 0;
		for (int k = 0; k < i && !seen; k++)
			seen = (k % 10 == 0) == idle && drawn[k].n == drawn[i].n &&
			       same_prefix(&drawn[k], &drawn[i], drawn[i].n);
		want_leaves[idle] += !seen;
	}
	for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
		char path[64];
		sqlite3 *db = open_temp(path, sizeof path);
		int64_t run = begin_run(db);
		struct db_stacks *w = db_stacks_begin_sized(db, run, sizes[c][0], sizes[c][1]);
		assert_non_null(w);
		assert_int_equal(db_stacks_module(w, 0, NT), 0);
		for (int i = 0; i < MANY; i++) {
			struct sink_frame f[MANY_DEPTH];
			for (int j = 0; j < drawn[i].n; j++) /* leaf first */
				f[j] = (struct sink_frame){NT + drawn[i].off[drawn[i].n - 1 - j],
							   drawn[i].off[drawn[i].n - 1 - j], 0, 0};
			/* every 5th sample in Idle, every 10th of them in a DPC (busy, not Idle) */
			struct sink_cpu_sample s = {.t_ns = i * 1000000LL, .pid = i % 5 ? 4 : 0,
						    .tid = i % 5 ? 8 : 0, .in_dpcisr = i % 10 == 5,
						    .ip = f[0].addr, .module_id = 0, .frames = f,
						    .n_frames = (uint32_t)drawn[i].n};
			assert_int_equal(db_stacks_sample(w, &s), 0);
		}
		assert_int_equal(db_stacks_finish(w), 0);
		db_stacks_free(w);
		const struct row_check rows[] = {
			{"SELECT count(*) FROM stk_frames", want_frames},
			{"SELECT count(*) FROM stk_nodes", want_nodes},
			{"SELECT count(*) FROM (SELECT DISTINCT parent, frame FROM stk_nodes)", want_nodes},
			{"SELECT max(id) FROM stk_nodes", want_nodes},
			{"SELECT n_frames FROM stk_runs", want_frames},
			{"SELECT n_nodes FROM stk_runs", want_nodes},
			{"SELECT sum(n) FROM stk_counts", MANY},
			{"SELECT sum(n) FROM stk_leaf_totals", MANY},
			{"SELECT sum(n) FROM stk_leaf_totals WHERE idle=1", MANY / 10},
			{"SELECT count(*) FROM stk_leaf_totals WHERE idle=0", want_leaves[0]},
			{"SELECT count(*) FROM stk_leaf_totals WHERE idle=1", want_leaves[1]},
			/* each leaf's total is the sum of its count rows */
			{"SELECT count(*) FROM stk_leaf_totals t WHERE n <> (SELECT sum(n) FROM"
			 " stk_counts c WHERE c.node=t.node AND " DB_STK_IDLE_SQL "=t.idle)", 0},
		};
		check_rows(db, rows, sizeof rows / sizeof rows[0]);
		/* the totals held in memory: the rows SQLite gives, in its order */
		struct db_stk_reader *r = db_stk_reader_new(db, run);
		assert_int_equal(db_stk_reader_totals(r, 0, on_held, &(struct held_walk){0}), 1);
		assert_int_equal(db_stk_reader_hold_totals(r), 0);
		for (int idle = 0; idle < 2; idle++) {
			struct held_walk h = {0}, sql = {0};
			char err[256];
			assert_int_equal(db_stk_reader_totals(r, idle, on_held, &h), 0);
			assert_int_equal(db_stk_totals_counts(db, run, idle, on_held, &sql, err,
							      sizeof err), 0);
			assert_int_equal(h.rows, want_leaves[0] + (idle ? want_leaves[1] : 0));
			assert_int_equal(h.sum, idle ? MANY : MANY - MANY / 10);
			assert_int_equal(h.seq, sql.seq);
		}
		db_stk_reader_free(r);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		db_close(db);
		remove_db(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_store), cmocka_unit_test(test_id_cache),
					   cmocka_unit_test(test_id_cache_growing),
					   cmocka_unit_test(test_growing_map),
					   cmocka_unit_test(test_sorted_map),
					   cmocka_unit_test(test_sorted_upto),
					   cmocka_unit_test(test_forgetting_cache),
					   cmocka_unit_test(test_forgetting_many)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
