/* sym_cab.h — expands a compressed symbol-server file (name.pd_, a one-file CAB archive)
 * with Debian's libmspack (internal to sym_find). */
#ifndef SYM_CAB_H
#define SYM_CAB_H
#include <stddef.h>
#include <stdint.h>

/* Extracts the first file of the CAB at cab into out if its size is <= max. 0 on success;
 * -1 with a sentence in why (not a CAB, empty, too large, damaged data). */
int sym_cab_expand(const char *cab, const char *out, uint64_t max, char *why, size_t whylen);
#endif
