/* etl_modmap.h — the per-trace module map: image events (Load/Unload/DCStart/DCEnd) are
 * collected, merged into one module per (address space, base, normalised path), and looked
 * up by address — kernel-space images (kernel-range base) in one global space, every other
 * image (System's user-space ones included) in its own process's space only.
 *
 * Invariants: a kernel-space address only ever resolves to a kernel-space image and a
 * user-space address only to an image of the given process (no cross-space fallback);
 * paths that differ only by spelling (\Device\HarddiskVolumeN\…, \??\C:\…, C:\…,
 * \SystemRoot\…, letter case) name one module. */
#ifndef ETLSCOPE_ETL_MODMAP_H
#define ETLSCOPE_ETL_MODMAP_H

#include <stddef.h>
#include <stdint.h>
#include "etl_kernel.h"

struct etl_module {
	uint64_t space;      /* 0 = kernel, pid + 1 for user images */
	uint64_t base, size;
	uint32_t pid;
	uint32_t checksum, timestamp;
	int64_t load_ns;     /* INT64_MIN: loaded before the trace */
	int64_t unload_ns;   /* INT64_MAX: still loaded at the end */
	char *path;          /* as first logged */
	char *norm;          /* normalised path (etl_path_norm): the identity */
	const char *name;    /* file name part of path */
	int32_t id;          /* sink id, -1 until assigned */
	uint8_t seen_dcstart, seen_dcend, seen_unload, seen_load;
	uint8_t looked; /* one-pass ingest: an address lookup returned it */
};

struct etl_modmap {
	struct etl_module *v;
	size_t n, cap;
	size_t sorted_n; /* v[0, sorted_n) sorted and merged by the last finalize */
	int finalized;
};

void etl_modmap_init(struct etl_modmap *m);
void etl_modmap_free(struct etl_modmap *m);
/* Record one image event (kind = ETL_K_IMAGE_*), t_ns = event time. 0 or -1 (ENOMEM). */
int etl_modmap_add(struct etl_modmap *m, const struct etl_image *im, enum etl_kernel_kind kind,
		   int64_t t_ns, unsigned psize);
/* One-pass ingest: merge an image event into the module it names when the map has it
 * (sorted or not), without re-sorting: 1 merged, *before and *after its lifetime and size
 * as lookups see them (settled); 0 the map has no such module (add it). */
int etl_modmap_merge_event(struct etl_modmap *m, const struct etl_image *im,
			   enum etl_kernel_kind kind, int64_t t_ns, unsigned psize,
			   struct etl_module *before, struct etl_module *after);
/* Merge duplicates and sort for lookup (again after adds). 0 or -1. */
int etl_modmap_finalize(struct etl_modmap *m);
/* Module containing addr — among kernel-space images for a kernel-space address, else among
 * the pid's own images — preferring one loaded at t_ns (then the highest base). NULL if
 * none. */
const struct etl_module *etl_modmap_lookup(const struct etl_modmap *m, uint64_t addr,
					   uint32_t pid, int64_t t_ns, unsigned psize);
/* Normalise an image path for identity: drop \Device\HarddiskVolumeN, \??\X: or X:,
 * map \SystemRoot to \Windows, '/' to '\', lower-case ASCII. Writes at most n bytes
 * (NUL-terminated, truncated if needed). */
void etl_path_norm(const char *path, char *out, size_t n);
/* Implausible image event (not a module): empty path, size 0, base + size beyond the
 * pointer width, or a process id above 0x7FFFFFFF. 1 if implausible. */
int etl_image_implausible(const struct etl_image *im, unsigned psize);
/* Is this image a kernel-mode ".sys" driver (pid 0/4 or kernel-range base)? */
int etl_image_is_kernel_sys(const struct etl_image *im, unsigned psize);
/* Number of kernel images whose name ends in ".sys" (case-insensitive). */
size_t etl_modmap_count_sys(const struct etl_modmap *m);

#endif
