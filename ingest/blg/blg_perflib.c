/* blg_perflib.c — PERF_DATA_BLOCK → raw values. Two passes over the block: the first
 * collects every object's instance names (so "parent/instance" names can be built), the
 * second reads counter definitions and counter blocks. Every offset is checked against
 * the enclosing structure; nothing is cast over the bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blg_le.h"
#include "blg_map.h"
#include "blg_perflib.h"
#include "blg_str.h"
#include "blg_types.h"
#include "ingest.h"

#define PDB_MIN_HEADER 0x58u  /* through SystemNameOffset */
#define POT_MIN_HEADER 0x40u  /* PERF_OBJECT_TYPE incl. PerfTime/PerfFreq */
#define PCD_SIZE 0x28u        /* PERF_COUNTER_DEFINITION */
#define PID_MIN 0x18u         /* PERF_INSTANCE_DEFINITION fixed part */
#define PERF_NO_UNIQUE_ID 0xFFFFFFFFu

struct pl_inst {
	size_t cb_off, cb_len;    /* counter block, relative to the object */
	uint32_t parent_title, parent_inst;
	char *name;               /* raw instance name */
};

struct pl_obj {
	size_t off, len;          /* object bytes inside the block */
	uint32_t title, ncounters, def_len, hdr_len;
	int32_t ninst;
	int64_t perf_time, perf_freq;
	struct pl_inst *inst;
	uint32_t n_inst;
};

struct pl_block {
	const uint8_t *p;
	size_t len;
	int64_t perf_time, perf_freq, perf_100ns;
	struct pl_obj *objs;
	uint32_t n_objs;
};

static void block_free(struct pl_block *b)
{
	for (uint32_t i = 0; i < b->n_objs; i++) {
		for (uint32_t k = 0; k < b->objs[i].n_inst; k++)
			free(b->objs[i].inst[k].name);
		free(b->objs[i].inst);
	}
	free(b->objs);
}

static char *instance_name(const uint8_t *o, size_t olen, size_t io, uint32_t name_off,
			   uint32_t name_len, uint32_t unique_id, uint32_t codepage)
{
	char buf[16];
	if (name_len >= 2 && blg_fits(io, (size_t)name_off + name_len, olen) && name_off >= PID_MIN) {
		const uint8_t *s = o + io + name_off;
		if (codepage == 0)
			return blg_utf16_dup_n(s, name_len);
		/* 8-bit names: keep ASCII, replace the rest */
		char *d = malloc((size_t)name_len + 1);
		size_t n = 0;
		if (!d)
			return NULL;
		for (uint32_t i = 0; i < name_len && s[i]; i++)
			d[n++] = s[i] < 0x80 ? (char)s[i] : '?';
		d[n] = '\0';
		return d;
	}
	if (unique_id != PERF_NO_UNIQUE_ID) {
		snprintf(buf, sizeof buf, "%u", unique_id);
		return blg_strdup(buf);
	}
	return blg_strdup("");
}

