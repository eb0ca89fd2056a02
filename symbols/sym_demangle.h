/* sym_demangle.h — undecorates Microsoft C++ decorated names (`?func@Class@@QEAAXH@Z` →
 * `Class::func(int)`) with LLVM's MicrosoftDemangle (Debian's llvm-dev, libLLVMDemangle.a),
 * through the one-function C++ shim sym_demangle.cc. Why a library and not our own code:
 * the MSVC decoration grammar (back-references, templates, function types) is large and
 * LLVM's implementation is maintained and fuzzed upstream. */
#ifndef SYM_DEMANGLE_H
#define SYM_DEMANGLE_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
/* The undecorated name — without access specifier, calling convention, return type and
 * member type, parameters kept — in a new string (free()), or NULL when name is not a
 * decorated name (no leading '?'), does not parse, or undecorates to more than max_len
 * bytes. */
char *sym_demangle(const char *name, size_t max_len);
#ifdef __cplusplus
}
#endif
#endif
