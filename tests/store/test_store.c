/* test_store.c — the ETW store against brute force: ~1 M seeded DPC/ISR events over 90 s
 * on 24 CPUs and 10 modules (+ unresolved), and 200 k CPU samples, ingested in time order
 * and out of order; every query must give exactly the brute-force answer for the whole
 * run, windows cutting through coarse slices, single-ms and empty windows, CPU and module
 * subsets and kind masks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "db/db.h"
#include "db/db_etw.h"
#include "store_db.h"

#define NDPC 1000000
#define NSMP 200000
#define SPAN_MS 90000

struct fixture {
	char path[64];
	sqlite3 *db;
	struct gen_data g, shuffled;
	int64_t run_ordered, run_shuffled;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	fx->db = open_temp(fx->path, sizeof fx->path);
	gen_make(&fx->g, NDPC, NSMP, SPAN_MS, 0x5eedULL);
	gen_shuffle(&fx->g, &fx->shuffled, 0xdecafULL);
	fx->run_ordered = ingest(fx->db, &fx->g, 1);
	fx->run_shuffled = ingest(fx->db, &fx->shuffled, 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	db_close(fx->db);
	remove_db(fx->path);
	gen_free(&fx->g);
	gen_free(&fx->shuffled);
	free(fx);
	return 0;
}

/* ---- the filters every query is checked with ---- */
static struct db_cpu_set cpus_low, cpus_odd3, cpus_one;
static const int32_t mods_a[] = {-1, 3}, mods_b[] = {7}, mods_c[] = {0, 1, 2, 4, 5, 6, 8, 9, 42};

struct fcase {
	const char *name;
	int64_t from_ns, to_ns;
	const struct db_cpu_set *cpus;
	const int32_t *mods;
	size_t nmods;
	uint32_t kinds;
};

static const struct fcase cases[] = {
	{"whole run", INT64_MIN, INT64_MAX, NULL, NULL, 0, 0},
	{"explicit whole", 0, SPAN_MS * MS, NULL, NULL, 0, 0},
	{"cuts coarse slices", 1234 * MS, 56789 * MS, NULL, NULL, 0, 0},
	{"unaligned ns round out", 1234567891LL, 70000000001LL, NULL, NULL, 0, 0},
	{"from 4096 s aligned", 4096 * MS, 69632 * MS, NULL, NULL, 0, 0},
	{"single ms", 40000 * MS, 40001 * MS, NULL, NULL, 0, 0},
	{"first ms (negative times)", INT64_MIN, 1 * MS, NULL, NULL, 0, 0},
	{"empty", 5000 * MS, 5000 * MS, NULL, NULL, 0, 0},
	{"reversed", 6000 * MS, 5000 * MS, NULL, NULL, 0, 0},
	{"past the end", 100000 * MS, INT64_MAX, NULL, NULL, 0, 0},
	{"cpus 0-3", INT64_MIN, INT64_MAX, &cpus_low, NULL, 0, 0},
	{"cpus 5,17,23 window", 777 * MS, 33333 * MS, &cpus_odd3, NULL, 0, 0},
	{"one cpu one ms", 61111 * MS, 61112 * MS, &cpus_one, NULL, 0, 0},
	{"modules -1,3", INT64_MIN, INT64_MAX, NULL, mods_a, 2, 0},
	{"module 7 window", 17 * MS, 81234 * MS, NULL, mods_b, 1, 0},
	{"many modules + unknown", 300 * MS, 89999 * MS, &cpus_low, mods_c, 9, 0},
	{"DPC kinds", INT64_MIN, INT64_MAX, NULL, NULL, 0, DB_KIND_DPCS},
	{"ISR kinds window", 2000 * MS, 2500 * MS, NULL, NULL, 0, DB_KIND_ISRS},
	{"threaded, modules, cpus", 100 * MS, 45000 * MS, &cpus_odd3, mods_a, 2,
	 1u << SINK_THREADED_DPC},
};
#define NCASES (sizeof cases / sizeof cases[0])

static struct db_etw_filter make_filter(const struct fcase *c, int64_t run)
{
	struct db_etw_filter f = {run, c->from_ns, c->to_ns, c->cpus, c->mods, c->nmods, c->kinds};
	return f;
}

