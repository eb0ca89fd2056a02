/* blg_names.c — the 0x24 record: the logging machine's perflib counter-name table
 * (machine name, then "index", "name" UTF-16 string pairs), needed to name the objects and
 * counters inside perflib data blocks. Layout: docs/blg-format.md §5. */
#include <stdlib.h>
#include <string.h>
#include "blg_le.h"
#include "blg_pdh_int.h"
#include "blg_str.h"
#include "ingest.h"

static int parse_index(const char *s, uint32_t *v)
{
	uint64_t n = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
		if (n >= BLG_MAX_TITLE_INDEX)
			return -1;
	}
	*v = (uint32_t)n;
	return 0;
}

static int store(struct blg_pdh *d, uint32_t idx, char *name)
{
	if (idx >= d->names_cap) {
		uint32_t cap = d->names_cap ? d->names_cap : 1024;
		while (cap <= idx)
			cap *= 2;
		char **nn = realloc(d->names, (size_t)cap * sizeof *nn);
		if (!nn)
			return INGEST_ENOMEM;
		memset(nn + d->names_cap, 0, (size_t)(cap - d->names_cap) * sizeof *nn);
		d->names = nn;
		d->names_cap = cap;
	}
	if (!d->names[idx])
		d->st.names++;
	free(d->names[idx]);
	d->names[idx] = name;
	return 0;
}

int blg_names_decode(struct blg_pdh *d, const uint8_t *p, size_t len)
{
	size_t off = 0, used;
	uint64_t skipped = 0;
	char *s = blg_utf16_dup(p, len, 0, &used); /* machine name */
	if (!s)
		return INGEST_ENOMEM;
	free(s);
	off = used;
	while (off + 2 <= len) {
		char *k, *v;
		uint32_t idx;
		k = blg_utf16_dup(p, len, off, &used);
		if (!k)
			return INGEST_ENOMEM;
		off += used;
		if (used == 0 || off + 2 > len) {
			free(k);
			break;
		}
		v = blg_utf16_dup(p, len, off, &used);
		if (!v) {
			free(k);
			return INGEST_ENOMEM;
		}
		off += used;
		if (parse_index(k, &idx)) {
			skipped++;
			free(v);
		} else if (store(d, idx, v)) {
			free(k);
			free(v);
			return INGEST_ENOMEM;
		}
		free(k);
		if (used == 0)
			break;
	}
	if (skipped) {
		d->st.bad_records++;
		return blg_pdh_warn(d, "bad_name_table",
				    "%llu counter-name entries with a bad index skipped",
				    (unsigned long long)skipped);
	}
	return 0;
}
