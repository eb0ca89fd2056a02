/* sym_err.h — the one error-sentence helper of symbols/: formats into a caller's buffer. */
#ifndef SYM_ERR_H
#define SYM_ERR_H
#include <stddef.h>

/* printf into err[errlen] (if err and errlen); always returns -1, for `return sym_errf(…)`. */
__attribute__((format(printf, 3, 4))) int sym_errf(char *err, size_t errlen, const char *fmt, ...);
#endif
