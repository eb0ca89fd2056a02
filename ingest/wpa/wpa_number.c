/* wpa_number.c — locale votes and exact scaled reading of WPA numbers (wpa_number.h). */
#include <string.h>
#include "wpa_number.h"

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

const char *wpa_locale_name(enum wpa_locale loc)
{
	return loc == WPA_LOC_EN ? "en-US" : loc == WPA_LOC_DE ? "de-DE" : "unknown";
}

enum wpa_locale wpa_number_vote(const char *s, size_t n)
{
	size_t commas = 0, dots = 0, last = 0, digits_after = 0;
	char last_sep = 0;
	trim(&s, &n);
	if (n && (*s == '-' || *s == '+')) {
		s++;
		n--;
	}
	if (n == 0)
		return WPA_LOC_UNKNOWN;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ',' || s[i] == '.') {
			commas += s[i] == ',';
			dots += s[i] == '.';
			last_sep = s[i];
			last = i;
		} else if (s[i] < '0' || s[i] > '9') {
			return WPA_LOC_UNKNOWN;
		}
	}
	if (!last_sep)
		return WPA_LOC_UNKNOWN;
	if (commas && dots) /* the last separator is the decimal one */
		return last_sep == '.' ? WPA_LOC_EN : WPA_LOC_DE;
	if (commas > 1)
		return WPA_LOC_EN; /* several group commas */
	if (dots > 1)
		return WPA_LOC_DE;
	digits_after = n - last - 1;
	if (digits_after == 3 || last == 0)
		return WPA_LOC_UNKNOWN; /* "1,176": a group or a decimal */
	return last_sep == '.' ? WPA_LOC_EN : WPA_LOC_DE;
}

int wpa_number_scaled(const char *s, size_t n, enum wpa_locale loc, int scale_digits,
		      int64_t *out)
{
	char group = loc == WPA_LOC_DE ? '.' : ',', dec = loc == WPA_LOC_DE ? ',' : '.';
	int neg = 0, seen_digit = 0, fdigits = 0, round_up = 0;
	uint64_t ip = 0, fp = 0, scale = 1;
	size_t i = 0;
	if (scale_digits < 0 || scale_digits > 18)
		return -1;
	for (int k = 0; k < scale_digits; k++)
		scale *= 10;
	trim(&s, &n);
	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	for (; i < n && s[i] != dec; i++) {
		if (s[i] == group && seen_digit)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (ip > (UINT64_MAX - 9) / 10)
			return -1;
		ip = ip * 10 + (uint64_t)(s[i] - '0');
		seen_digit = 1;
	}
	if (i < n) { /* fraction */
		for (i++; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			if (fdigits < scale_digits)
				fp = fp * 10 + (uint64_t)(s[i] - '0');
			else if (fdigits == scale_digits)
				round_up = s[i] >= '5';
			fdigits++;
			seen_digit = 1;
		}
	}
	if (!seen_digit)
		return -1;
	for (int k = fdigits; k < scale_digits; k++)
		fp *= 10;
	if (ip > (uint64_t)INT64_MAX / scale)
		return -1;
	uint64_t v = ip * scale + fp + (uint64_t)round_up;
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}
