/* blg_pdh.c — intake of PDH events: prefix check, multi-part reassembly (a body larger than
 * one event is split over parts 1..n of the same type and stamp), dispatch by Class.Type,
 * series numbering, and the decoder's lifetime. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blg_le.h"
#include "blg_pdh_int.h"
#include "ingest.h"

const uint8_t blg_pdh_guid[16] = { 0xb3, 0x3b, 0x3f, 0x93, 0x3e, 0x94, 0x0d, 0x49,
				   0x9c, 0xed, 0x3c, 0xbb, 0x14, 0xc1, 0x44, 0x79 };

struct blg_pdh *blg_pdh_new(const struct blg_pdh_out *out)
{
	struct blg_pdh *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->out = *out;
	blg_map_init(&d->series);
	return d;
}

static void free_entries(struct blg_pdh *d)
{
	for (uint32_t i = 0; i < d->n_entries; i++) {
		struct blg_entry *e = &d->entries[i];
		free(e->machine);
		free(e->object);
		free(e->instance);
		free(e->parent);
		free(e->counter);
	}
	free(d->entries);
	d->entries = NULL;
	d->n_entries = 0;
}

void blg_pdh_free(struct blg_pdh *d)
{
	if (!d)
		return;
	free_entries(d);
	for (uint32_t i = 0; i < d->names_cap; i++)
		free(d->names[i]);
	free(d->names);
	blg_map_free(&d->series);
	free(d->buf);
	free(d->vals);
	free(d);
}

const struct blg_pdh_stats *blg_pdh_get_stats(const struct blg_pdh *d)
{
	return &d->st;
}

int blg_pdh_warn(struct blg_pdh *d, const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	if (!d->out.warning)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return d->out.warning(d->out.ud, code, msg);
}

int blg_series_get(struct blg_pdh *d, const char *key, const struct blg_series_info *info,
		   uint32_t *id)
{
	struct blg_series_info s;
	int rc;
	if (blg_map_get(&d->series, key, id))
		return 0;
	if (d->st.series >= BLG_MAX_SERIES) {
		if (d->st.series == BLG_MAX_SERIES) {
			d->st.series++; /* warn once */
			rc = blg_pdh_warn(d, "too_many_counters",
					  "more than %u counter columns; the rest is skipped",
					  BLG_MAX_SERIES);
			if (rc < 0)
				return rc;
		}
		return 1;
	}
	*id = d->st.series;
	if (blg_map_put(&d->series, key, *id))
		return INGEST_ENOMEM;
	d->st.series++;
	s = *info;
	s.id = *id;
	if (d->out.series && (rc = d->out.series(d->out.ud, &s)) < 0)
		return rc;
	return 0;
}

static int dispatch(struct blg_pdh *d, uint8_t type, int64_t ts, const uint8_t *body, size_t len)
{
	switch (type) {
	case BLG_PDH_CATALOG:
		return blg_catalog_decode(d, body, len);
	case BLG_PDH_SAMPLE:
		return blg_sample_decode(d, ts, body, len);
	case BLG_PDH_STRINGS:
		d->st.string_events++;
		return blg_names_decode(d, body, len);
	case BLG_PDH_INDEX:
		d->st.index_events++;
		return 0;
	default:
		d->st.bad_records++;
		return blg_pdh_warn(d, "unknown_record", "PDH record type 0x%02x skipped", type);
	}
}

static int drop_partial(struct blg_pdh *d, const char *why)
{
	int rc = 0;
	if (d->part_count) {
		d->st.bad_records++;
		rc = blg_pdh_warn(d, "incomplete_record",
				  "multi-part PDH record (type 0x%02x, %u of %u parts) dropped: %s",
				  d->part_type, d->part_next - 1, d->part_count, why);
	}
	d->part_count = 0;
	d->part_next = 0;
	d->buf_len = 0;
	return rc;
}

static int append_part(struct blg_pdh *d, const uint8_t *p, size_t n)
{
	if (n > BLG_MAX_RECORD - d->buf_len)
		return 1;
	if (d->buf_len + n > d->buf_cap) {
		size_t cap = d->buf_cap ? d->buf_cap : 16384;
		while (cap < d->buf_len + n)
			cap *= 2;
		uint8_t *nb = realloc(d->buf, cap);
		if (!nb)
			return INGEST_ENOMEM;
		d->buf = nb;
		d->buf_cap = cap;
	}
	memcpy(d->buf + d->buf_len, p, n);
	d->buf_len += n;
	return 0;
}

int blg_pdh_feed(struct blg_pdh *d, const struct blg_pdh_event *ev)
{
	uint32_t part, count;
	const uint8_t *body;
	size_t blen;
	int rc;

	d->st.events++;
	if (ev->version != BLG_PDH_VERSION && !d->warned_version) {
		d->warned_version = 1;
		rc = blg_pdh_warn(d, "unknown_version",
				  "PDH event version %u (expected %u); decoding anyway",
				  ev->version, BLG_PDH_VERSION);
		if (rc < 0)
			return rc;
	}
	if (!ev->payload || blg_rd32(ev->payload, ev->len, 16, &part) ||
	    blg_rd32(ev->payload, ev->len, 20, &count)) {
		d->st.bad_records++;
		return blg_pdh_warn(d, "truncated", "PDH event of %zu bytes is too short", ev->len);
	}
	body = ev->payload + BLG_PDH_PREFIX;
	blen = ev->len - BLG_PDH_PREFIX;
	if (count <= 1 && part <= 1) {
		if (d->part_count && (rc = drop_partial(d, "a single-part record came between")) < 0)
			return rc;
		return dispatch(d, ev->type, ev->timestamp, body, blen);
	}
	if (part == 0 || part > count) {
		d->st.bad_records++;
		return blg_pdh_warn(d, "bad_part", "PDH event part %u of %u skipped", part, count);
	}
	if (part == 1) {
		if (d->part_count && (rc = drop_partial(d, "a new record started")) < 0)
			return rc;
		d->part_type = ev->type;
		d->part_count = count;
		d->part_next = 1;
		d->part_ts = ev->timestamp;
	} else if (!d->part_count || part != d->part_next || count != d->part_count ||
		   ev->type != d->part_type) {
		if ((rc = drop_partial(d, "parts out of sequence")) < 0)
			return rc;
		d->st.bad_records++;
		return blg_pdh_warn(d, "bad_part", "PDH event part %u of %u out of sequence, skipped",
				    part, count);
	}
	rc = append_part(d, body, blen);
	if (rc == 1)
		return drop_partial(d, "record larger than the limit");
	if (rc < 0)
		return rc;
	d->part_next++;
	if (part < count)
		return 0;
	/* complete: decode from the reassembly buffer */
	d->part_count = 0;
	d->part_next = 0;
	rc = dispatch(d, d->part_type, d->part_ts, d->buf, d->buf_len);
	d->buf_len = 0;
	return rc;
}

int blg_pdh_finish(struct blg_pdh *d)
{
	return drop_partial(d, "the log ends inside it");
}
