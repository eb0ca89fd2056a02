/* sym_path.h — the symbol path: where PDBs come from, in the order the user set, written in
 * the _NT_SYMBOL_PATH syntax Windows engineers already use:
 *   srv*CACHE*URL     a symbol server (HTTP(S) or a SymStore directory) with a local cache
 *   srv*URL           the same, cached in the default cache (cache*DIR, else the caller's)
 *   srv*A*B*URL       several downstream stores: searched in order, downloads go to A
 *   symsrv*symsrv.dll*CACHE*URL   the long form of srv* (the DLL name is ignored)
 *   cache*DIR         the default cache for the elements after it
 *   DIR               a local directory: SymStore layout (name.pdb/KEY/name.pdb) or flat
 * Elements are separated by ';'; empty elements are ignored; keywords are case-insensitive. */
#ifndef SYM_PATH_H
#define SYM_PATH_H
#include <stddef.h>

#define SYM_PATH_MAX_SOURCES 32
#define SYM_PATH_MAX_STORES 4

typedef enum { SYM_SRC_DIR, SYM_SRC_SERVER } sym_src_kind;

typedef struct sym_source {
	sym_src_kind kind;
	char *where; /* directory, or server URL / SymStore directory */
	int is_http; /* SERVER: where is an http:// or https:// URL */
	char *stores
		[SYM_PATH_MAX_STORES]; /* SERVER: downstream stores; stores[0] receives downloads */
	int nstores;
} sym_source;

typedef struct sym_path {
	sym_source src[SYM_PATH_MAX_SOURCES];
	int n;
} sym_path;

/* Parses text into p (emptied first). default_cache (may be NULL) caches srv*URL elements
 * when no cache*DIR precedes them; a server without any cache is searched without one
 * (downloads then go to a private temporary file). 0 on success; -1 with a sentence in err. */
int sym_path_parse(const char *text, const char *default_cache, sym_path *p, char *err,
		   size_t errlen);
void sym_path_clear(sym_path *p);
#endif
