/* blg_catalog.c — the 0x20 record: the logged counter paths, one entry each, with counter
 * type, time-base frequency, default scale and the path parts as UTF-16 strings. Sample
 * records refer to entries by position. Layout: docs/blg-format.md §3. */
#include <stdlib.h>
#include <string.h>
#include "blg_le.h"
#include "blg_pdh_int.h"
#include "blg_str.h"
#include "ingest.h"

#define CAT_HEADER 8u      /* u32 0x6FF, u16 8, u16 2 before the first entry */
#define ENTRY_FIXED 0x34u  /* fixed part; string offsets count from here */
#define NO_STRING 0xFFFFFFFFu

/* String at entry-relative string offset `off`; NULL with *bad = 1 if out of range. */
static char *entry_string(const uint8_t *e, size_t elen, uint32_t off, int *bad, int optional)
{
	char *s;
	if (off == NO_STRING && optional)
		return NULL;
	if (off == NO_STRING || !blg_fits(ENTRY_FIXED, (size_t)off, elen) ||
	    ENTRY_FIXED + (size_t)off >= elen) {
		*bad = 1;
		return NULL;
	}
	s = blg_utf16_dup(e, elen, ENTRY_FIXED + off, NULL);
	if (!s)
		*bad = 2;
	return s;
}

static int parse_entry(struct blg_entry *en, const uint8_t *e, size_t elen)
{
	uint32_t v[13];
	int bad = 0;
	char *m;

	for (int i = 0; i < 13; i++)
		(void)blg_rd32(e, elen, 4 * (size_t)i, &v[i]);
	memset(en, 0, sizeof *en);
	en->flags = v[1];
	en->type = v[3];
	en->freq = v[4];
	en->scale = blg_as_i32(v[6]);
	en->inst_index = v[11];
	m = entry_string(e, elen, v[7], &bad, 0);
	en->object = entry_string(e, elen, v[8], &bad, 0);
	en->instance = entry_string(e, elen, v[9], &bad, 1);
	en->parent = entry_string(e, elen, v[10], &bad, 1);
	en->counter = entry_string(e, elen, v[12], &bad, 0);
	if (m) {
		const char *s = m;
		while (*s == '\\')
			s++;
		en->machine = blg_strdup(s);
		free(m);
		if (!en->machine)
			bad = 2;
	}
	if (bad) {
		free(en->machine);
		free(en->object);
		free(en->instance);
		free(en->parent);
		free(en->counter);
		memset(en, 0, sizeof *en);
	}
	return bad;
}

int blg_catalog_decode(struct blg_pdh *d, const uint8_t *p, size_t len)
{
	size_t off = CAT_HEADER, max_entries;

	if (d->have_catalog) {
		d->st.bad_records++;
		return blg_pdh_warn(d, "catalog_again",
				    "a second counter catalog was ignored (samples follow the first)");
	}
	d->have_catalog = 1;
	if (len < CAT_HEADER) {
		d->st.bad_records++;
		return blg_pdh_warn(d, "bad_catalog", "counter catalog of %zu bytes is too short", len);
	}
	max_entries = (len - CAT_HEADER) / ENTRY_FIXED;
	if (max_entries == 0)
		return blg_pdh_warn(d, "empty_catalog", "the counter catalog lists no counters");
	d->entries = calloc(max_entries, sizeof *d->entries);
	if (!d->entries)
		return INGEST_ENOMEM;
	while (off + 4 <= len) {
		uint32_t elen;
		int bad;
		(void)blg_rd32(p, len, off, &elen);
		if (elen == 0)
			break; /* padding after the last entry */
		if (elen < ENTRY_FIXED || !blg_fits(off, elen, len)) {
			d->st.bad_records++;
			return blg_pdh_warn(d, "bad_catalog",
					    "counter catalog entry %u has a bad length (%u); %u entries kept",
					    d->n_entries, elen, d->n_entries);
		}
		bad = parse_entry(&d->entries[d->n_entries], p + off, elen);
		if (bad == 2)
			return INGEST_ENOMEM;
		if (bad) {
			d->st.bad_records++;
			return blg_pdh_warn(d, "bad_catalog",
					    "counter catalog entry %u has a string outside it; %u entries kept",
					    d->n_entries, d->n_entries);
		}
		d->n_entries++;
		d->st.catalog_entries++;
		off += elen;
	}
	return 0;
}
