/* test_etl_xpress.c — [MS-XCA] plain LZ77: hand-built vectors for every length encoding,
 * corrupt streams rejected, and round trips through the etlgen compressor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_xpress.h"
#include "tools/etlgen/etlgen.h"

static void expect_run(const uint8_t *in, size_t n, char c, size_t count)
{
	uint8_t out[80000];
	long got = etl_xpress_decompress(in, n, out, sizeof out);
	assert_int_equal(got, (long)count);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(out[i], (uint8_t)c);
}

static void test_literals(void **state)
{
	(void)state;
	static const uint8_t in[] = {0xFF, 0xFF, 0xFF, 0x1F, 'a', 'b', 'c'};
	uint8_t out[16];
	assert_int_equal(etl_xpress_decompress(in, sizeof in, out, sizeof out), 3);
	assert_memory_equal(out, "abc", 3);
}

static void test_short_match_overlapping(void **state)
{
	(void)state;
	/* a b c, then distance 3 length 6: m = (2 << 3) | 3 */
	static const uint8_t in[] = {0xFF, 0xFF, 0xFF, 0x1F, 'a', 'b', 'c', 0x13, 0x00};
	uint8_t out[16];
	assert_int_equal(etl_xpress_decompress(in, sizeof in, out, sizeof out), 9);
	assert_memory_equal(out, "abcabcabc", 9);
}

static void test_nibble_length(void **state)
{
	(void)state;
	static const uint8_t in[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07, 0x00, 0x0A};
	expect_run(in, sizeof in, 'a', 21); /* 1 + (3 + 7 + 10) */
}

static void test_byte_length(void **state)
{
	(void)state;
	static const uint8_t in[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07, 0x00, 0x0F, 0x4B};
	expect_run(in, sizeof in, 'a', 101); /* 1 + (3 + 7 + 15 + 75) */
}

static void test_u16_length(void **state)
{
	(void)state;
	static const uint8_t in[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07, 0x00, 0x0F, 0xFF, 0xE5, 0x03};
	expect_run(in, sizeof in, 'a', 1001); /* u16 holds length - 3 = 997 */
}

static void test_u32_length(void **state)
{
	(void)state;
	static const uint8_t in[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07, 0x00, 0x0F, 0xFF,
				     0x00, 0x00, 0x6D, 0x11, 0x01, 0x00};
	expect_run(in, sizeof in, 'a', 70001); /* u32 69997 */
}

static void test_shared_half_byte(void **state)
{
	(void)state;
	/* two long matches share one length byte: low nibble 0 for the first, high 2 */
	static const uint8_t in[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07, 0x00, 0x20, 0x07, 0x00};
	expect_run(in, sizeof in, 'a', 23); /* 1 + 10 + 12 */
}

static void test_corrupt_streams(void **state)
{
	(void)state;
	uint8_t out[2000];
	static const uint8_t far[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x08, 0x00}; /* distance 2 > 1 */
	assert_int_equal(etl_xpress_decompress(far, sizeof far, out, sizeof out), -1);
	static const uint8_t cut[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07}; /* half a match */
	assert_int_equal(etl_xpress_decompress(cut, sizeof cut, out, sizeof out), -1);
	static const uint8_t nolen[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07, 0x00}; /* no nibble */
	assert_int_equal(etl_xpress_decompress(nolen, sizeof nolen, out, sizeof out), -1);
	static const uint8_t flags[] = {0x00, 0x00}; /* truncated flag word */
	assert_int_equal(etl_xpress_decompress(flags, sizeof flags, out, sizeof out), -1);
	static const uint8_t small22[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07, 0x00, 0x0F, 0xFF,
					  0x05, 0x00}; /* u16 length below 22 */
	assert_int_equal(etl_xpress_decompress(small22, sizeof small22, out, sizeof out), -1);
	/* output bound */
	static const uint8_t big[] = {0xFF, 0xFF, 0xFF, 0x7F, 'a', 0x07, 0x00, 0x0F, 0xFF, 0xE5, 0x03};
	assert_int_equal(etl_xpress_decompress(big, sizeof big, out, 100), -1);
	assert_int_equal(etl_xpress_decompress(NULL, 0, out, sizeof out), 0);
}

static void roundtrip(const uint8_t *data, size_t n)
{
	size_t cap = etlgen_lz77_bound(n);
	uint8_t *z = malloc(cap), *back = malloc(n + 1);
	assert_non_null(z);
	assert_non_null(back);
	size_t zn = etlgen_lz77_compress(data, n, z, cap);
	assert_true(zn > 0);
	assert_int_equal(etl_xpress_decompress(z, zn, back, n + 1), (long)n);
	assert_memory_equal(back, data, n);
	/* every prefix of the stream decodes safely: it fails or yields at most n bytes */
	for (size_t cutn = 0; cutn < zn; cutn += 1 + zn / 50) {
		long got = etl_xpress_decompress(z, cutn, back, n + 1);
		assert_true(got <= (long)n);
	}
	free(z);
	free(back);
}

static void test_roundtrip(void **state)
{
	(void)state;
	size_t n = 200000;
	uint8_t *d = malloc(n);
	assert_non_null(d);
	uint64_t x = 12345;
	for (size_t i = 0; i < n; i++) { /* random */
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		d[i] = (uint8_t)(x >> 56);
	}
	roundtrip(d, n);
	for (size_t i = 0; i < n; i++) /* structured, ETL-like records */
		d[i] = (i % 32 < 8) ? (uint8_t)(i / 32) : (uint8_t)(i % 7);
	roundtrip(d, n);
	memset(d, 0xFF, n); /* long runs: u16 lengths */
	roundtrip(d, n);
	roundtrip(d, 0);
	roundtrip(d, 1);
	for (size_t len = 2; len < 80; len++) { /* all short lengths and flag-word edges */
		for (size_t i = 0; i < len; i++)
			d[i] = (uint8_t)(i % 3);
		roundtrip(d, len);
	}
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_short_match_overlapping),
		cmocka_unit_test(test_nibble_length),
		cmocka_unit_test(test_byte_length),
		cmocka_unit_test(test_u16_length),
		cmocka_unit_test(test_u32_length),
		cmocka_unit_test(test_shared_half_byte),
		cmocka_unit_test(test_corrupt_streams),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
