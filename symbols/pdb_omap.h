/* pdb_omap.h — OMAP address translation of a PDB whose image was rearranged after linking
 * (Windows system binaries such as ntoskrnl.exe): symbols are recorded in the original
 * layout, and the "OMAP from source" table maps an original RVA to the final one. */
#ifndef PDB_OMAP_H
#define PDB_OMAP_H
#include <stddef.h>
#include <stdint.h>
#include "pdb_msf.h"

#define PDB_MAX_OMAP_BYTES (64u << 20) /* 8 M entries; the table lives only during pdb_open */

typedef struct pdb_omap {
	uint32_t *from, *to; /* [n], from strictly increasing */
	size_t n;
} pdb_omap;

/* Loads stream s: u32 pairs (source RVA, target RVA) sorted by source. 0, or -1 with a
 * sentence in err (size not a multiple of 8, over the bound, not sorted, unreadable). */
int pdb_omap_load(pdb_omap *o, const pdb_msf *m, uint32_t s, char *err, size_t errlen);
/* Entry i covers [from[i], from[i+1]) and moves it to to[i]; a target of 0 means the code
 * is gone. 1 with *out, 0 if rva precedes the table or maps to nothing. */
int pdb_omap_map(const pdb_omap *o, uint32_t rva, uint32_t *out);
void pdb_omap_clear(pdb_omap *o);
#endif
