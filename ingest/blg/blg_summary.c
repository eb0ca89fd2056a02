/* blg_summary.c — builds the summary object handed to sink->summary for a .blg run. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "blg_summary.h"

static void iso_utc(int64_t us, char *buf, size_t cap)
{
	time_t s = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	int64_t ms = (us - (int64_t)s * 1000000) / 1000;
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		snprintf(buf, cap, "?");
		return;
	}
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
}

static cJSON *name_array(const struct blg_nameset *set)
{
	cJSON *a = cJSON_CreateArray();
	if (!a)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(set->items[i]));
	return a;
}

cJSON *blg_summary_build(const struct etl_reader *r, const struct blg_tz *tz,
			 const struct blg_pdh_stats *ps, const struct blg_emit *e)
{
	char buf[64];
	cJSON *j = cJSON_CreateObject(), *w;
	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "format", "blg");
	cJSON_AddItemToObject(j, "machines", name_array(&e->machines));
	cJSON_AddNumberToObject(j, "machine_count", (double)e->machines.n);
	cJSON_AddNumberToObject(j, "counters", (double)e->n);
	cJSON_AddItemToObject(j, "objects", name_array(&e->objects));
	cJSON_AddNumberToObject(j, "instances", (double)e->instances.n);
	cJSON_AddNumberToObject(j, "cpus", (double)e->cpus.n);
	cJSON_AddNumberToObject(j, "samples", (double)e->rows);
	if (r->have_header && r->lf.start_time) {
		iso_utc(((int64_t)r->lf.start_time - 116444736000000000LL) / 10, buf, sizeof buf);
		cJSON_AddStringToObject(j, "start", buf);
	}
	if (e->rows) {
		iso_utc(e->first_us, buf, sizeof buf);
		cJSON_AddStringToObject(j, "first", buf);
		iso_utc(e->last_us, buf, sizeof buf);
		cJSON_AddStringToObject(j, "last", buf);
		cJSON_AddNumberToObject(j, "first_us", (double)e->first_us);
		cJSON_AddNumberToObject(j, "last_us", (double)e->last_us);
		cJSON_AddNumberToObject(j, "duration_s", (double)(e->last_us - e->first_us) / 1e6);
		/* The same keys as the text-log parser, so both forms read back alike. */
		cJSON_AddNumberToObject(j, "first_utc_us", (double)e->first_us);
		cJSON_AddNumberToObject(j, "last_utc_us", (double)e->last_us);
		cJSON_AddNumberToObject(j, "start_utc_us", (double)e->first_us);
		cJSON_AddNumberToObject(j, "duration_us", (double)(e->last_us - e->first_us));
		if (e->rows > 1)
			cJSON_AddNumberToObject(j, "interval_s", (double)(e->last_us - e->first_us) /
									 1e6 / (double)(e->rows - 1));
	}
	if (tz->valid) {
		cJSON_AddStringToObject(j, "time_zone_name", tz->std_name);
		cJSON_AddStringToObject(j, "daylight_name", tz->dst_name);
		cJSON_AddNumberToObject(j, "bias_minutes", tz->bias);
		cJSON_AddNumberToObject(j, "daylight_bias_minutes", tz->dst_bias);
		/* names can be resource references (@tzres.dll,-212): give people the offset */
		int32_t std = -(tz->bias + tz->std_bias), dst = -(tz->bias + tz->dst_bias);
		if (tz->dst_date.month && dst != std)
			snprintf(buf, sizeof buf, "UTC%c%02d:%02d (daylight UTC%c%02d:%02d)",
				 std < 0 ? '-' : '+', abs(std) / 60, abs(std) % 60, dst < 0 ? '-' : '+',
				 abs(dst) / 60, abs(dst) % 60);
		else
			snprintf(buf, sizeof buf, "UTC%c%02d:%02d", std < 0 ? '-' : '+', abs(std) / 60,
				 abs(std) % 60);
		cJSON_AddStringToObject(j, "utc_offset", buf);
		/* Names like "@tzres.dll,-112" are resource references, not words: show the
		 * offset then. */
		cJSON_AddStringToObject(j, "time_zone", tz->std_name[0] == '@' ? buf : tz->std_name);
	} else {
		cJSON_AddNullToObject(j, "time_zone");
	}
	if (r->have_header) {
		cJSON_AddNumberToObject(j, "pointer_size", r->lf.header_pointer_size);
		cJSON_AddNumberToObject(j, "build", r->lf.build);
		snprintf(buf, sizeof buf, "%u.%u", r->lf.version & 0xFF, (r->lf.version >> 8) & 0xFF);
		cJSON_AddStringToObject(j, "os_version", buf);
		cJSON_AddNumberToObject(j, "cpus_logging_machine", r->lf.cpus);
	}
	cJSON_AddNumberToObject(j, "pdh_events", (double)ps->events);
	cJSON_AddNumberToObject(j, "catalog_entries", (double)ps->catalog_entries);
	cJSON_AddNumberToObject(j, "perflib_blocks", (double)ps->perflib_blocks);
	cJSON_AddNumberToObject(j, "perflib_names", (double)ps->names);
	cJSON_AddNumberToObject(j, "skipped_records", (double)ps->bad_records);
	cJSON_AddNumberToObject(j, "values", (double)e->values);
	cJSON_AddNumberToObject(j, "missing_values", (double)e->missing);
	cJSON_AddNumberToObject(j, "etl_buffers", (double)r->st.buffers);
	w = cJSON_AddObjectToObject(j, "warnings");
	for (int i = 0; w && i < BLG_WARN_CODES && e->warn[i].code; i++)
		cJSON_AddNumberToObject(w, e->warn[i].code, (double)e->warn[i].count);
	return j;
}
