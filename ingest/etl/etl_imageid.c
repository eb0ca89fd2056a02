/* etl_imageid.c — decodes KernelTraceControl ImageId and DbgID_RSDS events (etl_imageid.h)
 * and collects one identity per image (used by ingest and by symbols/sym_trace.c). Pointer-sized fields take the event's pointer size.
 *
 * Invariants: every field offset is checked against payload_len before it is read; strings
 * stop at the payload end (bounded, NUL-terminated copies); the table holds at most
 * ETL_IMAGEID_MAX images and its hash stays at most half full. */
#include "etl_imageid.h"
#include "etl_event.h"
#include "etl_logfile.h"
#include <stdlib.h>
#include <string.h>

/* b3e675d7-2554-4f18-830b-2762732560de in on-disk (little-endian Data1..3) order. */
static const uint8_t ktc_image_guid[16] = {0xd7, 0x75, 0xe6, 0xb3, 0x54, 0x25, 0x18, 0x4f,
					   0x83, 0x0b, 0x27, 0x62, 0x73, 0x25, 0x60, 0xde};
enum { OP_IMAGEID = 0x00, OP_RSDS = 0x24 };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ptr_at(const uint8_t *p, unsigned psize)
{
	return psize == 8 ? (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32 : le32(p);
}

int etl_imageid_decode(const struct etl_event *ev, struct etl_image_id *out)
{
	if (ev->ev_class != ETL_EC_CLASSIC || !ev->has_guid ||
	    memcmp(ev->guid, ktc_image_guid, 16) != 0)
		return ETL_IMGID_NONE;
	if (ev->type != OP_IMAGEID && ev->type != OP_RSDS)
		return ETL_IMGID_NONE;
	const uint8_t *d = ev->payload;
	size_t len = ev->payload_len;
	unsigned P = ev->pointer_size == 4 ? 4 : 8;
	memset(out, 0, sizeof *out);
	out->pid = ev->process_id;
	if (ev->type == OP_IMAGEID) {
		/* ImageBase ptr, ImageSize ptr, ProcessId u32, TimeDateStamp u32, name UTF-16. */
		if (len < 2 * (size_t)P + 8)
			return ETL_IMGID_BAD;
		out->base = ptr_at(d, P);
		out->size = ptr_at(d + P, P);
		out->timestamp = le32(d + 2 * P + 4);
		etl_utf16_to_utf8(d + 2 * P + 8, len - (2 * P + 8), out->file, sizeof out->file);
		out->has_imageid = 1;
		return ETL_IMGID_IMAGEID;
	}
	/* ImageBase ptr, ProcessId u32, GUID, Age u32, PDB file name (UTF-8, NUL-terminated). */
	if (len < (size_t)P + 24)
		return ETL_IMGID_BAD;
	out->base = ptr_at(d, P);
	memcpy(out->guid, d + P + 4, 16);
	out->age = le32(d + P + 20);
	size_t room = len - (P + 24), n = 0;
	while (n < room && n < sizeof out->pdb - 1 && d[P + 24 + n])
		n++;
	memcpy(out->pdb, d + P + 24, n);
	out->pdb[n] = '\0';
	out->has_rsds = 1;
	return ETL_IMGID_RSDS;
}

static size_t hash_of(uint64_t base, uint32_t pid, size_t nslots)
{
	uint64_t h = (base ^ ((uint64_t)pid << 48)) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 20) & (nslots - 1);
}

static int rehash(struct etl_image_ids *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 256;
	uint32_t *s = calloc(n, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = hash_of(t->v[i].base, t->v[i].pid, n);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = s;
	t->nslots = n;
	return 0;
}

int etl_imageids_add(struct etl_image_ids *t, const struct etl_image_id *id, int kind)
{
	if (kind == ETL_IMGID_BAD) {
		t->bad_events++;
		return 0;
	}
	if (kind != ETL_IMGID_IMAGEID && kind != ETL_IMGID_RSDS)
		return 0;
	if ((t->n + 1) * 2 > t->nslots && rehash(t) != 0)
		return -1;
	size_t j = hash_of(id->base, id->pid, t->nslots);
	for (; t->slot[j]; j = (j + 1) & (t->nslots - 1)) {
		struct etl_image_id *e = &t->v[t->slot[j] - 1];
		if (e->base != id->base || e->pid != id->pid)
			continue;
		if (kind == ETL_IMGID_IMAGEID) {
			e->has_imageid = 1;
			e->size = id->size;
			e->timestamp = id->timestamp;
			memcpy(e->file, id->file, sizeof e->file);
		} else {
			e->has_rsds = 1;
			memcpy(e->guid, id->guid, 16);
			e->age = id->age;
			memcpy(e->pdb, id->pdb, sizeof e->pdb);
		}
		return 0;
	}
	if (t->n >= ETL_IMAGEID_MAX) {
		t->dropped++;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct etl_image_id *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = *id;
	t->slot[j] = (uint32_t)++t->n;
	return 0;
}

void etl_imageids_clear(struct etl_image_ids *t)
{
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof *t);
}

const struct etl_image_id *etl_imageids_find(const struct etl_image_ids *t, uint64_t base,
					     uint32_t pid)
{
	if (!t->nslots)
		return NULL;
	for (size_t j = hash_of(base, pid, t->nslots); t->slot[j]; j = (j + 1) & (t->nslots - 1)) {
		const struct etl_image_id *e = &t->v[t->slot[j] - 1];
		if (e->base == base && e->pid == pid)
			return e;
	}
	return NULL;
}

const struct etl_image_id *etl_imageids_find_any_pid(const struct etl_image_ids *t,
						     uint64_t base)
{
	const struct etl_image_id *best = NULL;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].base == base && (!best || (t->v[i].has_rsds && !best->has_rsds)))
			best = &t->v[i];
	return best;
}
