/* wpa_csv.c — wpa_csv_parse(): reads a WPA CSV export of the DPC/ISR table. The header
 * decides everything (columns by name, units from the names); a first pass over the rows
 * votes the number locale (en-US "5,571.225" vs de-DE "1,176567818"), a second emits one
 * sink_dpcisr per DPC/ISR. Memory: one line (capped) and its cells, the module names.
 *
 * Which duration: "Inclusive Duration" (exit − enter of the DPC/ISR, nested interrupts
 * included) is what the ETL reader stores for ETW traces (event time − InitialTime), so an
 * export and its trace give the same histograms; it is read on the row with
 * "Count (DPCs/ISRs)" = 1 (the final fragment), once per DPC/ISR. Without it, "Exclusive
 * Duration" (the DPC/ISR's own time) is used with a warning. "Duration (Fragmented)" alone
 * is refused: it describes fragments, and counting fragments would invent DPCs. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "../pdh/pdh_reader.h"
#include "../pdh/pdh_utf8.h"
#include "../text_warn.h"
#include "wpa_cells.h"
#include "wpa_columns.h"
#include "wpa_csv.h"
#include "wpa_modules.h"
#include "wpa_number.h"

#define WPA_MAX_LINE_DEFAULT (1u << 20)
#define WPA_BLOCK_DEFAULT (64u << 10)
#define WPA_VOTE_LINES_DEFAULT 100000u

#define WPA_HOW_TO_EXPORT                                                                    \
	"In WPA open Computation > DPC/ISR, use an ungrouped layout (no columns left of the " \
	"gold bar) with the columns Type, DPC Type, Module, Function, CPU, Count (DPCs/ISRs), " \
	"Inclusive Duration (ms) and DPC/ISR Enter Time (s), then right-click the table > " \
	"Export (or use wpaexporter)."

struct wctx {
	const struct ingest_sink *sink;
	struct ingest_error *err;
	const struct wpa_options *o;
	FILE *f;
	long start;
	struct pdh_reader rd;
	struct text_warn w;
	struct wpa_columns cols;
	struct wpa_modules mods;
	enum wpa_locale loc;
	int loc_assumed;
	uint64_t votes[3];
	char *buf; /* a writable copy of the current line */
	size_t bufcap;
	struct wpa_cell cells[WPA_MAX_CELLS];
	uint64_t header_line;
	int dur_col;
	uint64_t rows, events, dpcs, isrs, fragment_rows, grouped_rows, skipped, clamped;
	int64_t t_first, t_last;
	uint32_t max_cpu;
};

static int nomem(struct wctx *c)
{
	ingest_error_set(c->err, "out of memory while reading the WPA export");
	return INGEST_ENOMEM;
}

static int sink_rc(struct wctx *c, int rc)
{
	ingest_error_set(c->err, "storing the export failed (sink error %d)", rc);
	return rc < 0 ? rc : INGEST_ESINK;
}

static int read_error(struct wctx *c, int st)
{
	switch (st) {
	case PDH_READ_EIO:
		ingest_error_set(c->err, "cannot read the file (I/O error)");
		return INGEST_EIO;
	case PDH_READ_ENOMEM:
		return nomem(c);
	default:
		ingest_error_set(c->err, "line %llu is longer than %zu bytes, the limit for a WPA "
				 "export line; the file is damaged or not a WPA export",
				 (unsigned long long)c->rd.line_no + 1, c->rd.max_line);
		return INGEST_EFORMAT;
	}
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != ',')
			return 0;
	return 1;
}

