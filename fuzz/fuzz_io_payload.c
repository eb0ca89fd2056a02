/* fuzz_io_payload.c — libFuzzer harness for the DiskIo and FileIo payload decoders
 * (ingest/etl/etl_diskio.c, etl_fileio.c). Input: byte 0 = event type, byte 1 bit 0 =
 * pointer size (4 or 8), the rest = the payload, copied to an exact-size heap block so ASan
 * sees any read past it. Asserts: a decoded path is NUL-terminated inside its array, the
 * result codes are the documented ones, and a success never happens on a payload shorter
 * than the smallest layout (the pointer size). The whole-file path through etl_ingest is
 * fuzz_etl_buffer's job. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/etl/etl_diskio.h"
#include "ingest/etl/etl_fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t n = size - 2;
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		return 0;
	memcpy(p, data + 2, n);
	struct etl_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = data[0];
	ev.pointer_size = (data[1] & 1) ? 8 : 4;
	ev.payload = p;
	ev.payload_len = n;

	struct etl_diskio d;
	int rc = etl_decode_diskio(&ev, &d);
	if (rc < -1 || rc > 1 || (rc == 0 && n < ev.pointer_size))
		abort();

	struct etl_fileio f;
	rc = etl_decode_fileio(&ev, &f);
	if (rc < -1 || rc > 1 || (rc == 0 && n < ev.pointer_size))
		abort();
	if (memchr(f.path, 0, sizeof f.path) == NULL)
		abort();
	free(p);
	return 0;
}
