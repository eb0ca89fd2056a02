/* etl_event.c — decodes one event header of any type (SYSTEM/COMPACT/PERFINFO 32/64 with
 * PMC/PEBS extension items, FULL_HEADER, INSTANCE, EVENT_HEADER with extended items,
 * WPP messages and ERROR records skipped by size), bounded by the bytes left in the buffer. */
#include <string.h>
#include "etl_event.h"
#include "etl_event_again.h"
#include "etl_le.h"

void etl_event_cursor_init(struct etl_event_cursor *c, const uint8_t *p, size_t len,
			   uint16_t cpu)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->cpu = cpu;
}

const char *etl_header_type_name(uint8_t ht)
{
	switch (ht) {
	case ETL_HT_SYSTEM32: return "SYSTEM32";
	case ETL_HT_SYSTEM64: return "SYSTEM64";
	case ETL_HT_COMPACT32: return "COMPACT32";
	case ETL_HT_COMPACT64: return "COMPACT64";
	case ETL_HT_FULL_HEADER32: return "FULL_HEADER32";
	case ETL_HT_FULL_HEADER64: return "FULL_HEADER64";
	case ETL_HT_INSTANCE32: return "INSTANCE32";
	case ETL_HT_INSTANCE64: return "INSTANCE64";
	case ETL_HT_TIMED: return "TIMED";
	case ETL_HT_ERROR: return "ERROR";
	case ETL_HT_WNODE: return "WNODE";
	case ETL_HT_MESSAGE: return "MESSAGE";
	case ETL_HT_PERFINFO32: return "PERFINFO32";
	case ETL_HT_PERFINFO64: return "PERFINFO64";
	case ETL_HT_EVENT_HEADER32: return "EVENT_HEADER32";
	case ETL_HT_EVENT_HEADER64: return "EVENT_HEADER64";
	default: return "unknown";
	}
}

/* Walk EVENT_HEADER extended items starting at p[0..len); returns bytes they occupy or -1. */
static long ext_items_span(const uint8_t *p, size_t len)
{
	size_t pos = 0;
	for (int guard = 0; guard < 4096; guard++) {
		if (!etl_fits(pos, 8, len))
			return -1;
		size_t isize = etl_le16(p + pos);
		uint16_t link = etl_le16(p + pos + 4);
		size_t dsize = etl_le16(p + pos + 6);
		size_t need = (8 + dsize + 7) & ~(size_t)7;
		if (isize < need)
			isize = need;
		if (!etl_fits(pos, isize, len))
			return -1;
		pos += isize;
		if (!(link & 1))
			return (long)pos;
	}
	return -1;
}

int etl_ext_item_next(const struct etl_event *ev, size_t *pos, struct etl_ext_item *it)
{
	if (*pos >= ev->ext_len || ev->ev_class != ETL_EC_MANIFEST)
		return 0;
	const uint8_t *p = ev->ext;
	size_t len = ev->ext_len, at = *pos;
	if (!etl_fits(at, 8, len))
		return -1;
	size_t isize = etl_le16(p + at);
	size_t dsize = etl_le16(p + at + 6);
	size_t need = (8 + dsize + 7) & ~(size_t)7;
	if (isize < need)
		isize = need;
	if (!etl_fits(at, isize, len) || !etl_fits(at + 8, dsize, len))
		return -1;
	it->ext_type = etl_le16(p + at + 2);
	it->data = p + at + 8;
	it->data_len = dsize;
	*pos = at + isize;
	return 1;
}

static int decode_classic(const uint8_t *p, size_t size, uint8_t ht, struct etl_event *ev)
{
	int inst = (ht == ETL_HT_INSTANCE32 || ht == ETL_HT_INSTANCE64);
	size_t hsize = inst ? 72 : 48;
	if (size < hsize)
		return ETL_EV_MALFORMED;
	ev->ev_class = ETL_EC_CLASSIC;
	ev->pointer_size = (ht == ETL_HT_FULL_HEADER32 || ht == ETL_HT_INSTANCE32) ? 4 : 8;
	ev->type = p[4];
	ev->level = p[5];
	ev->version = etl_le16(p + 6);
	ev->thread_id = etl_le32(p + 8);
	ev->process_id = etl_le32(p + 12);
	ev->has_ids = 1;
	ev->timestamp = etl_le64(p + 16);
	ev->has_guid = 1;
	memcpy(ev->guid, p + 24, 16);
	ev->payload = p + hsize;
	ev->payload_len = size - hsize;
	return ETL_EV_OK;
}

