/* fuzz_io_payload.c — libFuzzer harness for the DiskIo and FileIo payload decoders
 * (ingest/etl/etl_diskio.c, etl_fileio.c). Input: byte 0 = event type, byte 1 bit 0 =
 * pointer size (4 or 8), the rest = the payload, copied to an exact-size heap block so ASan
 * sees any read past it. Asserts: a decoded path is NUL-terminated inside its array, the
 * result codes are the documented ones, and a success never happens on a payload shorter
 * than the smallest layout (the pointer size). The whole-file path through etl_ingest is
 * fuzz_etl_buffer's job.
 * Minifilter (etl_fltio.c, etl_fltagg.c): byte 1 bits 1–5 say which pointer slots "fall
 * inside an image"; the payload is decoded with the candidate layout and checked, then fed
 * 257 times to an aggregator. Asserts: only the documented check bits, a record that fits
 * has exactly the candidate's length and a known major function, and the aggregator
 * decodes exactly when the record fits (the 99 % rule on identical records), with every
 * delay landing in its row. Byte 1 bits 6–7 say which data-pointer slot held a FileObject
 * of the trace (0 none, 1 FileObject, 2 FileContext, 3 CallbackDataPtr; named "fuzz"):
 * a decoded aggregator must pin exactly that slot and carry its name on every row, or,
 * with none, pin nothing and carry no file (etl_fltpin.h's rule on identical records). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/etl/etl_diskio.h"
#include "ingest/etl/etl_fileio.h"
#include "ingest/etl/etl_fltagg.h"
#include <cjson/cJSON.h>

static void minifilter(const struct etl_event *ev, uint8_t flags)
{
	struct etl_flt_rec x;
	memset(&x, 0, sizeof x);
	int rc = etl_decode_fltio(ev, &x.f);
	if (rc < -1 || rc > 1 || (rc == 0 && ev->payload_len < etl_fltio_size(ev->type, ev->pointer_size)))
		abort();
	if (rc != 0)
		return;
	for (unsigned i = 0; i < ETL_FLT_SLOTS; i++)
		x.lk.in_image[i] = (flags >> (1 + i)) & 1;
	x.bad = etl_fltio_check(&x.f, ev, 1000, &x.lk);
	if (x.bad >= (1u << ETL_FLTC_COUNT))
		abort();
	if (!x.bad && (ev->payload_len != etl_fltio_size(ev->type, ev->pointer_size) ||
		       !etl_flt_major_name(x.f.major)))
		abort();
	x.delay_ns = x.f.completion ? ev->timestamp - x.f.initial_time : 0;
	static const int seen_slot[4] = {-1, ETL_FLT_FILE_OBJECT, ETL_FLT_FILE_CONTEXT,
					 ETL_FLT_CALLBACK_DATA};
	int slot = seen_slot[flags >> 6 & 3];
	if (slot >= 0) {
		x.seen[slot] = 1;
		x.slot_file[slot] = "fuzz";
	}
	struct etl_fltagg a;
	etl_fltagg_init(&a);
	for (int i = 0; i < ETL_FLTAGG_PROBE + 1; i++)
		if (etl_fltagg_add(&a, &x) != 0)
			abort();
	if (etl_fltagg_finish(&a) != 0 ||
	    a.state != (x.bad ? ETL_FLT_REJECTED : ETL_FLT_DECODED))
		abort();
	if (!x.bad && a.file_slot != slot)
		abort();
	uint64_t count = 0;
	for (size_t i = 0; i < a.rows_cap; i++) {
		if (a.rows[i].used && (slot < 0 ? a.rows[i].r.file != NULL
					       : a.rows[i].r.file != x.slot_file[slot]))
			abort();
		count += a.rows[i].used ? a.rows[i].r.count + a.rows[i].r.inits + a.rows[i].r.failures : 0;
	}
	if (count != (x.bad ? 0 : (uint64_t)ETL_FLTAGG_PROBE + 1))
		abort();
	struct ingest_sink none;
	memset(&none, 0, sizeof none);
	if (etl_fltagg_emit(&a, &none) != 0)
		abort();
	cJSON_Delete(etl_fltagg_summary(&a));
	etl_fltagg_free(&a);
}

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
	ev.timestamp = 5000; /* completions: InitialTime in [1000, 5000] fits */
	minifilter(&ev, data[1]);
	free(p);
	return 0;
}
