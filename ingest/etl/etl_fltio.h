/* etl_fltio.h — minifilter events (FileIo types 0x60–0x65: PreOpInit, PostOpInit,
 * PreOpCompletion, PostOpCompletion, PreOpFailure, PostOpFailure) decoded with the
 * CANDIDATE layout, and the per-record checks that let a trace prove (or refute) that
 * layout before anything is aggregated (etl_fltagg.h decides per trace).
 *
 * Candidate layout (ingest/etl/README.md "Disk and file I/O", minifilter rows; the field
 * order comes from a third-party table and is NOT published by Microsoft), P = the event's
 * pointer size:
 *   Init 0x60/0x61, Failure 0x64/0x65: RoutineAddr P, FileObject P, FileContext P, IrpPtr P,
 *     CallbackDataPtr P, MajorFunction u32 [, Status u32 for failures]
 *   Completion 0x62/0x63: InitialTime u64, then the same as Init.
 * The checks cannot tell the four data pointers apart: which one is the FileObject is
 * pinned per trace by the FileIo evidence (etl_fltpin.h, etl_fltagg.h), never by this
 * order. */
#ifndef ETLSCOPE_ETL_FLTIO_H
#define ETLSCOPE_ETL_FLTIO_H
#include <stddef.h>
#include <stdint.h>
#include "etl_event.h"

enum etl_flt_type {
	ETL_FLT_PRE_INIT = 0x60, ETL_FLT_POST_INIT = 0x61,
	ETL_FLT_PRE_COMPLETION = 0x62, ETL_FLT_POST_COMPLETION = 0x63,
	ETL_FLT_PRE_FAILURE = 0x64, ETL_FLT_POST_FAILURE = 0x65
};

/* Pointer slots in payload order (after InitialTime for completions). */
enum { ETL_FLT_ROUTINE, ETL_FLT_FILE_OBJECT, ETL_FLT_FILE_CONTEXT, ETL_FLT_IRP,
       ETL_FLT_CALLBACK_DATA, ETL_FLT_SLOTS };

struct etl_fltio {
	uint8_t type;          /* enum etl_flt_type */
	uint8_t post;          /* 1 post-operation (odd type), 0 pre-operation */
	uint8_t completion, failure;
	uint64_t initial_time; /* completions: the operation's start, trace clock */
	uint64_t ptr[ETL_FLT_SLOTS];
	uint32_t major;        /* the MajorFunction field as read (u32) */
	uint32_t status;       /* failures */
};

/* The candidate payload length of a minifilter type at pointer size P (0 if not one). */
size_t etl_fltio_size(uint8_t type, unsigned P);
/* Decodes a FileIo minifilter event with the candidate layout. 0; 1 not a minifilter type;
 * -1 payload shorter than the candidate's fixed part (count it, nothing read past it). */
int etl_decode_fltio(const struct etl_event *ev, struct etl_fltio *f);

/* Why a record does not fit the candidate layout (bit set = check failed). */
enum {
	ETL_FLTC_SIZE = 1,      /* payload length is not exactly the candidate's */
	ETL_FLTC_ROUTINE = 2,   /* RoutineAddr is not inside a loaded kernel-space image */
	ETL_FLTC_POINTER = 4,   /* FileObject/CallbackDataPtr not a non-zero kernel-space
				 * address outside images, or FileContext/IrpPtr neither 0
				 * nor such an address */
	ETL_FLTC_MAJOR = 8,     /* MajorFunction not an IRP_MJ code nor a FltMgr pseudo-op */
	ETL_FLTC_TIME = 16,     /* completion: InitialTime before the trace or after the event */
	ETL_FLTC_COUNT = 5
};
/* What the caller looked up for one record: which pointer slots fall inside a loaded
 * kernel-space image (the run's module map, at the event's time). */
struct etl_flt_lookup { uint8_t in_image[ETL_FLT_SLOTS]; };
/* Checks a decoded record (ev: its event; first_ts: the trace's first timestamp). Returns
 * 0 when it fits the candidate layout, else the ETL_FLTC_* bits of the checks it failed. */
unsigned etl_fltio_check(const struct etl_fltio *f, const struct etl_event *ev,
			 uint64_t first_ts, const struct etl_flt_lookup *lk);

/* Name of a MajorFunction value ("IRP_MJ_CREATE", "IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION"
 * …), NULL if the value is neither an IRP_MJ code nor one of FltMgr's pseudo-operations. */
const char *etl_flt_major_name(uint32_t major);
/* Short names of the check bits, index = bit number ("size", "routine", …). */
const char *etl_fltio_check_name(unsigned bit);

#endif
