/* sym_trace.h — the debug identity of each image in a trace (KernelTraceControl ImageId and
 * DbgID_RSDS events, decoded by ingest/etl/etl_imageid.h), read from a whole trace file. */
#ifndef SYM_TRACE_H
#define SYM_TRACE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "etl_imageid.h"

/* The decoding and the table are ingest/etl/etl_imageid.h's; these names are the symbols
 * module's view of them. */
#define SYM_TRACE_MAX_IMAGES ETL_IMAGEID_MAX
typedef struct etl_image_id sym_image_id;
typedef struct etl_image_ids sym_images;
enum { SYM_EV_NONE = ETL_IMGID_NONE, SYM_EV_IMAGEID = ETL_IMGID_IMAGEID,
       SYM_EV_RSDS = ETL_IMGID_RSDS, SYM_EV_BAD = ETL_IMGID_BAD };

static inline int sym_trace_decode(const struct etl_event *ev, sym_image_id *out)
{
	return etl_imageid_decode(ev, out);
}
static inline int sym_images_add(sym_images *t, const sym_image_id *id, int kind)
{
	return etl_imageids_add(t, id, kind);
}
static inline void sym_images_clear(sym_images *t)
{
	etl_imageids_clear(t);
}
/* Reads a whole .etl and collects its image identities. 0, or -1 with a sentence in err. */
int sym_trace_scan(FILE *f, sym_images *t, char *err, size_t errlen);
#endif
