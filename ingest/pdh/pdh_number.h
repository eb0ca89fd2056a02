/* pdh_number.h — locale-independent parsing of PDH value cells ("86.93735103284412",
 * " " for a missing sample). Exact: the result is the double strtod gives in the C locale. */
#ifndef ETLSCOPE_PDH_NUMBER_H
#define ETLSCOPE_PDH_NUMBER_H

#include <locale.h>
#include <stddef.h>

/* Parse the decimal number in s[0..len) (surrounding spaces allowed, no NUL needed).
 * c_locale is a "C" LC_NUMERIC locale (newlocale) used for the rare digits-heavy values
 * the fast path cannot round exactly.
 * Returns 1 and sets *out for a number, 0 and sets *out = NAN for a blank cell,
 * -1 and sets *out = NAN for anything else (e.g. "-1.#IND", "12,5"). */
int pdh_number_parse(const char *s, size_t len, locale_t c_locale, double *out);

#endif
