/* sym_cache.h — the bounded symbol cache: a SymStore-layout directory whose PDBs are kept
 * least-recently-used first out under a byte cap. A hit refreshes the file's mtime. */
#ifndef SYM_CACHE_H
#define SYM_CACHE_H
#include <stdint.h>

/* Deletes the least recently used *.pdb files under dir (depth name/KEY/file) until their
 * total is <= cap, never the file named keep (may be NULL); removes emptied directories.
 * Returns the bytes left, or -1 if dir cannot be read. */
int64_t sym_cache_trim(const char *dir, uint64_t cap, const char *keep);
/* Marks path as just used (mtime = now). */
void sym_cache_touch(const char *path);
#endif
