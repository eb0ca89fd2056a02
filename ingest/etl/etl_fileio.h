/* etl_fileio.h — FileIo (kernel group 4) payloads: the file name events that map a file
 * object or key to a path, the operations (create … fs-control) and their OperationEnd.
 * Minifilter events (types 0x60–0x65) are recognised but not decoded here: their layout is
 * not published, so etl_fltio.h decodes them with a candidate that each trace must prove
 * (ingest/etl/README.md "Disk and file I/O"). */
#ifndef ETLSCOPE_ETL_FILEIO_H
#define ETLSCOPE_ETL_FILEIO_H
#include <stdint.h>
#include "etl_event.h"

#define ETL_GROUP_FILEIO 0x04

enum etl_fileio_type {
	ETL_FIO_NAME = 0, ETL_FIO_FILE_CREATE = 32, ETL_FIO_FILE_DELETE = 35,
	ETL_FIO_FILE_RUNDOWN = 36,
	ETL_FIO_CREATE = 64, ETL_FIO_CLEANUP = 65, ETL_FIO_CLOSE = 66, ETL_FIO_READ = 67,
	ETL_FIO_WRITE = 68, ETL_FIO_SET_INFO = 69, ETL_FIO_DELETE = 70, ETL_FIO_RENAME = 71,
	ETL_FIO_DIR_ENUM = 72, ETL_FIO_FLUSH = 73, ETL_FIO_QUERY_INFO = 74,
	ETL_FIO_FS_CONTROL = 75, ETL_FIO_OP_END = 76, ETL_FIO_DIR_NOTIFY = 77,
	ETL_FIO_FLT_FIRST = 0x60, ETL_FIO_FLT_LAST = 0x65
};

/* Which MOF class (layout) a type uses. */
enum etl_fileio_class {
	ETL_FIOC_NONE = 0, ETL_FIOC_NAME, ETL_FIOC_CREATE, ETL_FIOC_SIMPLE, ETL_FIOC_RW,
	ETL_FIOC_INFO, ETL_FIOC_DIRENUM, ETL_FIOC_OPEND, ETL_FIOC_MINIFILTER
};

struct etl_fileio {
	uint8_t type;            /* enum etl_fileio_type */
	uint8_t cls;             /* enum etl_fileio_class */
	uint64_t irp;            /* all operations and OpEnd */
	uint64_t ttid;           /* issuing thread (pointer-sized field) */
	uint64_t file_object;    /* operations; Name events: the object or key named */
	uint64_t file_key;       /* SimpleOp, ReadWrite, Info, DirEnum */
	uint64_t extra_info;     /* Info (disposition, size), OpEnd (bytes transferred …) */
	uint64_t offset;         /* ReadWrite */
	uint32_t size;           /* ReadWrite IoSize, DirEnum Length */
	uint32_t io_flags;       /* ReadWrite */
	uint32_t create_options, file_attributes, share_access; /* Create */
	uint32_t info_class;     /* Info, DirEnum */
	uint32_t nt_status;      /* OpEnd */
	char path[520];          /* Name: FileName; Create: OpenPath; DirEnum: pattern (UTF-8) */
};

/* Layout class of a FileIo type, ETL_FIOC_NONE if unknown. */
enum etl_fileio_class etl_fileio_class_of(uint8_t type);
/* Short stable name of a type, e.g. "Create", "Read", "OperationEnd"; "Unknown" if none. */
const char *etl_fileio_type_name(uint8_t type);
/* Decodes a FileIo event (the caller checked the group). Returns 0; 1 for a type with no
 * decodable layout (minifilter, unknown: count it); -1 when the payload is too short.
 * Whatever it returns, every field before path is written (zero where the type has none)
 * and path is a NUL-terminated string (empty where the type has none); the bytes of path
 * after its terminator are left as they were. */
int etl_decode_fileio(const struct etl_event *ev, struct etl_fileio *f);

#endif
