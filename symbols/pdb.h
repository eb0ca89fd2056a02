/* pdb.h — address → function name from a Microsoft PDB (MSF 7.00): open a PDB, read its
 * identity (GUID, age) and its public and procedure symbols into a sorted table, look up
 * RVAs. The reader reads only the streams it needs (PDB info, DBI, section headers, symbol
 * records, module symbol streams); layouts and sources: symbols/README.md.
 *
 * Memory bound: a table of n symbols takes 16·n bytes plus the distinct names (interned)
 * plus a hash of 8 bytes per distinct name; n <= PDB_MAX_SYMBOLS and names <= PDB_MAX_NAMES
 * bytes, else pdb_open fails with "too many symbols". Reading uses one 128 KiB window; a
 * rearranged (OMAP) image's table, at most 64 MiB, is held only during pdb_open. */
#ifndef PDB_H
#define PDB_H
#include <stddef.h>
#include <stdint.h>

#define PDB_MAX_SYMBOLS 4000000u
#define PDB_MAX_NAMES (128u << 20)
#define PDB_ERR_LEN 256

typedef struct pdb pdb;

typedef struct pdb_identity {
	uint8_t guid[16]; /* as stored (Data1..3 little-endian, Data4 bytes) */
	uint32_t age;     /* PDB info stream age */
	uint32_t dbi_age; /* DBI stream age: the age the image's RSDS record carries */
} pdb_identity;

/* Opens and indexes path. NULL on failure with a sentence in err (PDB_ERR_LEN bytes). */
pdb *pdb_open(const char *path, char *err, size_t errlen);
/* Same on an open fd (not closed by pdb_close): used by the fuzz harness. */
pdb *pdb_open_fd(int fd, char *err, size_t errlen);
void pdb_close(pdb *p);

const pdb_identity *pdb_id(const pdb *p);
/* GUID and age in SymStore form: 32 uppercase hex digits (Data1, Data2, Data3 as numbers,
 * then Data4's bytes) followed by the age in uppercase hex without leading zeros. */
void pdb_guid_age_text(const uint8_t guid[16], uint32_t age, char out[42]);
/* 1 if the image's RSDS GUID and age name this PDB. */
int pdb_matches(const pdb *p, const uint8_t guid[16], uint32_t age);

/* Finds the symbol containing rva: the nearest symbol at or below rva in the same image
 * section. 1 with *name (valid until pdb_close) and *offset = rva - symbol start; 0 if no
 * symbol precedes rva in its section (or rva is in no section). */
int pdb_lookup(const pdb *p, uint32_t rva, const char **name, uint32_t *offset);
/* Number of symbols in the table (procedures and publics after merging). */
size_t pdb_symbol_count(const pdb *p);
#endif
