/* sym_trace.h — the debug identity of each image in a trace, from the KernelTraceControl
 * events xperf/WPR/PerfView merge into a trace (classic events with GUID
 * b3e675d7-2554-4f18-830b-2762732560de): ImageId (opcode 0: base, size, PE TimeDateStamp,
 * original file name) and DbgID_RSDS (opcode 0x24: base, PDB GUID, age, PDB file name).
 * Layouts: symbols/README.md §6. */
#ifndef SYM_TRACE_H
#define SYM_TRACE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct etl_event;

#define SYM_TRACE_MAX_IMAGES 65536u

typedef struct sym_image_id {
	uint64_t base;
	uint32_t pid;
	int has_imageid, has_rsds;
	uint64_t size;      /* ImageId */
	uint32_t timestamp; /* ImageId: PE TimeDateStamp */
	char file[260];     /* ImageId: original file name, UTF-8 */
	uint8_t guid[16];   /* RSDS, as stored */
	uint32_t age;       /* RSDS */
	char pdb[260];      /* RSDS: PDB path as the linker wrote it */
} sym_image_id;

enum { SYM_EV_NONE = 0, SYM_EV_IMAGEID = 1, SYM_EV_RSDS = 2, SYM_EV_BAD = -1 };

/* Decodes one event into out (only that event's fields). SYM_EV_IMAGEID / SYM_EV_RSDS,
 * SYM_EV_NONE for any other event, SYM_EV_BAD for one of ours too short for its fields. */
int sym_trace_decode(const struct etl_event *ev, sym_image_id *out);

/* Images keyed by (pid, base): an ImageId and a DbgID_RSDS of the same image merge. */
typedef struct sym_images {
	sym_image_id *v;
	size_t n, cap;
	uint32_t *slot; /* open addressing: index + 1, 0 = empty */
	size_t nslots;
	uint64_t bad_events; /* ours but malformed */
	uint64_t dropped;    /* past SYM_TRACE_MAX_IMAGES */
} sym_images;

/* Adds what ev carries (kind from sym_trace_decode). 0, or -1 out of memory. */
int sym_images_add(sym_images *t, const sym_image_id *id, int kind);
void sym_images_clear(sym_images *t);
/* Reads a whole .etl and collects its image identities. 0, or -1 with a sentence in err. */
int sym_trace_scan(FILE *f, sym_images *t, char *err, size_t errlen);
#endif