/* Copy the line into the writable buffer and split it. Returns the cell count or -1. */
static int split(struct wctx *c, const char *line, size_t len)
{
	if (len + 1 > c->bufcap) {
		size_t cap = len + 1 < 4096 ? 4096 : len + 1;
		char *b = realloc(c->buf, cap);
		if (!b)
			return -2;
		c->buf = b;
		c->bufcap = cap;
	}
	memcpy(c->buf, line, len);
	c->buf[len] = '\0';
	return wpa_cells_split(c->buf, len, c->cells, WPA_MAX_CELLS);
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

/* Ctrl+C copies from WPA: "Line #, DPC/ISR, Module, …", ", " separators, tree glyphs. */
static int clipboard_header(const char *s, size_t n)
{
	int commas = 0, spaced = 0;
	if (n >= 6 && memcmp(s, "Line #", 6) == 0)
		return 1;
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == ',') {
			commas++;
			spaced += s[i + 1] == ' ';
		}
	return commas >= 2 && spaced == commas;
}

static int has(const struct wctx *c, enum wpa_col col)
{
	return c->cols.idx[col] >= 0;
}

static void list_columns(struct wctx *c, char *out, size_t cap)
{
	size_t k = 0;
	out[0] = '\0';
	for (int i = 0; i < c->cols.ncells && i < 8 && k + 4 < cap; i++) {
		char snip[64];
		pdh_utf8_snippet(c->cells[i].s, c->cells[i].n, snip, sizeof snip);
		k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", snip);
		if (k >= cap)
			k = cap - 1;
	}
	if (c->cols.ncells > 8 && k + 6 < cap)
		snprintf(out + k, cap - k, ", …");
	ingest_utf8_trim_tail(out);
}

/* Decide what the header allows. Returns 0 or INGEST_EFORMAT with the reason. */
static int check_header(struct wctx *c)
{
	char cols[400];
	int dpcish = has(c, WPA_C_TYPE) || has(c, WPA_C_DPC_TYPE) || has(c, WPA_C_COUNT) ||
		     has(c, WPA_C_ENTER) || has(c, WPA_C_INCL) || has(c, WPA_C_EXCL) ||
		     has(c, WPA_C_FRAG);
	list_columns(c, cols, sizeof cols);
	if (!dpcish) {
		ingest_error_set(c->err, "not a DPC/ISR table: this WPA export has the columns %s "
				 "(another WPA table). " WPA_HOW_TO_EXPORT, cols);
		return INGEST_EFORMAT;
	}
	if (!has(c, WPA_C_ENTER) || !has(c, WPA_C_COUNT)) {
		ingest_error_set(c->err, "this DPC/ISR export is grouped or lacks columns: it has "
				 "no %s column, so its rows are not one per DPC/ISR and cannot be "
				 "placed in time (columns: %s). " WPA_HOW_TO_EXPORT,
				 !has(c, WPA_C_ENTER) ? "\"DPC/ISR Enter Time (s)\""
						      : "\"Count (DPCs/ISRs)\"", cols);
		return INGEST_EFORMAT;
	}
	if (has(c, WPA_C_INCL)) {
		c->dur_col = WPA_C_INCL;
	} else if (has(c, WPA_C_EXCL)) {
		c->dur_col = WPA_C_EXCL;
		text_warn(&c->w, "exclusive_duration", "no \"Inclusive Duration\" column: using "
			  "\"Exclusive Duration\", which leaves out time spent in nested interrupts, "
			  "so durations can be shorter than an ETW trace of the same run shows");
	} else {
		ingest_error_set(c->err, "this DPC/ISR export has no per-DPC/ISR duration: "
				 "\"Duration (Fragmented)\" is the time of one fragment (a DPC "
				 "interrupted by an ISR is split into several), so histograms of it "
				 "would count fragments, not DPCs. Add the \"Inclusive Duration (ms)\" "
				 "column. " WPA_HOW_TO_EXPORT);
		return INGEST_EFORMAT;
	}
	if (!has(c, WPA_C_TYPE) && !has(c, WPA_C_DPC_TYPE)) {
		ingest_error_set(c->err, "this DPC/ISR export has no \"Type\" column, so DPCs "
				 "cannot be told from ISRs. " WPA_HOW_TO_EXPORT);
		return INGEST_EFORMAT;
	}
	if (!has(c, WPA_C_CPU)) {
		ingest_error_set(c->err, "this DPC/ISR export has no \"CPU\" column. "
				 WPA_HOW_TO_EXPORT);
		return INGEST_EFORMAT;
	}
	if (!has(c, WPA_C_MODULE))
		text_warn(&c->w, "no_module_column", "no \"Module\" column: every DPC/ISR is "
			  "stored as unresolved");
	return 0;
}

