/* blg_pdh.h — the PDH record decoder: takes the payload of one PDH event from a .blg
 * (FULL_HEADER classic event of provider 933f3bb3-943e-490d-9ced-3cbb14c14479) and turns
 * catalog, string-table and sample records into counter series and raw samples.
 * Knows nothing about the ETL container or about cooking; see docs/blg-format.md. */
#ifndef ETLSCOPE_BLG_PDH_H
#define ETLSCOPE_BLG_PDH_H

#include <stddef.h>
#include <stdint.h>
#include "blg_cook.h"

/* FULL_HEADER Class.Type of PDH events */
#define BLG_PDH_CATALOG 0x20
#define BLG_PDH_SAMPLE 0x22
#define BLG_PDH_INDEX 0x23
#define BLG_PDH_STRINGS 0x24
#define BLG_PDH_VERSION 60

#define BLG_PDH_PREFIX 24                 /* session GUID, part, part count */
#define BLG_MAX_RECORD (64u << 20)        /* largest reassembled record accepted */
#define BLG_MAX_SERIES (1u << 20)         /* columns per log */
#define BLG_MAX_TITLE_INDEX (1u << 20)    /* perflib name-table indexes */

/* The PDH provider GUID in on-disk byte order. */
extern const uint8_t blg_pdh_guid[16];

/* One event as the container hands it over. */
struct blg_pdh_event {
	uint8_t type;          /* Class.Type */
	uint16_t version;      /* Class.Version */
	int64_t timestamp;     /* event header stamp: local FILETIME for PDH events */
	const uint8_t *payload;
	size_t len;
};

/* A column: one counter of one instance on one machine. Strings are UTF-8, valid during
 * the callback. */
struct blg_series_info {
	uint32_t id;           /* 0, 1, 2 … in order of appearance */
	const char *machine;   /* without leading backslashes, "" if none */
	const char *object;
	const char *instance;  /* NULL for single-instance objects */
	const char *counter;
	uint32_t type;         /* winperf counter type */
	int32_t scale;         /* default scale (not applied to values) */
};

/* One raw value of one series in a sample. */
struct blg_value {
	uint32_t series;
	struct blg_raw raw;
};

/* Where decoded records go. Callbacks return 0, or a negative value to stop (returned
 * unchanged by blg_pdh_feed). */
struct blg_pdh_out {
	void *ud;
	int (*series)(void *ud, const struct blg_series_info *s);
	/* local_ft: the sample's local wall-clock time (FILETIME). v holds the series that
	 * have a valid raw value in this sample. */
	int (*sample)(void *ud, int64_t local_ft, const struct blg_value *v, size_t n);
	int (*warning)(void *ud, const char *code, const char *message);
};

struct blg_pdh_stats {
	uint64_t events;          /* events fed */
	uint64_t catalog_entries;
	uint64_t samples;         /* sample records decoded */
	uint64_t string_events;   /* 0x24 events */
	uint64_t names;           /* perflib names known */
	uint64_t index_events;    /* 0x23 events (not needed, skipped) */
	uint64_t perflib_blocks;
	uint64_t records;         /* counter records inside samples */
	uint64_t bad_records;     /* records or events skipped as malformed */
	uint32_t series;
};

struct blg_pdh;

/* NULL on allocation failure. out is copied. */
struct blg_pdh *blg_pdh_new(const struct blg_pdh_out *out);
void blg_pdh_free(struct blg_pdh *d);

/* Decode one event. Returns 0 (damaged records are skipped with a warning),
 * INGEST_ENOMEM, or a callback's negative value. */
int blg_pdh_feed(struct blg_pdh *d, const struct blg_pdh_event *ev);

/* End of input: warns about an unfinished multi-part record. Returns 0 or a callback's
 * negative value. */
int blg_pdh_finish(struct blg_pdh *d);

const struct blg_pdh_stats *blg_pdh_get_stats(const struct blg_pdh *d);

#endif
