/* blg_build.c — synthetic PDH payload builders for tests. */
#include <string.h>
#include "blg_build.h"

void bb_u16(struct bb *b, uint16_t v)
{
	b->b[b->n++] = (uint8_t)v;
	b->b[b->n++] = (uint8_t)(v >> 8);
}

void bb_u32(struct bb *b, uint32_t v)
{
	bb_u16(b, (uint16_t)v);
	bb_u16(b, (uint16_t)(v >> 16));
}

void bb_u64(struct bb *b, uint64_t v)
{
	bb_u32(b, (uint32_t)v);
	bb_u32(b, (uint32_t)(v >> 32));
}

void bb_wstr(struct bb *b, const char *s)
{
	for (; *s; s++)
		bb_u16(b, (uint8_t)*s);
	bb_u16(b, 0);
}

void bb_pad8(struct bb *b)
{
	while (b->n % 8)
		b->b[b->n++] = 0;
}

void bb_put32(struct bb *b, size_t at, uint32_t v)
{
	b->b[at] = (uint8_t)v;
	b->b[at + 1] = (uint8_t)(v >> 8);
	b->b[at + 2] = (uint8_t)(v >> 16);
	b->b[at + 3] = (uint8_t)(v >> 24);
}

void bb_prefix(struct bb *b, uint32_t part, uint32_t count)
{
	static const uint8_t guid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	memcpy(b->b + b->n, guid, 16);
	b->n += 16;
	bb_u32(b, part);
	bb_u32(b, count);
}

void bb_catalog_entry(struct bb *b, uint32_t flags, uint32_t type, uint32_t freq, int32_t scale,
		      const char *machine, const char *object, const char *instance,
		      const char *counter)
{
	size_t start = b->n;
	uint32_t off = 0, o_obj, o_inst = 0xFFFFFFFFu, o_ctr;
	bb_u32(b, 0); /* length, patched */
	bb_u32(b, flags);
	bb_u32(b, 0);
	bb_u32(b, type);
	bb_u32(b, freq);
	bb_u32(b, 0);
	bb_u32(b, (uint32_t)scale);
	off = 2 * ((uint32_t)strlen(machine) + 1);
	o_obj = off;
	off += 2 * ((uint32_t)strlen(object) + 1);
	if (instance) {
		o_inst = off;
		off += 2 * ((uint32_t)strlen(instance) + 1);
	}
	o_ctr = off;
	bb_u32(b, 0);
	bb_u32(b, o_obj);
	bb_u32(b, o_inst);
	bb_u32(b, 0xFFFFFFFFu);
	bb_u32(b, 0);
	bb_u32(b, o_ctr);
	bb_wstr(b, machine);
	bb_wstr(b, object);
	if (instance)
		bb_wstr(b, instance);
	bb_wstr(b, counter);
	bb_pad8(b);
	bb_put32(b, start, (uint32_t)(b->n - start));
}

size_t bb_tag(struct bb *b, uint8_t subtype)
{
	b->b[b->n++] = 'B';
	b->b[b->n++] = 'L';
	b->b[b->n++] = 3;
	b->b[b->n++] = subtype;
	bb_u32(b, 0);
	return b->n - 4;
}

void bb_single(struct bb *b, uint32_t status, uint64_t ts, int64_t first, int64_t second,
	       uint32_t multi)
{
	size_t start = b->n;
	bb_tag(b, 1);
	bb_u32(b, status);
	bb_u64(b, ts);
	bb_u32(b, 0);
	bb_u64(b, (uint64_t)first);
	bb_u64(b, (uint64_t)second);
	bb_u32(b, multi);
	bb_u32(b, 0);
	bb_put32(b, start + 4, (uint32_t)(b->n - start));
}
