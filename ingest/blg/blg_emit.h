/* blg_emit.h — from decoded PDH series and raw samples to the normalized sink records:
 * counter paths (with per-CPU numbers), cooked values per row (NAN where there is none),
 * local sample times converted to UTC, and rate-limited warnings. Also keeps the facts
 * the run summary reports. */
#ifndef ETLSCOPE_BLG_EMIT_H
#define ETLSCOPE_BLG_EMIT_H

#include <stdint.h>
#include "blg_map.h"
#include "blg_pdh.h"
#include "blg_tz.h"
#include "sink.h"

#define BLG_WARN_CODES 24
#define BLG_WARN_REPEAT 5 /* messages passed on per code; the rest are only counted */

struct blg_emit_series {
	uint32_t sink_index;
	uint32_t type;
	uint64_t last_row;  /* row number of the last raw value seen, 0 = never */
	struct blg_raw prev;
	char *path;         /* for warnings */
};

/* Distinct names in order of first appearance (the strings are owned by the map). */
struct blg_nameset {
	struct blg_map map;
	const char **items;
	size_t n, cap;
};

struct blg_emit {
	const struct ingest_sink *sink;
	const struct blg_tz *tz;
	struct blg_emit_series *s;
	uint32_t n, cap;
	double *row;
	uint64_t rows;
	int64_t first_us, last_us;
	struct blg_nameset machines, objects, instances, cpus;
	struct {
		const char *code;
		uint64_t count;
	} warn[BLG_WARN_CODES];
	uint64_t values, missing;
};

void blg_emit_init(struct blg_emit *e, const struct ingest_sink *sink, const struct blg_tz *tz);
void blg_emit_free(struct blg_emit *e);

/* The decoder's output side, bound to e. */
struct blg_pdh_out blg_emit_pdh_out(struct blg_emit *e);

/* Count a warning and pass the first few of each code on to the sink. code must be a
 * string literal (it is kept). */
int blg_emit_warning(struct blg_emit *e, const char *code, const char *message);

/* Pass on one message per code whose repeats were held back. */
int blg_emit_flush_warnings(struct blg_emit *e);

/* Logical CPU of a Processor(n) / Processor Information(0,n) instance, else -1. */
int blg_cpu_of(const char *object, const char *instance);

#endif
