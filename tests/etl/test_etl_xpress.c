/* test_etl_xpress.c — [MS-XCA] plain LZ77: hand-built vectors for every length encoding,
 * corrupt streams rejected, round trips through the etlgen compressor, and the decoder
 * against a second, one-flag-at-a-time decoder written here (ref_decompress) on every
 * compressed buffer of the PerfView sample (MANIFEST.md: 359 XPRESS buffers) and on
 * random and mutated streams: same length or error, same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_buffer.h"
#include "ingest/etl/etl_xpress.h"
#include "tools/etlgen/etlgen.h"


/* The reference: [MS-XCA] §2.4 read literally, one flag bit and one output byte at a time. */
static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }

/* A match's total length from its u16 m ([MS-XCA] 2.4.4, read as totals): m & 7 below 7
 * is length - 3; else a half byte (low half first, the high half of the same byte at the
 * next long match) below 15 is length - 10; else a byte below 255 is length - 25; else a
 * u16 (or, when 0, a u32) is length - 3 itself. -1 when the stream ends inside it. */
struct ref_state {
	size_t ip, half;
	int have_half;
};

static long ref_length(const uint8_t *in, size_t n, struct ref_state *r, uint32_t m)
{
	if ((m & 7) < 7)
		return (long)(m & 7) + 3;
	unsigned nib;
	if (r->have_half) {
		nib = in[r->half] >> 4;
	} else {
		if (r->ip >= n)
			return -1;
		r->half = r->ip++;
		nib = in[r->half] & 15;
	}
	r->have_half = !r->have_half;
	if (nib < 15)
		return (long)nib + 10;
	if (r->ip >= n)
		return -1;
	unsigned byte = in[r->ip++];
	if (byte < 255)
		return (long)byte + 25;
	uint32_t total;
	if (n - r->ip < 2)
		return -1;
	total = rd16(in + r->ip);
	r->ip += 2;
	if (total == 0) {
		if (n - r->ip < 4)
			return -1;
		total = rd32(in + r->ip);
		r->ip += 4;
	}
	return total < 22 ? -1 : (long)total + 3;
}

static long ref_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap)
{
	struct ref_state r = {0, 0, 0};
	size_t op = 0;
	for (;;) {
		if (r.ip == in_len)
			return (long)op; /* the end, on a word boundary or in its padding bits */
		if (in_len - r.ip < 4)
			return -1;
		uint32_t flags = rd32(in + r.ip);
		r.ip += 4;
		for (int bit = 31; bit >= 0; bit--) {
			if (r.ip == in_len)
				return (long)op;
			if (!(flags >> bit & 1)) {
				if (op >= out_cap)
					return -1;
				out[op++] = in[r.ip++];
				continue;
			}
			if (in_len - r.ip < 2)
				return -1;
			uint32_t m = rd16(in + r.ip);
			r.ip += 2;
			long len = ref_length(in, in_len, &r, m);
			size_t dist = (m >> 3) + 1;
			if (len < 0 || dist > op || (size_t)len > out_cap - op)
				return -1;
			for (long i = 0; i < len; i++, op++)
				out[op] = out[op - dist];
		}
	}
}

/* Both decoders on one stream with one output bound: the same result, the same bytes. */
static void same_as_ref(const uint8_t *in, size_t n, size_t cap)
{
	uint8_t *a = malloc(cap + 1), *b = malloc(cap + 1);
	assert_non_null(a);
	assert_non_null(b);
	long got = etl_xpress_decompress(in, n, a, cap), want = ref_decompress(in, n, b, cap);
	assert_int_equal(got, want);
	if (want > 0)
		assert_memory_equal(a, b, (size_t)want);
	free(a);
	free(b);
}

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


/* Every XPRESS buffer of the PerfView sample (format 3, BufferSize 64 KiB): its Offset is
 * the uncompressed size, which both decoders must produce exactly and identically; and
 * with the bound cut short, both fail. */
