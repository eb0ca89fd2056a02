/* api_dtoa.h — shortest round-trip decimal digits of a double (api_dtoa.cc). */
#ifndef API_DTOA_H
#define API_DTOA_H

#ifdef __cplusplus
extern "C" {
#endif

/* 17 significant digits at most, and a terminating NUL */
#define API_DTOA_DIGITS 18

/* The fewest decimal digits D (no leading or trailing zeros; "0" for ±0) such that
 * ±0.D × 10^point reads back as exactly v, the closest such digits to v when several are
 * equally short. v must be finite. Stores the digits NUL-terminated, whether v's sign bit
 * is set, their count and the decimal point's position; returns the count (1..17). */
int api_dtoa_shortest(double v, char digits[API_DTOA_DIGITS], int *negative, int *len,
		      int *point);

#ifdef __cplusplus
}
#endif
#endif
