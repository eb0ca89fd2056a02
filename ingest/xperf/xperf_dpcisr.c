/* xperf_dpcisr.c — xperf_dpcisr_parse(): a line-by-line state machine over a `xperf -a
 * dpcisr` report. It tracks the section (DPC Info / Interrupt Info), the current histogram
 * block ("Total = N [for module X]" … "Total, N") and the per-CPU usage table, emits each
 * bucket and non-zero usage cell as soon as it is read, checks totals, and ends with a
 * summary of what the report covered. Memory: one line (capped), the current block's name,
 * and a capped list of blocks for the summary. Other lines (interval tables, headings,
 * notes) are counted and skipped. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "../pdh/pdh_reader.h"
#include "../pdh/pdh_utf8.h"
#include "../text_warn.h"
#include "xperf_dpcisr.h"
#include "xperf_line.h"

#define XPERF_MAX_LINE_DEFAULT (1u << 20)
#define XPERF_BLOCK_DEFAULT (64u << 10)
#define XPERF_NAME_MAX 255
#define XPERF_SUMMARY_BLOCKS 200

struct xblock {
	int active;
	uint32_t index;
	int all_modules;
	char name[XPERF_NAME_MAX * 3 + 1]; /* after a Windows-1252 → UTF-8 conversion */
	int kind;
	uint64_t declared, sum, prev_hi_us, nbuckets;
	uint64_t max_lo_us, max_hi_us; /* highest non-empty bucket */
	int max_open, have_max, open_seen, footer_seen;
	uint64_t first_line;
};

struct xctx {
	const struct ingest_sink *sink;
	struct ingest_error *err;
	struct pdh_reader rd;
	struct text_warn w;
	int section;       /* enum xperf_section */
	int sections_seen; /* bit per section */
	struct xblock b;
	uint32_t nblocks;
	uint64_t nbuckets, counted[2], all_counted[2];
	uint32_t usage_ncpu, max_ncpu; /* current usage table width (0 = not in one) */
	int expect_usage_header;
	uint64_t usage_cells, usage_rows, usage_us[2];
	int usage_kind;
	char usage_name[XPERF_NAME_MAX * 3 + 1];
	int have_range;
	uint64_t range_from_us, range_to_us;
	uint64_t lines_ignored, self_checks, self_check_failed;
	cJSON *blocks; /* summary list (capped) */
};

static const char *kind_name(int k)
{
	return k == XPERF_SEC_ISR ? "isr" : "dpc";
}

static int nomem(struct xctx *c)
{
	ingest_error_set(c->err, "out of memory while reading the xperf report");
	return INGEST_ENOMEM;
}

static int sink_rc(struct xctx *c, int rc)
{
	ingest_error_set(c->err, "storing the report failed (sink error %d)", rc);
	return rc < 0 ? rc : INGEST_ESINK;
}

/* Copy a module name for the sink: unquoted, capped, valid UTF-8 (xperf writes ANSI text:
 * anything that is not UTF-8 is read as Windows-1252). Returns 0, or -1 on OOM. */
static int copy_name(struct xctx *c, const char *s, size_t n, char *out, size_t cap)
{
	int utf8;
	xperf_unquote(&s, &n);
	xperf_trim(&s, &n);
	utf8 = pdh_utf8_valid(s, n); /* decided on the whole name, before any cut */
	if (n > XPERF_NAME_MAX) {
		text_warn(&c->w, "long_module_name", "line %llu: a module name longer than %d bytes "
			  "was cut", (unsigned long long)c->rd.line_no, XPERF_NAME_MAX);
		n = XPERF_NAME_MAX;
	}
	if (utf8) {
		while (n && !pdh_utf8_valid(s, n)) /* the cut split a character */
			n--;
		memcpy(out, s, n);
		out[n] = '\0';
		return 0;
	}
	char *u = pdh_utf8_from_cp1252(s, n);
	if (!u)
		return -1;
	snprintf(out, cap, "%s", u);
	free(u);
	ingest_utf8_trim_tail(out);
	return 0;
}

