/* pdh_time.c — civil-date arithmetic and the two PDH time grammars (header cell, row stamp).
 * Independent of the process time zone and locale by construction. */
#include <string.h>
#include "pdh_time.h"

/* Howard Hinnant's days_from_civil: exact for every proleptic Gregorian date. */
int64_t pdh_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int pdh_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned pdh_days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && pdh_is_leap(y) ? 29 : dim[m - 1];
}

/* Read min..max decimal digits at *pp (bounded by e). Returns -1 if fewer than min. */
static long pdh_digits(const char **pp, const char *e, int min, int max)
{
	const char *p = *pp;
	long v = 0;
	int n = 0;
	while (p < e && n < max && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min)
		return -1;
	*pp = p;
	return v;
}

static int pdh_expect(const char **pp, const char *e, char c)
{
	if (*pp < e && **pp == c) {
		(*pp)++;
		return 0;
	}
	return -1;
}

int pdh_time_parse_local(const char *s, size_t len, int64_t *local_us, int *flags)
{
	const char *p = s, *e = s + len;
	long mo, dd, yy, hh, mi, ss, frac = 0;
	int fd = 0;

	*flags = 0;
	while (p < e && *p == ' ')
		p++;
	while (e > p && e[-1] == ' ')
		e--;
	if ((mo = pdh_digits(&p, e, 1, 2)) < 0 || pdh_expect(&p, e, '/') ||
	    (dd = pdh_digits(&p, e, 1, 2)) < 0 || pdh_expect(&p, e, '/') ||
	    (yy = pdh_digits(&p, e, 4, 4)) < 0 || pdh_expect(&p, e, ' ') ||
	    (hh = pdh_digits(&p, e, 1, 2)) < 0 || pdh_expect(&p, e, ':') ||
	    (mi = pdh_digits(&p, e, 2, 2)) < 0 || pdh_expect(&p, e, ':') ||
	    (ss = pdh_digits(&p, e, 2, 2)) < 0)
		return -1;
	if (p < e && *p == '.') {
		p++;
		while (p < e && *p >= '0' && *p <= '9') {
			if (fd < 6) {
				frac = frac * 10 + (*p - '0');
				fd++;
			} else if (fd < 9) {
				fd++; /* below a microsecond: dropped */
			} else {
				return -1;
			}
			p++;
		}
		if (fd == 0)
			return -1;
		for (int i = fd < 6 ? fd : 6; i < 6; i++)
			frac *= 10;
	}
	if (p != e)
		return -1;
	if (mo > 12 && dd <= 12) { /* only a day-first stamp can mean this */
		long t = mo;
		mo = dd;
		dd = t;
		*flags |= PDH_TIME_DAY_MONTH_SWAPPED;
	}
	if (yy < 1601 || mo < 1 || mo > 12 || dd < 1 ||
	    (unsigned long)dd > pdh_days_in_month(yy, (unsigned)mo) || hh > 23 || mi > 59 ||
	    ss > 59)
		return -1;
	*local_us = ((pdh_days_from_civil(yy, (unsigned)mo, (unsigned)dd) * 86400 + hh * 3600 +
		      mi * 60 + ss) * 1000000) + frac;
	return 0;
}

/* Find the "(…)" group at p (leading spaces skipped); it ends at the first ')'. */
static int pdh_group(const char **pp, const char *e, const char **gs, size_t *gl)
{
	const char *p = *pp, *q;
	while (p < e && *p == ' ')
		p++;
	if (p >= e || *p != '(')
		return -1;
	q = memchr(p, ')', (size_t)(e - p));
	if (!q)
		return -1;
	*gs = p + 1;
	*gl = (size_t)(q - p - 1);
	*pp = q + 1;
	return 0;
}

static int pdh_parse_bias(const char *s, size_t len, int *bias)
{
	const char *p = s, *e = s + len;
	int neg = 0;
	long v;
	while (p < e && *p == ' ')
		p++;
	while (e > p && e[-1] == ' ')
		e--;
	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if ((v = pdh_digits(&p, e, 1, 5)) < 0 || p != e || v > 24 * 60)
		return -1;
	*bias = neg ? -(int)v : (int)v;
	return 0;
}

int pdh_time_parse_header(const char *s, size_t len, struct pdh_header_time *out)
{
	const char *p = s, *e = s + len, *gs, *bs;
	size_t gl, bl;

	memset(out, 0, sizeof *out);
	while (e > p && e[-1] == ' ')
		e--;
	if (pdh_group(&p, e, &gs, &gl) == 0 && gl >= 8 &&
	    (memcmp(gs, "PDH-CSV ", 8) == 0 || memcmp(gs, "PDH-TSV ", 8) == 0)) {
		size_t vl = gl - 8;
		out->signature = 1;
		out->sig_sep = gs[4] == 'C' ? ',' : '\t';
		if (vl >= sizeof out->version) { /* truncate on a UTF-8 character boundary */
			vl = sizeof out->version - 1;
			while (vl > 0 && ((unsigned char)gs[8 + vl] & 0xC0) == 0x80)
				vl--;
		}
		memcpy(out->version, gs + 8, vl);
		out->version[vl] = '\0';
	} else {
		p = s;
	}
	/* The rest is "(zone)(bias)": the bias group is the last one, the zone is everything
	 * between the first '(' and the ')' before it, so zone names may hold parentheses. */
	while (p < e && *p == ' ')
		p++;
	if (p < e && *p == '(' && e[-1] == ')') {
		const char *open = e - 1;
		while (open > p && *open != '(')
			open--;
		bs = open + 1;
		bl = (size_t)(e - 1 - bs);
		if (open > p && open[-1] == ')' && pdh_parse_bias(bs, bl, &out->bias_minutes) == 0) {
			size_t zl = (size_t)(open - 1 - (p + 1));
			if (zl >= sizeof out->zone) { /* truncate on a UTF-8 character boundary */
				zl = sizeof out->zone - 1;
				while (zl > 0 && ((unsigned char)p[1 + zl] & 0xC0) == 0x80)
					zl--;
			}
			memcpy(out->zone, p + 1, zl);
			out->zone[zl] = '\0';
			out->has_zone = 1;
			return 0;
		}
	}
	if (out->signature && p == e)
		return 0;
	if (out->signature) /* a signature followed by something we do not understand */
		return 0;
	memset(out, 0, sizeof *out);
	return -1;
}
