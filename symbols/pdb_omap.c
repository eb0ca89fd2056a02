/* pdb_omap.c — loads and applies a PDB's OMAP-from-source table (see pdb_omap.h). Layout:
 * symbols/README.md §3. The table is read in 64 KiB pieces and checked to be sorted, so the
 * binary search below is sound for any input. */
#include "pdb_omap.h"
#include "sym_err.h"
#include <stdlib.h>
#include <string.h>

int pdb_omap_load(pdb_omap *o, const pdb_msf *m, uint32_t s, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	int64_t size = pdb_msf_stream_size(m, s);
	if (size < 0 || size % 8)
		return sym_errf(err, errlen, "OMAP table of %lld bytes is not whole entries",
				(long long)size);
	if (size > PDB_MAX_OMAP_BYTES)
		return sym_errf(err, errlen, "OMAP table over %u MiB", PDB_MAX_OMAP_BYTES >> 20);
	size_t n = (size_t)size / 8;
	o->from = malloc((n ? n : 1) * sizeof *o->from);
	o->to = malloc((n ? n : 1) * sizeof *o->to);
	if (!o->from || !o->to) {
		pdb_omap_clear(o);
		return sym_errf(err, errlen, "out of memory");
	}
	uint8_t buf[65536];
	for (size_t i = 0; i < n;) {
		size_t k = n - i < sizeof buf / 8 ? n - i : sizeof buf / 8;
		if (pdb_msf_read(m, s, (uint64_t)i * 8, buf, k * 8) != 0) {
			pdb_omap_clear(o);
			return sym_errf(err, errlen, "OMAP table unreadable");
		}
		for (size_t j = 0; j < k; j++, i++) {
			o->from[i] = pdb_u32(buf + 8 * j);
			o->to[i] = pdb_u32(buf + 8 * j + 4);
			if (i > 0 && o->from[i] <= o->from[i - 1]) {
				pdb_omap_clear(o);
				return sym_errf(err, errlen, "OMAP table is not sorted");
			}
		}
	}
	o->n = n;
	return 0;
}

int pdb_omap_map(const pdb_omap *o, uint32_t rva, uint32_t *out)
{
	size_t lo = 0, hi = o->n; /* first entry with from > rva */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->from[mid] <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || o->to[lo - 1] == 0)
		return 0;
	*out = o->to[lo - 1] + (rva - o->from[lo - 1]);
	return 1;
}

void pdb_omap_clear(pdb_omap *o)
{
	free(o->from);
	free(o->to);
	memset(o, 0, sizeof *o);
}
