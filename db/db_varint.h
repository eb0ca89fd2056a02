/* db_varint.h — internal: LEB128 varints and zigzag, shared by the blob codecs
 * (db_agg_blob.c, db_dpc_chunks.c). get_varint bounds every read by `end`. */
#ifndef ETLSCOPE_DB_VARINT_H
#define ETLSCOPE_DB_VARINT_H

#include <stdint.h>

#define DB_VARINT_MAX 10 /* bytes one 64-bit varint can take */

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return -1;
		uint8_t c = *p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* A signed difference as an unsigned varint value: 0, -1, 1, -2, … → 0, 1, 2, 3, … */
static inline uint64_t zigzag(uint64_t d)
{
	return d << 1 ^ (uint64_t)-(int64_t)(d >> 63);
}

static inline uint64_t unzigzag(uint64_t z)
{
	return z >> 1 ^ (uint64_t)-(int64_t)(z & 1);
}

#endif