/* Read up to the header. Returns 0 or an ingest status. */
static int read_header(struct wctx *c)
{
	const char *line;
	size_t len;
	int term, st, n;
	for (;;) {
		st = pdh_reader_next(&c->rd, &line, &len, &term);
		if (st == PDH_READ_EOF) {
			ingest_error_set(c->err, "the file is empty");
			return INGEST_EFORMAT;
		}
		if (st != PDH_READ_LINE)
			return read_error(c, st);
		if (c->rd.line_no == 1 && len >= 2 &&
		    (memcmp(line, "\xFF\xFE", 2) == 0 || memcmp(line, "\xFE\xFF", 2) == 0)) {
			ingest_error_set(c->err, "this WPA export is saved as UTF-16, which is not "
					 "supported; export it again from WPA (UTF-8)");
			return INGEST_EFORMAT;
		}
		if (c->rd.line_no == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
			line += 3;
			len -= 3;
		}
		if (!blank(line, len))
			break;
	}
	c->header_line = c->rd.line_no;
	{
		const char *s = line;
		size_t k = len;
		trim(&s, &k);
		if (clipboard_header(s, k)) {
			ingest_error_set(c->err, "this looks like text copied from WPA with Ctrl+C, "
					 "which is not CSV: cells are separated by \", \", numbers "
					 "are not quoted (so decimal commas are ambiguous) and stacks "
					 "are drawn as trees. Use right-click > Export on the table "
					 "instead (or wpaexporter).");
			return INGEST_EFORMAT;
		}
	}
	n = split(c, line, len);
	if (n == -2)
		return nomem(c);
	if (n < 2) {
		ingest_error_set(c->err, "not a WPA CSV export: the first line is not a header of "
				 "comma-separated column names");
		return INGEST_EFORMAT;
	}
	wpa_columns_map(c->cells, n, &c->cols);
	return check_header(c);
}

static const enum wpa_col vote_cols[] = {WPA_C_ENTER, WPA_C_INCL, WPA_C_EXCL, WPA_C_FRAG};

/* First pass: vote the locale on the decimal columns. Returns 0 or an ingest status. */
static int vote_locale(struct wctx *c)
{
	const char *line;
	size_t len, limit = c->o && c->o->vote_lines ? c->o->vote_lines : WPA_VOTE_LINES_DEFAULT;
	int term, st, n;
	for (size_t k = 0; k < limit; k++) {
		st = pdh_reader_next(&c->rd, &line, &len, &term);
		if (st == PDH_READ_EOF)
			break;
		if (st != PDH_READ_LINE)
			return read_error(c, st);
		n = split(c, line, len);
		if (n == -2)
			return nomem(c);
		for (size_t v = 0; v < sizeof vote_cols / sizeof vote_cols[0]; v++) {
			int i = c->cols.idx[vote_cols[v]];
			if (i >= 0 && i < n)
				c->votes[wpa_number_vote(c->cells[i].s, c->cells[i].n)]++;
		}
		if (c->votes[WPA_LOC_EN] + c->votes[WPA_LOC_DE] >= 64)
			break;
	}
	if (c->votes[WPA_LOC_EN] >= c->votes[WPA_LOC_DE] && c->votes[WPA_LOC_EN])
		c->loc = WPA_LOC_EN;
	else if (c->votes[WPA_LOC_DE])
		c->loc = WPA_LOC_DE;
	else {
		c->loc = WPA_LOC_EN;
		c->loc_assumed = 1;
	}
	if (c->votes[WPA_LOC_EN] && c->votes[WPA_LOC_DE])
		text_warn(&c->w, "mixed_locale", "numbers in both en-US and de-DE formats: read as "
			  "%s (%llu cells against %llu)", wpa_locale_name(c->loc),
			  (unsigned long long)c->votes[c->loc],
			  (unsigned long long)c->votes[c->loc == WPA_LOC_EN ? WPA_LOC_DE
									 : WPA_LOC_EN]);
	return 0;
}