static void init_sets(void)
{
	memset(&cpus_low, 0, sizeof cpus_low);
	memset(&cpus_odd3, 0, sizeof cpus_odd3);
	memset(&cpus_one, 0, sizeof cpus_one);
	for (int c = 0; c < 4; c++)
		db_cpu_set_add(&cpus_low, (unsigned)c);
	db_cpu_set_add(&cpus_odd3, 5);
	db_cpu_set_add(&cpus_odd3, 17);
	db_cpu_set_add(&cpus_odd3, 23);
	db_cpu_set_add(&cpus_one, 11);
}

static void check_stats(const char *what, const struct db_dpc_stats *got,
			const struct db_dpc_stats *want)
{
	if (memcmp(got, want, sizeof *got) != 0) {
		print_error("%s: count %llu/%llu total %llu/%llu max %llu/%llu above %llu/%llu\n",
			    what, (unsigned long long)got->count, (unsigned long long)want->count,
			    (unsigned long long)got->total_ns, (unsigned long long)want->total_ns,
			    (unsigned long long)got->max_ns, (unsigned long long)want->max_ns,
			    (unsigned long long)got->above_count,
			    (unsigned long long)want->above_count);
		fail();
	}
}

static void test_histogram_exact(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	init_sets();
	for (size_t i = 0; i < NCASES; i++) {
		struct db_dpc_histogram want, got;
		struct db_etw_filter f = make_filter(&cases[i], fx->run_ordered);
		gen_histogram(&fx->g, &f, &want);
		for (int r = 0; r < 2; r++) {
			f.run_id = r ? fx->run_shuffled : fx->run_ordered;
			assert_int_equal(db_dpc_histogram(fx->db, &f, &got, err, sizeof err), 0);
			for (int k = 0; k < SINK_DPCISR_KINDS; k++) {
				char what[128];
				snprintf(what, sizeof what, "%s run %d kind %d", cases[i].name, r, k);
				check_stats(what, &got.kind[k], &want.kind[k]);
			}
		}
	}
	/* the generated data really exercises the interesting cases */
	struct db_dpc_histogram all;
	struct db_etw_filter f = make_filter(&cases[0], fx->run_ordered);
	gen_histogram(&fx->g, &f, &all);
	assert_true(all.kind[SINK_DPC].above_count > 1000);
	assert_true(all.kind[SINK_ISR].buckets[14] > 100); /* (20, 25] µs incl. exactly 25 µs */
	assert_true(all.kind[SINK_DPC].buckets[DB_DPC_NBUCKETS - 1] > 0); /* > 10 ms */
}

static void test_modules_exact(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	size_t nslots = (GEN_MODULES + 1) * SINK_DPCISR_KINDS;
	struct db_dpc_stats *want = calloc(nslots, sizeof *want);
	struct db_cpu_set *cpus = calloc(nslots, sizeof *cpus);
	init_sets();
	for (size_t i = 0; i < NCASES; i++) {
		struct db_etw_filter f = make_filter(&cases[i], fx->run_ordered);
		gen_modules(&fx->g, &f, want, cpus);
		size_t nonempty = 0;
		for (size_t s = 0; s < nslots; s++)
			nonempty += want[s].count > 0;
		for (int r = 0; r < 2; r++) {
			struct db_dpc_modules m;
			f.run_id = r ? fx->run_shuffled : fx->run_ordered;
			assert_int_equal(db_dpc_modules(fx->db, &f, &m, err, sizeof err), 0);
			assert_int_equal(m.n, nonempty);
			for (size_t j = 0; j < m.n; j++) {
				const struct db_dpc_module_row *row = &m.rows[j];
				size_t slot = (size_t)(row->module_id + 1) * SINK_DPCISR_KINDS + row->kind;
				assert_true(slot < nslots);
				if (j)
					assert_true(m.rows[j - 1].module_id * 8 + m.rows[j - 1].kind <
						    row->module_id * 8 + row->kind);
				char what[128];
				snprintf(what, sizeof what, "%s run %d module %d kind %d", cases[i].name,
					 r, row->module_id, row->kind);
				check_stats(what, &row->s, &want[slot]);
				assert_memory_equal(&row->cpus, &cpus[slot], sizeof row->cpus);
			}
			db_dpc_modules_clear(&m);
		}
	}
	free(want);
	free(cpus);
}

