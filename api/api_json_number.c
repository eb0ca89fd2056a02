/* api_json_number.c — a double as a JSON number: the shortest decimal text that reads back
 * as exactly the same double, laid out as printf's "%.15g" would lay it out (the API's
 * numbers before the shortest digits came from api_dtoa.cc: the same bytes wherever that
 * printer already gave the shortest digits).
 *
 * Invariants:
 *   - non-finite values are JSON null (JSON has no NaN or Infinity);
 *   - the text is "%.Pg" of the digits with P = max(15, number of digits): exponent form
 *     when the decimal exponent X < -4 or X >= P, else positional; no trailing zeros after
 *     a decimal point; an exponent has a sign and at least two digits ("1e+21", "5e-324"). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "api_dtoa.h"
#include "api_params.h"

size_t api_json_number_text(double v, char buf[API_JSON_NUMBER_MAX])
{
	if (!isfinite(v)) {
		memcpy(buf, "null", 5);
		return 4;
	}
	/* an integer below 10^15: its digits as they are (most numbers of the large tables are
	 * counts and nanoseconds) */
	if (fabs(v) < 1e15 && v == (double)(long long)v && !(v == 0 && signbit(v)))
		return (size_t)snprintf(buf, API_JSON_NUMBER_MAX, "%lld", (long long)v);
	char d[API_DTOA_DIGITS];
	int neg, n, point;
	api_dtoa_shortest(v, d, &neg, &n, &point);
	int x = point - 1, p = n > 15 ? n : 15;
	char *o = buf;
	if (neg)
		*o++ = '-';
	if (x < -4 || x >= p) { /* d[.ddd]e±XX */
		*o++ = d[0];
		if (n > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)n - 1);
			o += n - 1;
		}
		o += snprintf(o, 8, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
	} else if (point <= 0) { /* 0.000ddd */
		*o++ = '0';
		*o++ = '.';
		memset(o, '0', (size_t)-point);
		o += -point;
		memcpy(o, d, (size_t)n);
		o += n;
	} else if (point < n) { /* ddd.ddd */
		memcpy(o, d, (size_t)point);
		o += point;
		*o++ = '.';
		memcpy(o, d + point, (size_t)(n - point));
		o += n - point;
	} else { /* ddd000: point <= p, so at most 17 digits in all */
		memcpy(o, d, (size_t)n);
		o += n;
		memset(o, '0', (size_t)(point - n));
		o += point - n;
	}
	*o = '\0';
	return (size_t)(o - buf);
}

cJSON *api_json_number(double v)
{
	char buf[API_JSON_NUMBER_MAX];
	if (!isfinite(v))
		return cJSON_CreateNull();
	api_json_number_text(v, buf);
	return cJSON_CreateRaw(buf);
}
