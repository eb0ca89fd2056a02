/* test_etl_walker_read.c — the buffer walker reads the same buffers from a regular file
 * (pread, each read sized by the buffer before it) as from a stdio-only stream (fmemopen:
 * fseeko + fread): buffers that grow, shrink or stay alike, a file cut inside a later buffer
 * (truncated) and inside the first (handed out, marked cut). Expected offsets, lengths and
 * payload bytes come from the file images built here, not from the walker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ingest/etl/etl_buffer.h"
#include "ingest/etl/etl_le.h"

#define HDR 0x48
#define MAX_BUFS 8

static uint8_t pattern(size_t buf, size_t k)
{
	return (uint8_t)(buf * 31 + k * 7 + 1);
}

/* buffers of sizes[] back to back, each used whole (Offset = BufferSize), payload bytes
 * pattern(i, k); the image is then cut to `keep` bytes (0: whole). Returns its length. */
static size_t image(uint8_t *f, const uint32_t *sizes, size_t n, size_t keep)
{
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = f + off;
		memset(b, 0, HDR);
		etl_put32(b, sizes[i]);
		etl_put32(b + 0x30, sizes[i]);
		for (size_t k = 0; k < sizes[i] - HDR; k++)
			b[HDR + k] = pattern(i, k);
		off += sizes[i];
	}
	return keep && keep < off ? keep : off;
}

/* Walk f to its end; checks every buffer against the image; returns the last status. */
static int walk(FILE *f, const uint32_t *sizes, size_t whole, size_t cut_payload)
{
	struct etl_walker w;
	struct etl_buffer b;
	etl_walker_init(&w, f);
	size_t i = 0, off = 0;
	int rc;
	while ((rc = etl_walker_next(&w, &b)) == ETL_WALK_OK) {
		assert_true(i < MAX_BUFS);
		assert_int_equal(b.index, i);
		assert_int_equal(b.file_offset, off);
		assert_int_equal(b.bad, 0);
		size_t len = i < whole ? sizes[i] - HDR : cut_payload;
		assert_int_equal(b.cut, i >= whole);
		assert_int_equal(b.payload_len, len);
		for (size_t k = 0; k < len; k++)
			if (b.payload[k] != pattern(i, k))
				fail_msg("buffer %zu byte %zu: %u, not %u", i, k, b.payload[k],
					 pattern(i, k));
		off += sizes[i];
		i++;
	}
	assert_int_equal(i, whole + (cut_payload ? 1 : 0));
	etl_walker_free(&w);
	return rc;
}

static void test_regular_file_and_stream_alike(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint32_t sizes[MAX_BUFS];
		size_t n, keep;   /* buffers; bytes kept of the image (0: all) */
		size_t whole;     /* buffers handed out whole */
		size_t cut;       /* payload bytes of a cut first buffer (0: none) */
		int end;          /* the walk's last status */
	} cases[] = {
		{"alike", {4096, 4096, 4096}, 3, 0, 3, 0, ETL_WALK_END},
		{"grow then shrink", {4096, 8192, 16384, 4096, 256}, 5, 0, 5, 0, ETL_WALK_END},
		{"shrink then grow", {16384, 256, 8192}, 3, 0, 3, 0, ETL_WALK_END},
		{"header-only buffer between", {4096, HDR, 4096}, 3, 0, 3, 0, ETL_WALK_END},
		/* cut 100 bytes into the third buffer: two whole, then truncated */
		{"cut in a later buffer", {4096, 8192, 8192}, 3, 4096 + 8192 + 100, 2, 0,
		 ETL_WALK_TRUNCATED},
		/* cut 2000 bytes into a lone first buffer: handed out, cut */
		{"cut in the first buffer", {4096}, 1, 2000, 0, 2000 - HDR, ETL_WALK_END},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		static uint8_t img[64 * 1024];
		size_t len = image(img, cases[c].sizes, cases[c].n, cases[c].keep);
		FILE *reg = tmpfile();
		assert_non_null(reg);
		assert_int_equal(fwrite(img, 1, len, reg), len);
		assert_int_equal(fflush(reg), 0);
		rewind(reg);
		assert_true(etl_file_fd(reg) >= 0); /* the pread path */
		FILE *mem = fmemopen(img, len, "rb");
		assert_non_null(mem);
		assert_int_equal(etl_file_fd(mem), -1); /* the stdio path */
		print_message("case %s\n", cases[c].name);
		assert_int_equal(walk(reg, cases[c].sizes, cases[c].whole, cases[c].cut),
				 cases[c].end);
		assert_int_equal(walk(mem, cases[c].sizes, cases[c].whole, cases[c].cut),
				 cases[c].end);
		fclose(reg);
		fclose(mem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file_and_stream_alike),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
