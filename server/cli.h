/* cli.h — the etlscope subcommands (each in its own file) and shared option helpers. */
#ifndef ETLSCOPE_CLI_H
#define ETLSCOPE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include "db_store.h"

#define CLI_DEFAULT_DB "etlscope.db"
#define CLI_DEFAULT_DATA "etlscope-data"
#define CLI_DEFAULT_LISTEN "127.0.0.1:8080"
#define CLI_DEFAULT_MAX_UPLOAD (4LL << 30)

int cli_serve(int argc, char **argv);
int cli_ingest(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_symbols(int argc, char **argv);

/* ---- cli_store.c: runs stored as the server stores them (docs/team.md) ---- */
struct cli_store {
	struct db_store *store;
	int lock_fd; /* <data_dir>/etlscope.lock, held until cli_store_clear */
};
/* Lock data_dir (created when missing; refused while a server uses it) and open the store
 * of catalog db_path and its run files (an older single-file database converts). 0, or
 * -1 with err. */
int cli_store_open(struct cli_store *cs, const char *db_path, const char *data_dir, char *err,
		   size_t errlen);
void cli_store_clear(struct cli_store *cs);
/* The file at path as one new run in a file of its own: imported (db_import_file_ex), then
 * then(ud, …) (may be NULL: e.g. symbols), its findings stored, published. 0 with *res
 * (res->summary the caller's to free); 1 rejected as bad input, -1 error, err says why;
 * nothing is visible unless 0. */
struct db_run_input;
struct db_import_result;
struct ingest_options;
int cli_store_file(struct cli_store *cs, const char *path, const struct db_run_input *in,
		   const struct ingest_options *opts, db_store_fn then, void *ud,
		   struct db_import_result *res, char *err, size_t errlen);

/* "512K", "100M", "4G" or plain bytes → bytes; -1 if malformed. */
int64_t cli_parse_size(const char *s);
/* mkdir -p for one level, fine if it exists. 0 ok. */
int cli_ensure_dir(const char *dir);

#endif
