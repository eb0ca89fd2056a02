/* cli_ingest.c — `etlscope ingest FILE…`: the upload pipeline for scripts. Each file
 * becomes a run in a file of its own under --data-dir, as an upload does (cli_store.c);
 * --single-file writes the layout of releases before run files into --db alone instead.
 * With --json prints one object per file (run id, edit token, format, summary); errors go
 * to stderr and make the exit status non-zero. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include "api_text.h"
#include "api.h"
#include "cli.h"
#include "db.h"
#include "ingest.h"
#include "server.h"
#include "sym_run.h"

/* The symbol job, here in line: names the run's DPC/ISR routines, stack frames and
 * syscall addresses. A failure is said and the run stored without the names. */
struct ingest_symbols {
	const sym_path *path;
	const char *file;
	struct sym_run_stats stats;
};

static int resolve_symbols(void *ud, sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
	struct ingest_symbols *is = ud;
	sym_opts sopts = {0};
	(void)err, (void)errlen;
	char serr[512];
	if (sym_run_resolve(db, run_id, -1, is->path, &sopts, &is->stats, serr, sizeof serr) != 0)
		fprintf(stderr, "etlscope: %s: symbols: %s\n", is->file, serr);
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

int cli_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'}, {"name", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},     {"encoding", required_argument, NULL, 'e'},
		{"symbol-path", required_argument, NULL, 's'},
		{"data-dir", required_argument, NULL, 'D'}, {"single-file", no_argument, NULL, '1'},
		{"two-pass", no_argument, NULL, '2'},
		{NULL, 0, NULL, 0},
	};
	const char *db_path = CLI_DEFAULT_DB, *name = NULL, *encoding = NULL, *symbols = NULL;
	const char *data_dir = CLI_DEFAULT_DATA;
	sym_path spath = {0};
	int json = 0, c, failures = 0, single = 0, two_pass = 0;
	char err[512];
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'n': name = optarg; break;
		case 'j': json = 1; break;
		case 'e': encoding = optarg; break;
		case 's': symbols = optarg; break;
		case 'D': data_dir = optarg; break;
		case '1': single = 1; break;
		case '2': two_pass = 1; break;
		default:
			fprintf(stderr, "usage: etlscope ingest [--db PATH] [--data-dir DIR] [--name NAME] "
					"[--json] [--encoding CHARSET] [--symbol-path PATH] "
					"[--single-file] [--two-pass] FILE...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "etlscope ingest: name at least one file\n");
		return 2;
	}
	/* the same text rules as uploads (api_text.h) */
	if (name && api_text_check("--name", name, strlen(name), API_TEXT_MAX, API_TEXT_LINE, err,
				   sizeof err)) {
		fprintf(stderr, "etlscope ingest: %s\n", err);
		return 2;
	}
	if (symbols && sym_path_parse(symbols, NULL, &spath, err, sizeof err) != 0) {
		fprintf(stderr, "etlscope ingest: --symbol-path: %s\n", err);
		return 2;
	}
	struct cli_store cs = {NULL, -1};
	sqlite3 *db = NULL;
	if (single ? !(db = db_open(db_path, DB_READWRITE, err, sizeof err))
		   : cli_store_open(&cs, db_path, data_dir, err, sizeof err) != 0) {
		sym_path_clear(&spath);
		fprintf(stderr, "etlscope: %s\n", err);
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		struct stat st;
		struct db_import_result res;
		const char *file = argv[i];
		if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "etlscope: %s: not a readable file\n", file);
			failures++;
			continue;
		}
		char label[API_TEXT_MAX + 1];
		const char *base = base_name(file);
		if (api_text_check("file name", base, strlen(base), strlen(base), API_TEXT_LINE, err,
				   sizeof err)) {
			fprintf(stderr, "etlscope: %s: %s\n", file, err);
			failures++;
			continue;
		}
		size_t n = api_text_cut(base, strlen(base), API_TEXT_MAX);
		memcpy(label, base, n);
		label[n] = 0;
		struct db_run_input in = {name, label, st.st_size};
		struct ingest_options iopts = {.encoding = encoding, .etl_two_pass = two_pass};
		struct ingest_symbols is = {&spath, file, {0}};
		db_store_fn then = symbols ? resolve_symbols : NULL;
		int rc = single ? db_import_file_ex(db, file, &in, &iopts, &res, err, sizeof err)
				: cli_store_file(&cs, file, &in, &iopts, then, &is, &res, err,
						 sizeof err);
		if (rc != 0) {
			fprintf(stderr, "etlscope: %s: %s\n", file, err);
			failures++;
			continue;
		}
		if (single && then)
			then(&is, db, res.run_id, err, sizeof err);
		if (single) /* the store derives its runs' (cli_store_file) */
			server_run_derive(db, res.run_id, res.public_id);
		const struct sym_run_stats sst = is.stats;
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "file", file);
			cJSON_AddStringToObject(o, "run", res.public_id);
			cJSON_AddStringToObject(o, "edit_token", res.edit_token);
			cJSON_AddStringToObject(o, "format", ingest_format_name(res.format));
			cJSON_AddBoolToObject(o, "partial", res.partial);
			cJSON_AddItemToObject(o, "summary", res.summary);
			if (symbols) {
				cJSON *so = cJSON_AddObjectToObject(o, "symbols");
				cJSON_AddNumberToObject(so, "modules", sst.modules);
				cJSON_AddNumberToObject(so, "resolved", sst.resolved);
				cJSON_AddNumberToObject(so, "names", (double)sst.names);
			}
			res.summary = NULL;
			char *text = cJSON_PrintUnformatted(o);
			if (text)
				puts(text);
			cJSON_free(text);
			cJSON_Delete(o);
		} else {
			printf("%s: run %s (%s%s)\n", file, res.public_id,
			       ingest_format_name(res.format), res.partial ? ", partial" : "");
			if (symbols)
				printf("%s: symbols for %u of %u modules, %zu addresses named\n", file,
				       sst.resolved, sst.modules, sst.names);
		}
		cJSON_Delete(res.summary);
	}
	db_close(db);
	cli_store_clear(&cs);
	sym_path_clear(&spath);
	return failures ? 1 : 0;
}
