/* pdh_text.c — pdh_text_parse(): drives the streaming reader over a PDH-CSV/TSV log,
 * turns the header into sink counters and each data row into one sink sample, and ends
 * with the run summary. Memory: one line (capped), one row of values, the header. */
#include <cjson/cJSON.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pdh_fields.h"
#include "pdh_header.h"
#include "pdh_number.h"
#include "pdh_reader.h"
#include "pdh_stats.h"
#include "pdh_text.h"
#include "pdh_time.h"
#include "pdh_encoding.h"
#include "pdh_utf8.h"
#include "pdh_warn.h"

struct pdh_ctx {
	const struct ingest_sink *sink;
	struct ingest_error *err;
	struct pdh_reader rd;
	struct pdh_header h;
	struct pdh_warn w;
	struct pdh_stats st;
	locale_t c_locale;
	double *values;      /* [h.ncounters] */
	uint64_t rows_skipped; /* rows with a bad time or cut short */
	uint64_t lines_ignored; /* blank lines and status lines (not starting with '"') */
	const char *encoding;   /* the user's encoding, NULL to detect */
	const char *transcoded_from; /* "UTF-16LE"/"UTF-16BE": the file had that BOM */
	struct pdh_encoding enc; /* the header's, as decided */
};

static int pdh_read_error(struct pdh_ctx *c, int st, const char *what)
{
	switch (st) {
	case PDH_READ_EIO:
		ingest_error_set(c->err, "cannot read the file (I/O error) while reading %s", what);
		return INGEST_EIO;
	case PDH_READ_ENOMEM:
		ingest_error_set(c->err, "out of memory while reading %s", what);
		return INGEST_ENOMEM;
	default: /* PDH_READ_TOO_LONG */
		ingest_error_set(c->err, "line %llu is longer than %zu bytes, the limit for a perfmon "
				 "log line; the file is damaged or not a perfmon log",
				 (unsigned long long)c->rd.line_no + 1, c->rd.max_line);
		return INGEST_EFORMAT;
	}
}

static int pdh_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int pdh_read_header(struct pdh_ctx *c, char sep)
{
	const char *line;
	size_t len;
	int term, st;

	for (;;) {
		st = pdh_reader_next(&c->rd, &line, &len, &term);
		if (st == PDH_READ_EOF) {
			ingest_error_set(c->err, c->rd.line_no == 0
						 ? "the file is empty"
						 : "not a perfmon log: the file holds only blank lines");
			return INGEST_EFORMAT;
		}
		if (st != PDH_READ_LINE)
			return pdh_read_error(c, st, "the header line");
		if (c->rd.line_no == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
			line += 3; /* UTF-8 byte order mark */
			len -= 3;
		}
		if (c->rd.line_no == 1 && len >= 2 &&
		    (memcmp(line, "\xFF\xFE", 2) == 0 || memcmp(line, "\xFE\xFF", 2) == 0)) {
			ingest_error_set(c->err, "this perfmon log is saved as UTF-16, which is not "
						 "supported; save it as UTF-8 or ANSI text");
			return INGEST_EFORMAT;
		}
		if (!pdh_blank(line, len)) /* typeperf starts with a blank line */
			break;
	}
	char *utf8;
	size_t n;
	int rc = pdh_encoding_header(line, len, c->encoding, &c->enc, &utf8, &n, c->err);
	if (rc == INGEST_ENOMEM)
		ingest_error_set(c->err, "out of memory while converting the header to UTF-8");
	if (rc)
		return rc;
	if (c->enc.how == PDH_ENC_NAMES)
		rc = pdh_warn(&c->w, PDH_W_ENCODING, "the header is not UTF-8; read as %s, the code "
			      "page in which its counter names are %s Processor/Process names",
			      c->enc.name, c->enc.language);
	else if (c->enc.how == PDH_ENC_FALLBACK)
		rc = pdh_warn(&c->w, PDH_W_ENCODING, "the header is not UTF-8 and names no known "
			      "localised Processor counter; read as Windows-1252 (upload with "
			      "encoding=… to choose)");
	if (rc == 0)
		rc = pdh_header_parse(utf8, n, sep, &c->h, &c->w, c->err);
	free(utf8);
	return rc;
}

