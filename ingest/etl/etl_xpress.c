/* etl_xpress.c — [MS-XCA] §2.4 plain LZ77 decoder, written from the public description:
 * 32-bit flag words (MSB first; 0 = literal, 1 = match), u16 matches (distance = m>>3 + 1,
 * length = m&7 + 3) with the shared half-byte / byte / u16 / u32 length extensions.
 * The stream ends when the input is exhausted.
 *
 * Speed (issue 17): a run of 0 flag bits is one memcpy of that many literals (the run's
 * length from a count of leading zeros), and a match at distance ≥ 8 is copied 8 bytes at a
 * time when the output has 8 bytes of room past it (the last word may write up to 7 bytes
 * beyond the match, inside out_cap, which later output overwrites or nobody reads); distance
 * 1 is a memset; other overlapping matches go byte by byte. A literal run (≤ 32 bytes) is
 * two fixed 16-byte copies when 32 bytes of input and of room are left, in the same way.
 * Results, errors included, are those of the plain one-flag-at-a-time loop
 * (tests/etl/test_etl_xpress.c compares both). */
#include <string.h>
#include "etl_xpress.h"
#include "etl_le.h"

/* Copy a match of len bytes from dist back; the caller checked dist ≤ op, len ≤ cap - op. */
static void copy_match(uint8_t *out, size_t op, size_t dist, size_t len, size_t out_cap)
{
	uint8_t *d = out + op;
	const uint8_t *s = d - dist;
	if (dist >= 8 && out_cap - op >= len + 8) {
		for (size_t i = 0; i < len; i += 8)
			memcpy(d + i, s + i, 8); /* reads end ≥ 8 bytes before what it writes */
	} else if (dist == 1) {
		memset(d, s[0], len);
	} else {
		for (size_t i = 0; i < len; i++)
			d[i] = s[i]; /* byte by byte: overlapping copies repeat a pattern */
	}
}

long etl_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap)
{
	size_t ip = 0, op = 0, half = 0;
	int have_half = 0;
	uint32_t flags = 0;
	unsigned nflags = 0; /* flag bits left in flags: bits nflags-1 .. 0 */

	for (;;) {
		if (nflags == 0) {
			if (ip == in_len)
				break;
			if (in_len - ip < 4)
				return -1;
			flags = etl_le32(in + ip);
			ip += 4;
			nflags = 32;
		}
		if (ip == in_len)
			break; /* the end: remaining flag bits are padding */
		uint32_t left = nflags == 32 ? flags : flags & ((1u << nflags) - 1);
		/* 0 bits before the next 1 (or the word's end): that many literals */
		unsigned run = left ? nflags - 1 - (31u - (unsigned)__builtin_clz(left)) : nflags;
		if (run) {
			size_t k = run < in_len - ip ? run : in_len - ip;
			if (k > out_cap - op)
				return -1;
			if (in_len - ip >= 32 && out_cap - op >= 32) {
				/* k ≤ 32: two fixed 16-byte copies, not a call; bytes past
				 * op + k are overwritten by later output or never read */
				memcpy(out + op, in + ip, 16);
				memcpy(out + op + 16, in + ip + 16, 16);
			} else {
				memcpy(out + op, in + ip, k);
			}
			op += k;
			ip += k;
			nflags -= (unsigned)k;
			continue;
		}
		nflags--;
		if (in_len - ip < 2)
			return -1;
		uint32_t m = etl_le16(in + ip);
		ip += 2;
		size_t dist = (m >> 3) + 1;
		size_t len = m & 7;
		if (len == 7) {
			if (!have_half) {
				if (ip >= in_len)
					return -1;
				half = ip++;
				len = in[half] & 0x0F;
				have_half = 1;
			} else {
				len = in[half] >> 4;
				have_half = 0;
			}
			if (len == 15) {
				if (ip >= in_len)
					return -1;
				len = in[ip++];
				if (len == 255) {
					if (in_len - ip < 2)
						return -1;
					len = etl_le16(in + ip);
					ip += 2;
					if (len == 0) {
						if (in_len - ip < 4)
							return -1;
						len = etl_le32(in + ip);
						ip += 4;
					}
					if (len < 15 + 7)
						return -1;
					len -= 15 + 7;
				}
				len += 15;
			}
			len += 7;
		}
		len += 3;
		if (dist > op || len > out_cap - op)
			return -1;
		copy_match(out, op, dist, len, out_cap);
		op += len;
	}
	return (long)op;
}
