/* fuzz_api_request.c — libFuzzer harness for our side of the HTTP request path: query
 * strings and JSON bodies as the API handlers receive them (window, points, counter and
 * filter parameters; PATCH bodies), against a small in-memory run. Input: one selector
 * byte, then "query\nbody". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "db/db.h"
#include "db/db_catalog.h"

static sqlite3 *db;
static char run_id[DB_PUBLIC_ID_LEN + 1], token[DB_PUBLIC_ID_LEN + 1];

static void setup(void)
{
	char err[256];
	db = db_open(":memory:", DB_READWRITE, err, sizeof err);
	if (!db)
		abort();
	struct db_run_input in = {"fuzz", "fuzz.csv", 1};
	struct db_sink *s = db_sink_begin(db, &in, err, sizeof err);
	const struct ingest_sink *k = db_sink_iface(s);
	uint32_t idx;
	struct sink_counter c0 = {"\\\\H\\Processor(0)\\% DPC Time", "H", "Processor", "0", "% DPC Time", 0, 0};
	struct sink_counter c1 = {"\\\\H\\Processor(1)\\% DPC Time", "H", "Processor", "1", "% DPC Time", 1, 0};
	k->counter(k->ud, &c0, &idx);
	k->counter(k->ud, &c1, &idx);
	for (int r = 0; r < 300; r++) {
		double v[2] = {r * 0.5, 100 - r * 0.25};
		k->sample(k->ud, 1600000000000000LL + r * 1000000LL, v, 2);
	}
	if (db_sink_commit(s, "pdh-csv", 0, NULL, run_id, token, err, sizeof err) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db)
		setup();
	if (size < 1)
		return 0;
	char *buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	char *body = strchr(buf, '\n');
	size_t blen = 0;
	if (body) {
		*body++ = '\0';
		blen = strlen(body);
	}
	struct api_request rq = {.query = buf};
	struct api_auth auth = {token, NULL};
	cJSON *out = NULL;
	struct db_catalog *cat = db_catalog_sqlite_wrap(db);
	if (!cat)
		abort();
	switch (data[0] % 6) {
	case 0: api_run_series(db, run_id, &rq, &out); break;
	case 1: api_run_cpu(db, run_id, &rq, &out); break;
	case 2: api_run_get(db, run_id, &rq, &out); break;
	case 3: api_runs_list(cat, &rq, &out); break;
	case 4: api_run_counters(db, buf, &rq, &out); break; /* the id itself is input */
	case 5: api_run_patch(cat, run_id, &auth, body ? body : buf, body ? blen : strlen(buf), &out); break;
	}
	if (out) {
		char *text = cJSON_PrintUnformatted(out);
		if (!text)
			abort();
		cJSON *back = cJSON_Parse(text); /* every answer is valid JSON */
		if (!back)
			abort();
		cJSON_Delete(back);
		cJSON_free(text);
		cJSON_Delete(out);
	}
	db_catalog_close(cat);
	free(buf);
	return 0;
}
