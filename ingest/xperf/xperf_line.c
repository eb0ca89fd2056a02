/* xperf_line.c — the line grammar of `xperf -a dpcisr` reports (see xperf_line.h). */
#include <ctype.h>
#include <string.h>
#include "xperf_line.h"

struct cur {
	const char *p, *e;
};

static void sp(struct cur *c)
{
	while (c->p < c->e && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static int lit(struct cur *c, const char *w)
{
	size_t k = strlen(w);
	sp(c);
	if ((size_t)(c->e - c->p) < k || memcmp(c->p, w, k) != 0)
		return 0;
	c->p += k;
	return 1;
}

static int num(struct cur *c, uint64_t *v)
{
	uint64_t x = 0;
	const char *s;
	sp(c);
	s = c->p;
	while (c->p < c->e && *c->p >= '0' && *c->p <= '9') {
		x = x * 10 + (uint64_t)(*c->p - '0');
		if (x > XPERF_NUM_MAX)
			return 0;
		c->p++;
	}
	if (c->p == s)
		return 0;
	*v = x;
	return 1;
}

/* A percentage "12.34" (digits, optional fraction); value unused. */
static int pct(struct cur *c)
{
	const char *s;
	sp(c);
	s = c->p;
	while (c->p < c->e && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.'))
		c->p++;
	return c->p > s;
}

static int at_end(struct cur *c)
{
	sp(c);
	return c->p == c->e;
}

void xperf_trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t' || **s == '\r')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

void xperf_unquote(const char **s, size_t *n)
{
	if (*n >= 2 && (*s)[0] == '"' && (*s)[*n - 1] == '"') {
		(*s)++;
		*n -= 2;
	}
}

int xperf_starts(const char *s, size_t n, const char *prefix)
{
	struct cur c = {s, s + n};
	return lit(&c, prefix);
}

static int eq_nocase(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	if (n != k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (tolower((unsigned char)s[i]) != tolower((unsigned char)w[i]))
			return 0;
	return 1;
}

int xperf_section_heading(const char *s, size_t n)
{
	static const char *const dpc[] = {"DPC Info", "DPC Latency", "DPCs"};
	static const char *const isr[] = {"Interrupt Info", "Interrupt Latency", "ISR Info",
					  "ISR Latency", "Interrupts", "ISRs"};
	xperf_trim(&s, &n);
	for (size_t i = 0; i < sizeof dpc / sizeof dpc[0]; i++)
		if (eq_nocase(s, n, dpc[i]))
			return XPERF_SEC_DPC;
	for (size_t i = 0; i < sizeof isr / sizeof isr[0]; i++)
		if (eq_nocase(s, n, isr[i]))
			return XPERF_SEC_ISR;
	return XPERF_SEC_NONE;
}

int xperf_hist_line(const char *s, size_t n, struct xperf_hist *out)
{
	struct cur c = {s, s + n};
	memset(out, 0, sizeof *out);
	if (!lit(&c, "Elapsed Time,"))
		return 0;
	if (!lit(&c, ">") || !num(&c, &out->lo_us) || !lit(&c, "usecs"))
		return -1;
	if (lit(&c, "AND")) {
		if (!lit(&c, "<=") || !num(&c, &out->hi_us) || !lit(&c, "usecs"))
			return -1;
		if (out->hi_us <= out->lo_us)
			return -1;
	} else {
		out->open = 1;
	}
	if (!lit(&c, ",") || !num(&c, &out->count))
		return -1;
	if (lit(&c, ",")) {
		if (!lit(&c, "or") || !pct(&c) || !lit(&c, "%"))
			return -1;
	}
	return at_end(&c) ? 1 : -1;
}

int xperf_block_header(const char *s, size_t n, uint64_t *total, const char **name,
		       size_t *name_len)
{
	struct cur c = {s, s + n};
	*name = NULL;
	*name_len = 0;
	if (!lit(&c, "Total") || !lit(&c, "="))
		return 0;
	if (!num(&c, total))
		return -1;
	if (at_end(&c))
		return 1;
	if (!lit(&c, "for module"))
		return -1;
	if (c.p < c.e && *c.p != ' ' && *c.p != '\t')
		return -1;
	sp(&c);
	*name = c.p;
	*name_len = (size_t)(c.e - c.p);
	xperf_trim(name, name_len);
	return 1;
}

int xperf_block_footer(const char *s, size_t n, uint64_t *total, int *has_total)
{
	struct cur c = {s, s + n};
	*has_total = 0;
	if (!lit(&c, "Total") || !lit(&c, ","))
		return 0;
	if (at_end(&c))
		return 1;
	if (!num(&c, total) || !at_end(&c))
		return 0;
	*has_total = 1;
	return 1;
}

int xperf_usage_range(const char *s, size_t n, uint64_t *from_us, uint64_t *to_us)
{
	struct cur c = {s, s + n};
	return lit(&c, "CPU Usage from") && num(&c, from_us) && lit(&c, "us") &&
	       lit(&c, "to") && num(&c, to_us) && lit(&c, "us") && lit(&c, ":") && at_end(&c);
}

uint32_t xperf_usage_header(const char *s, size_t n)
{
	struct cur c = {s, s + n};
	uint32_t k = 0;
	for (;;) {
		uint64_t cpu;
		if (!lit(&c, "CPU") || !num(&c, &cpu) || cpu != k || !lit(&c, "Usage"))
			return 0;
		k++;
		if (k > 4096)
			return 0;
		if (at_end(&c))
			return k;
		if (!lit(&c, ","))
			return 0;
		/* ends after the last CPU column (a trailing "Module" or "..." allowed) */
		if (at_end(&c) || !xperf_starts(c.p, (size_t)(c.e - c.p), "CPU"))
			return k;
	}
}

int xperf_usage_row(const char *s, size_t n, uint32_t ncpu, const char **name,
		    size_t *name_len, int (*cell)(void *ud, uint32_t cpu, uint64_t usec),
		    void *ud, int *cb_rc)
{
	struct cur c = {s, s + n};
	uint64_t v = 0;
	*cb_rc = 0;
	for (uint32_t i = 0; i < ncpu; i++) /* check the whole row first */
		if (!num(&c, &v) || !pct(&c) || !lit(&c, ","))
			return 0;
	sp(&c);
	*name = c.p;
	*name_len = (size_t)(c.e - c.p);
	xperf_trim(name, name_len);
	if (*name_len == 0 || memchr(*name, ',', *name_len))
		return 0;
	if (!cell)
		return 1;
	c.p = s;
	for (uint32_t i = 0; i < ncpu; i++) {
		v = 0; /* num() succeeds here: the row was checked above */
		num(&c, &v);
		pct(&c);
		lit(&c, ",");
		if (v && (*cb_rc = cell(ud, i, v)) < 0)
			return 1;
	}
	return 1;
}