static void test_sample_buffers(void **state)
{
	(void)state;
	FILE *f = fopen(SHARED_DIR "/samples/etl/perfview-net452-x64-compressed.etl", "rb");
	assert_non_null(f);
	static uint8_t raw[1 << 20];
	uint8_t hb[ETL_BUFFER_HEADER_SIZE];
	int n_compressed = 0;
	for (long off = 0; fseek(f, off, SEEK_SET) == 0 && fread(hb, 1, sizeof hb, f) == sizeof hb;) {
		struct etl_buffer_header h;
		etl_buffer_header_parse(hb, &h);
		assert_true(h.buffer_size >= ETL_BUFFER_HEADER_SIZE && h.buffer_size <= sizeof raw);
		size_t body = h.buffer_size - ETL_BUFFER_HEADER_SIZE;
		assert_int_equal(fread(raw, 1, body, f), body);
		if (h.flags & ETL_BUF_COMPRESSED) {
			size_t want = h.offset - ETL_BUFFER_HEADER_SIZE;
			uint8_t *out = malloc(want);
			assert_non_null(out);
			assert_int_equal(etl_xpress_decompress(raw, body, out, want), (long)want);
			free(out);
			same_as_ref(raw, body, want);
			same_as_ref(raw, body, want + 100);
			same_as_ref(raw, body, want - 1);
			same_as_ref(raw, body / 2, want);
			n_compressed++;
		}
		off += (long)h.buffer_size;
	}
	fclose(f);
	assert_int_equal(n_compressed, 359); /* MANIFEST.md */
}

/* Random streams (literals, short and long matches at every distance, corrupt tails) and
 * etlgen streams with bytes flipped: the fast paths agree with the reference everywhere. */
static void test_random_vs_ref(void **state)
{
	(void)state;
	uint64_t x = 20261206;
	uint8_t in[4096];
	for (int round = 0; round < 3000; round++) {
		size_t n = 0, made = 0; /* made: output so far, at least (keeps most streams valid) */
		while (n + 16 < sizeof in) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t flags = (uint32_t)(x >> 32);
			if (round % 3 == 0)
				flags &= (uint32_t)x; /* more literals */
			memcpy(in + n, &flags, 4);
			n += 4;
			for (int bit = 31; bit >= 0 && n + 8 < sizeof in; bit--) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				if (!(flags >> bit & 1)) {
					in[n++] = (uint8_t)(x >> 40);
					made++;
					continue;
				}
				/* distances mostly small (overlaps, 1..16), lengths up to long */
				uint32_t dist = (uint32_t)(x >> 20) % (x >> 63 ? 16 : 400);
				if (dist >= made && made && x >> 58)
					dist = (uint32_t)((x >> 20) % made);
				uint32_t len = (uint32_t)(x >> 10) & 7;
				made += len + 3;
				uint32_t m = dist << 3 | len;
				in[n++] = (uint8_t)m;
				in[n++] = (uint8_t)(m >> 8);
				if (len == 7)
					in[n++] = (uint8_t)(x >> 48);
			}
			if (x >> 60 == 0)
				break;
		}
		size_t caps[] = {n * 3, n * 40, 64, (size_t)(x >> 8) % 5000};
		for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
			same_as_ref(in, n, caps[c]);
		same_as_ref(in, n - (size_t)(x % 7), n * 40);
	}
	size_t dn = 20000;
	uint8_t *d = malloc(dn);
	assert_non_null(d);
	for (size_t i = 0; i < dn; i++)
		d[i] = (i % 24 < 8) ? (uint8_t)(i / 24) : (uint8_t)(i % 5);
	size_t cap = etlgen_lz77_bound(dn);
	uint8_t *z = malloc(cap);
	assert_non_null(z);
	size_t zn = etlgen_lz77_compress(d, dn, z, cap);
	for (int k = 0; k < 500; k++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint8_t *y = malloc(zn);
		assert_non_null(y);
		memcpy(y, z, zn);
		y[(x >> 16) % zn] ^= (uint8_t)(1u << (x >> 61));
		same_as_ref(y, zn, dn);
		same_as_ref(y, zn, dn + 64);
		free(y);
	}
	free(z);
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
		cmocka_unit_test(test_sample_buffers),
		cmocka_unit_test(test_random_vs_ref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
