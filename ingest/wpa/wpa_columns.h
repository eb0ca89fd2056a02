/* wpa_columns.h — the header row of a WPA export: which column holds what, by name (with
 * aliases across WPA versions) and with the unit written in the name ("(ms)", "(µs)", "(s)").
 * Column order never matters. */
#ifndef ETLSCOPE_WPA_COLUMNS_H
#define ETLSCOPE_WPA_COLUMNS_H

#include <stddef.h>
#include "wpa_cells.h"

enum wpa_col {
	WPA_C_TYPE,      /* "Type": DPC / Interrupt */
	WPA_C_DPC_TYPE,  /* "DPC Type": Regular / Timer / Threaded; blank for ISRs */
	WPA_C_MODULE,
	WPA_C_FUNCTION,
	WPA_C_ADDRESS,
	WPA_C_CPU,
	WPA_C_COUNT,     /* "Count (DPCs/ISRs)": 1 on a DPC/ISR's final fragment, else 0 */
	WPA_C_ENTER,     /* "DPC/ISR Enter Time (s)" */
	WPA_C_INCL,      /* "Inclusive Duration (ms)": exit − enter, nested interrupts included */
	WPA_C_EXCL,      /* "Exclusive Duration (ms)": sum of the DPC/ISR's own fragments */
	WPA_C_FRAG,      /* "Duration (Fragmented) (ms)": one fragment */
	WPA_C_FRAGMENT,  /* "Fragment": True / False */
	WPA_C_COUNT_PLAIN, /* "Count" of grouped presets */
	WPA_C_N
};

struct wpa_columns {
	int idx[WPA_C_N];        /* cell index, -1 if absent */
	int unit_digits[WPA_C_N]; /* time columns: log10(ns per unit): s 9, ms 6, µs 3, ns 0 */
	int ncells;               /* cells in the header */
	int unitless_time;        /* a time column without a recognised unit was ignored */
};

/* Map the header cells. Returns 0. */
int wpa_columns_map(const struct wpa_cell *cells, int n, struct wpa_columns *out);

const char *wpa_column_name(enum wpa_col c);

#endif