static int finish_block(struct xctx *c)
{
	struct xblock *b = &c->b;
	if (!b->active)
		return 0;
	b->active = 0;
	if (b->declared != b->sum) {
		int rc = text_warn(&c->w, "total_mismatch",
				   "the histogram starting on line %llu (%s) declares %llu but its "
				   "buckets add up to %llu",
				   (unsigned long long)b->first_line,
				   b->all_modules ? "all modules" : b->name,
				   (unsigned long long)b->declared, (unsigned long long)b->sum);
		if (rc < 0)
			return sink_rc(c, rc);
	}
	if (cJSON_GetArraySize(c->blocks) >= XPERF_SUMMARY_BLOCKS)
		return 0;
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(c->blocks, o))
		return cJSON_Delete(o), nomem(c);
	cJSON_AddNumberToObject(o, "block", b->index);
	cJSON_AddStringToObject(o, "kind", kind_name(b->kind));
	if (b->all_modules)
		cJSON_AddNullToObject(o, "module");
	else
		cJSON_AddStringToObject(o, "module", b->name);
	cJSON_AddNumberToObject(o, "total", (double)b->declared);
	cJSON_AddNumberToObject(o, "count", (double)b->sum);
	cJSON_AddNumberToObject(o, "buckets", (double)b->nbuckets);
	if (b->have_max) {
		cJSON *m = cJSON_AddArrayToObject(o, "max_bucket_us");
		if (m) {
			cJSON_AddItemToArray(m, cJSON_CreateNumber((double)b->max_lo_us));
			cJSON_AddItemToArray(m, b->max_open ? cJSON_CreateNull()
							    : cJSON_CreateNumber((double)b->max_hi_us));
		}
	}
	return 0;
}

static int start_block(struct xctx *c, uint64_t total, const char *name, size_t name_len)
{
	int rc = finish_block(c);
	if (rc)
		return rc;
	if (c->section == XPERF_SEC_NONE) {
		/* Whether these are DPCs or ISRs is unknowable: better skipped than guessed. */
		rc = text_warn(&c->w, "no_section", "line %llu: a histogram before any \"DPC Info\" "
			       "or \"Interrupt Info\" heading was skipped (it cannot be told whether "
			       "it counts DPCs or ISRs)", (unsigned long long)c->rd.line_no);
		return rc < 0 ? sink_rc(c, rc) : 0;
	}
	memset(&c->b, 0, sizeof c->b);
	c->b.active = 1;
	c->b.index = c->nblocks++;
	c->b.kind = c->section;
	c->b.declared = total;
	c->b.first_line = c->rd.line_no;
	c->b.all_modules = name == NULL;
	if (name && copy_name(c, name, name_len, c->b.name, sizeof c->b.name))
		return nomem(c);
	if (name && !c->b.name[0])
		snprintf(c->b.name, sizeof c->b.name, "Unknown");
	return 0;
}

static int on_bucket(struct xctx *c, const struct xperf_hist *h)
{
	struct xblock *b = &c->b;
	int rc;
	if (!b->active) {
		rc = text_warn(&c->w, "orphan_bucket", "line %llu: a histogram row outside a "
			       "\"Total = N for module\" block was skipped",
			       (unsigned long long)c->rd.line_no);
		return rc < 0 ? sink_rc(c, rc) : 0;
	}
	if (b->open_seen || (b->nbuckets && h->lo_us < b->prev_hi_us)) {
		rc = text_warn(&c->w, "bucket_order", "line %llu: a histogram row that overlaps or "
			       "follows the open top bucket was skipped",
			       (unsigned long long)c->rd.line_no);
		return rc < 0 ? sink_rc(c, rc) : 0;
	}
	if (b->sum + h->count > XPERF_NUM_MAX) {
		rc = text_warn(&c->w, "bad_count", "line %llu: an implausible count was skipped",
			       (unsigned long long)c->rd.line_no);
		return rc < 0 ? sink_rc(c, rc) : 0;
	}
	struct sink_dpcisr_bucket sb = {
		.block = b->index,
		.module = b->all_modules ? NULL : b->name,
		.kind = b->kind == XPERF_SEC_ISR ? SINK_ISR : SINK_DPC,
		.lo_ns = h->lo_us * 1000,
		.hi_ns = h->open ? UINT64_MAX : h->hi_us * 1000,
		.count = h->count,
	};
	rc = c->sink->dpcisr_bucket(c->sink->ud, &sb);
	if (rc < 0)
		return sink_rc(c, rc);
	b->nbuckets++;
	c->nbuckets++;
	b->sum += h->count;
	b->prev_hi_us = h->hi_us;
	b->open_seen = h->open;
	if (h->count) {
		b->have_max = 1;
		b->max_lo_us = h->lo_us;
		b->max_hi_us = h->hi_us;
		b->max_open = h->open;
	}
	if (b->all_modules)
		c->all_counted[b->kind] += h->count;
	else
		c->counted[b->kind] += h->count;
	return 0;
}

