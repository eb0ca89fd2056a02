/* fuzz_xpress.c — libFuzzer harness for the XPRESS (plain LZ77) decoder: arbitrary streams
 * must decode within bounds or be rejected; the first two bytes pick the output bound.
 * Asserts: the output never exceeds the bound; decoding is deterministic; a stream that
 * decodes to n bytes decodes to exactly n again into an n-byte buffer (the walker relies on
 * "expands to exactly Offset"); and under the walker's rule (out ≤ 64 × in + 4 KiB) the
 * output, hence the work, per input byte is bounded. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/etl/etl_buffer.h"
#include "ingest/etl/etl_xpress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t cap = ((size_t)data[0] | (size_t)data[1] << 8) * 4;
	const uint8_t *in = data + 2;
	size_t in_len = size - 2;
	uint8_t *out = malloc(cap ? cap : 1), *again = malloc(cap ? cap : 1);
	if (!out || !again) {
		free(out);
		free(again);
		return 0;
	}
	long n = etl_xpress_decompress(in, in_len, out, cap);
	if (n > (long)cap)
		abort();
	if (etl_xpress_decompress(in, in_len, again, cap) != n)
		abort();
	if (n > 0) {
		if (memcmp(out, again, (size_t)n) != 0)
			abort();
		if (etl_xpress_decompress(in, in_len, again, (size_t)n) != n)
			abort();
	}
	/* the walker's cap: whatever the stream claims, at most 64 bytes per input byte + 4 KiB */
	size_t walker_cap = (size_t)ETL_XPRESS_MAX_RATIO * in_len + ETL_XPRESS_SLACK;
	if (walker_cap < cap) {
		long w = etl_xpress_decompress(in, in_len, again, walker_cap);
		if (w > (long)walker_cap || (n >= 0 && n <= (long)walker_cap && w != n))
			abort();
	}
	free(out);
	free(again);
	return 0;
}