/* Rewind to the first data row. Returns 0 or an ingest status. */
static int rewind_rows(struct wctx *c)
{
	const char *line;
	size_t len;
	int term, st;
	size_t block = c->rd.block, max_line = c->rd.max_line;
	pdh_reader_free(&c->rd);
	if (fseek(c->f, c->start, SEEK_SET) != 0) {
		ingest_error_set(c->err, "cannot read the WPA export twice (not seekable)");
		return INGEST_EIO;
	}
	pdh_reader_init(&c->rd, c->f, block, max_line);
	while (c->rd.line_no < c->header_line) {
		st = pdh_reader_next(&c->rd, &line, &len, &term);
		if (st != PDH_READ_LINE)
			return st == PDH_READ_EOF ? (ingest_error_set(c->err, "the file changed "
							"while it was read"), INGEST_EIO)
						  : read_error(c, st);
	}
	return 0;
}

static int skip(struct wctx *c, const char *code, const char *what)
{
	int rc = text_warn(&c->w, code, "line %llu: %s; row skipped",
			   (unsigned long long)c->rd.line_no, what);
	c->skipped++;
	return rc < 0 ? sink_rc(c, rc) : 0;
}

static int cell(const struct wctx *c, enum wpa_col col, int n, const char **s, size_t *len)
{
	int i = c->cols.idx[col];
	if (i < 0 || i >= n)
		return 0;
	*s = c->cells[i].s;
	*len = c->cells[i].n;
	trim(s, len);
	return 1;
}

static int eq_nocase(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	if (n != k)
		return 0;
	for (size_t i = 0; i < k; i++) {
		char a = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
		char b = w[i] >= 'A' && w[i] <= 'Z' ? (char)(w[i] + 32) : w[i];
		if (a != b)
			return 0;
	}
	return 1;
}

/* Kind from "Type" (DPC / Interrupt) refined by "DPC Type". -1 if unknown. */
static int row_kind(const struct wctx *c, int n)
{
	const char *t = NULL, *d = NULL;
	size_t tn = 0, dn = 0;
	int have_t = cell(c, WPA_C_TYPE, n, &t, &tn), have_d = cell(c, WPA_C_DPC_TYPE, n, &d, &dn);
	int dpc;
	if (have_t) {
		if (eq_nocase(t, tn, "DPC"))
			dpc = 1;
		else if (eq_nocase(t, tn, "Interrupt") || eq_nocase(t, tn, "ISR"))
			dpc = 0;
		else
			return -1;
	} else {
		dpc = have_d && dn > 0;
	}
	if (!dpc)
		return SINK_ISR;
	if (have_d && eq_nocase(d, dn, "Timer"))
		return SINK_TIMER_DPC;
	if (have_d && eq_nocase(d, dn, "Threaded"))
		return SINK_THREADED_DPC;
	return SINK_DPC;
}