/* One data row: time cell, then one cell per header column. */
static int pdh_row(struct pdh_ctx *c, const char *line, size_t len, int terminated)
{
	const struct pdh_header *h = &c->h;
	struct pdh_fields it;
	struct pdh_field f;
	size_t ncells, nbad = 0, bad_col = 0;
	const char *bad_s = NULL;
	size_t bad_len = 0;
	int cut, flags, rc;
	int64_t local;
	char snip[48];

	pdh_fields_init(&it, line, len, h->sep);
	pdh_fields_next(&it, &f);
	cut = f.unterminated;
	if (pdh_time_parse_local(f.s, f.len, &local, &flags) != 0) {
		c->rows_skipped++;
		if (!terminated)
			return pdh_warn(&c->w, PDH_W_TRUNCATED,
					"the last line (%llu) is cut short; it was dropped and the "
					"rows before it kept", (unsigned long long)c->rd.line_no);
		return pdh_warn(&c->w, PDH_W_BAD_TIMESTAMP,
				"line %llu: \"%s\" is not a MM/DD/YYYY HH:MM:SS.mmm time; row "
				"skipped", (unsigned long long)c->rd.line_no,
				pdh_utf8_snippet(f.s, f.len, snip, sizeof snip));
	}
	for (ncells = 1; pdh_fields_next(&it, &f); ncells++) {
		int32_t idx;
		double v;
		if (ncells >= h->ncols)
			continue; /* extra cells: counted, ignored */
		cut |= f.unterminated;
		idx = h->col_counter[ncells];
		if (idx < 0)
			continue;
		if (f.escaped || pdh_number_parse(f.s, f.len, c->c_locale, &v) < 0) {
			v = NAN;
			if (nbad++ == 0) {
				bad_col = ncells;
				bad_s = f.s;
				bad_len = f.len;
			}
		}
		c->values[idx] = v;
	}
	if (!terminated && (cut || ncells < h->ncols)) {
		c->rows_skipped++;
		return pdh_warn(&c->w, PDH_W_TRUNCATED,
				"the last line (%llu) is cut short; it was dropped and the rows "
				"before it kept", (unsigned long long)c->rd.line_no);
	}
	if (ncells != h->ncols) {
		for (size_t col = ncells; col < h->ncols; col++)
			if (h->col_counter[col] >= 0)
				c->values[h->col_counter[col]] = NAN;
		rc = pdh_warn(&c->w, PDH_W_COLUMN_COUNT,
			      "line %llu has %zu cells but the header has %zu; missing cells are "
			      "stored as missing values, extra cells ignored",
			      (unsigned long long)c->rd.line_no, ncells, h->ncols);
		if (rc)
			return rc;
	}
	if (nbad) {
		rc = pdh_warn(&c->w, PDH_W_BAD_VALUE,
			      "line %llu, column %zu: \"%s\" is not a number; stored as a "
			      "missing value", (unsigned long long)c->rd.line_no, bad_col + 1,
			      pdh_utf8_snippet(bad_s, bad_len, snip, sizeof snip));
		if (rc)
			return rc;
		c->w.count[PDH_W_BAD_VALUE] += nbad - 1;
	}
	if (flags & PDH_TIME_DAY_MONTH_SWAPPED) {
		rc = pdh_warn(&c->w, PDH_W_DAY_MONTH_SWAPPED,
			      "line %llu: the time has a month over 12, so it was read as "
			      "DD/MM/YYYY", (unsigned long long)c->rd.line_no);
		if (rc)
			return rc;
	}
	local = pdh_time_to_utc(local, h->time.bias_minutes);
	if (pdh_stats_add(&c->st, local)) {
		ingest_error_set(c->err, "out of memory while counting sample times");
		return INGEST_ENOMEM;
	}
	return c->sink->sample(c->sink->ud, local, c->values, h->ncounters);
}

static int pdh_rows(struct pdh_ctx *c)
{
	const char *line;
	size_t len;
	int term, st, rc;

	while ((st = pdh_reader_next(&c->rd, &line, &len, &term)) == PDH_READ_LINE) {
		/* Data rows start with a quoted (or, after an Excel re-save, bare) time;
		 * anything else is typeperf's status text or a blank line. */
		if (len == 0 || (line[0] != '"' && (line[0] < '0' || line[0] > '9'))) {
			c->lines_ignored++;
			continue;
		}
		if ((rc = pdh_row(c, line, len, term)) != 0)
			return rc;
	}
	return st == PDH_READ_EOF ? 0 : pdh_read_error(c, st, "the data rows");
}

static int pdh_counters(struct pdh_ctx *c)
{
	for (size_t i = 0; i < c->h.ncounters; i++) {
		const struct pdh_counter_col *col = &c->h.counters[i];
		struct sink_counter sc = {
			.path = col->full,
			.machine = col->path.machine,
			.object = col->object,
			.instance = col->path.instance,
			.counter = col->counter,
			.cpu = col->cpu,
			.counter_type = 0,
		};
		uint32_t index;
		int rc = c->sink->counter(c->sink->ud, &sc, &index);
		if (rc)
			return rc;
	}
	return 0;
}

static int pdh_add_time(cJSON *o, const char *name, int have, int64_t v)
{
	return have ? cJSON_AddNumberToObject(o, name, (double)v) != NULL
		    : cJSON_AddNullToObject(o, name) != NULL;
}