static int decode_manifest(const uint8_t *p, size_t size, uint8_t ht, struct etl_event *ev)
{
	if (size < 80)
		return ETL_EV_MALFORMED;
	ev->ev_class = ETL_EC_MANIFEST;
	ev->pointer_size = ht == ETL_HT_EVENT_HEADER32 ? 4 : 8;
	ev->header_flags = etl_le16(p + 4);
	ev->thread_id = etl_le32(p + 8);
	ev->process_id = etl_le32(p + 12);
	ev->has_ids = 1;
	ev->timestamp = etl_le64(p + 16);
	ev->has_guid = 1;
	memcpy(ev->guid, p + 24, 16);
	ev->event_id = etl_le16(p + 40);
	ev->version = p[42];
	ev->channel = p[43];
	ev->level = p[44];
	ev->type = p[45]; /* opcode */
	ev->task = etl_le16(p + 46);
	ev->keyword = etl_le64(p + 48);
	size_t ext = 0;
	if (ev->header_flags & ETL_EHF_EXTENDED_INFO) {
		long span = ext_items_span(p + 80, size - 80);
		if (span < 0)
			return ETL_EV_MALFORMED;
		ext = (size_t)span;
	}
	ev->ext = p + 80;
	ev->ext_len = ext;
	ev->payload = p + 80 + ext;
	ev->payload_len = size - 80 - ext;
	return ETL_EV_OK;
}

/* All zeros: an event is cleared by copying it. GCC emits `rep stosq` for memset of the
 * 120-byte struct, whose start-up cost was most of etl_event_next's time in the DPC-only
 * benchmark; a copy of a constant is a few vector moves. */
static const struct etl_event zero_event;

int etl_event_decode(const uint8_t *p, size_t len, struct etl_event *ev, size_t *advance)
{
	memcpy(ev, &zero_event, sizeof *ev);
	*advance = len;
	if (len < 8)
		return ETL_EV_END;
	uint32_t marker = etl_le32(p);
	if (marker == 0xFFFFFFFFu || marker == 0)
		return ETL_EV_END;
	uint8_t flags = p[3], ht = p[2];
	size_t size;
	int rc;
	if ((flags & 0x90) == 0x90 && (flags & 0x20) == 0) {
		/* TRACE_MESSAGE (WPP): u16 size at +0; nothing for us. */
		size = etl_le16(p);
		if (size < 8 || size > len)
			return ETL_EV_MALFORMED;
		ev->header_type = ETL_HT_MESSAGE;
		ev->ev_class = ETL_EC_MESSAGE;
		rc = ETL_EV_SKIPPED;
	} else if ((flags & 0xC0) != 0xC0) {
		return ETL_EV_MALFORMED;
	} else {
		ev->header_type = ht;
		switch (ht) {
		case ETL_HT_SYSTEM32: case ETL_HT_SYSTEM64:
		case ETL_HT_COMPACT32: case ETL_HT_COMPACT64:
		case ETL_HT_PERFINFO32: case ETL_HT_PERFINFO64:
			size = etl_le16(p + 4);
			if (size < 16 || size > len)
				return ETL_EV_MALFORMED;
			rc = etl_event_system_fields(p, size, ht, ev);
			break;
		case ETL_HT_FULL_HEADER32: case ETL_HT_FULL_HEADER64:
		case ETL_HT_INSTANCE32: case ETL_HT_INSTANCE64:
			size = etl_le16(p);
			if (size < 8 || size > len)
				return ETL_EV_MALFORMED;
			rc = decode_classic(p, size, ht, ev);
			break;
		case ETL_HT_EVENT_HEADER32: case ETL_HT_EVENT_HEADER64:
			size = etl_le16(p);
			if (size < 8 || size > len)
				return ETL_EV_MALFORMED;
			rc = decode_manifest(p, size, ht, ev);
			break;
		case ETL_HT_ERROR: case ETL_HT_MESSAGE:
			size = etl_le16(p);
			if (size < 8 || size > len)
				return ETL_EV_MALFORMED;
			ev->ev_class = ht == ETL_HT_MESSAGE ? ETL_EC_MESSAGE : ETL_EC_OTHER;
			rc = ETL_EV_SKIPPED;
			break;
		default:
			return ETL_EV_MALFORMED; /* unknown header type: its size field is unknown */
		}
	}
	if (rc == ETL_EV_MALFORMED)
		return rc;
	ev->raw = p;
	ev->size = size;
	size_t adv = (size + 7) & ~(size_t)7;
	*advance = adv > len ? len : adv;
	return rc;
}

int etl_event_next(struct etl_event_cursor *c, struct etl_event *ev)
{
	if (c->off >= c->len)
		return ETL_EV_END;
	size_t adv;
	int rc = etl_event_decode(c->p + c->off, c->len - c->off, ev, &adv);
	if (rc == ETL_EV_END || rc == ETL_EV_MALFORMED) {
		c->off = c->len;
		return rc;
	}
	ev->cpu = c->cpu;
	c->off += adv;
	return rc;
}
