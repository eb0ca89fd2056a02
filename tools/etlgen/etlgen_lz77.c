/* etlgen_lz77.c — a greedy [MS-XCA] plain LZ77 compressor (hash of 3 bytes, one candidate,
 * 8 KiB window) for writing compressed ETL buffers; the format is the one etl_xpress.c reads. */
#include <string.h>
#include "etlgen.h"

#define HASH_BITS 13
#define WINDOW 8192
#define MAX_LEN (65535 + 3)

struct enc {
	uint8_t *out;
	size_t cap, op;
	size_t flag_pos;
	uint32_t flags;
	int nbits;
	size_t half_pos;
	int have_half;
	int overflow;
};

static void put8(struct enc *e, uint8_t v)
{
	if (e->op < e->cap)
		e->out[e->op] = v;
	else
		e->overflow = 1;
	e->op++;
}

static void put16(struct enc *e, uint16_t v)
{
	put8(e, (uint8_t)v);
	put8(e, (uint8_t)(v >> 8));
}

static void put32_at(struct enc *e, size_t pos, uint32_t v)
{
	if (pos + 4 <= e->cap) {
		e->out[pos] = (uint8_t)v;
		e->out[pos + 1] = (uint8_t)(v >> 8);
		e->out[pos + 2] = (uint8_t)(v >> 16);
		e->out[pos + 3] = (uint8_t)(v >> 24);
	} else {
		e->overflow = 1;
	}
}

static void flag(struct enc *e, int bit)
{
	e->flags = (e->flags << 1) | (uint32_t)bit;
	if (++e->nbits == 32) {
		put32_at(e, e->flag_pos, e->flags);
		e->flag_pos = e->op;
		e->op += 4;
		e->nbits = 0;
		e->flags = 0;
	}
}

static void match(struct enc *e, size_t dist, size_t len)
{
	size_t ml = len - 3;
	uint16_t head = (uint16_t)((dist - 1) << 3);
	if (ml < 7) {
		put16(e, head | (uint16_t)ml);
	} else {
		put16(e, head | 7);
		size_t rest = ml - 7;
		uint8_t nib = rest < 15 ? (uint8_t)rest : 15;
		if (!e->have_half) {
			e->half_pos = e->op;
			put8(e, nib);
			e->have_half = 1;
		} else {
			if (e->half_pos < e->cap)
				e->out[e->half_pos] |= (uint8_t)(nib << 4);
			e->have_half = 0;
		}
		if (rest >= 15) {
			size_t r2 = rest - 15;
			if (r2 < 255) {
				put8(e, (uint8_t)r2);
			} else {
				put8(e, 255);
				put16(e, (uint16_t)ml); /* ml <= 65535 by MAX_LEN */
			}
		}
	}
	flag(e, 1);
}

static uint32_t hash3(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

size_t etlgen_lz77_compress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap)
{
	uint32_t table[1 << HASH_BITS];
	memset(table, 0xFF, sizeof table);
	struct enc e = {.out = out, .cap = out_cap, .op = 4, .flag_pos = 0};
	size_t i = 0;
	while (i < n) {
		size_t best = 0, dist = 0;
		if (i + 3 <= n) {
			uint32_t h = hash3(in + i);
			uint32_t cand = table[h];
			table[h] = (uint32_t)i;
			if (cand != 0xFFFFFFFFu && i - cand <= WINDOW && cand < i) {
				size_t max = n - i < MAX_LEN ? n - i : MAX_LEN, l = 0;
				while (l < max && in[cand + l] == in[i + l])
					l++;
				if (l >= 3) {
					best = l;
					dist = i - cand;
				}
			}
		}
		if (best) {
			match(&e, dist, best);
			/* index a few positions inside the match for later references */
			size_t end = i + best;
			for (size_t j = i + 1; j + 3 <= n && j < end && j < i + 8; j++)
				table[hash3(in + j)] = (uint32_t)j;
			i = end;
		} else {
			put8(&e, in[i++]);
			flag(&e, 0);
		}
	}
	/* pad the last flag word with 1s: the decoder stops when input runs out */
	uint32_t last = e.nbits ? (e.flags << (32 - e.nbits)) | ((1u << (32 - e.nbits)) - 1)
				: 0xFFFFFFFFu;
	put32_at(&e, e.flag_pos, last);
	if (e.overflow || e.op > out_cap)
		return 0;
	return e.op;
}