static void test_cpu_samples_exact(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	init_sets();
	for (size_t i = 0; i < NCASES; i++) {
		uint64_t excl[GEN_MODULES + 1], incl[GEN_MODULES + 1], tot[4];
		struct db_etw_filter f = make_filter(&cases[i], fx->run_ordered);
		gen_cpu(&fx->g, &f, excl, incl, tot);
		for (int r = 0; r < 2; r++) {
			struct db_cpu_samples s;
			f.run_id = r ? fx->run_shuffled : fx->run_ordered;
			assert_int_equal(db_cpu_samples(fx->db, &f, &s, err, sizeof err), 0);
			assert_int_equal(s.total, tot[0]);
			assert_int_equal(s.idle, tot[1]);
			assert_int_equal(s.in_dpc, tot[2]);
			assert_int_equal(s.in_isr, tot[3]);
			size_t nonempty = 0;
			for (int m = 0; m <= GEN_MODULES; m++)
				nonempty += excl[m] || incl[m];
			assert_int_equal(s.n, nonempty);
			for (size_t j = 0; j < s.n; j++) {
				int m1 = s.rows[j].module_id + 1;
				assert_true(m1 >= 0 && m1 <= GEN_MODULES);
				assert_int_equal(s.rows[j].exclusive, excl[m1]);
				assert_int_equal(s.rows[j].inclusive, incl[m1]);
				assert_true(s.rows[j].inclusive >= s.rows[j].exclusive);
			}
			db_cpu_samples_clear(&s);
		}
	}
}

/* The test's total order on events (longest first, then every field), used to compare
 * the store's answer with brute force as sets; the store's own tie order is not asserted. */
static int ev_key(const void *pa, const void *pb)
{
	const struct db_dpc_event *a = pa, *b = pb;
#define CMP(x, y) if ((x) != (y)) return (x) < (y) ? -1 : 1
	CMP(b->duration_ns, a->duration_ns);
	CMP(a->t_ns, b->t_ns);
	CMP(a->cpu, b->cpu);
	CMP(a->kind, b->kind);
	CMP(a->module_id, b->module_id);
	CMP(a->routine, b->routine);
#undef CMP
	return 0;
}

/* Brute-force events above the guideline (bucket -1) or in an above-guideline bucket. */
static size_t brute_events(const struct gen_data *g, const struct db_etw_filter *f, int bucket,
			   struct db_dpc_event *out)
{
	size_t n = 0;
	for (size_t i = 0; i < g->ndpc; i++) {
		const struct gen_dpc *e = &g->dpc[i];
		if (!gen_dpc_matches(f, e) || e->duration_ns <= gen_guideline_ns(e->kind))
			continue;
		if (bucket >= 0 && gen_bucket(e->duration_ns) != bucket)
			continue;
		out[n++] = (struct db_dpc_event){e->t_ns < 0 ? 0 : e->t_ns, e->duration_ns, e->cpu,
						 e->kind, 0, e->module_id, e->routine};
	}
	qsort(out, n, sizeof *out, ev_key);
	return n;
}

/* got (the store's answer, at most a limit) against want (every matching event, in ev_key
 * order): longest first; every event longer than got's shortest is there; of the events as
 * long as got's shortest, got holds some (which ones, among equals, is the store's
 * choice). 1 if so. */
static int same_top_events(const struct db_dpc_event *got, size_t n,
			   const struct db_dpc_event *want, size_t nwant)
{
	int ok = 1;
	for (size_t j = 1; j < n; j++)
		ok &= got[j].duration_ns <= got[j - 1].duration_ns;
	if (!ok || n == 0)
		return ok;
	struct db_dpc_event *g = malloc(n * sizeof *g);
	memcpy(g, got, n * sizeof *g);
	qsort(g, n, sizeof *g, ev_key);
	uint32_t last = g[n - 1].duration_ns;
	size_t j = 0, k = 0;
	for (; ok && k < nwant && want[k].duration_ns > last; j++, k++)
		ok = j < n && ev_key(&g[j], &want[k]) == 0;
	for (; ok && j < n; j++, k++) {
		while (k < nwant && want[k].duration_ns == last && ev_key(&want[k], &g[j]) < 0)
			k++;
		ok = k < nwant && ev_key(&want[k], &g[j]) == 0;
	}
	free(g);
	return ok;
}

/* Every above-guideline query (whole run, bucket 21, bucket 41; three limits) on `runs`
 * equals brute force. */
