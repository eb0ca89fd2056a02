/* pdh_time.h — PDH text-log time: the header's first cell (signature, zone name, bias) and
 * the rows' local "MM/DD/YYYY HH:MM:SS.mmm" stamps, turned into microseconds since the Unix
 * epoch UTC. Pure civil-date arithmetic: no mktime, no TZ, no locale. */
#ifndef ETLSCOPE_PDH_TIME_H
#define ETLSCOPE_PDH_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (negative before). */
int64_t pdh_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Flags from pdh_time_parse_local(). */
#define PDH_TIME_DAY_MONTH_SWAPPED 1 /* month > 12 forced reading DD/MM/YYYY */

/* Parse a local timestamp "MM/DD/YYYY HH:MM:SS[.fff…]" in s[0..len) (surrounding spaces
 * allowed; month, day and hour may have one digit; up to 9 fraction digits, truncated to
 * µs). *local_us = the wall-clock reading as if it were UTC. *flags gets PDH_TIME_* bits.
 * Returns 0, or -1 if the text is not such a timestamp or names an impossible date. */
int pdh_time_parse_local(const char *s, size_t len, int64_t *local_us, int *flags);

/* Windows convention: UTC = local + bias (minutes), e.g. PST bias 480, CET bias -60. */
static inline int64_t pdh_time_to_utc(int64_t local_us, int bias_minutes)
{
	return local_us + (int64_t)bias_minutes * 60 * 1000000;
}

/* The first header cell: "(PDH-CSV 4.0) (<zone>)(<bias>)", "(PDH-TSV 4.0) …",
 * typeperf's "(PDH-CSV 4.0)" alone, or the signature-less "(<zone>)(<bias>)". */
struct pdh_header_time {
	int signature;      /* 1 if the "(PDH-CSV x)" / "(PDH-TSV x)" group is present */
	char sig_sep;       /* ',' for PDH-CSV, '\t' for PDH-TSV, 0 without a signature */
	char version[16];   /* "4.0"; "" without a signature */
	int has_zone;       /* 1 if zone name and bias were present */
	char zone[128];     /* zone name as written (truncated to fit); "" if absent */
	int bias_minutes;   /* 0 if absent */
};

/* Parse the (unquoted) first header cell s[0..len). Returns 0 if it has at least a
 * signature or a zone+bias pair, -1 otherwise (out is then zeroed). */
int pdh_time_parse_header(const char *s, size_t len, struct pdh_header_time *out);

#endif
