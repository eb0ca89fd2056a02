/* etl_fltio.c — minifilter payloads with the candidate layout (etl_fltio.h) and the
 * per-record checks of that layout. Major function codes: wdm.h IRP_MJ_CREATE (0) …
 * IRP_MJ_PNP (0x1b); FltMgr's pseudo-operations from fltKernel.h as ((UCHAR)-n), i.e. the
 * byte 0x100 - n (the WDK's own minifilter samples, e.g. minispy, repeat the defines). */
#include <string.h>
#include "etl_fltio.h"
#include "etl_kernel.h"
#include "etl_le.h"

static const char *const irp_mj[] = {
	"IRP_MJ_CREATE", "IRP_MJ_CREATE_NAMED_PIPE", "IRP_MJ_CLOSE", "IRP_MJ_READ",
	"IRP_MJ_WRITE", "IRP_MJ_QUERY_INFORMATION", "IRP_MJ_SET_INFORMATION",
	"IRP_MJ_QUERY_EA", "IRP_MJ_SET_EA", "IRP_MJ_FLUSH_BUFFERS",
	"IRP_MJ_QUERY_VOLUME_INFORMATION", "IRP_MJ_SET_VOLUME_INFORMATION",
	"IRP_MJ_DIRECTORY_CONTROL", "IRP_MJ_FILE_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CONTROL",
	"IRP_MJ_INTERNAL_DEVICE_CONTROL", "IRP_MJ_SHUTDOWN", "IRP_MJ_LOCK_CONTROL",
	"IRP_MJ_CLEANUP", "IRP_MJ_CREATE_MAILSLOT", "IRP_MJ_QUERY_SECURITY",
	"IRP_MJ_SET_SECURITY", "IRP_MJ_POWER", "IRP_MJ_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CHANGE",
	"IRP_MJ_QUERY_QUOTA", "IRP_MJ_SET_QUOTA", "IRP_MJ_PNP",
};

static const struct { uint8_t neg; const char *name; } pseudo[] = {
	{1, "IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION"},
	{2, "IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION"},
	{3, "IRP_MJ_ACQUIRE_FOR_MOD_WRITE"}, {4, "IRP_MJ_RELEASE_FOR_MOD_WRITE"},
	{5, "IRP_MJ_ACQUIRE_FOR_CC_FLUSH"}, {6, "IRP_MJ_RELEASE_FOR_CC_FLUSH"},
	{7, "IRP_MJ_QUERY_OPEN"}, /* IRP_MJ_NOTIFY_STREAM_FO_CREATION in older WDKs */
	{13, "IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE"}, {14, "IRP_MJ_NETWORK_QUERY_OPEN"},
	{15, "IRP_MJ_MDL_READ"}, {16, "IRP_MJ_MDL_READ_COMPLETE"},
	{17, "IRP_MJ_PREPARE_MDL_WRITE"}, {18, "IRP_MJ_MDL_WRITE_COMPLETE"},
	{19, "IRP_MJ_VOLUME_MOUNT"}, {20, "IRP_MJ_VOLUME_DISMOUNT"},
	{40, "IRP_MJ_TRANSACTION_NOTIFY"},
};

const char *etl_flt_major_name(uint32_t major)
{
	if (major < sizeof irp_mj / sizeof irp_mj[0])
		return irp_mj[major];
	for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++)
		if (major == 0x100u - pseudo[i].neg)
			return pseudo[i].name;
	return NULL;
}

const char *etl_fltio_check_name(unsigned bit)
{
	static const char *const names[ETL_FLTC_COUNT] = {
		"size", "routine", "pointer", "major", "time"};
	return bit < ETL_FLTC_COUNT ? names[bit] : "unknown";
}

size_t etl_fltio_size(uint8_t type, unsigned P)
{
	switch (type) {
	case ETL_FLT_PRE_INIT: case ETL_FLT_POST_INIT: return 5 * (size_t)P + 4;
	case ETL_FLT_PRE_COMPLETION: case ETL_FLT_POST_COMPLETION: return 8 + 5 * (size_t)P + 4;
	case ETL_FLT_PRE_FAILURE: case ETL_FLT_POST_FAILURE: return 5 * (size_t)P + 8;
	default: return 0;
	}
}

int etl_decode_fltio(const struct etl_event *ev, struct etl_fltio *f)
{
	unsigned P = ev->pointer_size;
	size_t need = etl_fltio_size(ev->type, P);
	memset(f, 0, sizeof *f);
	if (!need)
		return 1;
	if (ev->payload_len < need)
		return -1;
	const uint8_t *p = ev->payload;
	f->type = ev->type;
	f->post = ev->type & 1;
	f->completion = ev->type == ETL_FLT_PRE_COMPLETION || ev->type == ETL_FLT_POST_COMPLETION;
	f->failure = ev->type == ETL_FLT_PRE_FAILURE || ev->type == ETL_FLT_POST_FAILURE;
	if (f->completion) {
		f->initial_time = etl_le64(p);
		p += 8;
	}
	for (unsigned i = 0; i < ETL_FLT_SLOTS; i++)
		f->ptr[i] = etl_leptr(p + i * P, P);
	f->major = etl_le32(p + ETL_FLT_SLOTS * P);
	if (f->failure)
		f->status = etl_le32(p + ETL_FLT_SLOTS * P + 4);
	return 0;
}

/* A kernel-space address outside every image (pool memory: objects, contexts, IRPs). */
static int kernel_data(uint64_t v, unsigned P, uint8_t in_image)
{
	return v && etl_is_kernel_address(v, P) && !in_image;
}

unsigned etl_fltio_check(const struct etl_fltio *f, const struct etl_event *ev,
			 uint64_t first_ts, const struct etl_flt_lookup *lk)
{
	unsigned P = ev->pointer_size, bad = 0;
	if (ev->payload_len != etl_fltio_size(ev->type, P))
		bad |= ETL_FLTC_SIZE;
	if (!etl_is_kernel_address(f->ptr[ETL_FLT_ROUTINE], P) || !lk->in_image[ETL_FLT_ROUTINE])
		bad |= ETL_FLTC_ROUTINE;
	if (!kernel_data(f->ptr[ETL_FLT_FILE_OBJECT], P, lk->in_image[ETL_FLT_FILE_OBJECT]) ||
	    !kernel_data(f->ptr[ETL_FLT_CALLBACK_DATA], P, lk->in_image[ETL_FLT_CALLBACK_DATA]) ||
	    (f->ptr[ETL_FLT_FILE_CONTEXT] &&
	     !kernel_data(f->ptr[ETL_FLT_FILE_CONTEXT], P, lk->in_image[ETL_FLT_FILE_CONTEXT])) ||
	    (f->ptr[ETL_FLT_IRP] && !kernel_data(f->ptr[ETL_FLT_IRP], P, lk->in_image[ETL_FLT_IRP])))
		bad |= ETL_FLTC_POINTER;
	if (!etl_flt_major_name(f->major))
		bad |= ETL_FLTC_MAJOR;
	if (f->completion && (f->initial_time < first_ts || f->initial_time > ev->timestamp))
		bad |= ETL_FLTC_TIME;
	return bad;
}
