/* etl_le.h — little-endian reads of untrusted bytes (and writes, for the trace writer).
 * Callers bound-check first; these helpers never cast structs over bytes. */
#ifndef ETLSCOPE_ETL_LE_H
#define ETLSCOPE_ETL_LE_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t etl_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t etl_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t etl_le64(const uint8_t *p)
{
	return (uint64_t)etl_le32(p) | (uint64_t)etl_le32(p + 4) << 32;
}

/* Pointer-sized field: 4 or 8 bytes. */
static inline uint64_t etl_leptr(const uint8_t *p, unsigned psize)
{
	return psize == 8 ? etl_le64(p) : etl_le32(p);
}

static inline void etl_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void etl_put32(uint8_t *p, uint32_t v)
{
	etl_put16(p, (uint16_t)v);
	etl_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void etl_put64(uint8_t *p, uint64_t v)
{
	etl_put32(p, (uint32_t)v);
	etl_put32(p + 4, (uint32_t)(v >> 32));
}

static inline void etl_putptr(uint8_t *p, uint64_t v, unsigned psize)
{
	if (psize == 8)
		etl_put64(p, v);
	else
		etl_put32(p, (uint32_t)v);
}

/* Does [off, off+n) fit inside len, without overflow? */
static inline int etl_fits(size_t off, size_t n, size_t len)
{
	return off <= len && n <= len - off;
}

#endif
