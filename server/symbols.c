/* symbols.c — the server's symbol sources and the job after ingest (symbols.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sym_run.h"
#include "symbols.h"

struct server_symbols {
	sym_path path;  /* the upload directory, then --symbol-path */
	sym_path local; /* the upload directory alone */
	int any;       /* --symbol-path was given */
	char dir[4096];
};

struct server_symbols *server_symbols_new(const char *data_dir, const char *symbol_path,
					  char *err, size_t errlen)
{
	struct server_symbols *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((size_t)snprintf(s->dir, sizeof s->dir, "%s/symbols", data_dir) >= sizeof s->dir ||
	    (mkdir(s->dir, 0700) != 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create the symbol directory under %s", data_dir);
		free(s);
		return NULL;
	}
	size_t n = strlen(s->dir) + (symbol_path ? strlen(symbol_path) : 0) + 2;
	char *text = malloc(n);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	snprintf(text, n, "%s;%s", s->dir, symbol_path ? symbol_path : "");
	char perr[256];
	int rc = sym_path_parse(text, s->dir, &s->path, perr, sizeof perr);
	free(text);
	if (rc != 0) {
		snprintf(err, errlen, "--symbol-path: %s", perr);
		free(s);
		return NULL;
	}
	if (sym_path_parse(s->dir, NULL, &s->local, perr, sizeof perr) != 0) {
		snprintf(err, errlen, "symbol directory: %s", perr);
		server_symbols_free(s);
		return NULL;
	}
	s->any = symbol_path && *symbol_path;
	return s;
}

void server_symbols_free(struct server_symbols *s)
{
	if (!s)
		return;
	sym_path_clear(&s->path);
	sym_path_clear(&s->local);
	free(s);
}

const char *server_symbols_dir(const struct server_symbols *s)
{
	return s->dir;
}

const sym_path *server_symbols_local(const struct server_symbols *s)
{
	return &s->local;
}

void server_symbols_after_ingest(void *ctx, sqlite3 *db, int64_t run_id)
{
	struct server_symbols *s = ctx;
	struct sym_run_stats st;
	sym_opts opts = {0};
	char err[256];
	if (!s || !s->any || !db)
		return;
	if (sym_run_resolve_hiding(db, run_id, -1, &s->path, &opts, s->dir, &st, err,
				   sizeof err) != 0)
		fprintf(stderr, "etlscope: symbol job: %s\n", err);
}
