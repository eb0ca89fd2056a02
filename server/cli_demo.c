/* cli_demo.c — `etlscope demo`: writes the traces that show the problem etlscope exists
 * for and ingests them through the same pipeline as an upload, so a newcomer sees a
 * populated dashboard: the field story as three ETW traces (ndis.sys DPCs pinning CPUs 0,
 * 2, 4 and 6 of 24, with an intrusion-detection filter doing the work inside them; after
 * removing the teaming software, which only shared those CPUs: longer still; after removing
 * the IDS filter: fixed — the scenario files keep their first names), written
 * by the trace writer from the embedded demo/scenarios, and two perfmon logs of the same
 * kind of incident (before and after) from a small generator below. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "api.h"
#include "cli.h"
#include "assets.h"
#include "db.h"
#include "etlgen.h"

#define DEMO_CPUS 8
#define DEMO_SECONDS 600

struct rng {
	uint64_t s;
};

static double rnd(struct rng *r) /* uniform [0,1) */
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (double)(r->s >> 11) / 9007199254740992.0;
}

static const char *const counters[] = {"% Processor Time", "% Privileged Time", "% DPC Time",
				       "% Interrupt Time", "DPC Rate",	    "DPCs Queued/sec",
				       "Interrupts/sec"};
#define NCOUNTERS (sizeof counters / sizeof *counters)

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* One second of one CPU: values for every counter. storm = DPC storm on this CPU now. */
static void cpu_second(struct rng *r, int cpu, int t, int storm, double *v)
{
	double saw = 20 + 40 * (double)((t + cpu * 7) % 60) / 60.0 + 6 * rnd(r);
	double dpc = storm ? 55 + 15 * rnd(r) : 0.4 + 1.2 * rnd(r);
	double intr = storm ? 6 + 4 * rnd(r) : 0.2 + 0.6 * rnd(r);
	double busy = storm ? clamp(dpc + intr + 25 + 10 * rnd(r), 0, 100) : clamp(saw, 0, 100);
	double priv = clamp(dpc + intr + (storm ? 20 : 0.25 * busy), 0, busy);
	v[0] = busy;
	v[1] = priv;
	v[2] = dpc;
	v[3] = intr;
	v[4] = storm ? 3 + (int)(6 * rnd(r)) : (int)(2 * rnd(r));
	v[5] = storm ? 16000 + 4000 * rnd(r) : 300 + 200 * rnd(r);
	v[6] = storm ? 21000 + 5000 * rnd(r) : 900 + 400 * rnd(r);
}

