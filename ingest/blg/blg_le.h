/* blg_le.h — bounds-checked little-endian reads of untrusted PDH payload bytes.
 * Every read names the buffer length; a read that would leave it fails instead, and
 * leaves 0 in *v so no caller can act on an unset value. */
#ifndef ETLSCOPE_BLG_LE_H
#define ETLSCOPE_BLG_LE_H

#include <stddef.h>
#include <stdint.h>

/* Does [off, off+n) fit inside len, without overflow? */
static inline int blg_fits(size_t off, size_t n, size_t len)
{
	return off <= len && n <= len - off;
}

static inline int blg_rd16(const uint8_t *p, size_t len, size_t off, uint16_t *v)
{
	*v = 0;
	if (!blg_fits(off, 2, len))
		return -1;
	*v = (uint16_t)(p[off] | (uint16_t)p[off + 1] << 8);
	return 0;
}

static inline int blg_rd32(const uint8_t *p, size_t len, size_t off, uint32_t *v)
{
	*v = 0;
	if (!blg_fits(off, 4, len))
		return -1;
	*v = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
	     (uint32_t)p[off + 3] << 24;
	return 0;
}

static inline int blg_rd64(const uint8_t *p, size_t len, size_t off, uint64_t *v)
{
	uint32_t lo, hi;
	*v = 0;
	if (blg_rd32(p, len, off, &lo) || blg_rd32(p, len, off + 4, &hi))
		return -1;
	*v = (uint64_t)lo | (uint64_t)hi << 32;
	return 0;
}

/* Two's-complement reinterpretation without implementation-defined casts. */
static inline int64_t blg_as_i64(uint64_t u)
{
	return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static inline int32_t blg_as_i32(uint32_t u)
{
	return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

static inline int blg_rdi64(const uint8_t *p, size_t len, size_t off, int64_t *v)
{
	uint64_t u;
	*v = 0;
	if (blg_rd64(p, len, off, &u))
		return -1;
	*v = blg_as_i64(u);
	return 0;
}

#endif