static void check_events(struct fixture *fx, const int64_t *runs, int nruns)
{
	char err[256];
	struct db_dpc_event *want = malloc(sizeof *want * NDPC);
	const size_t limits[] = {1, 50, 100000};
	init_sets();
	for (size_t i = 0; i < NCASES; i++) {
		for (int bi = 0; bi < 3; bi++) {
			int bucket = bi == 0 ? -1 : bi == 1 ? 21 /* (100,125] µs */ : 41; /* > 10 ms */
			struct db_etw_filter f = make_filter(&cases[i], fx->run_ordered);
			size_t nwant = brute_events(&fx->g, &f, bucket, want);
			for (int r = 0; r < nruns; r++)
				for (int li = 0; li < 3; li++) {
					struct db_dpc_event *got;
					size_t n, lim = limits[li];
					f.run_id = runs[r];
					assert_int_equal(db_dpc_events(fx->db, &f, bucket, lim, &got, &n,
								       err, sizeof err), 0);
					assert_int_equal(n, nwant < lim ? nwant : lim);
					for (size_t j = 0; j < n; j++)
						assert_int_equal(got[j].sample, 0);
					if (!same_top_events(got, n, want, nwant)) {
						print_error("%s bucket %d run %d limit %zu: events differ\n",
							    cases[i].name, bucket, r, lim);
						fail();
					}
					free(got);
				}
		}
	}
	free(want);
}

static void test_events_exact(void **state)
{
	struct fixture *fx = *state;
	int64_t runs[] = {fx->run_ordered, fx->run_shuffled};
	check_events(fx, runs, 2);
}

/* A database from schemas 2-4 kept one row per above-guideline event in etw_dpc_events;
 * migration 5 rewrites them as chunks and every answer stays the same. Both runs are
 * turned back into old rows (inserted out of order), the schema set back to version 4,
 * and the migration run. */
static void test_events_migrated(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	int64_t runs[] = {fx->run_ordered, fx->run_shuffled};
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_exec(fx->db,
		"CREATE TABLE etw_dpc_events ("
		"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
		"  t_ns INTEGER NOT NULL, seq INTEGER NOT NULL, cpu INTEGER NOT NULL,"
		"  module_id INTEGER NOT NULL, kind INTEGER NOT NULL, duration_ns INTEGER NOT NULL,"
		"  routine INTEGER NOT NULL, PRIMARY KEY (run_id, t_ns, seq)) WITHOUT ROWID;"
		"BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(fx->db, "INSERT INTO etw_dpc_events VALUES"
					    " (?,?,?,?,?,?,?,?)", -1, &st, NULL), SQLITE_OK);
	for (int r = 0; r < 2; r++) {
		struct db_etw_filter all = {runs[r], INT64_MIN, INT64_MAX, NULL, NULL, 0, 0};
		struct db_dpc_event *ev;
		size_t n;
		assert_int_equal(db_dpc_events(fx->db, &all, -1, NDPC, &ev, &n, err, sizeof err), 0);
		assert_true(n > 1000);
		for (size_t i = 0; i < n; i++) {
			size_t j = (i * 7919) % n; /* any order: the key orders them */
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, runs[r]);
			sqlite3_bind_int64(st, 2, ev[j].t_ns);
			sqlite3_bind_int64(st, 3, (int64_t)j);
			sqlite3_bind_int(st, 4, ev[j].cpu);
			sqlite3_bind_int(st, 5, ev[j].module_id);
			sqlite3_bind_int(st, 6, ev[j].kind);
			sqlite3_bind_int64(st, 7, ev[j].duration_ns);
			sqlite3_bind_int64(st, 8, (int64_t)ev[j].routine);
			assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		}
		free(ev);
	}
	sqlite3_finalize(st);
	/* back to version 4: the tables of later migrations go too */
	assert_int_equal(sqlite3_exec(fx->db, "DROP TABLE etw_dpc_chunks;"
				      " DROP TABLE etw_inside_groups; DROP TABLE etw_inside_modules;"
				      " DROP TABLE etw_inside_chains; DROP TABLE etw_syscalls;"
				      " DROP TABLE etw_syscall_modules; DROP TABLE etw_sched_threads;"
				      " DROP TABLE etw_sched_waits; DROP TABLE etw_sched_ready;"
				      " DROP TABLE etw_sched_slices;"
				      " COMMIT; PRAGMA user_version=4", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_migrate(fx->db, err, sizeof err), 0);
	assert_int_equal(count_rows(fx->db, "SELECT count(*) FROM sqlite_schema WHERE"
					    " name='etw_dpc_events'"), 0);
	check_events(fx, runs, 2);
}

/* Below-guideline buckets list reservoir samples: flagged, matching, at most 64 per
 * (module, kind), and the same whatever the input order. */
