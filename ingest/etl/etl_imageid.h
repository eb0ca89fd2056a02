/* etl_imageid.h — the debug identity of each image in a trace, from the KernelTraceControl
 * events xperf/WPR/PerfView merge into a trace (classic events with GUID
 * b3e675d7-2554-4f18-830b-2762732560de): ImageId (opcode 0: base, size, PE TimeDateStamp,
 * original file name) and DbgID_RSDS (opcode 0x24: base, PDB GUID, age, PDB file name).
 * Layouts: symbols/README.md §6. Used by ingest (per-module identity of a run) and by
 * symbols/sym_trace.c (`etlscope symbols --trace`). */
#ifndef ETLSCOPE_ETL_IMAGEID_H
#define ETLSCOPE_ETL_IMAGEID_H
#include <stddef.h>
#include <stdint.h>

struct etl_event;

#define ETL_IMAGEID_MAX 65536u

struct etl_image_id {
	uint64_t base;
	uint32_t pid;
	int has_imageid, has_rsds;
	uint64_t size;      /* ImageId */
	uint32_t timestamp; /* ImageId: PE TimeDateStamp */
	char file[260];     /* ImageId: original file name, UTF-8 */
	uint8_t guid[16];   /* RSDS, as stored */
	uint32_t age;       /* RSDS */
	char pdb[260];      /* RSDS: PDB path as the linker wrote it */
};

enum { ETL_IMGID_NONE = 0, ETL_IMGID_IMAGEID = 1, ETL_IMGID_RSDS = 2, ETL_IMGID_BAD = -1 };

/* Decodes one event into out (only that event's fields). ETL_IMGID_IMAGEID / _RSDS,
 * ETL_IMGID_NONE for any other event, ETL_IMGID_BAD for one of ours too short for its fields. */
int etl_imageid_decode(const struct etl_event *ev, struct etl_image_id *out);

/* Images keyed by (pid, base): an ImageId and a DbgID_RSDS of the same image merge. */
struct etl_image_ids {
	struct etl_image_id *v;
	size_t n, cap;
	uint32_t *slot; /* open addressing: index + 1, 0 = empty */
	size_t nslots;
	uint64_t bad_events; /* ours but malformed */
	uint64_t dropped;    /* past ETL_IMAGEID_MAX */
};

/* Adds what ev carries (kind from etl_imageid_decode). 0, or -1 out of memory. */
int etl_imageids_add(struct etl_image_ids *t, const struct etl_image_id *id, int kind);
void etl_imageids_clear(struct etl_image_ids *t);
/* The identity logged for (base, pid), or NULL. */
const struct etl_image_id *etl_imageids_find(const struct etl_image_ids *t, uint64_t base,
					     uint32_t pid);
/* Any identity at base whatever its pid (kernel images: the events' pid varies), one with an
 * RSDS record preferred; NULL if none. Linear: for the few lookups find() misses. */
const struct etl_image_id *etl_imageids_find_any_pid(const struct etl_image_ids *t,
						     uint64_t base);
#endif
