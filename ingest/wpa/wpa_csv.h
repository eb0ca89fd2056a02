/* wpa_csv.h — import of WPA / wpaexporter CSV exports of the DPC/ISR table: one sink_dpcisr
 * record per DPC/ISR (rows with "Count (DPCs/ISRs)" = 1), modules declared by name. Other
 * tables, grouped exports and clipboard copies are refused with a message that says which
 * export to make. */
#ifndef ETLSCOPE_WPA_CSV_H
#define ETLSCOPE_WPA_CSV_H

#include <stddef.h>
#include <stdio.h>
#include "../ingest.h"

struct wpa_options {
	size_t max_line;   /* longest accepted line; 0 = default (1 MiB) */
	size_t block;      /* fread size; 0 = default (64 KiB) */
	size_t vote_lines; /* lines the locale pre-pass may read; 0 = default (100000) */
};

/* Parse the export in f (from its current position). f should be seekable: a first pass
 * over the rows decides the number locale, then the file is read again. Returns enum
 * ingest_status; on error err says why and no summary was sent. */
int wpa_csv_parse(FILE *f, const struct ingest_sink *sink, struct ingest_error *err);
int wpa_csv_parse_ex(FILE *f, const struct wpa_options *o, const struct ingest_sink *sink,
		     struct ingest_error *err);

#endif
