/* fuzz_run_import.c — libFuzzer harness for POST /api/runs/import's checks: the input is a
 * run file from outside (db/db_run_check.c). It is written to a temporary file, opened as
 * untrusted, validated, and when accepted copied into a fresh in-memory run file, as the
 * server does. Seeds: run files exported by GET /api/runs/{id}/file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "db/db.h"
#include "db/db_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-run-import-XXXXXX", why[256], err[256];
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	int64_t run_id = 0;
	sqlite3 *u = db_run_file_open_untrusted(path, why, sizeof why);
	if (u && db_run_file_validate(u, &run_id, why, sizeof why) == 0) {
		sqlite3 *w = db_open(":memory:", DB_READWRITE, err, sizeof err);
		if (!w)
			abort();
		(void)db_run_file_copy(u, w, 7, NULL, err, sizeof err);
		db_close(w);
	}
	db_run_file_close_untrusted(u, path);
	return 0;
}