static uint64_t parse_address(const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	else
		return 0;
	for (; i < n && i < 18; i++) {
		char ch = s[i];
		int d = ch >= '0' && ch <= '9' ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	return i == n ? v : 0;
}

static int on_row(struct wctx *c, const char *line, size_t len)
{
	const char *s;
	size_t sn;
	int64_t v, t_ns, dur;
	int n, kind, rc;
	int32_t module = -1;

	if (blank(line, len))
		return 0;
	c->rows++;
	n = split(c, line, len);
	if (n == -2)
		return nomem(c);
	if (n < 0)
		return skip(c, "bad_row", "an unclosed quote or too many cells");
	if (n < c->cols.ncells && n <= c->cols.idx[c->dur_col])
		return skip(c, "column_count", "fewer cells than the header");
	if (!cell(c, WPA_C_COUNT, n, &s, &sn) || wpa_number_scaled(s, sn, c->loc, 0, &v))
		return skip(c, "bad_value", "no readable \"Count (DPCs/ISRs)\"");
	if (v == 0) { /* not the final fragment: the DPC/ISR is counted on its last one */
		c->fragment_rows++;
		return 0;
	}
	if (v != 1) {
		c->grouped_rows++;
		return skip(c, "grouped_row", "a row that counts several DPCs/ISRs (grouped)");
	}
	if ((kind = row_kind(c, n)) < 0)
		return skip(c, "bad_type", "a \"Type\" that is neither DPC nor Interrupt");
	if (!cell(c, WPA_C_ENTER, n, &s, &sn) ||
	    wpa_number_scaled(s, sn, c->loc, c->cols.unit_digits[WPA_C_ENTER], &t_ns))
		return skip(c, "bad_value", "no readable enter time");
	if (!cell(c, (enum wpa_col)c->dur_col, n, &s, &sn) ||
	    wpa_number_scaled(s, sn, c->loc, c->cols.unit_digits[c->dur_col], &dur) || dur < 0)
		return skip(c, "bad_value", "no readable duration");
	if (!cell(c, WPA_C_CPU, n, &s, &sn) || wpa_number_scaled(s, sn, c->loc, 0, &v) || v < 0 ||
	    v > 65535)
		return skip(c, "bad_value", "no readable CPU number");
	if (dur > UINT32_MAX) {
		c->clamped++;
		rc = text_warn(&c->w, "duration_clamped", "line %llu: a duration over 4.29 s was "
			       "stored as 4.29 s", (unsigned long long)c->rd.line_no);
		if (rc < 0)
			return sink_rc(c, rc);
		dur = UINT32_MAX;
	}
	struct sink_dpcisr e = {.t_ns = t_ns, .duration_ns = (uint32_t)dur, .cpu = (uint16_t)v,
				.kind = (uint8_t)kind};
	if (cell(c, WPA_C_MODULE, n, &s, &sn)) {
		char *conv = NULL;
		if (!pdh_utf8_valid(s, sn)) { /* not UTF-8: read as Windows-1252 */
			if (!(conv = pdh_utf8_from_cp1252(s, sn)))
				return nomem(c);
			s = conv;
			sn = strlen(conv);
		}
		rc = wpa_modules_id(&c->mods, c->sink, s, sn, &module);
		free(conv);
		if (rc == -3)
			return nomem(c);
		if (rc < 0)
			return sink_rc(c, rc);
	}
	e.module_id = module;
	if (cell(c, WPA_C_ADDRESS, n, &s, &sn))
		e.routine = parse_address(s, sn);
	if ((rc = c->sink->dpcisr(c->sink->ud, &e)) < 0)
		return sink_rc(c, rc);
	if (c->events == 0 || t_ns < c->t_first)
		c->t_first = t_ns;
	if (c->events == 0 || t_ns > c->t_last)
		c->t_last = t_ns;
	if ((uint32_t)v > c->max_cpu)
		c->max_cpu = (uint32_t)v;
	c->events++;
	if (kind == SINK_ISR || kind == SINK_ISR_MSI)
		c->isrs++;
	else
		c->dpcs++;
	return 0;
}

static int send_summary(struct wctx *c)
{
	cJSON *s = cJSON_CreateObject();
	int rc;
	if (!s)
		return nomem(c);
	cJSON_AddStringToObject(s, "export", "wpa-csv");
	cJSON_AddStringToObject(s, "table", "dpc-isr");
	cJSON_AddStringToObject(s, "locale", wpa_locale_name(c->loc));
	cJSON_AddBoolToObject(s, "locale_assumed", c->loc_assumed);
	cJSON_AddStringToObject(s, "duration_column", c->dur_col == WPA_C_INCL
							? "Inclusive Duration" : "Exclusive Duration");
	cJSON_AddNumberToObject(s, "rows", (double)c->rows);
	cJSON_AddNumberToObject(s, "dpcisr", (double)c->events);
	cJSON_AddNumberToObject(s, "dpc", (double)c->dpcs);
	cJSON_AddNumberToObject(s, "isr", (double)c->isrs);
	cJSON_AddNumberToObject(s, "fragment_rows", (double)c->fragment_rows);
	cJSON_AddNumberToObject(s, "rows_skipped", (double)c->skipped);
	cJSON_AddNumberToObject(s, "modules", (double)c->mods.n);
	cJSON_AddNumberToObject(s, "ncpus", c->events ? c->max_cpu + 1 : 0);
	if (c->events) {
		cJSON_AddNumberToObject(s, "t_first_ns", (double)c->t_first);
		cJSON_AddNumberToObject(s, "t_last_ns", (double)c->t_last);
	}
	if (text_warn_json(&c->w, s)) {
		cJSON_Delete(s);
		return nomem(c);
	}
	rc = c->sink->summary ? c->sink->summary(c->sink->ud, s) : 0;
	cJSON_Delete(s);
	return rc < 0 ? sink_rc(c, rc) : 0;
}

static int parse(struct wctx *c)
{
	const char *line;
	size_t len;
	int term, st, rc;
	if ((rc = read_header(c)) || (rc = vote_locale(c)) || (rc = rewind_rows(c)))
		return rc;
	while ((st = pdh_reader_next(&c->rd, &line, &len, &term)) == PDH_READ_LINE) {
		uint64_t warned = text_warn_total(&c->w);
		if ((rc = on_row(c, line, len)))
			return rc;
		if ((rc = text_warn_cut_line(&c->w, warned, term, c->rd.line_no)) < 0)
			return sink_rc(c, rc);
	}
	if (st != PDH_READ_EOF)
		return read_error(c, st);
	if (c->events == 0) {
		ingest_error_set(c->err, c->grouped_rows
				 ? "this DPC/ISR export is grouped: its rows count several DPCs/ISRs "
				   "each. " WPA_HOW_TO_EXPORT
				 : "no DPC/ISR rows in this WPA export (rows with \"Count (DPCs/ISRs)\" "
				   "= 1 hold one DPC/ISR each; see the warnings)");
		return INGEST_EFORMAT;
	}
	if (c->mods.full)
		text_warn(&c->w, "too_many_modules", "more than %d module names: the rest are "
			  "stored as unresolved", WPA_MODULES_MAX);
	if ((st = text_warn_flush(&c->w)) < 0)
		return sink_rc(c, st);
	return send_summary(c);
}

int wpa_csv_parse_ex(FILE *f, const struct wpa_options *o, const struct ingest_sink *sink,
		     struct ingest_error *err)
{
	struct wctx *c;
	int rc;
	if (!sink->dpcisr || !sink->module) {
		ingest_error_set(err, "this store cannot hold DPC/ISR records");
		return INGEST_EFORMAT;
	}
	if (!(c = calloc(1, sizeof *c))) {
		ingest_error_set(err, "out of memory while reading the WPA export");
		return INGEST_ENOMEM;
	}
	c->sink = sink;
	c->err = err;
	c->o = o;
	c->f = f;
	c->start = ftell(f);
	text_warn_init(&c->w, sink);
	wpa_modules_init(&c->mods);
	pdh_reader_init(&c->rd, f, o && o->block ? o->block : WPA_BLOCK_DEFAULT,
			o && o->max_line ? o->max_line : WPA_MAX_LINE_DEFAULT);
	if (c->start < 0) {
		ingest_error_set(err, "cannot read the WPA export twice (not seekable)");
		rc = INGEST_EIO;
	} else {
		rc = parse(c);
	}
	pdh_reader_free(&c->rd);
	wpa_modules_free(&c->mods);
	free(c->buf);
	free(c);
	return rc;
}

int wpa_csv_parse(FILE *f, const struct ingest_sink *sink, struct ingest_error *err)
{
	return wpa_csv_parse_ex(f, NULL, sink, err);
}
