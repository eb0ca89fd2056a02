/* xperf_line.h — the line grammar of `xperf -a dpcisr` reports: each function looks at one
 * line (pointer + length, no NUL needed), says whether it is that kind of line, and
 * extracts its numbers. No state, no allocation; runs of spaces are insignificant. */
#ifndef ETLSCOPE_XPERF_LINE_H
#define ETLSCOPE_XPERF_LINE_H

#include <stddef.h>
#include <stdint.h>

/* Largest number accepted anywhere (µs, counts): keeps ns conversions in range. */
#define XPERF_NUM_MAX (UINT64_C(1) << 52)

enum xperf_section { XPERF_SEC_NONE = -1, XPERF_SEC_DPC = 0, XPERF_SEC_ISR = 1 };

/* Trim spaces, tabs and CRs at both ends. */
void xperf_trim(const char **s, size_t *n);

/* "DPC Info" / "Interrupt Info" headings (also the "… Latency" and "ISR …" spellings),
 * the whole trimmed line, case-insensitive. Returns enum xperf_section or XPERF_SEC_NONE. */
int xperf_section_heading(const char *s, size_t n);

/* "Elapsed Time, > LO usecs AND <= HI usecs, COUNT, or PCT%"; the "AND <= HI usecs" part
 * may be missing (open-ended top bucket: open = 1, hi_us = 0); ", or PCT%" is optional.
 * Returns 1 parsed, 0 not a histogram line, -1 starts like one but is malformed. */
struct xperf_hist {
	uint64_t lo_us, hi_us, count;
	int open;
};
int xperf_hist_line(const char *s, size_t n, struct xperf_hist *out);

/* "Total = N for module NAME" (name: the rest of the line, trimmed, quotes kept) or the
 * all-modules "Total = N" (name_len = 0, *name = NULL). Returns 1, 0 (other line) or -1. */
int xperf_block_header(const char *s, size_t n, uint64_t *total, const char **name,
		       size_t *name_len);

/* Block footer "Total, N" or "Total," (hand-trimmed reports): has_total says which.
 * Returns 1 or 0. */
int xperf_block_footer(const char *s, size_t n, uint64_t *total, int *has_total);

/* "CPU Usage from A us to B us:" Returns 1 or 0. */
int xperf_usage_range(const char *s, size_t n, uint64_t *from_us, uint64_t *to_us);

/* The usage table's column header "CPU 0 Usage, CPU 1 Usage, …": the number of CPU
 * columns, numbered 0..n-1 in order (anything after the last one, e.g. "Module", is
 * ignored). Returns n > 0, or 0 when it is not such a line. */
uint32_t xperf_usage_header(const char *s, size_t n);

/* One usage row: ncpu cells "USEC PCT," then the module name (trimmed, quotes kept).
 * Calls cell(ud, cpu, usec) for each non-zero CPU cell after the whole row checked out
 * (cell = NULL: only check). Returns 1 for a valid row, 0 otherwise (nothing called);
 * *cb_rc holds a negative cell() result that stopped the row. */
int xperf_usage_row(const char *s, size_t n, uint32_t ncpu, const char **name,
		    size_t *name_len, int (*cell)(void *ud, uint32_t cpu, uint64_t usec),
		    void *ud, int *cb_rc);

/* Strip one pair of surrounding double quotes. */
void xperf_unquote(const char **s, size_t *n);

/* Starts with the given prefix (case-sensitive) after leading spaces. */
int xperf_starts(const char *s, size_t n, const char *prefix);

#endif
