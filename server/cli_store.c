/* cli_store.c — how `etlscope ingest` and `etlscope demo` store runs: as the server's
 * ingest workers do (docs/team.md), each run into a file of its own through the store,
 * with its findings, published in one catalog transaction — so a server started
 * afterwards has nothing to convert. The data directory's lock is held meanwhile: the
 * store's start-up removes what no run owns, which must never meet a running server's
 * ingest in flight (a server on the same directory is refused: upload through it). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "cli.h"
#include "db.h"
#include "db_store.h"
#include "server.h"

int cli_store_open(struct cli_store *cs, const char *db_path, const char *data_dir, char *err,
		   size_t errlen)
{
	cs->store = NULL;
	cs->lock_fd = -1;
	if (cli_ensure_dir(data_dir) != 0) {
		snprintf(err, errlen, "cannot create the data directory %s", data_dir);
		return -1;
	}
	if ((cs->lock_fd = server_lock_data_dir(data_dir, err, errlen)) < 0) {
		size_t n = strlen(err);
		if (strncmp(err, "another etlscope server", 23) == 0 && n < errlen)
			snprintf(err + n, errlen - n, " (or upload through it: POST /api/uploads)");
		return -1;
	}
	struct server_config cfg = {.db_path = db_path, .data_dir = data_dir};
	if (!(cs->store = server_open_store(&cfg, cs->lock_fd, err, errlen))) {
		close(cs->lock_fd);
		cs->lock_fd = -1;
		return -1;
	}
	return 0;
}

void cli_store_clear(struct cli_store *cs)
{
	db_store_free(cs->store);
	cs->store = NULL;
	if (cs->lock_fd >= 0)
		close(cs->lock_fd);
	cs->lock_fd = -1;
}

int cli_store_file(struct cli_store *cs, const char *path, const struct db_run_input *in,
		   const struct ingest_options *opts, db_store_fn then, void *ud,
		   struct db_import_result *res, char *err, size_t errlen)
{
	struct db_run_writer w;
	if (db_store_run_begin(cs->store, &w, err, errlen) != 0)
		return -1;
	int rc = db_import_file_ex(w.db, path, in, opts, res, err, errlen);
	int imported = rc == 0; /* res->summary is then ours until returned */
	if (rc == 0 && res->run_id != w.run_id) {
		snprintf(err, errlen, "the run did not get its reserved id");
		rc = -1;
	}
	if (rc == 0 && then)
		rc = then(ud, w.db, w.run_id, err, errlen) != 0 ? -1 : 0;
	if (rc != 0) {
		if (imported) {
			cJSON_Delete(res->summary);
			res->summary = NULL;
		}
		db_store_run_abandon(cs->store, &w);
		return rc;
	}
	server_run_derive(w.db, w.run_id, res->public_id);
	if (db_store_run_publish(cs->store, &w, NULL, err, errlen) != 0) {
		cJSON_Delete(res->summary);
		res->summary = NULL;
		return -1;
	}
	return 0;
}
