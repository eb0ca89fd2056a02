/* etl_event_again.h — the decode of a kernel-header record (SYSTEM, COMPACT, PERFINFO 32/64)
 * into an event struct that already holds a kernel event: only the fields such a header sets
 * are written, where etl_event_decode first clears all 120 bytes. The merge's common step
 * (a CPU's buffer of kernel events, one after another) runs it once an event. */
#ifndef ETLSCOPE_ETL_EVENT_AGAIN_H
#define ETLSCOPE_ETL_EVENT_AGAIN_H

#include "etl_event.h"
#include "etl_le.h"

/* Same contract and same result, field for field, as etl_event_decode(p, len, ev, advance),
 * provided ev holds what an earlier etl_event_decode or etl_event_decode_again left there
 * (whatever it returned) or all zeros: a struct left with ev_class ETL_EC_SYSTEM by them has
 * zeros in every field a kernel header does not set (decode_system writes no other), so
 * writing the kernel fields alone gives the cleared-then-filled struct. Anything other than
 * a well-formed kernel record over such a struct takes etl_event_decode itself. */
static inline int etl_event_decode_again(const uint8_t *p, size_t len, struct etl_event *ev,
					 size_t *advance)
{
	if (ev->ev_class != ETL_EC_SYSTEM || len < 16)
		return etl_event_decode(p, len, ev, advance);
	uint8_t flags = p[3], ht = p[2];
	/* a WPP message ((flags & 0x90) == 0x90 without 0x20) or no 0xC0 pair: the long way */
	if ((flags & 0xC0) != 0xC0 || (flags & 0x30) == 0x10)
		return etl_event_decode(p, len, ev, advance);
	size_t hsize;
	switch (ht) {
	case ETL_HT_PERFINFO32: case ETL_HT_PERFINFO64: hsize = 16; break;
	case ETL_HT_COMPACT32: case ETL_HT_COMPACT64: hsize = 24; break;
	case ETL_HT_SYSTEM32: case ETL_HT_SYSTEM64: hsize = 32; break;
	default: return etl_event_decode(p, len, ev, advance);
	}
	int ids = hsize != 16; /* PERFINFO headers carry no thread and process ids */
	size_t size = etl_le16(p + 4);
	uint16_t v = etl_le16(p);
	uint8_t pebs = (uint8_t)(v >> 15), pmc = (uint8_t)((v >> 8) & 7);
	size_t ext = 8u * (size_t)(pebs + pmc);
	if (size < hsize + ext || size > len) /* hsize >= 16: the size check of etl_event_decode */
		return etl_event_decode(p, len, ev, advance);
	ev->header_type = ht;
	ev->pointer_size = (ht == ETL_HT_SYSTEM32 || ht == ETL_HT_COMPACT32 ||
			    ht == ETL_HT_PERFINFO32) ? 4 : 8;
	ev->has_ids = (uint8_t)ids;
	ev->version = v & 0x00FF;
	ev->type = p[6];
	ev->group = p[7];
	ev->thread_id = ids ? etl_le32(p + 8) : 0;
	ev->process_id = ids ? etl_le32(p + 12) : 0;
	ev->timestamp = etl_le64(p + (ids ? 16 : 8));
	ev->cpu = 0;
	ev->pmc_count = pmc;
	ev->has_pebs = pebs;
	ev->ext = p + hsize;
	ev->ext_len = ext;
	ev->payload = p + hsize + ext;
	ev->payload_len = size - hsize - ext;
	ev->raw = p;
	ev->size = size;
	size_t adv = (size + 7) & ~(size_t)7;
	*advance = adv > len ? len : adv;
	return ETL_EV_OK;
}

#endif
