/* etl_fileio.c — FileIo payload decoder (MOF FileIo_Name, _Create, _SimpleOp, _ReadWrite,
 * _Info, _DirEnum, _OpEnd; every "Pointer" field is the event's pointer size). Version 2
 * follows the MOF pages; version 3 (Windows 8+) moves TTID behind the pointers as a u32. */
#include <stddef.h>
#include <string.h>
#include "etl_fileio.h"
#include "etl_le.h"
#include "etl_logfile.h"

/* Each type byte's layout class and name, by table (ETL_FIOC_NONE = 0 and no name where
 * none is known): the decode runs twice for every FileIo event of a busy trace (both
 * passes), and scanning a list of the types for the class was a third of it. */
static const struct {
	uint8_t cls;
	const char *name;
} types[256] = {
	[ETL_FIO_NAME] = {ETL_FIOC_NAME, "Name"},
	[ETL_FIO_FILE_CREATE] = {ETL_FIOC_NAME, "FileCreate"},
	[ETL_FIO_FILE_DELETE] = {ETL_FIOC_NAME, "FileDelete"},
	[ETL_FIO_FILE_RUNDOWN] = {ETL_FIOC_NAME, "FileRundown"},
	[ETL_FIO_CREATE] = {ETL_FIOC_CREATE, "Create"},
	[ETL_FIO_CLEANUP] = {ETL_FIOC_SIMPLE, "Cleanup"},
	[ETL_FIO_CLOSE] = {ETL_FIOC_SIMPLE, "Close"},
	[ETL_FIO_READ] = {ETL_FIOC_RW, "Read"},
	[ETL_FIO_WRITE] = {ETL_FIOC_RW, "Write"},
	[ETL_FIO_SET_INFO] = {ETL_FIOC_INFO, "SetInfo"},
	[ETL_FIO_DELETE] = {ETL_FIOC_INFO, "Delete"},
	[ETL_FIO_RENAME] = {ETL_FIOC_INFO, "Rename"},
	[ETL_FIO_DIR_ENUM] = {ETL_FIOC_DIRENUM, "DirEnum"},
	[ETL_FIO_FLUSH] = {ETL_FIOC_SIMPLE, "Flush"},
	[ETL_FIO_QUERY_INFO] = {ETL_FIOC_INFO, "QueryInfo"},
	[ETL_FIO_FS_CONTROL] = {ETL_FIOC_INFO, "FSControl"},
	[ETL_FIO_OP_END] = {ETL_FIOC_OPEND, "OperationEnd"},
	[ETL_FIO_DIR_NOTIFY] = {ETL_FIOC_DIRENUM, "DirNotify"},
	[0x60] = {ETL_FIOC_MINIFILTER, "PreOpInit"},
	[0x61] = {ETL_FIOC_MINIFILTER, "PostOpInit"},
	[0x62] = {ETL_FIOC_MINIFILTER, "PreOpCompletion"},
	[0x63] = {ETL_FIOC_MINIFILTER, "PostOpCompletion"},
	[0x64] = {ETL_FIOC_MINIFILTER, "PreOpFailure"},
	[0x65] = {ETL_FIOC_MINIFILTER, "PostOpFailure"},
};

enum etl_fileio_class etl_fileio_class_of(uint8_t type)
{
	return (enum etl_fileio_class)types[type].cls;
}

const char *etl_fileio_type_name(uint8_t type)
{
	return types[type].name ? types[type].name : "Unknown";
}

/* The pointer-sized fields IrpPtr, TTID, FileObject[, FileKey] that most classes open with. */
static void head(struct etl_fileio *f, const uint8_t *p, unsigned P, int with_key)
{
	f->irp = etl_leptr(p, P);
	f->ttid = etl_leptr(p + P, P);
	f->file_object = etl_leptr(p + 2 * P, P);
	if (with_key)
		f->file_key = etl_leptr(p + 3 * P, P);
}

/* Version 3 (Windows 8+) operations: the file object and key come right after IrpPtr and
 * TTID is a u32 after the pointers (README "Disk and file I/O"). Same return contract. */
