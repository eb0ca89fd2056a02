/* pdh_header.h — the header row of a PDH text log: time cell, counter-path columns (split
 * and mapped to CPUs), ignored non-path columns, and the header's summary facts. */
#ifndef ETLSCOPE_PDH_HEADER_H
#define ETLSCOPE_PDH_HEADER_H

#include <stddef.h>
#include <stdint.h>
#include "pdh_path.h"
#include "pdh_time.h"
#include "pdh_warn.h"
#include "../ingest.h"

struct cJSON;

struct pdh_counter_col {
	char *full;           /* the path as written (quotes removed, "" → ") */
	struct pdh_path path;
	const char *object;   /* path.object, or its English name when localised (pdh_names) */
	const char *counter;  /* path.counter, likewise */
	int cpu;              /* logical CPU or -1 */
};

struct pdh_header {
	char sep;                 /* separator in effect (may follow the signature) */
	int time_ok;              /* first cell understood (pdh_time_parse_header) */
	struct pdh_header_time time;
	size_t ncols;             /* cells in the header row, the time cell included */
	int32_t *col_counter;     /* [ncols]: counter index, or -1 (time cell, non-path) */
	size_t ncounters;
	size_t counters_cap;
	struct pdh_counter_col *counters;
};

/* Most header cells accepted (a generous bound: Process(*)\* on a large server is ~10^4;
 * it keeps a hostile header of empty cells from costing gigabytes). */
#define PDH_HEADER_MAX_COLUMNS 1000000

/* Parse the header line (BOM already removed). sep is the caller's separator; when the
 * signature names the other one, the header wins (warning separator_mismatch). Header
 * warnings (signature, zone, non-path columns, CPU mapping, encoding) go to w.
 * Returns INGEST_OK; INGEST_EFORMAT with err filled if the line holds no counter path or
 * more than PDH_HEADER_MAX_COLUMNS cells;
 * INGEST_ENOMEM; or a sink's negative result unchanged. h is freed on failure. */
int pdh_header_parse(const char *line, size_t len, char sep, struct pdh_header *h,
		     struct pdh_warn *w, struct ingest_error *err);
void pdh_header_free(struct pdh_header *h);

/* Add machines, objects, counters, instances, cpus to summary. Returns 0 or -1 (memory). */
int pdh_header_json(const struct pdh_header *h, struct cJSON *summary);

#endif
