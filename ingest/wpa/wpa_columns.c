/* wpa_columns.c — header names (with aliases) and units of WPA exports (wpa_columns.h). */
#include <ctype.h>
#include <string.h>
#include "wpa_columns.h"

struct alias {
	enum wpa_col col;
	const char *name; /* base name, compared case-insensitively, unit stripped */
	int timed;        /* needs a time unit */
};

static const struct alias aliases[] = {
	{WPA_C_TYPE, "Type", 0},
	{WPA_C_DPC_TYPE, "DPC Type", 0},
	{WPA_C_MODULE, "Module", 0},
	{WPA_C_MODULE, "Module Name", 0},
	{WPA_C_FUNCTION, "Function", 0},
	{WPA_C_ADDRESS, "Address", 0},
	{WPA_C_CPU, "CPU", 0},
	{WPA_C_COUNT, "Count (DPCs/ISRs)", 0},
	{WPA_C_COUNT, "Count (DPC/ISRs)", 0},
	{WPA_C_COUNT, "Count (DPCs/ISR)", 0},
	{WPA_C_ENTER, "DPC/ISR Enter Time", 1},
	{WPA_C_ENTER, "DPC/ISR Enter", 1},
	{WPA_C_ENTER, "Enter Time", 1},
	{WPA_C_INCL, "Inclusive Duration", 1},
	{WPA_C_INCL, "Duration (Inclusive)", 1},
	{WPA_C_EXCL, "Exclusive Duration", 1},
	{WPA_C_EXCL, "Duration (Exclusive)", 1},
	{WPA_C_FRAG, "Duration (Fragmented)", 1},
	{WPA_C_FRAG, "Fragmented Duration", 1},
	{WPA_C_FRAGMENT, "Fragment", 0},
	{WPA_C_COUNT_PLAIN, "Count", 0},
};

const char *wpa_column_name(enum wpa_col c)
{
	static const char *const names[WPA_C_N] = {
		"Type", "DPC Type", "Module", "Function", "Address", "CPU", "Count (DPCs/ISRs)",
		"DPC/ISR Enter Time", "Inclusive Duration", "Exclusive Duration",
		"Duration (Fragmented)", "Fragment", "Count"};
	return (unsigned)c < WPA_C_N ? names[c] : "?";
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

/* A trailing " (unit)": returns its log10(ns) and shortens *n, or -1 (nothing changed). */
static int strip_unit(const char *s, size_t *n)
{
	static const struct {
		const char *u;
		int digits;
	} units[] = {{"s", 9}, {"sec", 9}, {"ms", 6}, {"\xC2\xB5s", 3}, {"\xCE\xBCs", 3},
		     {"\xB5s", 3}, {"us", 3}, {"ns", 0}};
	size_t k = *n, open;
	if (k < 3 || s[k - 1] != ')')
		return -1;
	for (open = k - 1; open > 0 && s[open] != '('; open--)
		;
	if (s[open] != '(')
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (eq_nocase(s + open + 1, k - open - 2, units[i].u)) {
			while (open > 0 && s[open - 1] == ' ')
				open--;
			*n = open;
			return units[i].digits;
		}
	return -1;
}

int wpa_columns_map(const struct wpa_cell *cells, int n, struct wpa_columns *out)
{
	for (int c = 0; c < WPA_C_N; c++) {
		out->idx[c] = -1;
		out->unit_digits[c] = -1;
	}
	out->ncells = n;
	out->unitless_time = 0;
	for (int i = 0; i < n; i++) {
		const char *s = cells[i].s;
		size_t len = cells[i].n, base;
		int unit;
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		base = len;
		unit = strip_unit(s, &base);
		for (size_t a = 0; a < sizeof aliases / sizeof aliases[0]; a++) {
			const struct alias *al = &aliases[a];
			if (out->idx[al->col] >= 0)
				continue;
			if (al->timed) {
				if (!eq_nocase(s, base, al->name))
					continue;
				if (unit < 0) {
					out->unitless_time = 1;
					continue;
				}
				out->unit_digits[al->col] = unit;
			} else if (!eq_nocase(s, len, al->name)) {
				continue;
			}
			out->idx[al->col] = i;
			break;
		}
	}
	return 0;
}
