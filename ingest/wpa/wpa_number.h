/* wpa_number.h — numbers in WPA exports, which follow the UI locale: en-US groups with ','
 * and uses '.' for decimals ("5,571.225"), de-DE groups with '.' and uses ',' ("1,176567818").
 * The locale is voted per file from cells that can only be read one way, and numbers are
 * read exactly into scaled integers (no floating point, no process locale). */
#ifndef ETLSCOPE_WPA_NUMBER_H
#define ETLSCOPE_WPA_NUMBER_H

#include <stddef.h>
#include <stdint.h>

enum wpa_locale { WPA_LOC_UNKNOWN = 0, WPA_LOC_EN, WPA_LOC_DE };

/* Which locale a numeric cell proves (WPA_LOC_UNKNOWN if it fits both, e.g. "1,176" or
 * "12", or is not a number). */
enum wpa_locale wpa_number_vote(const char *s, size_t n);

/* Read s[0..n) (spaces around allowed) in locale loc, multiplied by 10^scale_digits
 * (0..18), rounded half away from zero. Returns 0, or -1 for anything that is not a
 * number in that locale or does not fit int64. */
int wpa_number_scaled(const char *s, size_t n, enum wpa_locale loc, int scale_digits,
		      int64_t *out);

const char *wpa_locale_name(enum wpa_locale loc);

#endif
