/* pdb_table.h — the address table a PDB turns into: symbols (rva, section, size, kind)
 * with interned names, sorted once and searched by binary search. Owned by pdb.c. */
#ifndef PDB_TABLE_H
#define PDB_TABLE_H
#include <stddef.h>
#include <stdint.h>

enum { PDB_SYM_PROC = 0, PDB_SYM_PUBLIC = 1 }; /* lower sorts first: procs win a tie */

typedef struct pdb_sym {
	uint32_t rva, size; /* size 0 = unknown (publics) */
	uint32_t name;      /* offset in names */
	uint16_t section;   /* 1-based image section */
	uint8_t kind, pad;
} pdb_sym;

typedef struct pdb_table {
	pdb_sym *syms;
	size_t n, cap;
	char *names; /* NUL-terminated names back to back */
	size_t names_len, names_cap;
	uint32_t *hash; /* open addressing: name offset + 1, 0 = empty */
	size_t hash_cap, distinct;
} pdb_table;

/* Adds a symbol (name of len bytes, not necessarily NUL-terminated). 0 on success; -1 when
 * a bound (PDB_MAX_SYMBOLS, PDB_MAX_NAMES) is reached or memory is short. */
int pdb_table_add(pdb_table *t, uint32_t rva, uint16_t section, uint32_t size, int kind,
		  const char *name, size_t len);
/* Sorts by rva and keeps one symbol per rva: a procedure before a public (its name is the
 * undecorated one and it carries a size), else the first name in arena order. */
void pdb_table_finish(pdb_table *t);
/* Index of the last symbol with rva <= the given rva, or -1. */
ptrdiff_t pdb_table_find(const pdb_table *t, uint32_t rva);
void pdb_table_clear(pdb_table *t);
#endif
