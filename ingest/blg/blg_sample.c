/* blg_sample.c — the 0x22 record: one sample of every logged counter. A 'BL' container
 * holds one record per catalog entry, in catalog order: subtype 1 a single raw counter,
 * subtype 2 all instances of a wildcard counter, subtype 5 a perflib data block of a
 * whole object. Layout: docs/blg-format.md §4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blg_le.h"
#include "blg_pdh_int.h"
#include "blg_perflib.h"
#include "blg_str.h"
#include "ingest.h"

#define BL_TAG 8u
#define BL_SINGLE 1
#define BL_MULTI 2
#define BL_PERFLIB 5
#define SINGLE_LEN 48u
#define MULTI_HEAD 24u  /* item block header */
#define MULTI_ITEM 24u
#define KEY_MAX (BLG_STR_MAX_UNITS * 3 + 64)

struct sample_ctx {
	struct blg_pdh *d;
	uint32_t entry_index;
	const struct blg_entry *e;
	int64_t latest;     /* newest record stamp */
	uint64_t errors;    /* records with an error status */
};

static int is_tag(const uint8_t *p, size_t len, size_t off)
{
	return blg_fits(off, BL_TAG, len) && p[off] == 'B' && p[off + 1] == 'L' && p[off + 2] == 3;
}

static int add_value(struct blg_pdh *d, uint32_t series, const struct blg_raw *raw)
{
	if (d->n_vals == d->vals_cap) {
		size_t cap = d->vals_cap ? d->vals_cap * 2 : 64;
		struct blg_value *nv = realloc(d->vals, cap * sizeof *nv);
		if (!nv)
			return INGEST_ENOMEM;
		d->vals = nv;
		d->vals_cap = cap;
	}
	d->vals[d->n_vals].series = series;
	d->vals[d->n_vals].raw = *raw;
	d->n_vals++;
	return 0;
}

/* PDH CStatus: 0 valid, 1 new data; anything with the high bit set is an error. */
static int status_ok(uint32_t s)
{
	return (s & 0x80000000u) == 0;
}

/* Instance display name of a catalog entry: parent/instance#index. */
static void entry_instance(const struct blg_entry *e, char *buf, size_t cap)
{
	if (!e->instance) {
		buf[0] = '\0';
		return;
	}
	if (e->parent && e->inst_index)
		snprintf(buf, cap, "%s/%s#%u", e->parent, e->instance, e->inst_index);
	else if (e->parent)
		snprintf(buf, cap, "%s/%s", e->parent, e->instance);
	else if (e->inst_index)
		snprintf(buf, cap, "%s#%u", e->instance, e->inst_index);
	else
		snprintf(buf, cap, "%s", e->instance);
}

static void entry_info(const struct blg_entry *e, struct blg_series_info *s)
{
	memset(s, 0, sizeof *s);
	s->machine = e->machine ? e->machine : "";
	s->object = e->object;
	s->counter = e->counter;
	s->type = e->type;
	s->scale = e->scale;
}

static int take(struct sample_ctx *c, const char *key, const struct blg_series_info *info,
		const struct blg_raw *raw)
{
	uint32_t id;
	int rc = blg_series_get(c->d, key, info, &id);
	if (rc)
		return rc < 0 ? rc : 0;
	return add_value(c->d, id, raw);
}

static int decode_single(struct sample_ctx *c, const uint8_t *r, size_t rl)
{
	uint32_t status, multi;
	int64_t ts;
	struct blg_raw raw;
	struct blg_series_info info;
	char key[32], inst[KEY_MAX];

	if (rl < SINGLE_LEN)
		return 1;
	(void)blg_rd32(r, rl, 8, &status);
	(void)blg_rdi64(r, rl, 12, &ts);
	(void)blg_rdi64(r, rl, 24, &raw.first);
	(void)blg_rdi64(r, rl, 32, &raw.second);
	(void)blg_rd32(r, rl, 40, &multi);
	raw.multi = multi;
	raw.freq = c->e->freq;
	if (ts > c->latest)
		c->latest = ts;
	if (!status_ok(status)) {
		c->errors++;
		return 0;
	}
	entry_info(c->e, &info);
	entry_instance(c->e, inst, sizeof inst);
	info.instance = c->e->instance ? inst : NULL;
	snprintf(key, sizeof key, "%u", c->entry_index);
	return take(c, key, &info, &raw);
}

static int decode_multi(struct sample_ctx *c, const uint8_t *r, size_t rl)
{
	const uint8_t *b = r + BL_TAG;
	size_t blen = rl - BL_TAG;
	uint32_t n, status;
	int64_t ts;
	struct blg_series_info info;
	char key[KEY_MAX];

	if (blen < MULTI_HEAD)
		return 1;
	(void)blg_rd32(b, blen, 4, &n);
	(void)blg_rd32(b, blen, 12, &status);
	(void)blg_rdi64(b, blen, 16, &ts);
	if (n > (blen - MULTI_HEAD) / MULTI_ITEM)
		return 1;
	if (ts > c->latest)
		c->latest = ts;
	if (!status_ok(status)) {
		c->errors++;
		return 0;
	}
	entry_info(c->e, &info);
	for (uint32_t i = 0; i < n; i++) {
		size_t io = MULTI_HEAD + (size_t)i * MULTI_ITEM;
		uint32_t noff, multi;
		struct blg_raw raw;
		char *name;
		int rc;
		(void)blg_rd32(b, blen, io, &noff);
		(void)blg_rd32(b, blen, io + 4, &multi);
		(void)blg_rdi64(b, blen, io + 8, &raw.first);
		(void)blg_rdi64(b, blen, io + 16, &raw.second);
		raw.multi = multi;
		raw.freq = c->e->freq;
		if (noff < MULTI_HEAD || noff >= blen)
			return 1;
		name = blg_utf16_dup(b, blen, noff, NULL);
		if (!name)
			return INGEST_ENOMEM;
		info.instance = name;
		snprintf(key, sizeof key, "%u\x1f%s", c->entry_index, name);
		rc = take(c, key, &info, &raw);
		free(name);
		if (rc)
			return rc;
	}
	return 0;
}

