/* sym_err.c — see sym_err.h. */
#include "sym_err.h"
#include <stdarg.h>
#include <stdio.h>

int sym_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
