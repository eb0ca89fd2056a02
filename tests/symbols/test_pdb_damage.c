/* test_pdb_damage.c — damaged copies of the generated PDB: each damage gives a clean error
 * naming what is wrong (never a crash, never a read outside the file); random byte flips
 * give an error or a usable table. The container is located here with a second, minimal
 * reading of the superblock and directory, independent of symbols/pdb_msf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "symbols/pdb.h"
#include "pdb_fixture.h"

static fx F;
static uint8_t *orig;
static size_t orig_len;

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/* File offset of the directory (its first block), and of byte 0 of stream s. */
static size_t dir_off(const uint8_t *b)
{
	uint32_t bs = rd32(b + 32);
	return (size_t)rd32(b + (size_t)rd32(b + 52) * bs) * bs;
}
static size_t dir_block_list_word(const uint8_t *b, uint32_t s)
{
	const uint8_t *d = b + dir_off(b);
	uint32_t bs = rd32(b + 32), ns = rd32(d), w = 1 + ns;
	for (uint32_t i = 0; i < s; i++) {
		uint32_t size = rd32(d + 4 + 4 * i);
		if (size != 0xffffffffu)
			w += (size + bs - 1) / bs;
	}
	return w; /* word index in the directory of stream s's first block */
}
static size_t stream_off(const uint8_t *b, uint32_t s)
{
	return (size_t)rd32(b + dir_off(b) + 4 * dir_block_list_word(b, s)) * rd32(b + 32);
}

static int setup(void **state)
{
	(void)state;
	if (fx_load(&F) != 0)
		return 0;
	FILE *in = fopen(F.pdb, "rb");
	if (!in)
		return -1;
	fseek(in, 0, SEEK_END);
	orig_len = (size_t)ftell(in);
	rewind(in);
	orig = malloc(orig_len);
	size_t got = fread(orig, 1, orig_len, in);
	fclose(in);
	return got == orig_len ? 0 : -1;
}
static int teardown(void **state)
{
	(void)state;
	free(orig);
	return 0;
}

/* Writes len bytes of b to a temporary file and opens it; returns the pdb or NULL. */
static pdb *open_bytes(const uint8_t *b, size_t len, char *err)
{
	char path[] = "/tmp/etlscope-pdbdmg-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
	err[0] = '\0';
	pdb *p = pdb_open(path, err, PDB_ERR_LEN);
	unlink(path);
	return p;
}

typedef struct damage {
	const char *what;
	size_t keep; /* 0 = whole file, else truncate to this many bytes */
	void (*mutate)(uint8_t *b);
	const char *error; /* substring of the expected error */
} damage;

static void bad_magic(uint8_t *b)
{
	b[10] ^= 0x20;
}
static void bad_block_size(uint8_t *b)
{
	wr32(b + 32, 1000);
}
static void huge_directory(uint8_t *b)
{
	wr32(b + 44, 0xfffffff0u);
}
static void map_outside(uint8_t *b)
{
	wr32(b + 52, 0x00ffffffu);
}
static void many_streams(uint8_t *b)
{
	wr32(b + dir_off(b), 0x7fffffffu);
}
static void huge_stream(uint8_t *b)
{
	wr32(b + dir_off(b) + 4 * (1 + 3), 0x7fffffffu);
}
static void block_outside(uint8_t *b)
{
	wr32(b + dir_off(b) + 4 * dir_block_list_word(b, 3), 0x00fffff0u);
}
static void old_dbi(uint8_t *b)
{
	wr32(b + stream_off(b, 3), 0);
}
static void negative_modinfo(uint8_t *b)
{
	wr32(b + stream_off(b, 3) + 24, 0x80000000u);
}
static void huge_section_map(uint8_t *b)
{
	wr32(b + stream_off(b, 3) + 32, 0x7ffffff0u);
}
static void no_info(uint8_t *b)
{
	wr32(b + dir_off(b) + 4 * (1 + 1), 0xffffffffu);
}
static void short_info(uint8_t *b)
{
	wr32(b + dir_off(b) + 4 * (1 + 1), 12);
}

static const damage damages[] = {
	{"40 bytes", 40, NULL, "too short"},
	{"half the file", 1, NULL, "truncated"},
	{"magic", 0, bad_magic, "not a PDB"},
	{"block size 1000", 0, bad_block_size, "block size"},
	{"directory of 4 GiB", 0, huge_directory, "out of bounds"},
	{"block map outside", 0, map_outside, "outside the file"},
	{"2^31 streams", 0, many_streams, "claims"},
	{"DBI of 2 GiB", 0, huge_stream, "runs past the directory"},
	{"DBI block outside", 0, block_outside, "outside the file"},
	{"pre-7.0 DBI", 0, old_dbi, "old"},
	{"negative module list", 0, negative_modinfo, "negative size"},
	{"section map past DBI", 0, huge_section_map, "run past"},
	{"nil info stream", 0, no_info, "info stream"},
	{"12-byte info stream", 0, short_info, "info stream"},
};

static void test_damages(void **state)
{
	(void)state;
	if (!orig)
		skip();
	uint8_t *b = malloc(orig_len);
	for (size_t i = 0; i < sizeof damages / sizeof damages[0]; i++) {
		const damage *d = &damages[i];
		memcpy(b, orig, orig_len);
		size_t len = d->keep == 1 ? orig_len / 2 : d->keep ? d->keep : orig_len;
		if (d->mutate)
			d->mutate(b);
		char err[PDB_ERR_LEN];
		pdb *p = open_bytes(b, len, err);
		if (p) {
			pdb_close(p);
			fail_msg("%s: opened a damaged PDB", d->what);
		}
		if (!strstr(err, d->error))
			fail_msg("%s: error \"%s\" lacks \"%s\"", d->what, err, d->error);
	}
	free(b);
}

/* Byte flips anywhere: pdb_open must answer (table or error), lookups stay in bounds. */
static void test_random_flips(void **state)
{
	(void)state;
	if (!orig)
		skip();
	uint8_t *b = malloc(orig_len);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int opened = 0, refused = 0;
	for (int round = 0; round < 300; round++) {
		memcpy(b, orig, orig_len);
		int flips = 1 + round % 8;
		for (int k = 0; k < flips; k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			b[(x >> 20) % orig_len] ^= (uint8_t)(1u << ((x >> 8) & 7));
		}
		char err[PDB_ERR_LEN];
		pdb *p = open_bytes(b, orig_len, err);
		if (!p) {
			assert_true(err[0] != '\0');
			refused++;
			continue;
		}
		opened++;
		for (uint32_t rva = 0; rva < 0x6000; rva += 7) {
			const char *name;
			uint32_t off;
			if (pdb_lookup(p, rva, &name, &off))
				assert_true(off <= rva && strlen(name) > 0);
		}
		pdb_close(p);
	}
	assert_int_equal(opened + refused, 300);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_damages),
		cmocka_unit_test(test_random_flips),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