/* Pass 1: object headers and instance names. */
static int scan_object(struct pl_block *b, struct pl_obj *ob, const char **why)
{
	const uint8_t *o = b->p + ob->off;
	size_t olen = ob->len, io;
	uint32_t v, codepage = 0;
	uint64_t u;

	if (olen < POT_MIN_HEADER) {
		*why = "object header truncated";
		return BLG_PERFLIB_MALFORMED;
	}
	(void)blg_rd32(o, olen, 4, &ob->def_len);
	(void)blg_rd32(o, olen, 8, &ob->hdr_len);
	(void)blg_rd32(o, olen, 12, &ob->title);
	(void)blg_rd32(o, olen, 32, &ob->ncounters);
	(void)blg_rd32(o, olen, 40, &v);
	ob->ninst = blg_as_i32(v);
	(void)blg_rd32(o, olen, 44, &codepage);
	(void)blg_rd64(o, olen, 48, &u);
	ob->perf_time = blg_as_i64(u);
	(void)blg_rd64(o, olen, 56, &u);
	ob->perf_freq = blg_as_i64(u);
	if (ob->hdr_len < POT_MIN_HEADER || ob->def_len < ob->hdr_len || ob->def_len > olen ||
	    (uint64_t)ob->ncounters * PCD_SIZE > ob->def_len - ob->hdr_len) {
		*why = "object definition lengths out of range";
		return BLG_PERFLIB_MALFORMED;
	}
	if (ob->ninst <= 0)
		return 0;
	/* every instance takes at least PID_MIN + 4 bytes */
	if ((uint64_t)ob->ninst > (olen - ob->def_len) / (PID_MIN + 4)) {
		*why = "instance count larger than the object";
		return BLG_PERFLIB_MALFORMED;
	}
	ob->inst = calloc((size_t)ob->ninst, sizeof *ob->inst);
	if (!ob->inst)
		return INGEST_ENOMEM;
	io = ob->def_len;
	for (int32_t i = 0; i < ob->ninst; i++) {
		uint32_t ilen, ptitle, pinst, uid, noff, nlen, cblen;
		if (blg_rd32(o, olen, io, &ilen) || blg_rd32(o, olen, io + 4, &ptitle) ||
		    blg_rd32(o, olen, io + 8, &pinst) || blg_rd32(o, olen, io + 12, &uid) ||
		    blg_rd32(o, olen, io + 16, &noff) || blg_rd32(o, olen, io + 20, &nlen) ||
		    ilen < PID_MIN || !blg_fits(io, ilen, olen) ||
		    blg_rd32(o, olen, io + ilen, &cblen) || cblen < 4 ||
		    !blg_fits(io + ilen, cblen, olen)) {
			*why = "instance definition out of range";
			return BLG_PERFLIB_MALFORMED;
		}
		struct pl_inst *in = &ob->inst[ob->n_inst];
		in->name = instance_name(o, olen, io, noff, noff < ilen ? (nlen > ilen - noff ? ilen - noff : nlen) : 0,
					 uid, codepage);
		if (!in->name)
			return INGEST_ENOMEM;
		in->parent_title = ptitle;
		in->parent_inst = pinst;
		in->cb_off = io + ilen;
		in->cb_len = cblen;
		ob->n_inst++;
		io = io + ilen + cblen;
	}
	return 0;
}

static int scan_block(struct pl_block *b, const char **why)
{
	uint32_t total, hdr, nobj;
	uint64_t u;
	static const uint8_t sig[8] = { 'P', 0, 'E', 0, 'R', 0, 'F', 0 };

	if (b->len < PDB_MIN_HEADER || memcmp(b->p, sig, 8) != 0) {
		*why = "no PERF signature";
		return BLG_PERFLIB_MALFORMED;
	}
	(void)blg_rd32(b->p, b->len, 20, &total);
	(void)blg_rd32(b->p, b->len, 24, &hdr);
	(void)blg_rd32(b->p, b->len, 28, &nobj);
	(void)blg_rd64(b->p, b->len, 56, &u);
	b->perf_time = blg_as_i64(u);
	(void)blg_rd64(b->p, b->len, 64, &u);
	b->perf_freq = blg_as_i64(u);
	(void)blg_rd64(b->p, b->len, 72, &u);
	b->perf_100ns = blg_as_i64(u);
	if (total < hdr || total > b->len || hdr < PDB_MIN_HEADER) {
		*why = "data block lengths out of range";
		return BLG_PERFLIB_MALFORMED;
	}
	b->len = total;
	if (nobj > (total - hdr) / POT_MIN_HEADER) {
		*why = "object count larger than the block";
		return BLG_PERFLIB_MALFORMED;
	}
	if (nobj == 0)
		return 0;
	b->objs = calloc(nobj, sizeof *b->objs);
	if (!b->objs)
		return INGEST_ENOMEM;
	size_t off = hdr;
	for (uint32_t i = 0; i < nobj; i++) {
		uint32_t olen;
		if (blg_rd32(b->p, b->len, off, &olen) || olen < POT_MIN_HEADER ||
		    !blg_fits(off, olen, b->len)) {
			*why = "object length out of range";
			return BLG_PERFLIB_MALFORMED;
		}
		struct pl_obj *ob = &b->objs[b->n_objs++];
		ob->off = off;
		ob->len = olen;
		int rc = scan_object(b, ob, why);
		if (rc)
			return rc;
		off += olen;
	}
	return 0;
}

