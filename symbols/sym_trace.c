/* sym_trace.c — reads a whole trace for its images' debug identities (sym_trace.h); the
 * event decoding and the table live in ingest/etl/etl_imageid.c, shared with ingest. */
#include "sym_trace.h"
#include "etl_event.h"
#include "etl_reader.h"
#include <stdlib.h>

int sym_trace_scan(FILE *f, sym_images *t, char *err, size_t errlen)
{
	struct etl_reader *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (etl_reader_open(r, f) != 0) {
		free(r);
		snprintf(err, errlen, "not a readable ETL trace");
		return -1;
	}
	struct etl_event ev;
	int rc = 0, got;
	while ((got = etl_reader_next(r, &ev)) == 1) {
		sym_image_id id;
		if (sym_images_add(t, &id, sym_trace_decode(&ev, &id)) != 0) {
			got = -1;
			break;
		}
	}
	if (got < 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	etl_reader_close(r);
	free(r);
	return rc;
}
