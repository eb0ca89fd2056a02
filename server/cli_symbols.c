/* cli_symbols.c — `etlscope symbols`: resolve RVAs of one image against its PDB, found along a
 * symbol path (_NT_SYMBOL_PATH syntax, e.g. srv*CACHE*https://msdl.microsoft.com/download/symbols)
 * or given as a file. Prints "found PATH" (or "unresolved: REASON: WHY" and exits 3), then one
 * line per RVA: "0xRVA name+0xOFF" or "0xRVA -". For scripts, tests and engineers checking a
 * symbol path before pointing the server at it. With --trace FILE.etl it lists the debug
 * identity of each image instead (KernelTraceControl ImageId / DbgID_RSDS events), one
 * tab-separated line per image: base, pid, size, timestamp, file, PDB name, SymStore key. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pdb.h"
#include "sym_find.h"
#include "sym_trace.h"

static const char usage_text[] =
	"usage: etlscope symbols [--symbol-path PATH] [--cache DIR] [--connect-timeout MS]\n"
	"                        [--timeout MS] [--max-download SIZE] [--cache-cap SIZE]\n"
	"                        (--pdb FILE | --name NAME.pdb --id GUIDAGE) RVA...\n"
	"       etlscope symbols --trace FILE.etl\n";

static int print_trace_images(const char *file)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		fprintf(stderr, "etlscope symbols: cannot open %s\n", file);
		return 1;
	}
	sym_images t = {0};
	char err[256];
	int rc = sym_trace_scan(f, &t, err, sizeof err);
	fclose(f);
	if (rc != 0) {
		fprintf(stderr, "etlscope symbols: %s: %s\n", file, err);
		sym_images_clear(&t);
		return 1;
	}
	for (size_t i = 0; i < t.n; i++) {
		const sym_image_id *m = &t.v[i];
		char key[42] = "-";
		if (m->has_rsds)
			pdb_guid_age_text(m->guid, m->age, key);
		printf("0x%llx\t%u\t0x%llx\t0x%08x\t%s\t%s\t%s\n", (unsigned long long)m->base,
		       m->pid, (unsigned long long)m->size, m->timestamp,
		       m->has_imageid ? m->file : "-", m->has_rsds ? m->pdb : "-", key);
	}
	fprintf(stderr,
		"etlscope symbols: %zu images, %llu malformed events, %llu past the bound\n", t.n,
		(unsigned long long)t.bad_events, (unsigned long long)t.dropped);
	sym_images_clear(&t);
	return 0;
}

static int print_lookups(const char *file, int argc, char **argv)
{
	char err[PDB_ERR_LEN];
	pdb *p = pdb_open(file, err, sizeof err);
	if (!p) {
		fprintf(stderr, "etlscope symbols: %s\n", err);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		char *end;
		unsigned long long rva = strtoull(argv[i], &end, 0);
		const char *name;
		uint32_t off;
		if (*end || end == argv[i] || rva > UINT32_MAX)
			printf("%s invalid\n", argv[i]);
		else if (pdb_lookup(p, (uint32_t)rva, &name, &off))
			printf("0x%llx %s+0x%x\n", rva, name, off);
		else
			printf("0x%llx -\n", rva);
	}
	pdb_close(p);
	return 0;
}

int cli_symbols(int argc, char **argv)
{
	static const struct option opts[] = {
		{"symbol-path", required_argument, NULL, 's'},
		{"cache", required_argument, NULL, 'c'},
		{"connect-timeout", required_argument, NULL, 'C'},
		{"timeout", required_argument, NULL, 't'},
		{"max-download", required_argument, NULL, 'm'},
		{"cache-cap", required_argument, NULL, 'k'},
		{"pdb", required_argument, NULL, 'p'},
		{"name", required_argument, NULL, 'n'},
		{"id", required_argument, NULL, 'i'},
		{"trace", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	const char *spath = getenv("_NT_SYMBOL_PATH"), *cache = NULL, *file = NULL, *name = NULL,
	 *id = NULL, *trace = NULL;
	sym_opts so = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int64_t size = 0;
		switch (c) {
		case 's':
			spath = optarg;
			break;
		case 'c':
			cache = optarg;
			break;
		case 'C':
			so.connect_timeout_ms = atol(optarg);
			break;
		case 't':
			so.total_timeout_ms = atol(optarg);
			break;
		case 'p':
			file = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'T':
			trace = optarg;
			break;
		case 'm':
		case 'k':
			if ((size = cli_parse_size(optarg)) < 0) {
				fprintf(stderr, "etlscope symbols: bad size '%s'\n", optarg);
				return 2;
			}
			*(c == 'm' ? &so.max_download : &so.cache_cap) = (uint64_t)size;
			break;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (trace)
		return print_trace_images(trace);
	if (file)
		return print_lookups(file, argc - optind, argv + optind);
	sym_want want = {.pdb_name = name};
	if (!name || !id || sym_key_parse(id, want.guid, &want.age) != 0) {
		fprintf(stderr,
			"etlscope symbols: give --pdb FILE, or --name NAME.pdb and --id "
			"GUIDAGE (32 hex digits + age)\n%s",
			usage_text);
		return 2;
	}
	sym_path sp;
	char err[512];
	if (sym_path_parse(spath ? spath : "", cache, &sp, err, sizeof err) != 0) {
		fprintf(stderr, "etlscope symbols: --symbol-path: %s\n", err);
		return 2;
	}
	sym_result *res = malloc(sizeof *res);
	if (!res) {
		sym_path_clear(&sp);
		return 1;
	}
	int rc = 0;
	if (sym_find(&sp, &so, &want, res) == SYM_FOUND) {
		printf("found %s\n", res->path);
		fflush(stdout);
		rc = print_lookups(res->path, argc - optind, argv + optind);
	} else {
		printf("unresolved: %s: %s\n", sym_status_name(res->status), res->why);
		rc = 3;
	}
	free(res);
	sym_path_clear(&sp);
	return rc;
}
