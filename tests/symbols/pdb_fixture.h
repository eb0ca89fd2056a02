/* pdb_fixture.h — the test PDB built by gen_pdb.sh and its expectations (expect.txt, written
 * from llvm-pdbutil and llvm-objdump output, never from our reader). */
#ifndef PDB_FIXTURE_H
#define PDB_FIXTURE_H
#include <stddef.h>
#include <stdint.h>

typedef struct fx_row {
	char kind[8]; /* "proc", "public", "export", "section", "guid" */
	char name[64];
	/* proc: rva size; public: rva code; export: rva; section (name = its number): va vsize */
	uint32_t a, b, c;
} fx_row;

typedef struct fx {
	char pdb[512]; /* path of the generated PDB */
	fx_row rows[128];
	size_t n;
} fx;

/* Loads PDB_FIXTURE_DIR/expect.txt. 0 on success; -1 if the fixture was not generated
 * (toolchain missing: the caller skips). */
int fx_load(fx *f);
/* Copies the fixture PDB to a temporary file; returns its malloc'd path. */
char *fx_copy(const fx *f);
#endif
