/* etl_diskio.h — DiskIo (kernel group 1) payloads: read/write/flush completions and their
 * Init events (layouts and sources: ingest/etl/README.md "Disk and file I/O"). */
#ifndef ETLSCOPE_ETL_DISKIO_H
#define ETLSCOPE_ETL_DISKIO_H
#include <stdint.h>
#include "etl_event.h"

#define ETL_GROUP_DISKIO 0x01

enum etl_diskio_op {
	ETL_DISK_READ = 10, ETL_DISK_WRITE = 11, ETL_DISK_READ_INIT = 12,
	ETL_DISK_WRITE_INIT = 13, ETL_DISK_FLUSH = 14, ETL_DISK_FLUSH_INIT = 15
};

struct etl_diskio {
	uint8_t op;              /* enum etl_diskio_op (the event type) */
	uint8_t has_thread;      /* issuing_tid present (Windows 8 and later) */
	uint32_t disk;           /* completions only */
	uint32_t irp_flags;      /* completions only */
	uint32_t size;           /* read/write completions only */
	int64_t offset;          /* read/write completions only */
	uint64_t file_object;    /* read/write completions only */
	uint64_t irp;
	uint64_t response_ticks; /* completions: HighResResponseTime, QPC ticks */
	uint32_t issuing_tid;
};

/* Decodes a DiskIo event of type 10–15 (the caller checked the group). Returns 0, -1 when
 * the payload is shorter than the type's layout, 1 when the type is not one of these. */
int etl_decode_diskio(const struct etl_event *ev, struct etl_diskio *d);

#endif