static const struct pl_obj *find_object(const struct pl_block *b, uint32_t title)
{
	for (uint32_t i = 0; i < b->n_objs; i++)
		if (b->objs[i].title == title)
			return &b->objs[i];
	return NULL;
}

/* Full display name: parent/instance, then #n for the n-th duplicate. */
static char *display_name(const struct pl_block *b, const struct pl_inst *in, struct blg_map *seen)
{
	char *base, *out;
	const char *parent = NULL;
	uint32_t count = 0;
	size_t n;

	if (in->parent_title) {
		const struct pl_obj *po = find_object(b, in->parent_title);
		if (po && in->parent_inst < po->n_inst)
			parent = po->inst[in->parent_inst].name;
	}
	n = strlen(in->name) + (parent ? strlen(parent) + 1 : 0) + 1;
	base = malloc(n);
	if (!base)
		return NULL;
	if (parent)
		snprintf(base, n, "%s/%s", parent, in->name);
	else
		snprintf(base, n, "%s", in->name);
	if (blg_map_get(seen, base, &count)) {
		size_t m = n + 12;
		out = malloc(m);
		if (!out) {
			free(base);
			return NULL;
		}
		snprintf(out, m, "%s#%u", base, count);
		(void)blg_map_set(seen, base, count + 1);
		free(base);
		return out;
	}
	if (blg_map_put(seen, base, 1)) {
		free(base);
		return NULL;
	}
	return base;
}

static int read_value(const uint8_t *cb, size_t cblen, uint32_t off, uint32_t size, uint32_t type,
		      int64_t *v)
{
	uint32_t w;
	uint64_t q;
	if (size != 4 && size != 8)
		size = (type & BLG_PERF_SIZE_MASK) == BLG_PERF_SIZE_LARGE ? 8 : 4;
	if (size == 8) {
		if (blg_rd64(cb, cblen, off, &q))
			return -1;
		*v = blg_as_i64(q);
	} else {
		if (blg_rd32(cb, cblen, off, &w))
			return -1;
		*v = (int64_t)w;
	}
	return 0;
}

struct pl_def {
	uint32_t title, type, size, off, detail;
	int32_t scale;
};

