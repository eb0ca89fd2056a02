/* etl_diskio.c — DiskIo payload decoder (MOF DiskIo_TypeGroup1/2/3, pointer-size aware;
 * the optional trailing IssuingThreadId is read when the payload holds it). */
#include <string.h>
#include "etl_diskio.h"
#include "etl_le.h"

int etl_decode_diskio(const struct etl_event *ev, struct etl_diskio *d)
{
	unsigned P = ev->pointer_size;
	const uint8_t *p = ev->payload;
	size_t n = ev->payload_len, base;
	memset(d, 0, sizeof *d);
	d->op = ev->type;
	switch (ev->type) {
	case ETL_DISK_READ: case ETL_DISK_WRITE:
		/* DiskNumber, IrpFlags, TransferSize, Reserved, ByteOffset i64, FileObject P,
		 * Irp P, HighResResponseTime u64 [, IssuingThreadId] */
		base = 24 + 2 * P + 8;
		if (n < base)
			return -1;
		d->disk = etl_le32(p);
		d->irp_flags = etl_le32(p + 4);
		d->size = etl_le32(p + 8);
		d->offset = (int64_t)etl_le64(p + 16);
		d->file_object = etl_leptr(p + 24, P);
		d->irp = etl_leptr(p + 24 + P, P);
		d->response_ticks = etl_le64(p + 24 + 2 * P);
		break;
	case ETL_DISK_FLUSH:
		/* DiskNumber, IrpFlags, HighResResponseTime u64, Irp P [, IssuingThreadId] */
		base = 16 + P;
		if (n < base)
			return -1;
		d->disk = etl_le32(p);
		d->irp_flags = etl_le32(p + 4);
		d->response_ticks = etl_le64(p + 8);
		d->irp = etl_leptr(p + 16, P);
		break;
	case ETL_DISK_READ_INIT: case ETL_DISK_WRITE_INIT: case ETL_DISK_FLUSH_INIT:
		/* Irp P [, IssuingThreadId] */
		base = P;
		if (n < base)
			return -1;
		d->irp = etl_leptr(p, P);
		break;
	default:
		return 1;
	}
	if (n >= base + 4) {
		d->issuing_tid = etl_le32(p + base);
		d->has_thread = 1;
	}
	return 0;
}
