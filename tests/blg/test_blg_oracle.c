/* test_blg_oracle.c — powershell_CounterSamples.blg must give exactly the values of its
 * CSV twin (written by Export-Counter from the same data): every counter, every sample,
 * blanks where the CSV is blank, row times = CSV local times + PST bias. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blg_test_sink.h"

#define BLG SHARED_DIR "/samples/perfmon/powershell_CounterSamples.blg"
#define CSV SHARED_DIR "/samples/perfmon/powershell_CounterSamples.csv"

/* Split one CSV line of quoted fields into fields[] (in place). Returns the count. */
static int split_csv(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	while (*p && n < max) {
		char *q, *e;
		q = strchr(p, '"');
		if (!q)
			break;
		e = strchr(q + 1, '"');
		if (!e)
			break;
		*e = '\0';
		fields[n++] = q + 1;
		p = e + 1;
	}
	return n;
}

/* days since 1970-01-01 */
static int64_t days_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + doe - 719468;
}

static int64_t csv_time_utc_us(const char *s, int bias_min)
{
	int mo, d, y, h, mi, sec, ms;
	assert_int_equal(sscanf(s, "%d/%d/%d %d:%d:%d.%d", &mo, &d, &y, &h, &mi, &sec, &ms), 7);
	int64_t t = days_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec + bias_min * 60;
	return t * 1000000 + (int64_t)ms * 1000;
}

static void test_oracle_every_value(void **state)
{
	struct mem_sink m;
	char err[512], line[16384];
	char *hdr[64], *f[64];
	int map[64];
	FILE *csv;
	int ncols, row = 0;
	size_t compared = 0, blanks = 0;
	double maxrel = 0;
	(void)state;

	mem_sink_init(&m);
	assert_int_equal(mem_sink_ingest_path(&m, BLG, err, sizeof err), 0);
	csv = fopen(CSV, "r");
	assert_non_null(csv);
	assert_non_null(fgets(line, sizeof line, csv));
	char *header = strdup(line);
	ncols = split_csv(header, hdr, 64);
	assert_int_equal(ncols, 11);
	assert_int_equal(m.nc, 10);
	for (int j = 1; j < ncols; j++) {
		map[j] = mem_sink_find(&m, hdr[j]);
		if (map[j] < 0)
			fail_msg("CSV column %s not decoded", hdr[j]);
	}
	while (fgets(line, sizeof line, csv)) {
		int n = split_csv(line, f, 64);
		if (n == 0)
			continue;
		assert_int_equal(n, ncols);
		assert_true((size_t)row < m.nrows);
		const struct mem_row *r = &m.rows[row];
		/* local time + 480 min (Pacific Standard Time in November) */
		assert_int_equal(r->t_us, csv_time_utc_us(f[0], 480));
		for (int j = 1; j < ncols; j++) {
			size_t k = (size_t)map[j];
			double got = k < r->n ? r->v[k] : NAN;
			if (strcmp(f[j], " ") == 0 || f[j][0] == '\0') {
				if (!isnan(got))
					fail_msg("row %d col %d: CSV blank, decoded %.17g", row, j, got);
				blanks++;
				continue;
			}
			char *end;
			double want = strtod(f[j], &end);
			assert_true(*end == '\0');
			if (isnan(got))
				fail_msg("row %d col %d: CSV %s, decoded nothing", row, j, f[j]);
			double rel = want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
			if (rel > maxrel)
				maxrel = rel;
			/* the CSV prints up to 17 significant digits */
			if (rel > 1e-15)
				fail_msg("row %d col %d: CSV %s, decoded %.17g (rel %.3g)", row, j, f[j],
					 got, rel);
			compared++;
		}
		row++;
	}
	fclose(csv);
	free(header);
	assert_int_equal(row, 25);
	assert_int_equal(m.nrows, 25);
	printf("oracle: %zu values compared, %zu blanks matched, max relative deviation %.3g\n",
	       compared, blanks, maxrel);
	assert_int_equal(compared, 242);
	mem_sink_free(&m);
}

static void test_oracle_counter_facts(void **state)
{
	struct mem_sink m;
	char err[512];
	(void)state;
	mem_sink_init(&m);
	assert_int_equal(mem_sink_ingest_path(&m, BLG, err, sizeof err), 0);
	int i = mem_sink_find(&m, "\\\\charlieparker\\processor(_total)\\% processor time");
	assert_true(i >= 0);
	assert_string_equal(m.c[i].machine, "charlieparker");
	assert_string_equal(m.c[i].object, "processor");
	assert_string_equal(m.c[i].instance, "_total");
	assert_int_equal(m.c[i].cpu, -1);
	assert_int_equal(m.c[i].type, 0x21510500);
	i = mem_sink_find(&m, "\\\\charlieparker\\memory\\% committed bytes in use");
	assert_true(i >= 0);
	assert_null(m.c[i].instance);
	assert_int_equal(m.c[i].type, 0x20020400);
	assert_non_null(m.summary);
	assert_non_null(strstr(m.summary, "\"format\":\"blg\""));
	assert_non_null(strstr(m.summary, "\"samples\":25"));
	assert_non_null(strstr(m.summary, "\"counters\":10"));
	assert_non_null(strstr(m.summary, "\"bias_minutes\":480"));
	assert_non_null(strstr(m.summary, "\"pointer_size\":8"));
	assert_non_null(strstr(m.summary, "\"utc_offset\":\"UTC-08:00 (daylight UTC-07:00)\""));
	assert_non_null(strstr(m.summary, "\"first\":\"2016-11-26T21:46:30.874Z\""));
	assert_int_equal(m.nwarn, 0);
	mem_sink_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_every_value),
		cmocka_unit_test(test_oracle_counter_facts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