static int emit_object(const struct pl_block *b, const struct pl_obj *ob, blg_perf_item_fn fn,
		       void *ud, const char **why)
{
	const uint8_t *o = b->p + ob->off;
	struct pl_def *defs;
	struct blg_map seen;
	int rc = 0;
	size_t co = ob->hdr_len;

	if (ob->ncounters == 0)
		return 0;
	defs = calloc(ob->ncounters, sizeof *defs);
	if (!defs)
		return INGEST_ENOMEM;
	for (uint32_t k = 0; k < ob->ncounters; k++) {
		uint32_t dlen, sc;
		if (blg_rd32(o, ob->def_len, co, &dlen) || dlen < PCD_SIZE ||
		    !blg_fits(co, dlen, ob->def_len)) {
			*why = "counter definition out of range";
			free(defs);
			return BLG_PERFLIB_MALFORMED;
		}
		(void)blg_rd32(o, ob->def_len, co + 4, &defs[k].title);
		(void)blg_rd32(o, ob->def_len, co + 20, &sc);
		defs[k].scale = blg_as_i32(sc);
		(void)blg_rd32(o, ob->def_len, co + 24, &defs[k].detail);
		(void)blg_rd32(o, ob->def_len, co + 28, &defs[k].type);
		(void)blg_rd32(o, ob->def_len, co + 32, &defs[k].size);
		(void)blg_rd32(o, ob->def_len, co + 36, &defs[k].off);
		co += dlen;
	}
	blg_map_init(&seen);
	uint32_t ninst = ob->ninst > 0 ? ob->n_inst : 1;
	for (uint32_t i = 0; i < ninst && rc == 0; i++) {
		const uint8_t *cb;
		size_t cblen;
		char *iname = NULL;
		if (ob->ninst > 0) {
			cb = o + ob->inst[i].cb_off;
			cblen = ob->inst[i].cb_len;
			iname = display_name(b, &ob->inst[i], &seen);
			if (!iname) {
				rc = INGEST_ENOMEM;
				break;
			}
		} else {
			uint32_t l;
			if (blg_rd32(o, ob->len, ob->def_len, &l) || l < 4 ||
			    !blg_fits(ob->def_len, l, ob->len)) {
				*why = "counter block out of range";
				rc = BLG_PERFLIB_MALFORMED;
				break;
			}
			cb = o + ob->def_len;
			cblen = l;
		}
		for (uint32_t k = 0; k < ob->ncounters && rc == 0; k++) {
			const struct pl_def *d = &defs[k];
			struct blg_perf_item it;
			int64_t nxt = 0;
			int have_next = 0;
			if (!blg_type_shown(d->type))
				continue;
			memset(&it, 0, sizeof it);
			it.object_title = ob->title;
			it.counter_title = d->title;
			it.counter_type = d->type;
			it.scale = d->scale;
			it.detail = d->detail;
			it.instance = iname;
			if (read_value(cb, cblen, d->off, d->size, d->type, &it.raw.first))
				continue; /* value outside its counter block: no value */
			if (k + 1 < ob->ncounters &&
			    read_value(cb, cblen, defs[k + 1].off, defs[k + 1].size, defs[k + 1].type,
				       &nxt) == 0)
				have_next = 1;
			switch (d->type & BLG_PERF_TIMER_MASK) {
			case BLG_PERF_TIMER_100NS:
				it.raw.second = b->perf_100ns;
				it.raw.freq = 10000000u;
				break;
			case BLG_PERF_OBJECT_TIMER:
				it.raw.second = ob->perf_time;
				it.raw.freq = ob->perf_freq > 0 ? (uint64_t)ob->perf_freq : 0;
				break;
			default:
				it.raw.second = b->perf_time;
				it.raw.freq = b->perf_freq > 0 ? (uint64_t)b->perf_freq : 0;
				break;
			}
			if (blg_type_base_from_next(d->type))
				it.raw.second = have_next ? nxt : 0;
			if (d->type & BLG_PERF_MULTI_COUNTER)
				it.raw.multi = have_next ? (uint32_t)((uint64_t)nxt & 0xFFFFFFFFu) : 0;
			else
				it.raw.multi = 1;
			rc = fn(ud, &it);
		}
		free(iname);
	}
	blg_map_free(&seen);
	free(defs);
	return rc;
}

int blg_perflib_parse(const uint8_t *p, size_t len, blg_perf_item_fn fn, void *ud,
		      const char **why)
{
	struct pl_block b;
	int rc, scan;
	static const char *none = "";

	if (!why)
		why = &none;
	memset(&b, 0, sizeof b);
	b.p = p;
	b.len = len;
	scan = scan_block(&b, why);
	if (scan < 0) {
		block_free(&b);
		return scan;
	}
	/* emit what was scanned completely (a damaged object stops the scan) */
	rc = 0;
	for (uint32_t i = 0; i < b.n_objs && rc == 0; i++) {
		if (scan && i + 1 == b.n_objs)
			break; /* the object the scan stopped in */
		rc = emit_object(&b, &b.objs[i], fn, ud, why);
	}
	block_free(&b);
	if (rc)
		return rc;
	return scan;
}
