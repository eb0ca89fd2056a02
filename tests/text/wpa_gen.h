/* wpa_gen.h — writes WPA-style CSV exports of the DPC/ISR table for tests: one set of
 * records, rendered in the en-US or de-DE number format (grouping, decimal comma, quoting
 * as WPA does), with non-final fragment rows (Count (DPCs/ISRs) = 0) before some records. */
#ifndef ETLSCOPE_WPA_GEN_H
#define ETLSCOPE_WPA_GEN_H

#include <stddef.h>
#include <stdint.h>

struct wg_rec {
	int64_t t_ns;
	uint32_t incl_ns, excl_ns;
	uint16_t cpu;
	uint8_t kind; /* enum sink_dpcisr_kind: DPC, TIMER_DPC or ISR */
	const char *module; /* "Unknown" = unresolved */
	uint64_t routine;
	int fragments;      /* extra fragment rows written before the final one */
};

/* Fill out[0..n) with deterministic records. */
void wg_records(struct wg_rec *out, size_t n);
/* The CSV text (malloc, NUL-terminated); de = 1 for de-DE numbers; dur_us = 1 writes
 * durations in µs instead of ms. */
char *wg_csv(const struct wg_rec *r, size_t n, int de, int bom, int dur_us, size_t *len);

#endif
