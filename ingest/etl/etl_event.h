/* etl_event.h — decoding of every ETW event header type found inside a buffer payload,
 * and the cursor that walks a payload event by event (8-byte aligned). */
#ifndef ETLSCOPE_ETL_EVENT_H
#define ETLSCOPE_ETL_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* HeaderType byte values (byte 2 of the marker). */
enum etl_header_type {
	ETL_HT_SYSTEM32 = 0x01, ETL_HT_SYSTEM64 = 0x02,
	ETL_HT_COMPACT32 = 0x03, ETL_HT_COMPACT64 = 0x04,
	ETL_HT_FULL_HEADER32 = 0x0A, ETL_HT_INSTANCE32 = 0x0B,
	ETL_HT_TIMED = 0x0C, ETL_HT_ERROR = 0x0D, ETL_HT_WNODE = 0x0E, ETL_HT_MESSAGE = 0x0F,
	ETL_HT_PERFINFO32 = 0x10, ETL_HT_PERFINFO64 = 0x11,
	ETL_HT_EVENT_HEADER32 = 0x12, ETL_HT_EVENT_HEADER64 = 0x13,
	ETL_HT_FULL_HEADER64 = 0x14, ETL_HT_INSTANCE64 = 0x15
};

/* Header families. */
enum etl_event_class {
	ETL_EC_SYSTEM = 1,   /* SYSTEM, COMPACT, PERFINFO: kernel events, group/type */
	ETL_EC_CLASSIC,      /* FULL_HEADER / INSTANCE: GUID + class type/level/version */
	ETL_EC_MANIFEST,     /* EVENT_HEADER: provider GUID + event descriptor */
	ETL_EC_MESSAGE,      /* WPP / trace message: skipped by analysis */
	ETL_EC_OTHER         /* ERROR/TIMED/WNODE or unrecognised but well-sized: skipped */
};

/* EVENT_HEADER flags */
#define ETL_EHF_EXTENDED_INFO 0x0001u
#define ETL_EHF_32_BIT_HEADER 0x0020u
#define ETL_EHF_64_BIT_HEADER 0x0040u

struct etl_event {
	uint8_t header_type;    /* enum etl_header_type (raw byte) */
	uint8_t ev_class;       /* enum etl_event_class */
	uint8_t pointer_size;   /* 4 or 8: width of pointer-sized payload fields */
	uint8_t has_ids;        /* thread_id/process_id are valid */
	uint16_t version;       /* kernel: masked class version; classic: Class.Version;
				 * manifest: descriptor version */
	uint8_t group;          /* kernel hook group (e.g. 15 PerfInfo); 0 otherwise */
	uint8_t type;           /* kernel type / classic Class.Type / manifest opcode */
	uint8_t level;
	uint16_t event_id;      /* manifest descriptor id */
	uint16_t task;          /* manifest task */
	uint8_t channel;
	uint64_t keyword;
	uint16_t header_flags;  /* EVENT_HEADER Flags */
	uint8_t has_guid;
	uint8_t guid[16];       /* on-disk byte order (Windows GUID layout) */
	uint32_t thread_id, process_id;
	uint64_t timestamp;
	uint16_t cpu;           /* from the buffer */
	/* PMC/PEBS header extension (kernel headers) */
	uint8_t pmc_count;
	uint8_t has_pebs;
	const uint8_t *ext;     /* kernel: PEBS/PMC u64 items; manifest: extended data items */
	size_t ext_len;
	const uint8_t *payload; /* bytes after the header (and extension items) */
	size_t payload_len;
	const uint8_t *raw;     /* the whole event */
	size_t size;            /* declared size (bounded by the buffer) */
};

enum etl_cursor_status {
	ETL_EV_OK = 1,        /* an event was decoded */
	ETL_EV_END = 0,       /* end of used data / 0xFF fill */
	ETL_EV_SKIPPED = 2,   /* a well-sized record that carries nothing for us (WPP, ERROR…) */
	ETL_EV_MALFORMED = -1 /* the rest of this buffer can't be walked */
};

struct etl_event_cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
	uint16_t cpu;
};

void etl_event_cursor_init(struct etl_event_cursor *c, const uint8_t *p, size_t len,
			   uint16_t cpu);
/* Decode the next record. On ETL_EV_OK and ETL_EV_SKIPPED, ev is filled (ev->header_type
 * tells the kind); on ETL_EV_MALFORMED the cursor stops for good. */
int etl_event_next(struct etl_event_cursor *c, struct etl_event *ev);

/* Decode one record at p[0..len) (len = bytes left in the buffer). Returns the same codes;
 * *advance receives the 8-aligned distance to the next record. */
int etl_event_decode(const uint8_t *p, size_t len, struct etl_event *ev, size_t *advance);

/* EVENT_HEADER extended data items. */
struct etl_ext_item {
	uint16_t ext_type;      /* 5 STACK_TRACE32, 6 STACK_TRACE64, … */
	const uint8_t *data;
	size_t data_len;
};
/* Iterate the items of ev->ext: *pos starts at 0. Returns 1 with an item, 0 at the end,
 * -1 if the item list is malformed. */
int etl_ext_item_next(const struct etl_event *ev, size_t *pos, struct etl_ext_item *it);

/* Short stable name of a header type, e.g. "PERFINFO64"; "unknown" otherwise. */
const char *etl_header_type_name(uint8_t ht);

#endif
