/* blg_build.h — builders for synthetic PDH payloads (catalog entries, BL records) used by
 * the decoder unit tests and the fuzz regression tests. Little-endian writes only. */
#ifndef ETLSCOPE_BLG_BUILD_H
#define ETLSCOPE_BLG_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct bb {
	uint8_t b[65536];
	size_t n;
};

void bb_u16(struct bb *b, uint16_t v);
void bb_u32(struct bb *b, uint32_t v);
void bb_u64(struct bb *b, uint64_t v);
void bb_wstr(struct bb *b, const char *ascii); /* UTF-16LE incl. terminator */
void bb_pad8(struct bb *b);
void bb_put32(struct bb *b, size_t at, uint32_t v);
/* 24-byte PDH prefix: GUID, part, count */
void bb_prefix(struct bb *b, uint32_t part, uint32_t count);
/* catalog entry; instance/parent NULL = none. Returns nothing, appends. */
void bb_catalog_entry(struct bb *b, uint32_t flags, uint32_t type, uint32_t freq, int32_t scale,
		      const char *machine, const char *object, const char *instance,
		      const char *counter);
/* BL tag; returns the offset of the length field for later patching */
size_t bb_tag(struct bb *b, uint8_t subtype);
void bb_single(struct bb *b, uint32_t status, uint64_t ts, int64_t first, int64_t second,
	       uint32_t multi);

#endif
