/* etlgen_main.c — CLI: etlgen SCENARIO.json OUT.etl|- [EXPECTED.json [RECORDS.csv]]
 * Writes the trace (to stdout for "-": the header's BuffersWritten then stays 0) and the
 * exact expected aggregates (to EXPECTED.json, or stdout when the trace goes to a file).
 * RECORDS.csv lists every DPC/ISR written, as the ingest will see it:
 * t_ns,duration_ns,cpu,kind,module,routine (kind 0..4 as sink.h, module = scenario name),
 * so tests can compute expected figures for any window, CPU set or module. */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "etlgen.h"

struct records {
	FILE *f;
	const struct etlgen_scenario *s;
};

static void on_record(void *ud, int64_t t_ns, uint32_t duration_ns, unsigned cpu,
		      enum etlgen_kind kind, size_t module, uint64_t routine)
{
	struct records *r = ud;
	fprintf(r->f, "%lld,%u,%u,%d,%s,%llu\n", (long long)t_ns, duration_ns, cpu, (int)kind,
		r->s->modules[module].name, (unsigned long long)routine);
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: etlgen SCENARIO.json OUT.etl|- [EXPECTED.json [RECORDS.csv]]\n");
		return 2;
	}
	struct etlgen_scenario s;
	char msg[256];
	if (etlgen_scenario_load(argv[1], &s, msg, sizeof msg)) {
		fprintf(stderr, "etlgen: %s\n", msg);
		return 1;
	}
	int to_stdout = !strcmp(argv[2], "-");
	FILE *out = to_stdout ? stdout : fopen(argv[2], "wb");
	if (!out) {
		fprintf(stderr, "etlgen: cannot create %s\n", argv[2]);
		etlgen_scenario_free(&s);
		return 1;
	}
	static char iobuf[1 << 20];
	setvbuf(out, iobuf, _IOFBF, sizeof iobuf);
	struct records rec = {NULL, &s};
	if (argc == 5) {
		rec.f = fopen(argv[4], "w");
		if (!rec.f) {
			fprintf(stderr, "etlgen: cannot create %s\n", argv[4]);
			if (!to_stdout)
				fclose(out);
			etlgen_scenario_free(&s);
			return 1;
		}
		fprintf(rec.f, "t_ns,duration_ns,cpu,kind,module,routine\n");
		s.on_dpcisr = on_record;
		s.ud = &rec;
	}
	struct etlgen_expect e;
	int rc = etlgen_write(&s, out, &e, msg, sizeof msg);
	if (rec.f && fclose(rec.f) != 0 && rc == 0) {
		snprintf(msg, sizeof msg, "cannot write the records");
		rc = -1;
	}
	if ((to_stdout ? fflush(out) : fclose(out)) != 0 && rc == 0) {
		snprintf(msg, sizeof msg, "write error");
		rc = -1;
	}
	if (rc) {
		fprintf(stderr, "etlgen: %s\n", msg);
		etlgen_scenario_free(&s);
		return 1;
	}
	cJSON *j = etlgen_expect_json(&s, &e);
	char *text = j ? cJSON_Print(j) : NULL;
	FILE *ef = argc >= 4 ? fopen(argv[3], "w") : to_stdout ? stderr : stdout;
	if (!text || !ef) {
		fprintf(stderr, "etlgen: cannot write the expected aggregates\n");
		rc = 1;
	} else {
		fprintf(ef, "%s\n", text);
		if (ef != stdout && ef != stderr)
			fclose(ef);
	}
	free(text);
	cJSON_Delete(j);
	etlgen_expect_free(&e);
	etlgen_scenario_free(&s);
	return rc ? 1 : 0;
}