static int write_log(const char *path, int with_storm, uint64_t seed)
{
	FILE *f = fopen(path, "w");
	struct rng r = {seed};
	double v[DEMO_CPUS + 1][NCOUNTERS];
	if (!f)
		return -1;
	fprintf(f, "\"(PDH-CSV 4.0) (W. Europe Standard Time)(-60)\"");
	for (int cpu = 0; cpu <= DEMO_CPUS; cpu++)
		for (size_t c = 0; c < NCOUNTERS; c++) {
			if (cpu == DEMO_CPUS)
				fprintf(f, ",\"\\\\FS-DEMO01\\Processor(_Total)\\%s\"", counters[c]);
			else
				fprintf(f, ",\"\\\\FS-DEMO01\\Processor(%d)\\%s\"", cpu, counters[c]);
		}
	fprintf(f, ",\"\\\\FS-DEMO01\\System\\Processor Queue Length\"\r\n");
	for (int t = 0; t < DEMO_SECONDS; t++) {
		int h = 9 + t / 3600, m = (t / 60) % 60, s = t % 60;
		int storm_now = with_storm && t >= 120 && t < 480;
		fprintf(f, "\"03/14/2026 %02d:%02d:%02d.%03d\"", h, m, s, 250 + (int)(5 * rnd(&r)));
		for (size_t c = 0; c < NCOUNTERS; c++)
			v[DEMO_CPUS][c] = 0;
		for (int cpu = 0; cpu < DEMO_CPUS; cpu++) {
			cpu_second(&r, cpu, t, storm_now && cpu % 2 == 0, v[cpu]);
			for (size_t c = 0; c < NCOUNTERS; c++)
				v[DEMO_CPUS][c] += c < 4 ? v[cpu][c] / DEMO_CPUS : v[cpu][c];
		}
		for (int cpu = 0; cpu <= DEMO_CPUS; cpu++)
			for (size_t c = 0; c < NCOUNTERS; c++) {
				if (t == 0 && c != 4) /* rate counters have no first sample */
					fprintf(f, ",\" \"");
				else
					fprintf(f, ",\"%.6f\"", v[cpu][c]);
			}
		fprintf(f, ",\"%d\"\r\n", storm_now ? 6 + (int)(10 * rnd(&r)) : (int)(3 * rnd(&r)));
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* The ETW demo runs: scenario name (demo/scenarios/NAME.json) → run name. */
static const struct {
	const char *scenario, *name;
} etw_runs[] = {
	{"field-before", "Demo: FS01 ETW trace, before any change"},
	{"field-after-update", "Demo: FS01 ETW trace, after removing the teaming software"},
	{"field-after-removal", "Demo: FS01 ETW trace, after removing the IDS filter driver"},
};

static const struct asset *find_scenario(const char *name)
{
	for (const struct asset *a = demo_scenarios; a->url; a++)
		if (strcmp(a->url, name) == 0)
			return a;
	return NULL;
}

/* Write one scenario's trace to path. 0 on success. */
static int write_etw(const char *scenario, const char *path, char *err, size_t errlen)
{
	const struct asset *a = find_scenario(scenario);
	struct etlgen_scenario sc;
	FILE *f;
	int rc;
	if (!a) {
		snprintf(err, errlen, "no embedded scenario %s", scenario);
		return -1;
	}
	if (etlgen_scenario_parse((const char *)a->data, &sc, err, errlen) != 0)
		return -1;
	f = fopen(path, "wb");
	if (!f) {
		snprintf(err, errlen, "cannot write %s", path);
		etlgen_scenario_free(&sc);
		return -1;
	}
	rc = etlgen_write(&sc, f, NULL, err, errlen);
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write %s", path);
		rc = -1;
	}
	etlgen_scenario_free(&sc);
	return rc;
}

static int import_demo(struct cli_store *cs, const char *path, const char *name,
		       const char *file)
{
	struct db_import_result res;
	struct stat st;
	char err[512];
	struct db_run_input in = {name, file, stat(path, &st) == 0 ? st.st_size : 0};
	if (cli_store_file(cs, path, &in, NULL, NULL, NULL, &res, err, sizeof err) != 0) {
		fprintf(stderr, "etlscope: demo run %s: %s\n", file, err);
		return -1;
	}
	printf("demo run: %s → /runs/%s\n", name, res.public_id);
	cJSON_Delete(res.summary);
	return 0;
}

int cli_demo(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
					     {"data-dir", required_argument, NULL, 'D'},
					     {NULL, 0, NULL, 0}};
	static const struct {
		const char *name, *file;
		int storm;
		uint64_t seed;
	} runs[] = {
		{"Demo: FS-DEMO01 before the NIC driver update", "fs-demo01-before.csv", 1, 7},
		{"Demo: FS-DEMO01 after the NIC driver update", "fs-demo01-after.csv", 0, 11},
	};
	const char *db_path = CLI_DEFAULT_DB, *data_dir = CLI_DEFAULT_DATA;
	char err[512], tmp[] = "/tmp/etlscope-demo-XXXXXX";
	int c, rc = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd' && c != 'D') {
			fprintf(stderr, "usage: etlscope demo [--db PATH] [--data-dir DIR]\n");
			return 2;
		}
		*(c == 'd' ? &db_path : &data_dir) = optarg;
	}
	/* stored as uploads are (cli_store.c): `serve` with the same --db and --data-dir shows
	 * them at once */
	struct cli_store cs;
	if (cli_store_open(&cs, db_path, data_dir, err, sizeof err) != 0) {
		fprintf(stderr, "etlscope: %s\n", err);
		return 1;
	}
	if (!mkdtemp(tmp)) {
		perror("etlscope: mkdtemp");
		cli_store_clear(&cs);
		return 1;
	}
	for (size_t i = 0; i < sizeof runs / sizeof *runs && rc == 0; i++) {
		char path[sizeof tmp + 64];
		snprintf(path, sizeof path, "%s/%s", tmp, runs[i].file);
		if (write_log(path, runs[i].storm, runs[i].seed) != 0) {
			fprintf(stderr, "etlscope: cannot write %s\n", path);
			rc = 1;
		} else if (import_demo(&cs, path, runs[i].name, runs[i].file) != 0) {
			rc = 1;
		}
		unlink(path);
	}
	for (size_t i = 0; i < sizeof etw_runs / sizeof *etw_runs && rc == 0; i++) {
		char path[sizeof tmp + 64], file[64];
		snprintf(file, sizeof file, "fs01-%s.etl", etw_runs[i].scenario);
		snprintf(path, sizeof path, "%s/%s", tmp, file);
		if (write_etw(etw_runs[i].scenario, path, err, sizeof err) != 0) {
			fprintf(stderr, "etlscope: demo trace %s: %s\n", file, err);
			rc = 1;
		} else if (import_demo(&cs, path, etw_runs[i].name, file) != 0) {
			rc = 1;
		}
		unlink(path);
	}
	rmdir(tmp);
	cli_store_clear(&cs);
	return rc;
}