static const char *title(const struct blg_pdh *d, uint32_t idx)
{
	return idx < d->names_cap ? d->names[idx] : NULL;
}

static int wildcard(const char *s)
{
	return !s || strcmp(s, "*") == 0;
}

static int perflib_item(void *ud, const struct blg_perf_item *it)
{
	struct sample_ctx *c = ud;
	const struct blg_entry *e = c->e;
	const char *obj = title(c->d, it->object_title), *ctr = title(c->d, it->counter_title);
	char objbuf[24], ctrbuf[24], key[KEY_MAX];
	struct blg_series_info info;

	/* the entry may name one object / counter / instance: keep only those */
	if (obj && !wildcard(e->object) && !blg_str_ieq(obj, e->object))
		return 0;
	if (!obj) {
		if (!wildcard(e->object)) {
			obj = e->object;
		} else {
			snprintf(objbuf, sizeof objbuf, "#%u", it->object_title);
			obj = objbuf;
		}
	}
	if (!ctr) {
		snprintf(ctrbuf, sizeof ctrbuf, "#%u", it->counter_title);
		ctr = ctrbuf;
	}
	if (!wildcard(e->counter) && !blg_str_ieq(ctr, e->counter))
		return 0;
	if (!wildcard(e->instance) && it->instance && !blg_str_ieq(it->instance, e->instance))
		return 0;
	entry_info(e, &info);
	info.object = obj;
	info.counter = ctr;
	info.instance = it->instance;
	info.type = it->counter_type;
	info.scale = it->scale;
	snprintf(key, sizeof key, "%u\x1f%u\x1f%u\x1f%s", c->entry_index, it->object_title,
		 it->counter_title, it->instance ? it->instance : "\x02");
	return take(c, key, &info, &it->raw);
}

static int decode_perflib(struct sample_ctx *c, const uint8_t *r, size_t rl)
{
	const char *why = "";
	int rc = blg_perflib_parse(r + BL_TAG, rl - BL_TAG, perflib_item, c, &why);
	c->d->st.perflib_blocks++;
	if (rc == BLG_PERFLIB_MALFORMED) {
		c->d->st.bad_records++;
		return blg_pdh_warn(c->d, "bad_perflib_block",
				    "perflib data block of catalog entry %u: %s; rest skipped",
				    c->entry_index, why);
	}
	return rc;
}

int blg_sample_decode(struct blg_pdh *d, int64_t ts, const uint8_t *p, size_t len)
{
	uint32_t total;
	size_t off = BL_TAG;
	struct sample_ctx c;
	uint32_t k = 0, extra = 0;
	int rc = 0;

	if (!is_tag(p, len, 0) || p[3] != 0 || blg_rd32(p, len, 4, &total) || total < BL_TAG) {
		d->st.bad_records++;
		return blg_pdh_warn(d, "bad_sample", "sample record without a 'BL' container skipped");
	}
	if (total > len) {
		rc = blg_pdh_warn(d, "truncated", "sample container of %u bytes cut at %zu",
				  total, len);
		if (rc < 0)
			return rc;
		total = (uint32_t)len;
	}
	if (!d->have_catalog || d->n_entries == 0) {
		d->st.bad_records++;
		return blg_pdh_warn(d, "no_catalog", "sample before any counter catalog skipped");
	}
	memset(&c, 0, sizeof c);
	c.d = d;
	d->n_vals = 0;
	while (off + BL_TAG <= total) {
		uint32_t rl;
		if (!is_tag(p, total, off) || blg_rd32(p, total, off + 4, &rl) || rl < BL_TAG ||
		    !blg_fits(off, rl, total)) {
			d->st.bad_records++;
			rc = blg_pdh_warn(d, "bad_record",
					  "damaged counter record %u in a sample; rest of the sample skipped",
					  k);
			if (rc < 0)
				return rc;
			break;
		}
		if (k >= d->n_entries) {
			extra++;
		} else {
			int sub = p[off + 3];
			c.entry_index = k;
			c.e = &d->entries[k];
			d->st.records++;
			if (sub == BL_SINGLE)
				rc = decode_single(&c, p + off, rl);
			else if (sub == BL_MULTI)
				rc = decode_multi(&c, p + off, rl);
			else if (sub == BL_PERFLIB)
				rc = decode_perflib(&c, p + off, rl);
			else
				rc = 2;
			if (rc < 0)
				return rc;
			if (rc > 0) {
				d->st.bad_records++;
				rc = blg_pdh_warn(d, rc == 2 ? "unknown_record" : "bad_record",
						  "counter record %u (subtype %d, %u bytes) skipped", k,
						  sub, rl);
				if (rc < 0)
					return rc;
			}
		}
		k++;
		off += rl;
	}
	if (extra && (rc = blg_pdh_warn(d, "extra_records",
					"%u sample records beyond the %u catalog entries skipped",
					extra, d->n_entries)) < 0)
		return rc;
	if (c.errors && (rc = blg_pdh_warn(d, "counter_error",
					   "%llu counters reported an error status in one sample",
					   (unsigned long long)c.errors)) < 0)
		return rc;
	d->st.samples++;
	if (ts <= 0)
		ts = c.latest;
	if (d->out.sample)
		return d->out.sample(d->out.ud, ts, d->vals, d->n_vals);
	return 0;
}
