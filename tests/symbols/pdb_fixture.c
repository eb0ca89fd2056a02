/* pdb_fixture.c — reads the generated test PDB's expectations (see pdb_fixture.h). */
#include "pdb_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fx_load(fx *f)
{
	memset(f, 0, sizeof *f);
	char path[600];
	snprintf(f->pdb, sizeof f->pdb, "%s/etlfix.pdb", PDB_FIXTURE_DIR);
	snprintf(path, sizeof path, "%s/expect.txt", PDB_FIXTURE_DIR);
	FILE *in = fopen(path, "r");
	if (!in || access(f->pdb, R_OK) != 0) {
		if (in)
			fclose(in);
		return -1;
	}
	char line[256];
	while (f->n < sizeof f->rows / sizeof f->rows[0] && fgets(line, sizeof line, in)) {
		fx_row *r = &f->rows[f->n];
		if (sscanf(line, "%7s %63s %u %u %u", r->kind, r->name, &r->a, &r->b, &r->c) >= 2)
			f->n++;
	}
	fclose(in);
	return f->n ? 0 : -1;
}

char *fx_copy(const fx *f)
{
	char *tmp = strdup("/tmp/etlscope-pdb-XXXXXX");
	int out = mkstemp(tmp);
	FILE *in = fopen(f->pdb, "rb");
	char buf[8192];
	size_t n;
	while (in && out >= 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (write(out, buf, n) != (ssize_t)n)
			break;
	if (in)
		fclose(in);
	if (out >= 0)
		close(out);
	return tmp;
}
