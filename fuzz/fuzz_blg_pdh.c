/* fuzz_blg_pdh.c — libFuzzer harness for the BLG PDH record decoder (ingest/blg).
 * Input: a sequence of events, each [u8 kind][u16 little-endian length][payload]; kind's
 * low 2 bits pick the record type (0x20 catalog, 0x22 sample, 0x23 index, 0x24 strings),
 * bit 2 a wrong version. Decoded raw values are cooked like blg_emit does, so the
 * counter-type formulas see fuzzed raw values too. Invariants (fuzz/invariant.h): series
 * ids are handed out in order from 0, and every value of a sample names a series declared
 * before it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "blg_cook.h"
#include "blg_emit.h"
#include "blg_pdh.h"
#include "invariant.h"

#define MAX_SERIES 4096

struct fz {
	uint32_t type[MAX_SERIES];
	struct blg_raw prev[MAX_SERIES];
	uint8_t have[MAX_SERIES];
	uint32_t n;
	uint32_t declared; /* series announced so far */
	double sink;
};

static int on_series(void *ud, const struct blg_series_info *s)
{
	struct fz *z = ud;
	FUZZ_CHECK(s->id == z->declared);
	z->declared++;
	/* touch every string the decoder hands out */
	size_t l = strlen(s->machine) + strlen(s->object) + strlen(s->counter) +
		   (s->instance ? strlen(s->instance) : 0);
	z->sink += (double)l + blg_cpu_of(s->object, s->instance);
	if (s->id < MAX_SERIES) {
		z->type[s->id] = s->type;
		z->n = s->id + 1;
	}
	return 0;
}

static int on_sample(void *ud, int64_t ts, const struct blg_value *v, size_t n)
{
	struct fz *z = ud;
	z->sink += (double)ts;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = v[i].series;
		double out;
		FUZZ_CHECK(id < z->declared);
		if (id >= MAX_SERIES)
			continue;
		if (blg_cook(z->type[id], z->have[id] ? &z->prev[id] : NULL, &v[i].raw, &out) ==
		    BLG_COOK_OK)
			z->sink += out;
		z->prev[id] = v[i].raw;
		z->have[id] = 1;
	}
	return 0;
}

static int on_warning(void *ud, const char *code, const char *msg)
{
	struct fz *z = ud;
	z->sink += (double)(strlen(code) + strlen(msg));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t types[4] = { BLG_PDH_CATALOG, BLG_PDH_SAMPLE, BLG_PDH_INDEX,
					  BLG_PDH_STRINGS };
	struct fz *z = calloc(1, sizeof *z);
	struct blg_pdh_out out = { z, on_series, on_sample, on_warning };
	struct blg_pdh *d;
	size_t off = 0;
	int64_t ts = 0;

	if (!z)
		return 0;
	d = blg_pdh_new(&out);
	if (!d) {
		free(z);
		return 0;
	}
	while (off + 3 <= size) {
		uint8_t kind = data[off];
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		off += 3;
		if (len > size - off)
			len = size - off;
		/* copy so ASan sees reads past the event's end */
		uint8_t *p = malloc(len ? len : 1);
		if (!p)
			break;
		memcpy(p, data + off, len);
		struct blg_pdh_event ev = { types[kind & 3], (kind & 4) ? 61 : 60, ts++, p, len };
		int rc = blg_pdh_feed(d, &ev);
		free(p);
		if (rc < 0)
			break;
		off += len;
	}
	(void)blg_pdh_finish(d);
	blg_pdh_free(d);
	free(z);
	return 0;
}