static int on_usage_cell(void *ud, uint32_t cpu, uint64_t usec)
{
	struct xctx *c = ud;
	struct sink_dpcisr_usage u = {c->usage_name, (uint8_t)(c->usage_kind == XPERF_SEC_ISR
							      ? SINK_ISR : SINK_DPC),
				      (uint16_t)cpu, usec};
	c->usage_cells++;
	c->usage_us[c->usage_kind] += usec;
	return c->sink->dpcisr_usage(c->sink->ud, &u);
}

/* Returns 1 when the line was a usage row, 0 when it is not one, <0 on error. */
static int handle_usage(struct xctx *c, const char *line, size_t len)
{
	const char *name;
	size_t nlen;
	int cb_rc = 0;
	if (!xperf_usage_row(line, len, c->usage_ncpu, &name, &nlen, NULL, NULL, &cb_rc))
		return 0;
	if (copy_name(c, name, nlen, c->usage_name, sizeof c->usage_name))
		return nomem(c);
	c->usage_kind = c->section;
	xperf_usage_row(line, len, c->usage_ncpu, &name, &nlen, on_usage_cell, c, &cb_rc);
	if (cb_rc < 0)
		return sink_rc(c, cb_rc);
	c->usage_rows++;
	return 1;
}

static int read_error(struct xctx *c, int st)
{
	switch (st) {
	case PDH_READ_EIO:
		ingest_error_set(c->err, "cannot read the file (I/O error)");
		return INGEST_EIO;
	case PDH_READ_ENOMEM:
		return nomem(c);
	default:
		ingest_error_set(c->err, "line %llu is longer than %zu bytes, the limit for an "
				 "xperf report line; the file is damaged or not an xperf report",
				 (unsigned long long)c->rd.line_no + 1, c->rd.max_line);
		return INGEST_EFORMAT;
	}
}

static int is_rule(const char *s, size_t n)
{
	xperf_trim(&s, &n);
	if (n < 3)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '-' && s[i] != '=')
			return 0;
	return 1;
}