static int pdh_summary(struct pdh_ctx *c, char sep)
{
	const struct pdh_header *h = &c->h;
	const struct pdh_stats *s = &c->st;
	int have = s->samples > 0, ok, rc;
	cJSON *o = cJSON_CreateObject();

	static const char *const how[] = {"utf-8", "explicit", "names", "fallback"};
	const char *from = c->transcoded_from;
	ok = o && cJSON_AddStringToObject(o, "format", ingest_format_name(
					  sep == ',' ? INGEST_FMT_PDH_CSV : INGEST_FMT_PDH_TSV)) &&
	     cJSON_AddStringToObject(o, "encoding", from ? from : c->enc.name) &&
	     cJSON_AddStringToObject(o, "encoding_detected_by", from ? "bom" : how[c->enc.how]) &&
	     (!c->enc.language || cJSON_AddStringToObject(o, "language", c->enc.language)) &&
	     cJSON_AddBoolToObject(o, "signature", h->time.signature) &&
	     cJSON_AddStringToObject(o, "version", h->time.version) &&
	     (h->time.has_zone ? cJSON_AddStringToObject(o, "time_zone", h->time.zone) != NULL
			       : cJSON_AddNullToObject(o, "time_zone") != NULL) &&
	     cJSON_AddNumberToObject(o, "bias_minutes", h->time.bias_minutes) &&
	     pdh_header_json(h, o) == 0 &&
	     cJSON_AddNumberToObject(o, "samples", (double)s->samples) &&
	     pdh_add_time(o, "first_utc_us", have, s->first_us) &&
	     pdh_add_time(o, "last_utc_us", have, s->last_us) &&
	     pdh_add_time(o, "start_utc_us", have, s->min_us) &&
	     pdh_add_time(o, "end_utc_us", have, s->max_us) &&
	     cJSON_AddNumberToObject(o, "duration_us", have ? (double)(s->max_us - s->min_us) : 0) &&
	     cJSON_AddNumberToObject(o, "interval_s", pdh_stats_median_interval_s(s)) &&
	     cJSON_AddNumberToObject(o, "time_steps_back", (double)s->backwards) &&
	     cJSON_AddNumberToObject(o, "rows_skipped", (double)c->rows_skipped) &&
	     cJSON_AddNumberToObject(o, "lines_ignored", (double)c->lines_ignored) &&
	     pdh_warn_json(&c->w, o) == 0;
	if (!ok) {
		cJSON_Delete(o);
		ingest_error_set(c->err, "out of memory while building the summary");
		return INGEST_ENOMEM;
	}
	rc = c->sink->summary(c->sink->ud, o);
	cJSON_Delete(o);
	return rc;
}

static int pdh_run(struct pdh_ctx *c, char sep)
{
	int rc = pdh_read_header(c, sep);
	if (rc)
		return rc;
	c->values = malloc(c->h.ncounters * sizeof *c->values);
	if (!c->values) {
		ingest_error_set(c->err, "out of memory for %zu counters", c->h.ncounters);
		return INGEST_ENOMEM;
	}
	if ((rc = pdh_counters(c)) != 0 || (rc = pdh_rows(c)) != 0)
		return rc;
	if (c->st.samples == 0 &&
	    (rc = pdh_warn(&c->w, PDH_W_NO_SAMPLES, "the log has a header but no data rows")))
		return rc;
	if ((rc = pdh_warn_flush(&c->w)) != 0)
		return rc;
	return pdh_summary(c, c->h.sep);
}

int pdh_text_parse_ex(FILE *f, char sep, const struct pdh_text_options *opt,
		      const struct ingest_sink *sink, struct ingest_error *err)
{
	struct pdh_ctx c;
	size_t block, max_line;
	int rc;

	memset(&c, 0, sizeof c);
	c.sink = sink;
	c.err = err;
	c.w.sink = sink;
	c.encoding = opt ? opt->encoding : NULL;
	c.transcoded_from = opt ? opt->transcoded_from : NULL;
	if (sep != ',' && sep != '\t') {
		ingest_error_set(err, "internal error: PDH separator must be ',' or TAB");
		return INGEST_EFORMAT;
	}
	block = opt && opt->block ? opt->block : PDH_TEXT_BLOCK;
	max_line = opt && opt->max_line ? opt->max_line : PDH_TEXT_MAX_LINE;
	if (block > PDH_TEXT_MAX_LINE) /* keep 2 * block and max_line + block far from overflow */
		block = PDH_TEXT_MAX_LINE;
	if (max_line > (size_t)1 << 40)
		max_line = (size_t)1 << 40;
	pdh_reader_init(&c.rd, f, block, max_line);
	pdh_stats_init(&c.st);
	c.c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c.c_locale == (locale_t)0) {
		ingest_error_set(err, "out of memory while starting the perfmon parser");
		rc = INGEST_ENOMEM;
	} else {
		rc = pdh_run(&c, sep);
	}
	if (c.c_locale != (locale_t)0)
		freelocale(c.c_locale);
	pdh_stats_free(&c.st);
	free(c.values);
	pdh_header_free(&c.h);
	pdh_reader_free(&c.rd);
	return rc;
}

int pdh_text_parse(FILE *f, char sep, const struct ingest_sink *sink, struct ingest_error *err)
{
	return pdh_text_parse_ex(f, sep, NULL, sink, err);
}
