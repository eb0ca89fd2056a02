/* blg_tz.c — Windows time-zone rules: a yearly SYSTEMTIME rule (year 0) names month, week
 * of the month (5 = last) and weekday of the switch, in the local time then in force;
 * an absolute SYSTEMTIME (year set) names one date. */
#include <stdlib.h>
#include <string.h>
#include "blg_le.h"
#include "blg_str.h"
#include "blg_tz.h"

#define FT_PER_MIN 600000000LL
#define FT_PER_DAY (1440LL * FT_PER_MIN)
#define FT_UNIX_EPOCH 116444736000000000LL

static void read_systime(const uint8_t *p, size_t len, size_t off, struct blg_systime *s)
{
	uint16_t v[8] = { 0 };
	for (int i = 0; i < 8; i++)
		(void)blg_rd16(p, len, off + 2 * (size_t)i, &v[i]);
	s->year = v[0], s->month = v[1], s->dow = v[2], s->day = v[3];
	s->hour = v[4], s->minute = v[5], s->second = v[6], s->ms = v[7];
}

static void read_name(const uint8_t *p, char *dst, size_t cap)
{
	char *s = blg_utf16_dup(p, 64, 0, NULL);
	dst[0] = '\0';
	if (s) {
		strncpy(dst, s, cap - 1);
		dst[cap - 1] = '\0';
	}
	free(s);
}

int blg_tz_parse(const uint8_t *p, size_t len, struct blg_tz *tz)
{
	uint32_t u;
	memset(tz, 0, sizeof *tz);
	if (len < BLG_TZI_SIZE)
		return -1;
	(void)blg_rd32(p, len, 0, &u);
	tz->bias = blg_as_i32(u);
	read_name(p + 4, tz->std_name, sizeof tz->std_name);
	read_systime(p, len, 68, &tz->std_date);
	(void)blg_rd32(p, len, 84, &u);
	tz->std_bias = blg_as_i32(u);
	read_name(p + 88, tz->dst_name, sizeof tz->dst_name);
	read_systime(p, len, 152, &tz->dst_date);
	(void)blg_rd32(p, len, 168, &u);
	tz->dst_bias = blg_as_i32(u);
	/* implausible biases (more than a day) mean a damaged header */
	if (tz->bias < -1440 || tz->bias > 1440 || tz->std_bias < -1440 || tz->std_bias > 1440 ||
	    tz->dst_bias < -1440 || tz->dst_bias > 1440)
		return -1;
	tz->valid = 1;
	return 0;
}

/* Days since 1601-01-01 for a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	/* shift to the 400-year cycle starting in March */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 584694; /* 584694 = days from 0000-03-01 to 1601-01-01 */
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 584694;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : dm[m - 1];
}

/* The local FILETIME at which rule s switches in year y; -1 if the rule is unusable. */
static int64_t transition(const struct blg_systime *s, int64_t y)
{
	int64_t day;
	if (s->month < 1 || s->month > 12 || s->hour > 23 || s->minute > 59)
		return -1;
	if (s->year) {
		if (s->year != y || s->day < 1 || s->day > days_in_month(y, s->month))
			return -1;
		day = days_from_civil(y, s->month, s->day);
	} else {
		if (s->day < 1 || s->day > 5 || s->dow > 6)
			return -1;
		int64_t first = days_from_civil(y, s->month, 1);
		int first_dow = (int)((first + 1) % 7); /* 1601-01-01 was a Monday */
		int dom = 1 + (s->dow - first_dow + 7) % 7 + 7 * (s->day - 1);
		while (dom > days_in_month(y, s->month))
			dom -= 7;
		day = days_from_civil(y, s->month, dom);
	}
	return day * FT_PER_DAY + ((int64_t)s->hour * 60 + s->minute) * FT_PER_MIN +
	       (int64_t)s->second * 10000000LL + (int64_t)s->ms * 10000LL;
}

int32_t blg_tz_bias_at(const struct blg_tz *tz, int64_t local_ft)
{
	int64_t y;
	int m, d;
	if (!tz || !tz->valid)
		return 0;
	if (tz->dst_date.month == 0 || tz->std_date.month == 0 || local_ft < 0)
		return tz->bias + tz->std_bias;
	civil_from_days(local_ft / FT_PER_DAY, &y, &m, &d);
	int64_t dst_start = transition(&tz->dst_date, y);
	int64_t dst_end = transition(&tz->std_date, y);
	if (dst_start < 0 || dst_end < 0)
		return tz->bias + tz->std_bias;
	int in_dst = dst_start < dst_end ? (local_ft >= dst_start && local_ft < dst_end)
					 : (local_ft >= dst_start || local_ft < dst_end);
	return tz->bias + (in_dst ? tz->dst_bias : tz->std_bias);
}

int64_t blg_filetime_to_unix_us(int64_t ft)
{
	return (ft - FT_UNIX_EPOCH) / 10;
}

int64_t blg_local_to_unix_us(const struct blg_tz *tz, int64_t local_ft)
{
	int64_t utc;
	if (__builtin_add_overflow(local_ft, (int64_t)blg_tz_bias_at(tz, local_ft) * FT_PER_MIN,
				   &utc))
		utc = local_ft;
	return blg_filetime_to_unix_us(utc);
}
