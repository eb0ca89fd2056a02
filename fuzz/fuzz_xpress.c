/* fuzz_xpress.c — libFuzzer harness for the XPRESS (plain LZ77) decoder: arbitrary streams
 * must decode within bounds or be rejected; the first two bytes pick the output bound. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "ingest/etl/etl_xpress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t cap = ((size_t)data[0] | (size_t)data[1] << 8) * 4;
	uint8_t *out = malloc(cap ? cap : 1);
	if (!out)
		return 0;
	long n = etl_xpress_decompress(data + 2, size - 2, out, cap);
	if (n > (long)cap)
		abort();
	free(out);
	return 0;
}
