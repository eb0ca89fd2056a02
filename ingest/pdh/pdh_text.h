/* pdh_text.h — perfmon text logs (PDH-CSV / PDH-TSV as written by perfmon, relog,
 * typeperf and Export-Counter): counter paths, local timestamps, streaming rows. */
#ifndef ETLSCOPE_PDH_TEXT_H
#define ETLSCOPE_PDH_TEXT_H

#include <stdio.h>
#include "../ingest.h"

/* Parse a whole PDH text log from f (positioned at its start), separator ',' or '\t'
 * (when the header's signature names the other one, the signature wins).
 * Emits one sink->counter per counter column (header order, duplicates kept), one
 * sink->sample per data row with one value per counter (NAN for blank, bad or missing
 * cells, never 0), warnings for tolerated damage, and sink->summary at the end.
 *
 * Times: row stamps are the logger's local time; t_us = local + header bias (minutes),
 * as µs since the Unix epoch UTC. Without a bias (typeperf console output) bias is 0.
 *
 * Text: the header is converted to UTF-8 from its encoding (pdh_encoding.h: given, or
 * detected from UTF-8 validity and localised Processor/Process names); localised names of
 * the Processor, Processor Information and Process objects and their CPU-time counters are
 * emitted under their English names (pdh_names.def), the path stays as written.
 *
 * Summary members: format ("pdh-csv"/"pdh-tsv"), encoding ("UTF-8", "CP1251", …),
 * encoding_detected_by ("utf-8", "explicit", "names", "fallback"), language (of the
 * localised names, when found), signature (bool), version ("4.0" or ""),
 * time_zone (string or null), bias_minutes, machines [names], objects [names] (both
 * distinct case-insensitively, sorted), counters, instances (distinct object+instance of
 * instanced objects), cpus (distinct logical CPUs of per-CPU columns), columns_ignored
 * (non-path header cells), samples, first_utc_us / last_utc_us (first and last row in file
 * order; null without rows), start_utc_us / end_utc_us (earliest / latest), duration_us
 * (latest - earliest), interval_s (median spacing, ms precision), time_steps_back,
 * rows_skipped (bad time or cut last line), lines_ignored (blank and status lines),
 * warnings {code: count}.
 *
 * Warning codes (pdh_warn.h): signature_missing, no_time_zone, header_unrecognised,
 * separator_mismatch, non_path_column, cpu_mapping, column_count, bad_timestamp, bad_value,
 * day_month_swapped, truncated, no_samples, encoding. Each code is reported in detail 5
 * times, then once more with its total.
 *
 * Returns INGEST_OK, INGEST_EFORMAT (err says why: empty, UTF-16, no counter paths, a line
 * over the cap, too many columns), INGEST_EIO, INGEST_ENOMEM, or a sink callback's negative
 * result unchanged. Memory: one line (capped at PDH_TEXT_MAX_LINE), one row, the header. */
int pdh_text_parse(FILE *f, char sep, const struct ingest_sink *sink, struct ingest_error *err);

/* Limits of one parse; 0 in a field means its default (block is clamped to 64 MiB). */
#define PDH_TEXT_MAX_LINE (64u << 20) /* longest line accepted: 64 MiB */
#define PDH_TEXT_BLOCK (64u << 10)    /* bytes per fread */
struct pdh_text_options {
	size_t max_line;
	size_t block;
	const char *encoding; /* the header's text encoding (iconv name); NULL: detect it */
	const char *transcoded_from; /* the file was converted to UTF-8 before (from a
				      * UTF-16 BOM): the summary names that encoding */
};

/* pdh_text_parse() with explicit limits (tests use tiny ones to reach the edges). */
int pdh_text_parse_ex(FILE *f, char sep, const struct pdh_text_options *opt,
		      const struct ingest_sink *sink, struct ingest_error *err);

#endif
