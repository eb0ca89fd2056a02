/* sym_run.h — symbolises a stored run: for each module with a debug identity it finds the
 * PDB along a symbol path (sym_find: verified GUID and age), names the module's DPC/ISR
 * routine addresses, its distinct stack frames and the syscall addresses in it (pdb_lookup) and stores the names and the module's status and reason
 * (db/db_symbols.h). Blocking (downloads): call it from a background job or the CLI. */
#ifndef SYM_RUN_H
#define SYM_RUN_H
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "sym_find.h"

struct sym_run_stats {
	unsigned modules;  /* modules with an identity that were looked at */
	unsigned resolved; /* of which a PDB was found and read */
	size_t names;      /* addresses named */
};

/* Resolves every module of the run with an identity (module_id -1) or only module_id. A
 * module whose PDB is not found keeps no names and gets status not_found or guid_mismatch
 * with sym_find's reasons in why; that is not an error. 0, or -1 with a sentence in err
 * (database failure). */
int sym_run_resolve(sqlite3 *db, int64_t run_id, int32_t module_id, const sym_path *path,
		    const sym_opts *opts, struct sym_run_stats *stats, char *err, size_t errlen);
/* The same, but every mention of private_dir (a server directory viewers must not learn) in
 * the stored reasons reads "uploaded PDBs" instead. */
int sym_run_resolve_hiding(sqlite3 *db, int64_t run_id, int32_t module_id,
			   const sym_path *path, const sym_opts *opts, const char *private_dir,
			   struct sym_run_stats *stats, char *err, size_t errlen);
#endif
