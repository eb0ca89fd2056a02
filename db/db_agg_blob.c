/* db_agg_blob.c — the slice blob codec: compact varint records, written from an in-memory
 * slice and read back with every length and value bounds-checked, so a corrupted
 * database yields an error instead of a crash. Layout in db_agg.h. */
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"
#include "db_varint.h"

#define BLOB_VERSION 1
#define TAG_SINGLE 0x80
#define REC_MAX 600 /* bytes one record can take */

static int reserve(struct agg_buf *b, size_t more)
{
	if (b->n + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->n + more)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int is_single(const struct agg_rec *r, const struct agg_out *o)
{
	return o->singles && r->v[V_COUNT] == 1 && agg_key_kind(r->key) < SINK_DPCISR_KINDS;
}

int agg_encode(const struct agg_slice *s, const struct agg_out *o, struct agg_buf *b)
{
	uint32_t nrec = 0;
	b->n = 0;
	for (uint32_t i = 0; i < s->n; i++)
		if (o->kind_only < 0 || agg_key_kind(s->recs[i].key) == (unsigned)o->kind_only)
			nrec++;
	if (reserve(b, 16))
		return -1;
	b->p[0] = BLOB_VERSION;
	b->p[1] = o->nvals;
	b->p[2] = (uint8_t)((o->hist ? 1 : 0) | (o->singles ? 2 : 0));
	b->n = (size_t)(put_varint(b->p + 3, nrec) - b->p);
	b->nrec = nrec;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct agg_rec *r = &s->recs[i];
		unsigned kind = agg_key_kind(r->key);
		if (o->kind_only >= 0 && kind != (unsigned)o->kind_only)
			continue;
		if (reserve(b, REC_MAX))
			return -1;
		uint8_t *p = b->p + b->n;
		p = put_varint(p, agg_key_cpu(r->key));
		p = put_varint(p, (uint32_t)(agg_key_module(r->key) + 1));
		if (is_single(r, o)) {
			*p++ = (uint8_t)(kind | TAG_SINGLE);
			p = put_varint(p, r->v[V_TOTAL]);
			b->n = (size_t)(p - b->p);
			continue;
		}
		*p++ = (uint8_t)kind;
		uint8_t body[REC_MAX], *q = body;
		for (int k = 0; k < o->nvals; k++)
			q = put_varint(q, r->v[o->val_idx[k]]);
		if (o->hist) {
			/* the bucket count counted while the buckets are written: without
			 * -mpopcnt, __builtin_popcountll is a libgcc call (~21 instructions) */
			uint8_t *nb = q++;
			unsigned nbk = 0;
			for (uint64_t m = r->hmask; m; m &= m - 1, nbk++) {
				int bk = __builtin_ctzll(m);
				*q++ = (uint8_t)bk;
				q = put_varint(q, r->hist[bk]);
			}
			*nb = (uint8_t)nbk;
		}
		p = put_varint(p, (uint64_t)(q - body));
		memcpy(p, body, (size_t)(q - body));
		b->n = (size_t)(p + (q - body) - b->p);
	}
	return 0;
}

int agg_decode(const uint8_t *p, size_t n, const struct agg_pass *pass,
	       int (*visit)(void *ud, const struct agg_view *r), void *ud)
{
	const uint8_t *end = p + n;
	uint64_t nrec, cpu, mod1, len, x;
	struct agg_view v;
	if (n < 4 || p[0] != BLOB_VERSION || p[1] < 1 || p[1] > AGG_NVALS || (p[2] & ~3u))
		return -1;
	unsigned nvals = p[1];
	int hist = p[2] & 1, singles = p[2] & 2;
	p += 3;
	if (get_varint(&p, end, &nrec) || nrec > n)
		return -1;
	v.has_hist = hist;
	for (uint64_t i = 0; i < nrec; i++) {
		if (get_varint(&p, end, &cpu) || get_varint(&p, end, &mod1) || p >= end)
			return -1;
		unsigned kb = *p++, kind = kb & 0x7f;
		if (cpu >= DB_MAX_CPUS || mod1 > INT32_MAX || kind >= 64)
			return -1;
		int pass_it = agg_pass_key(pass, (unsigned)cpu, (uint32_t)mod1, kind);
		v.key = agg_key((unsigned)cpu, (int32_t)mod1 - 1, kind);
		if (kb & TAG_SINGLE) {
			if (!singles || kind >= SINK_DPCISR_KINDS || get_varint(&p, end, &x) ||
			    x > UINT32_MAX)
				return -1;
			if (!pass_it)
				continue;
			int above = x > db_dpc_guideline_ns((int)kind);
			v.v[V_COUNT] = 1;
			v.v[V_TOTAL] = x;
			v.v[V_MAX] = x;
			v.v[V_ABOVE] = (uint64_t)above;
			v.v[V_ABOVE_TOTAL] = above ? x : 0;
			int bk = db_dpc_bucket(x);
			v.hmask = 1ull << bk;
			v.hist[bk] = 1;
		} else {
			if (get_varint(&p, end, &len) || len > (uint64_t)(end - p))
				return -1;
			const uint8_t *q = p, *qend = p + len;
			p = qend;
			if (!pass_it)
				continue;
			unsigned k = 0;
			for (; k < nvals; k++)
				if (get_varint(&q, qend, &v.v[k]))
					return -1;
			for (; k < AGG_NVALS; k++)
				v.v[k] = 0;
			v.hmask = 0;
			if (hist) {
				if (q >= qend)
					return -1;
				unsigned nb = *q++;
				for (unsigned j = 0; j < nb; j++) {
					if (q >= qend)
						return -1;
					unsigned bk = *q++;
					if (bk >= DB_DPC_NBUCKETS || get_varint(&q, qend, &x))
						return -1;
					if (v.hmask >> bk & 1)
						v.hist[bk] += x;
					else
						v.hist[bk] = x;
					v.hmask |= 1ull << bk;
				}
			}
			if (q != qend)
				return -1;
		}
		int rc = visit(ud, &v);
		if (rc)
			return rc;
	}
	return p == end ? 0 : -1;
}
