/* blg_tz.h — the Windows TIME_ZONE_INFORMATION logged in the trace header, and turning the
 * local FILETIMEs PDH writes into UTC with the daylight-saving rule in force. */
#ifndef ETLSCOPE_BLG_TZ_H
#define ETLSCOPE_BLG_TZ_H

#include <stddef.h>
#include <stdint.h>

#define BLG_TZI_SIZE 172

struct blg_systime {
	uint16_t year, month, dow, day, hour, minute, second, ms;
};

struct blg_tz {
	int valid;
	int32_t bias;      /* minutes, UTC = local + bias */
	int32_t std_bias, dst_bias;
	struct blg_systime std_date, dst_date; /* month 0: no daylight saving */
	char std_name[100], dst_name[100];     /* UTF-8, e.g. "@tzres.dll,-212" */
};

/* Parse a 172-byte TIME_ZONE_INFORMATION at p[0..len). 0 or -1 if too short. */
int blg_tz_parse(const uint8_t *p, size_t len, struct blg_tz *tz);

/* Minutes to add to a local wall-clock FILETIME to get UTC (bias plus the standard or
 * daylight bias in force at that local time). 0 when tz is not valid. */
int32_t blg_tz_bias_at(const struct blg_tz *tz, int64_t local_ft);

/* FILETIME (100 ns since 1601) → microseconds since the Unix epoch. */
int64_t blg_filetime_to_unix_us(int64_t ft);

/* Local FILETIME → UTC microseconds since the Unix epoch. */
int64_t blg_local_to_unix_us(const struct blg_tz *tz, int64_t local_ft);

#endif
