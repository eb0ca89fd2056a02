/* store_bench.c — times the ETW store: builds a run of N DPC/ISR events (default 25 M,
 * 24 CPUs, 10 modules, 60 s, heavy-tailed durations, entry times jittered as a real trace's
 * are) plus 1 kHz CPU samples per CPU through the SQLite sink, reports ingest events/s and
 * peak RSS, then p50/p95/p99 latency of each query type over random windows and filters.
 * Usage: store_bench [db-path] [events] [queries]. Not a test: numbers only.
 * Environment: STORE_BENCH_REUSE=1 re-queries an existing database; STORE_BENCH_SLOW=ms
 * lists slower queries; STORE_BENCH_COLD=1 drops the file from the OS cache before each
 * query (worst case after a restart). */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include "db/db.h"
#include "db/db_etw.h"

#define CPUS 24
#define MODULES 10
#define SPAN_MS 60000LL
#define MS 1000000LL

static void drop_cache(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static double unit(uint64_t *s)
{
	return ((rnd(s) >> 11) + 1) * (1.0 / 9007199254740993.0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int64_t build(sqlite3 *db, uint64_t nevents, double *secs)
{
	char err[256];
	uint64_t s = 12345;
	struct db_run_input in = {"bench", "bench.etl", 1};
	double t0 = now_s();
	struct db_sink *sk = db_sink_begin(db, &in, err, sizeof err);
	if (!sk) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	const struct ingest_sink *k = db_sink_iface(sk);
	for (int m = 0; m < MODULES; m++) {
		char name[32];
		snprintf(name, sizeof name, "drv%d.sys", m);
		struct sink_module sm = {.path = name, .name = name,
					 .base = 0xfffff80000000000ull + (uint64_t)m * 0x100000,
					 .size = 0x100000, .load_ns = INT64_MIN, .unload_ns = INT64_MAX};
		int32_t id;
		if (k->module(k->ud, &sm, &id))
			exit(1);
	}
	double step = (double)(SPAN_MS * MS) / (double)nevents;
	uint64_t nsamples = (uint64_t)SPAN_MS * CPUS, si = 0; /* 1 kHz per CPU */
	double sstep = (double)(SPAN_MS * MS) / (double)nsamples;
	int32_t stack[4];
	for (uint64_t i = 0; i < nevents; i++) {
		struct sink_dpcisr d;
		double dur = 2000.0 / pow(unit(&s), 1.05);
		d.duration_ns = dur > 4e9 ? 4000000000u : (uint32_t)dur;
		/* logged at return: entry times arrive out of order by up to the duration */
		d.t_ns = (int64_t)(step * (double)i) - (d.duration_ns < 2000000 ? d.duration_ns : 0);
		d.cpu = (uint16_t)(rnd(&s) % CPUS);
		uint64_t kr = rnd(&s) % 100;
		d.kind = kr < 60 ? SINK_DPC : kr < 70 ? SINK_THREADED_DPC : kr < 80 ? SINK_TIMER_DPC
			 : kr < 92 ? SINK_ISR : SINK_ISR_MSI;
		double u = unit(&s);
		d.module_id = u < 0.02 ? -1 : (int32_t)(MODULES * u * u) % MODULES;
		d.routine = 0xfffff80000000000ull + (uint64_t)(d.module_id + 1) * 0x100000 + rnd(&s) % 256;
		if (k->dpcisr(k->ud, &d)) {
			fprintf(stderr, "ingest failed\n");
			exit(1);
		}
		while (si < nsamples && (double)si * sstep <= step * (double)i) {
			uint32_t ns = (uint32_t)(rnd(&s) % 5);
			for (uint32_t j = 0; j < ns; j++)
				stack[j] = (int32_t)(rnd(&s) % (MODULES + 1)) - 1;
			struct sink_cpu_sample cs = {
				.t_ns = (int64_t)((double)si * sstep), .cpu = (uint16_t)(si % CPUS),
				.pid = rnd(&s) % 3 ? 4 : 0, .tid = 1, .ip = 0,
				.module_id = (int32_t)(rnd(&s) % (MODULES + 1)) - 1,
				.stack_modules = stack, .n_stack_modules = ns,
				.in_dpcisr = (uint8_t)(rnd(&s) % 16 == 0), .ip_kernel = 1};
			if (k->cpu_sample(k->ud, &cs))
				exit(1);
			si++;
		}
	}
	int64_t id;
	if (db_sink_commit(sk, "etl", 0, &id, NULL, NULL, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	*secs = now_s() - t0;
	return id;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof *ms, cmp_d);
	printf("  %-22s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", name,
	       ms[n / 2], ms[(int)(n * 0.95)], ms[(int)(n * 0.99)], ms[n - 1]);
}

struct rfilter {
	struct db_etw_filter f;
	struct db_cpu_set cpus;
	int32_t mods[MODULES + 1];
};

static void random_filter(uint64_t *s, int64_t run, struct rfilter *r)
{
	memset(r, 0, sizeof *r);
	r->f.run_id = run;
	r->f.from_ns = INT64_MIN;
	r->f.to_ns = INT64_MAX;
	if (rnd(s) % 4) { /* 3 in 4: a random window, any length */
		int64_t a = (int64_t)(rnd(s) % SPAN_MS), b = (int64_t)(rnd(s) % SPAN_MS);
		if (a > b) {
			int64_t t = a;
			a = b;
			b = t;
		}
		r->f.from_ns = a * MS + (int64_t)(rnd(s) % MS);
		r->f.to_ns = (b + 1) * MS;
	}
	if (rnd(s) % 10 < 3) {
		for (int c = 0; c < CPUS; c++)
			if (rnd(s) % 3 == 0)
				db_cpu_set_add(&r->cpus, (unsigned)c);
		r->f.cpus = &r->cpus;
	}
	if (rnd(s) % 10 < 3) {
		size_t n = 0;
		for (int m = -1; m < MODULES; m++)
			if (rnd(s) % 3 == 0)
				r->mods[n++] = m;
		r->f.modules = r->mods;
		r->f.nmodules = n;
	}
	if (rnd(s) % 10 < 3)
		r->f.kind_mask = (uint32_t)(1 + rnd(s) % DB_KIND_ALL);
}

static int count_module(void *ud, const struct db_etw_module *m)
{
	(*(int *)ud)++;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/etlscope-store-bench.db";
	uint64_t nevents = argc > 2 ? strtoull(argv[2], NULL, 10) : 25000000;
	int nq = argc > 3 ? atoi(argv[3]) : 200;
	char err[256], p[300];
	if (!getenv("STORE_BENCH_REUSE")) {
		unlink(path);
		snprintf(p, sizeof p, "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof p, "%s-shm", path);
		unlink(p);
	}
	sqlite3 *db;
	int64_t run = 1;
	if (getenv("STORE_BENCH_REUSE")) { /* query an existing bench database */
		db = db_open(path, DB_READONLY, err, sizeof err);
		goto queries;
	}
	db = db_open(path, DB_READWRITE, err, sizeof err);
	if (!db || nq < 1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double secs;
	run = build(db, nevents, &secs);
	long rss_ingest = peak_rss_kb();
	struct db_etw_run info;
	db_etw_run_info(db, run, &info, err, sizeof err);
	printf("ingest: %llu DPC/ISR + %llu samples in %.1f s = %.0f DPC/ISR events/s"
	       " (%.0f records/s); above guideline %llu; peak RSS %.0f MB\n",
	       (unsigned long long)info.n_dpcisr, (unsigned long long)info.n_samples, secs,
	       (double)info.n_dpcisr / secs, (double)(info.n_dpcisr + info.n_samples) / secs,
	       (unsigned long long)info.n_above, rss_ingest / 1024.0);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	db_close(db);
	db = db_open(path, DB_READONLY, err, sizeof err); /* as the server reads */
queries:
	if (!db || nq < 1)
		return 1;

	double *ms = malloc(sizeof(double) * (size_t)nq);
	const char *names[] = {"histogram", "modules", "timeline(1000)", "events(100)",
			       "events(bucket)", "cpu_samples", "cpu_utilization(500)",
			       "modules list"};
	printf("queries (%d random windows/filters each; 1 in 4 whole run):\n", nq);
	for (int qt = 0; qt < 8; qt++) {
		uint64_t s = 777 + (uint64_t)qt;
		for (int i = 0; i < nq; i++) {
			struct rfilter r;
			random_filter(&s, run, &r);
			if (getenv("STORE_BENCH_COLD"))
				drop_cache(path);
			double t0 = now_s();
			int rc = 0;
			switch (qt) {
			case 0: {
				struct db_dpc_histogram h;
				rc = db_dpc_histogram(db, &r.f, &h, err, sizeof err);
				break;
			}
			case 1: {
				struct db_dpc_modules m;
				rc = db_dpc_modules(db, &r.f, &m, err, sizeof err);
				db_dpc_modules_clear(&m);
				break;
			}
			case 2: {
				struct db_dpc_timeline t;
				rc = db_dpc_timeline(db, &r.f, 1000, &t, err, sizeof err);
				db_dpc_timeline_clear(&t);
				break;
			}
			case 3:
			case 4: {
				struct db_dpc_event *ev;
				size_t n;
				int bucket = qt == 3 ? -1 : (int)(rnd(&s) % DB_DPC_NBUCKETS);
				rc = db_dpc_events(db, &r.f, bucket, 100, &ev, &n, err, sizeof err);
				free(ev);
				break;
			}
			case 5: {
				struct db_cpu_samples c;
				rc = db_cpu_samples(db, &r.f, &c, err, sizeof err);
				db_cpu_samples_clear(&c);
				break;
			}
			case 6: {
				struct db_cpu_util u;
				rc = db_cpu_utilization(db, &r.f, 500, &u, err, sizeof err);
				db_cpu_util_clear(&u);
				break;
			}
			case 7: {
				int n = 0;
				rc = db_etw_modules(db, run, count_module, &n, err, sizeof err);
				break;
			}
			}
			if (rc) {
				fprintf(stderr, "%s failed: %s\n", names[qt], err);
				return 1;
			}
			ms[i] = (now_s() - t0) * 1000;
			if (getenv("STORE_BENCH_SLOW") && ms[i] > atof(getenv("STORE_BENCH_SLOW")))
				fprintf(stderr, "slow %s %.1f ms: from %lld to %lld cpus %s modules %zu"
					" kinds %x\n", names[qt], ms[i], (long long)r.f.from_ns,
					(long long)r.f.to_ns, r.f.cpus ? "some" : "all",
					r.f.modules ? r.f.nmodules : 99, r.f.kind_mask);
		}
		report(names[qt], ms, nq);
	}
	printf("peak RSS overall %.0f MB\n", peak_rss_kb() / 1024.0);
	free(ms);
	db_close(db);
	return 0;
}
