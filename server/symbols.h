/* symbols.h — the server's symbol sources and its symbol job (issue 14): the --symbol-path
 * sources, after the directory that holds uploaded PDBs (DATA/symbols, SymStore layout, also
 * the default download cache), and the symbol job queued after each ingest (or again on
 * request), which names the run's DPC/ISR routines, stack frames and syscall addresses
 * (symbols/sym_run.h) on its own thread. */
#ifndef ETLSCOPE_SERVER_SYMBOLS_H
#define ETLSCOPE_SERVER_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "sym_path.h"

struct server_symbols;
struct sym_run_stats;

/* symbol_path NULL: no sources beyond uploads, and no job after ingest; else a job thread
 * that writes new versions of runs' files in store. NULL on failure (malformed path, no
 * directory) with a sentence in err. */
struct db_store;
struct server_symbols *server_symbols_new(const char *data_dir, const char *symbol_path,
					  struct db_store *store, char *err, size_t errlen);
void server_symbols_free(struct server_symbols *s);
/* After an ingest (server.c's jobs hook): queues the run for the symbol job, which resolves
 * every module of the run with an identity along the symbol path. Does nothing without a
 * path (or s NULL); a full queue leaves the run's modules pending and logs it. */
void server_symbols_queue(struct server_symbols *s, int64_t run_id);
/* Called on the job's thread each time the job has published a new version of a run
 * (after an ingest or a resolve-again; not when the run was gone or the job failed). */
typedef void (*server_symbols_published_fn)(void *ctx, const char *public_id);
void server_symbols_set_published(struct server_symbols *s, server_symbols_published_fn fn,
				  void *ctx);
/* POST /api/runs/{id}/symbols/resolve: marks the run's modules with an identity pending (a
 * new version of its file) and queues the run for the symbol job (once, however often asked). 0 queued, 1 no symbol path
 * (no job: the caller resolves with server_symbols_local), -1 the queue is full, -2 database
 * error; err says which. */
int server_symbols_again(struct server_symbols *s, int64_t run_id, char *err, size_t errlen);
/* Without a symbol path: resolve the run's modules from the uploaded PDBs alone, now, into
 * a new version of its file. 0 with *stats; 1 the run is gone; -1 with err. */
int server_symbols_local_resolve(struct server_symbols *s, int64_t run_id,
				 struct sym_run_stats *stats, char *err, size_t errlen);
/* The directory uploaded PDBs go to (SymStore layout: NAME.pdb/GUIDAGE/NAME.pdb). */
const char *server_symbols_dir(const struct server_symbols *s);
/* A symbol path of that directory alone (what an upload re-resolves with). */
const sym_path *server_symbols_local(const struct server_symbols *s);

/* symbols_upload.c — POST /api/runs/{id}/symbols?file=NAME.pdb. */
struct mg_connection;
struct server_ctx;
int symbols_upload_handle(struct mg_connection *conn, struct server_ctx *s, sqlite3 *db,
			  const char *run_id);
/* symbols_upload.c — POST /api/runs/{id}/symbols/resolve (same authority). */
int symbols_resolve_handle(struct mg_connection *conn, struct server_ctx *s, sqlite3 *db,
			   const char *run_id);
#endif
