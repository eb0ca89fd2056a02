// sym_demangle.cc — the C++ shim behind sym_demangle.h: one call of LLVM's
// llvm::microsoftDemangle (llvm/Demangle/Demangle.h), whose signature changed across LLVM
// releases (14 and 15 take an output buffer, 16 drops it, 17 takes a std::string_view).
// Built and tested with Debian 12's LLVM 14.
#include <cstdlib>
#include <cstring>
#include <llvm/Config/llvm-config.h>
#include <llvm/Demangle/Demangle.h>
#if LLVM_VERSION_MAJOR >= 17
#include <string_view>
#endif
#include "sym_demangle.h"

extern "C" char *sym_demangle(const char *name, size_t max_len)
{
	if (!name || name[0] != '?')
		return nullptr;
	int status = llvm::demangle_unknown_error;
	const auto flags = static_cast<llvm::MSDemangleFlags>(
		llvm::MSDF_NoAccessSpecifier | llvm::MSDF_NoCallingConvention |
		llvm::MSDF_NoReturnType | llvm::MSDF_NoMemberType);
#if LLVM_VERSION_MAJOR >= 17
	char *out = llvm::microsoftDemangle(std::string_view(name), nullptr, &status, flags);
#elif LLVM_VERSION_MAJOR == 16
	char *out = llvm::microsoftDemangle(name, nullptr, &status, flags);
#else
	char *out = llvm::microsoftDemangle(name, nullptr, nullptr, nullptr, &status, flags);
#endif
	if (status != llvm::demangle_success || !out || !out[0] || std::strlen(out) > max_len) {
		std::free(out); // LLVM allocates the result with malloc
		return nullptr;
	}
	return out;
}
