/* blg_ingest.c — the .blg pipeline: ETL events in file order (etl_reader) → the
 * log-file header's time zone → PDH events into the record decoder → cooked rows into the
 * sink (blg_emit) → summary. Non-PDH events are counted and skipped. */
#include <cjson/cJSON.h>
#include <string.h>
#include "blg_emit.h"
#include "blg_ingest.h"
#include "blg_le.h"
#include "blg_pdh.h"
#include "blg_summary.h"
#include "blg_tz.h"
#include "etl_reader.h"

/* TIME_ZONE_INFORMATION inside the EventTrace/Header payload: after the 56 fixed bytes
 * and two pointer-sized fields (docs/blg-format.md §1.1). */
static void read_time_zone(const struct etl_event *ev, struct blg_tz *tz)
{
	size_t off = 56 + 2 * (size_t)ev->pointer_size;
	if (blg_fits(off, BLG_TZI_SIZE, ev->payload_len))
		(void)blg_tz_parse(ev->payload + off, ev->payload_len - off, tz);
}

static int is_pdh(const struct etl_event *ev)
{
	return ev->ev_class == ETL_EC_CLASSIC && ev->has_guid &&
	       memcmp(ev->guid, blg_pdh_guid, 16) == 0;
}

static int finish_warnings(struct blg_emit *em, const struct etl_reader *r, uint64_t foreign,
			   int have_tz)
{
	char msg[160];
	int rc = 0;
	if (r->st.truncated) {
		snprintf(msg, sizeof msg, "the file is cut short (%llu buffers read, the header "
			 "says %u were written)", (unsigned long long)r->st.buffers,
			 r->lf.buffers_written);
		rc = blg_emit_warning(em, "truncated", msg);
	}
	if (rc >= 0 && r->st.malformed_buffers) {
		snprintf(msg, sizeof msg, "%llu ETL buffers stopped early at damaged events",
			 (unsigned long long)r->st.malformed_buffers);
		rc = blg_emit_warning(em, "damaged_buffer", msg);
	}
	if (rc >= 0 && r->st.bad_buffers) {
		snprintf(msg, sizeof msg, "%llu ETL buffers could not be decoded",
			 (unsigned long long)r->st.bad_buffers);
		rc = blg_emit_warning(em, "bad_buffer", msg);
	}
	if (rc >= 0 && foreign) {
		snprintf(msg, sizeof msg, "%llu events of other providers skipped",
			 (unsigned long long)foreign);
		rc = blg_emit_warning(em, "foreign_event", msg);
	}
	if (rc >= 0 && !have_tz)
		rc = blg_emit_warning(em, "no_time_zone",
				      "no time zone in the log header: local times taken as UTC");
	if (rc >= 0)
		rc = blg_emit_flush_warnings(em);
	return rc;
}

int blg_ingest(FILE *f, const struct ingest_sink *sink, struct ingest_error *err)
{
	struct etl_reader r;
	struct etl_event ev;
	struct blg_tz tz;
	struct blg_emit em;
	struct blg_pdh *d;
	struct blg_pdh_out out;
	uint64_t foreign = 0;
	int rc, have_tz = 0;

	memset(&tz, 0, sizeof tz);
	rc = etl_reader_open(&r, f);
	if (rc) {
		etl_reader_close(&r); /* open may have allocated buffers before failing */
		if (rc == INGEST_EFORMAT)
			ingest_error_set(err, "not a perfmon binary log: no ETW log-file header");
		else
			ingest_error_set(err, "cannot read the perfmon binary log");
		return rc;
	}
	blg_emit_init(&em, sink, &tz);
	out = blg_emit_pdh_out(&em);
	d = blg_pdh_new(&out);
	if (!d) {
		etl_reader_close(&r);
		blg_emit_free(&em);
		ingest_error_set(err, "out of memory");
		return INGEST_ENOMEM;
	}
	while ((rc = etl_reader_next(&r, &ev)) == 1) {
		if (!have_tz && ev.ev_class == ETL_EC_SYSTEM && ev.group == 0 && ev.type == 0) {
			read_time_zone(&ev, &tz);
			have_tz = tz.valid;
			continue;
		}
		if (!is_pdh(&ev)) {
			foreign++;
			continue;
		}
		struct blg_pdh_event pe = { ev.type, ev.version, blg_as_i64(ev.timestamp),
					    ev.payload, ev.payload_len };
		rc = blg_pdh_feed(d, &pe);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = blg_pdh_finish(d);
	if (rc == 0 && r.st.io_error) {
		ingest_error_set(err, "read error in the perfmon binary log");
		rc = INGEST_EIO;
	}
	if (rc == 0 && blg_pdh_get_stats(d)->events == 0) {
		ingest_error_set(err, "an ETW trace without perfmon (PDH) counter data: not a .blg");
		rc = INGEST_EFORMAT;
	}
	if (rc == 0 && blg_pdh_get_stats(d)->catalog_entries == 0) {
		ingest_error_set(err, "the perfmon binary log has no readable counter catalog");
		rc = INGEST_EFORMAT;
	}
	if (rc == 0)
		rc = finish_warnings(&em, &r, foreign, have_tz);
	if (rc == 0 && sink->summary) {
		cJSON *j = blg_summary_build(&r, &tz, blg_pdh_get_stats(d), &em);
		if (!j) {
			rc = INGEST_ENOMEM;
		} else {
			rc = sink->summary(sink->ud, j);
			cJSON_Delete(j);
		}
	}
	if (rc == INGEST_ENOMEM)
		ingest_error_set(err, "out of memory while reading the perfmon binary log");
	else if (rc < 0 && rc != INGEST_EFORMAT && rc != INGEST_EIO)
		ingest_error_set(err, "the sink refused a record");
	blg_pdh_free(d);
	blg_emit_free(&em);
	etl_reader_close(&r);
	return rc < 0 ? rc : INGEST_OK;
}