/* One line. Returns 0 or an ingest status. */
static int on_line(struct xctx *c, const char *line, size_t len)
{
	struct xperf_hist h;
	uint64_t total, a, b;
	const char *name;
	size_t nlen;
	int has, rc, sec;

	if (c->usage_ncpu) { /* inside a per-CPU usage table */
		if (xperf_starts(line, len, "usec") && memmem(line, len, "Module", 6))
			return 0; /* the unit line under the CPU columns */
		if (c->section != XPERF_SEC_NONE && (rc = handle_usage(c, line, len)) != 0)
			return rc < 0 ? rc : 0;
		c->usage_ncpu = 0;
	}
	if (c->expect_usage_header) {
		uint32_t n = xperf_usage_header(line, len);
		if (n) {
			c->usage_ncpu = n;
			if (n > c->max_ncpu)
				c->max_ncpu = n;
			c->expect_usage_header = 0;
			return 0;
		}
	}
	if ((rc = xperf_hist_line(line, len, &h)) != 0) {
		if (rc > 0)
			return on_bucket(c, &h);
		rc = text_warn(&c->w, "bad_row", "line %llu: a malformed \"Elapsed Time\" row was "
			       "skipped", (unsigned long long)c->rd.line_no);
		return rc < 0 ? sink_rc(c, rc) : 0;
	}
	if ((rc = xperf_block_header(line, len, &total, &name, &nlen)) != 0) {
		if (rc > 0)
			return start_block(c, total, name, nlen);
		rc = text_warn(&c->w, "bad_row", "line %llu: a malformed \"Total =\" line was "
			       "skipped", (unsigned long long)c->rd.line_no);
		return rc < 0 ? sink_rc(c, rc) : 0;
	}
	if (xperf_block_footer(line, len, &total, &has)) {
		if (!c->b.active)
			return 0;
		c->b.footer_seen = 1;
		if (has && total != c->b.declared) {
			rc = text_warn(&c->w, "total_mismatch", "line %llu: the footer says %llu, the "
				       "header said %llu", (unsigned long long)c->rd.line_no,
				       (unsigned long long)total, (unsigned long long)c->b.declared);
			if (rc < 0)
				return sink_rc(c, rc);
		}
		return finish_block(c);
	}
	if ((sec = xperf_section_heading(line, len)) != XPERF_SEC_NONE) {
		if ((rc = finish_block(c)))
			return rc;
		c->section = sec;
		c->sections_seen |= 1 << sec;
		c->expect_usage_header = 0;
		return 0;
	}
	if (xperf_usage_range(line, len, &a, &b)) {
		c->expect_usage_header = 1;
		if (!c->have_range || a < c->range_from_us)
			c->range_from_us = a;
		if (!c->have_range || b > c->range_to_us)
			c->range_to_us = b;
		c->have_range = 1;
		return 0;
	}
	if (xperf_starts(line, len, "CPU Usage Summing By Module")) {
		c->expect_usage_header = 1;
		return 0;
	}
	if (xperf_starts(line, len, "All Module")) { /* "All Module = N, Total = N, EQUAL" */
		c->self_checks++;
		{
			const char *s = line;
			size_t n = len;
			xperf_trim(&s, &n);
			if (n < 5 || memcmp(s + n - 5, "EQUAL", 5) != 0 ||
			    (n >= 9 && memcmp(s + n - 9, "NOT EQUAL", 9) == 0))
				c->self_check_failed++;
		}
		return finish_block(c);
	}
	{
		const char *s = line;
		size_t n = len;
		xperf_trim(&s, &n);
		if (n == 0 || is_rule(s, n))
			return 0;
	}
	c->expect_usage_header = 0;
	c->lines_ignored++;
	return 0;
}

static int send_summary(struct xctx *c)
{
	cJSON *s = cJSON_CreateObject(), *a;
	int rc;
	if (!s)
		return nomem(c);
	cJSON_AddStringToObject(s, "report", "xperf -a dpcisr");
	cJSON_AddStringToObject(s, "contents", "histograms");
	cJSON_AddStringToObject(s, "note", "pre-bucketed histograms and per-CPU usage from a "
			       "text report: no individual DPC/ISR events, times or routines");
	a = cJSON_AddArrayToObject(s, "sections");
	if (a) {
		if (c->sections_seen & 1)
			cJSON_AddItemToArray(a, cJSON_CreateString("dpc"));
		if (c->sections_seen & 2)
			cJSON_AddItemToArray(a, cJSON_CreateString("isr"));
	}
	cJSON_AddNumberToObject(s, "histogram_blocks", c->nblocks);
	cJSON_AddNumberToObject(s, "buckets", (double)c->nbuckets);
	cJSON *cnt = cJSON_AddObjectToObject(s, "counted");
	if (cnt) {
		cJSON_AddNumberToObject(cnt, "dpc", (double)c->counted[0]);
		cJSON_AddNumberToObject(cnt, "isr", (double)c->counted[1]);
	}
	cnt = cJSON_AddObjectToObject(s, "counted_all_modules");
	if (cnt) {
		cJSON_AddNumberToObject(cnt, "dpc", (double)c->all_counted[0]);
		cJSON_AddNumberToObject(cnt, "isr", (double)c->all_counted[1]);
	}
	cJSON_AddNumberToObject(s, "cpus", c->max_ncpu);
	cJSON_AddNumberToObject(s, "usage_rows", (double)c->usage_rows);
	cJSON_AddNumberToObject(s, "usage_cells", (double)c->usage_cells);
	if (c->have_range) {
		a = cJSON_AddArrayToObject(s, "range_us");
		if (a) {
			cJSON_AddItemToArray(a, cJSON_CreateNumber((double)c->range_from_us));
			cJSON_AddItemToArray(a, cJSON_CreateNumber((double)c->range_to_us));
		}
	}
	cJSON_AddNumberToObject(s, "self_checks", (double)c->self_checks);
	cJSON_AddNumberToObject(s, "self_checks_failed", (double)c->self_check_failed);
	cJSON_AddNumberToObject(s, "lines_ignored", (double)c->lines_ignored);
	cJSON_AddItemReferenceToObject(s, "blocks", c->blocks);
	if (c->nblocks > XPERF_SUMMARY_BLOCKS)
		cJSON_AddBoolToObject(s, "blocks_truncated", 1);
	if (text_warn_json(&c->w, s)) {
		cJSON_Delete(s);
		return nomem(c);
	}
	rc = c->sink->summary ? c->sink->summary(c->sink->ud, s) : 0;
	cJSON_Delete(s);
	return rc < 0 ? sink_rc(c, rc) : 0;
}

