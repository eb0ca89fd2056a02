/* wpa_cells.h — splitting one CSV line of a WPA export into cells: ',' separated, a cell
 * quoted when it holds a comma, '""' inside quotes for '"'. Cells point into the line,
 * which is unescaped in place; the cell count is capped. */
#ifndef ETLSCOPE_WPA_CELLS_H
#define ETLSCOPE_WPA_CELLS_H

#include <stddef.h>

#define WPA_MAX_CELLS 512

struct wpa_cell {
	char *s;
	size_t n;
};

/* Split line[0..len) (modified in place). Returns the number of cells (<= max), or -1 when
 * a quoted cell is not closed or a line has more than max cells. */
int wpa_cells_split(char *line, size_t len, struct wpa_cell *cells, int max);

#endif
