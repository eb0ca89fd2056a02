/* cli_ingest.c — `etlscope ingest FILE…`: the upload pipeline for scripts. With --json
 * prints one object per file (run id, edit token, format, summary); errors go to stderr
 * and make the exit status non-zero. */
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
#include "sym_run.h"

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
		{NULL, 0, NULL, 0},
	};
	const char *db_path = CLI_DEFAULT_DB, *name = NULL, *encoding = NULL, *symbols = NULL;
	sym_path spath = {0};
	int json = 0, c, failures = 0;
	char err[512];
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'n': name = optarg; break;
		case 'j': json = 1; break;
		case 'e': encoding = optarg; break;
		case 's': symbols = optarg; break;
		default:
			fprintf(stderr, "usage: etlscope ingest [--db PATH] [--name NAME] [--json] "
					"[--encoding CHARSET] [--symbol-path PATH] FILE...\n");
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
	sqlite3 *db = db_open(db_path, DB_READWRITE, err, sizeof err);
	if (!db) {
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
		struct ingest_options iopts = {.encoding = encoding};
		int rc = db_import_file_ex(db, file, &in, &iopts, &res, err, sizeof err);
		if (rc != 0) {
			fprintf(stderr, "etlscope: %s: %s\n", file, err);
			failures++;
			continue;
		}
		if (api_stk_pre_build(db, res.public_id, err, sizeof err))
			fprintf(stderr, "etlscope: %s: call trees: %s\n", file, err);
		/* the symbol job, here in line: names the run's DPC/ISR routines, stack frames and
		 * syscall addresses */
		struct sym_run_stats sst = {0};
		sym_opts sopts = {0};
		if (symbols && sym_run_resolve(db, res.run_id, -1, &spath, &sopts, &sst, err,
					       sizeof err) != 0)
			fprintf(stderr, "etlscope: %s: symbols: %s\n", file, err);
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
	sym_path_clear(&spath);
	return failures ? 1 : 0;
}