static void test_event_samples(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	init_sets();
	for (size_t i = 0; i < NCASES; i++) {
		for (int bucket = 0; bucket <= 20; bucket += 5) {
			struct db_dpc_event *a, *b;
			size_t na, nb;
			struct db_etw_filter f = make_filter(&cases[i], fx->run_ordered);
			assert_int_equal(db_dpc_events(fx->db, &f, bucket, 1000, &a, &na, err,
						       sizeof err), 0);
			f.run_id = fx->run_shuffled;
			assert_int_equal(db_dpc_events(fx->db, &f, bucket, 1000, &b, &nb, err,
						       sizeof err), 0);
			assert_int_equal(na, nb);
			for (size_t j = 0; j < na; j++) {
				assert_int_equal(ev_key(&a[j], &b[j]), 0);
				struct gen_dpc e = {a[j].t_ns, a[j].duration_ns, a[j].cpu, a[j].kind,
						    a[j].module_id, a[j].routine};
				assert_true(gen_dpc_matches(&f, &e));
				assert_int_equal(gen_bucket(a[j].duration_ns), bucket);
				int above = a[j].duration_ns > gen_guideline_ns(a[j].kind);
				assert_int_equal(a[j].sample, !above);
			}
			free(a);
			free(b);
		}
	}
	/* the whole run's bucket 10 (8..10 µs) for DPCs: 64 per module */
	struct db_etw_filter f = {fx->run_ordered, INT64_MIN, INT64_MAX, NULL, NULL, 0,
				  1u << SINK_DPC};
	struct db_dpc_event *ev;
	size_t n;
	assert_int_equal(db_dpc_events(fx->db, &f, 10, 100000, &ev, &n, err, sizeof err), 0);
	assert_int_equal(n, 64 * (GEN_MODULES + 1));
	free(ev);
}

static void test_timeline_sums(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	const struct { int64_t from, to; uint32_t n; } tl[] = {
		{1000 * MS, 1500 * MS, 250}, {INT64_MIN, INT64_MAX, 90}, {INT64_MIN, INT64_MAX, 2000},
		{33 * MS, 34 * MS, 7},
	};
	init_sets();
	for (size_t t = 0; t < sizeof tl / sizeof tl[0]; t++)
		for (size_t i = 0; i < NCASES; i++) {
			struct db_etw_filter f = make_filter(&cases[i], fx->run_shuffled);
			if (cases[i].from_ns != INT64_MIN || cases[i].to_ns != INT64_MAX)
				continue; /* windows come from tl[] */
			f.from_ns = tl[t].from;
			f.to_ns = tl[t].to;
			struct db_dpc_timeline out;
			assert_int_equal(db_dpc_timeline(fx->db, &f, tl[t].n, &out, err, sizeof err), 0);
			assert_int_equal(out.n, tl[t].n);
			double want_dpc[GEN_CPUS] = {0}, want_isr[GEN_CPUS] = {0};
			double want_mod[GEN_MODULES + 1] = {0};
			for (size_t e = 0; e < fx->g.ndpc; e++) {
				const struct gen_dpc *d = &fx->g.dpc[e];
				if (!gen_dpc_matches(&f, d))
					continue;
				if (DB_KIND_ISRS >> d->kind & 1)
					want_isr[d->cpu] += d->duration_ns;
				else
					want_dpc[d->cpu] += d->duration_ns;
				want_mod[d->module_id + 1] += d->duration_ns;
			}
			assert_true(out.ncpus == GEN_CPUS);
			if (t == 0) { /* 2 ms buckets of whole 1 ms slices: every bucket is exact */
				assert_int_equal(out.slice_ns, MS);
				for (size_t e = 0; e < fx->g.ndpc; e++) {
					const struct gen_dpc *d = &fx->g.dpc[e];
					if (!gen_dpc_matches(&f, d))
						continue;
					size_t b = (size_t)((d->t_ns - out.from_ns) / (2 * MS));
					double *row = DB_KIND_ISRS >> d->kind & 1 ? out.cpu_isr_ns
										  : out.cpu_dpc_ns;
					row[d->cpu * out.n + b] -= d->duration_ns;
				}
				for (size_t c = 0; c < GEN_CPUS * out.n; c++) {
					assert_true(fabs(out.cpu_dpc_ns[c]) < 1e-3);
					assert_true(fabs(out.cpu_isr_ns[c]) < 1e-3);
				}
				db_dpc_timeline_clear(&out);
				continue;
			}
			for (int c = 0; c < GEN_CPUS; c++) {
				double gd = 0, gi = 0;
				for (uint32_t b = 0; b < out.n; b++) {
					gd += out.cpu_dpc_ns[c * out.n + b];
					gi += out.cpu_isr_ns[c * out.n + b];
				}
				assert_true(fabs(gd - want_dpc[c]) <= 1e-6 * want_dpc[c] + 1e-3);
				assert_true(fabs(gi - want_isr[c]) <= 1e-6 * want_isr[c] + 1e-3);
			}
			for (size_t m = 0; m < out.nmodules; m++) {
				double s = 0;
				for (uint32_t b = 0; b < out.n; b++)
					s += out.module_ns[m * out.n + b];
				int m1 = out.module_ids[m] + 1;
				assert_true(fabs(s - want_mod[m1]) <= 1e-6 * want_mod[m1] + 1e-3);
			}
			db_dpc_timeline_clear(&out);
		}
}

