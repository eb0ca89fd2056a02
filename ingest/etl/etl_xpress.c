/* etl_xpress.c — [MS-XCA] §2.4 plain LZ77 decoder, written from the public description:
 * 32-bit flag words (MSB first; 0 = literal, 1 = match), u16 matches (distance = m>>3 + 1,
 * length = m&7 + 3) with the shared half-byte / byte / u16 / u32 length extensions.
 * The stream ends when the input is exhausted. */
#include "etl_xpress.h"
#include "etl_le.h"

long etl_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap)
{
	size_t ip = 0, op = 0, half = 0;
	int have_half = 0;
	uint32_t flags = 0;
	int nflags = 0;

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
		nflags--;
		if (ip == in_len)
			break; /* the end: remaining flag bits are padding */
		if (!(flags & (1u << nflags))) {
			if (op >= out_cap)
				return -1;
			out[op++] = in[ip++];
			continue;
		}
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
		uint8_t *d = out + op;
		const uint8_t *s = d - dist;
		for (size_t i = 0; i < len; i++)
			d[i] = s[i]; /* byte by byte: overlapping copies repeat a pattern */
		op += len;
	}
	return (long)op;
}
