/* text_warn.c — counted, rate-limited warnings for the text-report parsers (text_warn.h). */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ingest.h"
#include "text_warn.h"

void text_warn_init(struct text_warn *w, const struct ingest_sink *sink)
{
	memset(w, 0, sizeof *w);
	w->sink = sink;
}

static int slot(struct text_warn *w, const char *code)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->code[i], code) == 0)
			return i;
	if (w->n < TEXT_WARN_CODES - 1) {
		w->code[w->n] = code;
		return w->n++;
	}
	w->code[TEXT_WARN_CODES - 1] = "other";
	return TEXT_WARN_CODES - 1;
}

int text_warn(struct text_warn *w, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int i = slot(w, code);
	if (w->count[i]++ >= TEXT_WARN_DETAIL || !w->sink->warning)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ingest_utf8_trim_tail(msg);
	return w->sink->warning(w->sink->ud, w->code[i], msg);
}

uint64_t text_warn_total(const struct text_warn *w)
{
	uint64_t n = 0;
	for (int i = 0; i < TEXT_WARN_CODES; i++)
		n += w->count[i];
	return n;
}

int text_warn_cut_line(struct text_warn *w, uint64_t warnings_before, int terminated,
		       unsigned long long line_no)
{
	if (terminated || text_warn_total(w) <= warnings_before)
		return 0;
	return text_warn(w, "truncated", "the last line (%llu) is cut short: the file ends in "
			 "the middle of a record, so results are partial", line_no);
}

int text_warn_flush(struct text_warn *w)
{
	for (int i = 0; i < TEXT_WARN_CODES; i++) {
		char msg[160];
		int rc;
		if (w->count[i] <= TEXT_WARN_DETAIL || !w->sink->warning)
			continue;
		snprintf(msg, sizeof msg, "%llu warnings of this kind in total (only the first %d "
			 "were reported one by one)", (unsigned long long)w->count[i], TEXT_WARN_DETAIL);
		rc = w->sink->warning(w->sink->ud, w->code[i], msg);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int text_warn_json(const struct text_warn *w, cJSON *summary)
{
	cJSON *o = cJSON_AddObjectToObject(summary, "warnings");
	if (!o)
		return -1;
	for (int i = 0; i < TEXT_WARN_CODES; i++)
		if (w->count[i] && !cJSON_AddNumberToObject(o, w->code[i], (double)w->count[i]))
			return -1;
	return 0;
}