static int decode_v3(struct etl_fileio *f, const uint8_t *p, size_t n, unsigned P)
{
	size_t k; /* offset of TTID */
	switch (f->cls) {
	case ETL_FIOC_CREATE: /* IrpPtr, FileObject, TTID, CreateOptions, FileAttributes,
			       * ShareAccess, OpenPath */
		k = 2 * P;
		if (n < k + 16)
			return -1;
		f->create_options = etl_le32(p + k + 4);
		f->file_attributes = etl_le32(p + k + 8);
		f->share_access = etl_le32(p + k + 12);
		etl_utf16_to_utf8(p + k + 16, n - k - 16, f->path, sizeof f->path);
		break;
	case ETL_FIOC_SIMPLE: /* IrpPtr, FileObject, FileKey, TTID */
		k = 3 * P;
		if (n < k + 4)
			return -1;
		break;
	case ETL_FIOC_RW: /* Offset, IrpPtr, FileObject, FileKey, TTID, IoSize, IoFlags */
		if (n < 8 + 3 * P + 12)
			return -1;
		f->offset = etl_le64(p);
		p += 8;
		k = 3 * P;
		f->size = etl_le32(p + k + 4);
		f->io_flags = etl_le32(p + k + 8);
		break;
	case ETL_FIOC_INFO: /* IrpPtr, FileObject, FileKey, ExtraInfo, TTID, InfoClass */
		k = 4 * P;
		if (n < k + 8)
			return -1;
		f->extra_info = etl_leptr(p + 3 * P, P);
		f->info_class = etl_le32(p + k + 4);
		break;
	case ETL_FIOC_DIRENUM: /* IrpPtr, FileObject, FileKey, TTID, Length, InfoClass,
				* FileIndex, FileName */
		k = 3 * P;
		if (n < k + 16)
			return -1;
		f->size = etl_le32(p + k + 4);
		f->info_class = etl_le32(p + k + 8);
		etl_utf16_to_utf8(p + k + 16, n - k - 16, f->path, sizeof f->path);
		break;
	default:
		return 1;
	}
	f->irp = etl_leptr(p, P);
	f->file_object = etl_leptr(p + P, P);
	if (f->cls != ETL_FIOC_CREATE)
		f->file_key = etl_leptr(p + 2 * P, P);
	f->ttid = etl_le32(p + k);
	return 0;
}

int etl_decode_fileio(const struct etl_event *ev, struct etl_fileio *f)
{
	unsigned P = ev->pointer_size;
	const uint8_t *p = ev->payload;
	size_t n = ev->payload_len;
	/* the fields before the path, and the path empty: clearing its 520 bytes as well was
	 * a third of the decode */
	memset(f, 0, offsetof(struct etl_fileio, path));
	f->path[0] = 0;
	f->type = ev->type;
	f->cls = (uint8_t)etl_fileio_class_of(ev->type);
	if (ev->version >= 3 && f->cls >= ETL_FIOC_CREATE && f->cls <= ETL_FIOC_DIRENUM)
		return decode_v3(f, p, n, P);
	switch (f->cls) {
	case ETL_FIOC_NAME: /* FileObject P, FileName wstring */
		if (n < P)
			return -1;
		f->file_object = etl_leptr(p, P);
		etl_utf16_to_utf8(p + P, n - P, f->path, sizeof f->path);
		return 0;
	case ETL_FIOC_CREATE: /* IrpPtr, TTID, FileObject, CreateOptions, FileAttributes,
			       * ShareAccess, OpenPath wstring */
		if (n < 3 * P + 12)
			return -1;
		head(f, p, P, 0);
		f->create_options = etl_le32(p + 3 * P);
		f->file_attributes = etl_le32(p + 3 * P + 4);
		f->share_access = etl_le32(p + 3 * P + 8);
		etl_utf16_to_utf8(p + 3 * P + 12, n - 3 * P - 12, f->path, sizeof f->path);
		return 0;
	case ETL_FIOC_SIMPLE: /* IrpPtr, TTID, FileObject, FileKey */
		if (n < 4 * P)
			return -1;
		head(f, p, P, 1);
		return 0;
	case ETL_FIOC_RW: /* Offset u64, IrpPtr, TTID, FileObject, FileKey, IoSize, IoFlags */
		if (n < 8 + 4 * P + 8)
			return -1;
		f->offset = etl_le64(p);
		head(f, p + 8, P, 1);
		f->size = etl_le32(p + 8 + 4 * P);
		f->io_flags = etl_le32(p + 8 + 4 * P + 4);
		return 0;
	case ETL_FIOC_INFO: /* IrpPtr, TTID, FileObject, FileKey, ExtraInfo P, InfoClass */
		if (n < 5 * P + 4)
			return -1;
		head(f, p, P, 1);
		f->extra_info = etl_leptr(p + 4 * P, P);
		f->info_class = etl_le32(p + 5 * P);
		return 0;
	case ETL_FIOC_DIRENUM: /* IrpPtr, TTID, FileObject, FileKey, Length, InfoClass,
				* FileIndex, FileName wstring */
		if (n < 4 * P + 12)
			return -1;
		head(f, p, P, 1);
		f->size = etl_le32(p + 4 * P);
		f->info_class = etl_le32(p + 4 * P + 4);
		etl_utf16_to_utf8(p + 4 * P + 12, n - 4 * P - 12, f->path, sizeof f->path);
		return 0;
	case ETL_FIOC_OPEND: /* IrpPtr, ExtraInfo P, NtStatus */
		if (n < 2 * P + 4)
			return -1;
		f->irp = etl_leptr(p, P);
		f->extra_info = etl_leptr(p + P, P);
		f->nt_status = etl_le32(p + 2 * P);
		return 0;
	default:
		return 1; /* minifilter or unknown: no published layout */
	}
}
