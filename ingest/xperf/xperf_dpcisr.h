/* xperf_dpcisr.h — import of `xperf -a dpcisr` text reports: per-module duration
 * histograms (power-of-two µs buckets) and per-CPU usage per module, per section (DPC,
 * Interrupt). The report holds no individual events, so none are emitted: buckets go to
 * sink->dpcisr_bucket and usage cells to sink->dpcisr_usage, then one summary. */
#ifndef ETLSCOPE_XPERF_DPCISR_H
#define ETLSCOPE_XPERF_DPCISR_H

#include <stddef.h>
#include <stdio.h>
#include "../ingest.h"

struct xperf_options {
	size_t max_line; /* longest accepted line; 0 = default (1 MiB) */
	size_t block;    /* fread size; 0 = default (64 KiB) */
};

/* Parse the report in f (read from its current position to EOF). Returns enum
 * ingest_status; on error err says why and no summary was sent. */
int xperf_dpcisr_parse(FILE *f, const struct ingest_sink *sink, struct ingest_error *err);
int xperf_dpcisr_parse_ex(FILE *f, const struct xperf_options *o,
			  const struct ingest_sink *sink, struct ingest_error *err);

#endif
