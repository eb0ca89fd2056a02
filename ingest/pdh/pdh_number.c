/* pdh_number.c — fast, exact, locale-independent decimal parse for PDH value cells.
 * 1. Clinger: a mantissa of at most 2^53 and a decimal exponent within ±22 gives an
 *    exactly rounded result with one IEEE multiply or divide (typeperf's "%.6f").
 * 2. Eisel-Lemire (Lemire, "Number Parsing at a Gigabyte per Second", 2021): up to 19
 *    digits with a decimal exponent within ±64, one or two 64x128-bit products, used for
 *    the 17-significant-digit values relog and Export-Counter write.
 * 3. Anything else, and every case (2) cannot decide, goes to strtod_l in the C locale.
 * So the result always equals strtod's. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pdh_number.h"
#include "pdh_pow5.h"

static const double pdh_pow10[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define PDH_NUMBER_MAX_TEXT 128

/* Eisel-Lemire for w != 0 with 10^q, q in the table's range. Returns 0 and the double,
 * or -1 when it cannot decide cheaply (subnormal, overflow, an ambiguous product). */
static int pdh_eisel_lemire(uint64_t w, int q, double *out)
{
	const uint64_t *p5 = &pdh_pow5_128[2 * (q - PDH_POW5_MIN_Q)];
	unsigned __int128 prod;
	uint64_t hi, lo, mantissa, bits;
	int lz = __builtin_clzll(w), upperbit, shift;
	int64_t power2;

	w <<= lz;
	prod = (unsigned __int128)w * p5[0];
	hi = (uint64_t)(prod >> 64);
	lo = (uint64_t)prod;
	if ((hi & 0x1FF) == 0x1FF) { /* the low bits may carry: add the second product */
		unsigned __int128 second = (unsigned __int128)w * p5[1];
		uint64_t shi = (uint64_t)(second >> 64);
		lo += shi;
		if (shi > lo)
			hi++;
	}
	if (lo == UINT64_MAX && (q < -27 || q > 55))
		return -1; /* conservatively undecided */
	upperbit = (int)(hi >> 63);
	shift = upperbit + 64 - 52 - 3;
	mantissa = hi >> shift;
	power2 = ((int64_t)(152170 + 65536) * q >> 16) + 63 + upperbit - lz + 1023;
	if (power2 <= 0)
		return -1; /* subnormal: leave it to strtod */
	if (lo <= 1 && q >= -4 && q <= 23 && (mantissa & 3) == 1 && (mantissa << shift) == hi)
		mantissa &= ~UINT64_C(1); /* exactly halfway: round to even */
	mantissa += mantissa & 1;
	mantissa >>= 1;
	if (mantissa >= UINT64_C(2) << 52) {
		mantissa = UINT64_C(1) << 52;
		power2++;
	}
	mantissa &= ~(UINT64_C(1) << 52);
	if (power2 >= 0x7FF)
		return -1; /* overflow: leave it to strtod */
	bits = mantissa | (uint64_t)power2 << 52;
	memcpy(out, &bits, sizeof *out);
	return 0;
}

static int pdh_number_slow(const char *s, size_t len, locale_t c_locale, double *out)
{
	char tmp[PDH_NUMBER_MAX_TEXT];
	char *end;
	if (len >= sizeof tmp) {
		*out = NAN;
		return -1;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	*out = strtod_l(tmp, &end, c_locale);
	if (end != tmp + len) {
		*out = NAN;
		return -1;
	}
	return 1;
}

int pdh_number_parse(const char *s, size_t len, locale_t c_locale, double *out)
{
	const char *p, *e = s + len, *num;
	uint64_t w = 0;
	int nd = 0, digits = 0, dexp = 0, neg = 0, exact = 1;

	while (s < e && *s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		e--;
	if (s == e) {
		*out = NAN;
		return 0;
	}
	p = num = s;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
		if (w == 0 && *p == '0')
			continue;
		if (nd < 19) {
			w = w * 10 + (uint64_t)(*p - '0');
			nd++;
		} else {
			exact = 0;
		}
	}
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
			if (w == 0 && *p == '0') {
				dexp--;
				continue;
			}
			if (nd < 19) {
				w = w * 10 + (uint64_t)(*p - '0');
				nd++;
				dexp--;
			} else {
				exact = 0;
			}
		}
	}
	if (digits == 0) {
		*out = NAN;
		return -1;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		int eneg = 0, ev = 0, ed = 0;
		p++;
		if (p < e && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < e && *p >= '0' && *p <= '9'; p++, ed++)
			if (ev < 100000)
				ev = ev * 10 + (*p - '0');
		if (ed == 0) {
			*out = NAN;
			return -1;
		}
		dexp += eneg ? -ev : ev;
	}
	if (p != e) {
		*out = NAN;
		return -1;
	}
	if (w == 0 && exact) {
		*out = neg ? -0.0 : 0.0;
		return 1;
	}
	if (exact && w <= (UINT64_C(1) << 53) && dexp >= -22 && dexp <= 22) {
		double d = (double)w;
		d = dexp < 0 ? d / pdh_pow10[-dexp] : d * pdh_pow10[dexp];
		*out = neg ? -d : d;
		return 1;
	}
	if (exact && dexp >= PDH_POW5_MIN_Q && dexp <= PDH_POW5_MAX_Q) {
		double d;
		if (pdh_eisel_lemire(w, dexp, &d) == 0) {
			*out = neg ? -d : d;
			return 1;
		}
	}
	return pdh_number_slow(num, (size_t)(e - num), c_locale, out);
}
