/* etl_event_again.h — the decode of a kernel-header record (SYSTEM, COMPACT, PERFINFO 32/64):
 * the fields such a header sets (etl_event_system_fields, also etl_event_decode's), and that
 * decode into an event struct that already holds a kernel event, writing only those fields
 * where etl_event_decode first clears all 120 bytes. The merge's common step (a CPU's buffer
 * of kernel events, one after another) runs it once an event. */
#ifndef ETLSCOPE_ETL_EVENT_AGAIN_H
#define ETLSCOPE_ETL_EVENT_AGAIN_H

#include "etl_event.h"
#include "etl_le.h"

/* The fields a kernel header (SYSTEM, COMPACT, PERFINFO 32/64: ht) of size bytes at p sets,
 * every one of them written (a PERFINFO's absent thread and process ids as zeros), so the
 * result does not depend on what ev held before; header_type, cpu, raw and size are the
 * caller's. ETL_EV_OK, or ETL_EV_MALFORMED when size cannot hold the header and its
 * PMC/PEBS items (ev then partly written). size >= 16 and p readable for size bytes. */
static inline int etl_event_system_fields(const uint8_t *p, size_t size, uint8_t ht,
					  struct etl_event *ev)
{
	size_t hsize = 16;
	ev->ev_class = ETL_EC_SYSTEM;
	ev->pointer_size = (ht == ETL_HT_SYSTEM32 || ht == ETL_HT_COMPACT32 ||
			    ht == ETL_HT_PERFINFO32) ? 4 : 8;
	uint16_t v = etl_le16(p);
	ev->type = p[6];
	ev->group = p[7];
	if (ht == ETL_HT_PERFINFO32 || ht == ETL_HT_PERFINFO64) {
		ev->thread_id = 0; /* PERFINFO headers carry no thread and process ids */
		ev->process_id = 0;
		ev->has_ids = 0;
		ev->timestamp = etl_le64(p + 8);
	} else {
		hsize = (ht == ETL_HT_SYSTEM32 || ht == ETL_HT_SYSTEM64) ? 32 : 24;
		if (size < hsize)
			return ETL_EV_MALFORMED;
		ev->thread_id = etl_le32(p + 8);
		ev->process_id = etl_le32(p + 12);
		ev->timestamp = etl_le64(p + 16);
		ev->has_ids = 1;
	}
	/* PEBS index flag 0x8000 and PMC count (v >> 8) & 7 add u64 items after the header. */
	ev->has_pebs = (v & 0x8000) ? 1 : 0;
	ev->pmc_count = (uint8_t)((v >> 8) & 7);
	ev->version = v & 0x00FF;
	size_t ext = 8u * (size_t)(ev->has_pebs + ev->pmc_count);
	if (size < hsize + ext)
		return ETL_EV_MALFORMED;
	ev->ext = p + hsize;
	ev->ext_len = ext;
	ev->payload = p + hsize + ext;
	ev->payload_len = size - hsize - ext;
	return ETL_EV_OK;
}

/* Same contract and same result, field for field, as etl_event_decode(p, len, ev, advance),
 * provided ev holds what an earlier etl_event_decode or etl_event_decode_again left there
 * (whatever it returned) or all zeros: a struct left with ev_class ETL_EC_SYSTEM by them has
 * zeros in every field a kernel header does not set (etl_event_system_fields writes no
 * other), so writing the kernel fields alone gives the cleared-then-filled struct. Anything
 * other than a well-formed kernel record over such a struct takes etl_event_decode itself. */
static inline int etl_event_decode_again(const uint8_t *p, size_t len, struct etl_event *ev,
					 size_t *advance)
{
	if (ev->ev_class != ETL_EC_SYSTEM || len < 16)
		return etl_event_decode(p, len, ev, advance);
	uint8_t flags = p[3], ht = p[2];
	/* a WPP message ((flags & 0x90) == 0x90 without 0x20) or no 0xC0 pair: the long way */
	if ((flags & 0xC0) != 0xC0 || (flags & 0x30) == 0x10)
		return etl_event_decode(p, len, ev, advance);
	switch (ht) {
	case ETL_HT_PERFINFO32: case ETL_HT_PERFINFO64:
	case ETL_HT_COMPACT32: case ETL_HT_COMPACT64:
	case ETL_HT_SYSTEM32: case ETL_HT_SYSTEM64: break;
	default: return etl_event_decode(p, len, ev, advance);
	}
	size_t size = etl_le16(p + 4);
	/* the size checks of etl_event_decode; a malformed record is decoded again by it */
	if (size < 16 || size > len || etl_event_system_fields(p, size, ht, ev) != ETL_EV_OK)
		return etl_event_decode(p, len, ev, advance);
	ev->header_type = ht;
	ev->cpu = 0;
	ev->raw = p;
	ev->size = size;
	size_t adv = (size + 7) & ~(size_t)7;
	*advance = adv > len ? len : adv;
	return ETL_EV_OK;
}

#endif
