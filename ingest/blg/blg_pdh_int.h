/* blg_pdh_int.h — the decoder state shared by blg_pdh.c (event intake, multi-part
 * reassembly), blg_catalog.c (0x20), blg_names.c (0x24) and blg_sample.c (0x22).
 * Private to ingest/blg. */
#ifndef ETLSCOPE_BLG_PDH_INT_H
#define ETLSCOPE_BLG_PDH_INT_H

#include "blg_map.h"
#include "blg_pdh.h"

#define BLG_CAT_WILDCARD 0x1u    /* entry flag: instance wildcard, subtype-2 records */
#define BLG_CAT_OBJECT 0x10u     /* entry flag: whole object, perflib blocks */

struct blg_entry {
	uint32_t flags;
	uint32_t type;
	uint32_t freq;
	int32_t scale;
	uint32_t inst_index;
	char *machine;   /* without backslashes */
	char *object;
	char *instance;  /* NULL: none */
	char *parent;    /* NULL: none */
	char *counter;
};

struct blg_pdh {
	struct blg_pdh_out out;
	struct blg_pdh_stats st;

	struct blg_entry *entries;
	uint32_t n_entries;
	int have_catalog;

	char **names;          /* perflib title index → name */
	uint32_t names_cap;

	struct blg_map series; /* series key → id */

	/* multi-part reassembly */
	uint8_t *buf;
	size_t buf_len, buf_cap;
	uint8_t part_type;
	uint32_t part_next, part_count;
	int64_t part_ts;

	struct blg_value *vals;
	size_t n_vals, vals_cap;

	int warned_version;
};

int blg_pdh_warn(struct blg_pdh *d, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Body decoders: body = reassembled payload after the 24-byte prefix. */
int blg_catalog_decode(struct blg_pdh *d, const uint8_t *p, size_t len);
int blg_names_decode(struct blg_pdh *d, const uint8_t *p, size_t len);
int blg_sample_decode(struct blg_pdh *d, int64_t ts, const uint8_t *p, size_t len);

/* Series id for key, announcing a new series through out.series. Returns 0 with *id,
 * 1 when the series cap is reached (value dropped), or a negative code. */
int blg_series_get(struct blg_pdh *d, const char *key, const struct blg_series_info *info,
		   uint32_t *id);

#endif
