/* text_warn.h — counted, rate-limited warnings for the text-report parsers (xperf, WPA):
 * the first few of each code go to the sink with details, the rest are counted and
 * reported once at the end, and the counts land in the summary. Codes are static strings. */
#ifndef ETLSCOPE_TEXT_WARN_H
#define ETLSCOPE_TEXT_WARN_H

#include <stdint.h>
#include "sink.h"

#define TEXT_WARN_CODES 32  /* distinct codes per parse; more are counted under "other" */
#define TEXT_WARN_DETAIL 5  /* detailed warnings per code */

struct text_warn {
	const struct ingest_sink *sink;
	const char *code[TEXT_WARN_CODES];
	uint64_t count[TEXT_WARN_CODES];
	int n;
};

void text_warn_init(struct text_warn *w, const struct ingest_sink *sink);
/* Count one warning; send it while its code has sent < TEXT_WARN_DETAIL. Returns 0 or the
 * sink's negative result. */
int text_warn(struct text_warn *w, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Warnings counted so far, all codes together. */
uint64_t text_warn_total(const struct text_warn *w);
/* The one rule for a file cut off mid-record: when the line just handled was the last,
 * without its line end (terminated 0), and it raised a warning (warnings_before <
 * text_warn_total), add a "truncated" warning, which makes the run partial (db_sink.c).
 * Returns 0 or the sink's negative result. */
int text_warn_cut_line(struct text_warn *w, uint64_t warnings_before, int terminated,
		       unsigned long long line_no);
/* One "N in total" warning per code over the detail limit. */
int text_warn_flush(struct text_warn *w);
/* Add "warnings": {code: count, …} to summary. */
int text_warn_json(const struct text_warn *w, struct cJSON *summary);

#endif
