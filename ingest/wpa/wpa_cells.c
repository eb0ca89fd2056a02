/* wpa_cells.c — splitting one CSV line of a WPA export into cells (wpa_cells.h). */
#include "wpa_cells.h"

int wpa_cells_split(char *line, size_t len, struct wpa_cell *cells, int max)
{
	size_t i = 0;
	int n = 0;
	if (len && line[len - 1] == '\r')
		len--;
	for (;;) {
		if (n == max)
			return -1;
		if (i < len && line[i] == '"') {
			char *w = line + i + 1;
			size_t j = i + 1;
			cells[n].s = w;
			for (;;) {
				if (j >= len)
					return -1; /* unclosed quote */
				if (line[j] == '"') {
					if (j + 1 < len && line[j + 1] == '"') {
						*w++ = '"';
						j += 2;
						continue;
					}
					j++;
					break;
				}
				*w++ = line[j++];
			}
			cells[n].n = (size_t)(w - cells[n].s);
			n++;
			while (j < len && line[j] == ' ')
				j++;
			if (j >= len)
				return n;
			if (line[j] != ',')
				return -1;
			i = j + 1;
		} else {
			size_t j = i;
			while (j < len && line[j] != ',')
				j++;
			cells[n].s = line + i;
			cells[n].n = j - i;
			n++;
			if (j >= len)
				return n;
			i = j + 1;
		}
	}
}
