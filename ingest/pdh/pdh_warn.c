/* pdh_warn.c — rate-limited, counted parser warnings (see pdh_warn.h). */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include "pdh_warn.h"

const char *pdh_warn_name(enum pdh_warn_code code)
{
	static const char *const names[PDH_W_COUNT] = {
		[PDH_W_SIGNATURE_MISSING] = "signature_missing",
		[PDH_W_NO_TIME_ZONE] = "no_time_zone",
		[PDH_W_HEADER_UNRECOGNISED] = "header_unrecognised",
		[PDH_W_SEPARATOR_MISMATCH] = "separator_mismatch",
		[PDH_W_NON_PATH_COLUMN] = "non_path_column",
		[PDH_W_CPU_MAPPING] = "cpu_mapping",
		[PDH_W_COLUMN_COUNT] = "column_count",
		[PDH_W_BAD_TIMESTAMP] = "bad_timestamp",
		[PDH_W_BAD_VALUE] = "bad_value",
		[PDH_W_DAY_MONTH_SWAPPED] = "day_month_swapped",
		[PDH_W_TRUNCATED] = "truncated",
		[PDH_W_NO_SAMPLES] = "no_samples",
		[PDH_W_ENCODING] = "encoding",
	};
	return (unsigned)code < PDH_W_COUNT ? names[code] : "unknown";
}

int pdh_warn(struct pdh_warn *w, enum pdh_warn_code code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (w->count[code]++ >= PDH_WARN_DETAIL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return w->sink->warning(w->sink->ud, pdh_warn_name(code), msg);
}

int pdh_warn_flush(struct pdh_warn *w)
{
	for (int c = 0; c < PDH_W_COUNT; c++) {
		char msg[160];
		int rc;
		if (w->count[c] <= PDH_WARN_DETAIL)
			continue;
		snprintf(msg, sizeof msg, "%llu warnings of this kind in total (only the first %d "
			 "were reported one by one)", (unsigned long long)w->count[c], PDH_WARN_DETAIL);
		rc = w->sink->warning(w->sink->ud, pdh_warn_name((enum pdh_warn_code)c), msg);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pdh_warn_json(const struct pdh_warn *w, cJSON *summary)
{
	cJSON *o = cJSON_AddObjectToObject(summary, "warnings");
	if (!o)
		return -1;
	for (int c = 0; c < PDH_W_COUNT; c++)
		if (w->count[c] &&
		    !cJSON_AddNumberToObject(o, pdh_warn_name((enum pdh_warn_code)c), (double)w->count[c]))
			return -1;
	return 0;
}