static void test_cpu_utilization_sums(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct db_etw_filter f = {fx->run_ordered, 20000 * MS, 20400 * MS, NULL, NULL, 0, 0};
	struct db_cpu_util u;
	assert_int_equal(db_cpu_utilization(fx->db, &f, 100, &u, err, sizeof err), 0);
	assert_int_equal(u.slice_ns, MS); /* fine enough for 4 ms buckets: level 0 */
	double want[GEN_CPUS] = {0}, want_idle[GEN_CPUS] = {0};
	for (size_t i = 0; i < fx->g.nsmp; i++) {
		const struct gen_sample *p = &fx->g.smp[i];
		if (p->t_ns >= 20000 * MS && p->t_ns < 20400 * MS) {
			want[p->cpu]++;
			want_idle[p->cpu] += p->pid == 0 && !p->in_dpcisr;
		}
	}
	for (int c = 0; c < GEN_CPUS; c++) {
		double s = 0, id = 0;
		for (uint32_t b = 0; b < u.n; b++) {
			s += u.samples[c * u.n + b];
			id += u.idle[c * u.n + b];
			double x = db_cpu_util_at(&u, (uint32_t)c, b);
			assert_true(isnan(x) || (x >= 0 && x <= 1));
		}
		assert_true(fabs(s - want[c]) < 1e-6);
		assert_true(fabs(id - want_idle[c]) < 1e-6);
	}
	db_cpu_util_clear(&u);
}

static int count_mod(void *ud, const struct db_etw_module *m)
{
	int *n = ud;
	char name[32];
	snprintf(name, sizeof name, "drv%d.sys", *n);
	assert_int_equal(m->id, *n);
	assert_string_equal(m->name, name);
	assert_int_equal(m->timestamp, 0x5000 + *n);
	assert_int_equal(m->load_ns, INT64_MIN);
	(*n)++;
	return 0;
}

static void test_modules_list_and_run_info(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	int n = 0;
	assert_int_equal(db_etw_modules(fx->db, fx->run_ordered, count_mod, &n, err, sizeof err), 0);
	assert_int_equal(n, GEN_MODULES);
	struct db_etw_run a, b;
	assert_int_equal(db_etw_run_info(fx->db, fx->run_ordered, &a, err, sizeof err), 0);
	assert_int_equal(db_etw_run_info(fx->db, fx->run_shuffled, &b, err, sizeof err), 0);
	assert_int_equal(a.n_dpcisr, NDPC);
	assert_int_equal(a.n_samples, NSMP);
	assert_int_equal(a.t_max_ns, b.t_max_ns);
	assert_int_equal(a.top_level, b.top_level);
	assert_int_equal(a.n_above, b.n_above);
	assert_int_equal(a.n_samples, b.n_samples);
	assert_int_equal(a.n_modules, b.n_modules);
	assert_int_equal(a.ncpus, b.ncpus);
	assert_int_equal(a.top_level, 5); /* 90 s > 65.5 s: 17.5 min slices cover it */
	assert_int_equal(db_etw_run_info(fx->db, 999999, &a, err, sizeof err), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_histogram_exact),
		cmocka_unit_test(test_modules_exact),
		cmocka_unit_test(test_cpu_samples_exact),
		cmocka_unit_test(test_events_exact),
		cmocka_unit_test(test_event_samples),
		cmocka_unit_test(test_timeline_sums),
		cmocka_unit_test(test_cpu_utilization_sums),
		cmocka_unit_test(test_modules_list_and_run_info),
		cmocka_unit_test(test_events_migrated), /* last: it rewrites a run's storage */
	};
	return cmocka_run_group_tests_name("store_exact", tests, setup, teardown);
}