int xperf_dpcisr_parse_ex(FILE *f, const struct xperf_options *o,
			  const struct ingest_sink *sink, struct ingest_error *err)
{
	struct xctx c;
	const char *line;
	size_t len;
	int term, st, rc = 0;

	if (!sink->dpcisr_bucket || !sink->dpcisr_usage) {
		ingest_error_set(err, "this store cannot hold pre-bucketed DPC/ISR histograms");
		return INGEST_EFORMAT;
	}
	memset(&c, 0, sizeof c);
	c.sink = sink;
	c.err = err;
	c.section = XPERF_SEC_NONE;
	text_warn_init(&c.w, sink);
	pdh_reader_init(&c.rd, f, o && o->block ? o->block : XPERF_BLOCK_DEFAULT,
			o && o->max_line ? o->max_line : XPERF_MAX_LINE_DEFAULT);
	if (!(c.blocks = cJSON_CreateArray())) {
		pdh_reader_free(&c.rd);
		return nomem(&c);
	}
	while ((st = pdh_reader_next(&c.rd, &line, &len, &term)) == PDH_READ_LINE) {
		if (c.rd.line_no == 1 && len >= 2 &&
		    (memcmp(line, "\xFF\xFE", 2) == 0 || memcmp(line, "\xFE\xFF", 2) == 0)) {
			ingest_error_set(err, "this xperf report is saved as UTF-16, which is not "
					 "supported; save it as ANSI or UTF-8 text");
			rc = INGEST_EFORMAT;
			goto out;
		}
		if (c.rd.line_no == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
			line += 3;
			len -= 3;
		}
		uint64_t warned = text_warn_total(&c.w);
		if ((rc = on_line(&c, line, len)) != 0)
			goto out;
		if ((rc = text_warn_cut_line(&c.w, warned, term, c.rd.line_no)) < 0) {
			rc = sink_rc(&c, rc);
			goto out;
		}
	}
	if (st != PDH_READ_EOF) {
		rc = read_error(&c, st);
		goto out;
	}
	if ((rc = finish_block(&c)))
		goto out;
	if (c.nbuckets == 0 && c.usage_cells == 0) {
		ingest_error_set(err, c.nblocks || c.w.n
				 ? "no usable DPC/ISR histogram in this xperf report (see the "
				   "warnings: histograms need a \"DPC Info\" or \"Interrupt Info\" "
				   "heading before them)"
				 : "not an xperf -a dpcisr report: no \"Elapsed Time, > … usecs\" "
				   "histogram rows and no per-CPU usage table were found");
		rc = INGEST_EFORMAT;
		goto out;
	}
	if ((st = text_warn_flush(&c.w)) < 0) {
		rc = sink_rc(&c, st);
		goto out;
	}
	rc = send_summary(&c);
out:
	cJSON_Delete(c.blocks);
	pdh_reader_free(&c.rd);
	return rc;
}

int xperf_dpcisr_parse(FILE *f, const struct ingest_sink *sink, struct ingest_error *err)
{
	return xperf_dpcisr_parse_ex(f, NULL, sink, err);
}
