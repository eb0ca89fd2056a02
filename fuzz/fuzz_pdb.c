/* fuzz_pdb.c — libFuzzer harness for the PDB reader (symbols/): arbitrary bytes are written to
 * an in-memory file and opened; a PDB that opens is probed with lookups across 64 KiB of RVAs,
 * each answer must lie inside the symbol it names. Seeds: a PDB from tests/symbols/gen_pdb.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "symbols/pdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_pdb", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char err[PDB_ERR_LEN];
	pdb *p = pdb_open_fd(fd, err, sizeof err);
	if (p) {
		for (uint32_t rva = 0; rva < 0x10000; rva += 3) {
			const char *name;
			uint32_t off;
			if (pdb_lookup(p, rva, &name, &off) && (off > rva || name[0] == '\0'))
				abort();
		}
		pdb_close(p);
	} else if (err[0] == '\0') {
		abort(); /* every refusal says why */
	}
	close(fd);
	return 0;
}
