/* api_dtoa.cc — the one C++ file of the API: a C entry point to Google's double-conversion
 * library (Debian libdouble-conversion-dev), whose SHORTEST mode gives the fewest decimal
 * digits that read back as exactly the same double (Grisu3 with a bignum fallback, so it is
 * exact for every input). api_json_number.c lays the digits out as JSON text. */
#include <double-conversion.h>

#include "api_dtoa.h"

extern "C" int api_dtoa_shortest(double v, char digits[API_DTOA_DIGITS], int *negative,
				  int *len, int *point)
{
	bool sign = false;
	int n = 0, pt = 0;
	double_conversion::DoubleToStringConverter::DoubleToAscii(
		v, double_conversion::DoubleToStringConverter::SHORTEST, 0, digits,
		API_DTOA_DIGITS, &sign, &n, &pt);
	*negative = sign;
	*len = n;
	*point = pt;
	return n;
}
