/* test_pdb_omap.c — OMAP (rearranged images such as ntoskrnl.exe): the test PDB is rebuilt
 * here into a new MSF file with an "OMAP from source" table and the original section headers
 * added, as BBT leaves them: etl_alpha and helper_mul move up to .text+0x800, etl_beta moves
 * down to where etl_alpha was, helper_add is dropped, the rest stays. Expected RVAs are the
 * llvm-pdbutil ones (expect.txt) moved by that table, by hand. Then broken variants: no
 * original headers, an unsorted table, a table of half an entry. */
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

#define BS 4096u
#define MAXS 64

static fx F;

typedef struct msf {
	uint32_t n;
	uint8_t *data[MAXS];
	uint32_t size[MAXS]; /* 0xffffffff: nil */
} msf;

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}
static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Splits a whole MSF file (block size 4096 as lld writes) into its streams. */
static void msf_split(const uint8_t *b, msf *m)
{
	assert_int_equal(rd32(b + 32), BS);
	uint32_t dir_bytes = rd32(b + 44), map = rd32(b + 52);
	uint8_t *dir = malloc(dir_bytes + BS);
	for (uint32_t i = 0; i * BS < dir_bytes; i++)
		memcpy(dir + i * BS, b + (size_t)rd32(b + map * BS + 4 * i) * BS, BS);
	m->n = rd32(dir);
	assert_true(m->n < MAXS - 2);
	uint32_t w = 1 + m->n;
	for (uint32_t s = 0; s < m->n; s++) {
		m->size[s] = rd32(dir + 4 + 4 * s);
		uint32_t len = m->size[s] == 0xffffffffu ? 0 : m->size[s];
		m->data[s] = calloc(len + 1, 1);
		for (uint32_t off = 0; off < len; off += BS, w++)
			memcpy(m->data[s] + off, b + (size_t)rd32(dir + 4 * w) * BS,
			       len - off < BS ? len - off : BS);
	}
	free(dir);
}

static uint32_t msf_add(msf *m, const void *p, uint32_t len)
{
	m->data[m->n] = malloc(len + 1);
	memcpy(m->data[m->n], p, len);
	m->size[m->n] = len;
	return m->n++;
}

/* Writes m as an MSF file: superblock, two free-block-map blocks, the streams, the
 * directory, the block holding the directory's block list. Returns the path (malloc'd). */
static char *msf_write(const msf *m)
{
	uint32_t next = 3, dir_words = 1 + m->n;
	for (uint32_t s = 0; s < m->n; s++)
		if (m->size[s] != 0xffffffffu)
			dir_words += (m->size[s] + BS - 1) / BS;
	uint32_t data_blocks = dir_words - 1 - m->n, dir_blocks = (dir_words * 4 + BS - 1) / BS;
	uint32_t nblocks = 3 + data_blocks + dir_blocks + 1;
	uint8_t *f = calloc(nblocks, BS), *dir = calloc(dir_blocks, BS);
	memcpy(f,
	       "Microsoft C/C++ MSF 7.00\r\n\x1a"
	       "DS\0\0\0",
	       32);
	wr32(dir, m->n);
	uint32_t w = 1 + m->n;
	for (uint32_t s = 0; s < m->n; s++) {
		wr32(dir + 4 + 4 * s, m->size[s]);
		uint32_t len = m->size[s] == 0xffffffffu ? 0 : m->size[s];
		for (uint32_t off = 0; off < len; off += BS, w++, next++) {
			memcpy(f + (size_t)next * BS, m->data[s] + off,
			       len - off < BS ? len - off : BS);
			wr32(dir + 4 * w, next);
		}
	}
	uint32_t map = next + dir_blocks;
	for (uint32_t i = 0; i < dir_blocks; i++, next++) {
		memcpy(f + (size_t)next * BS, dir + (size_t)i * BS, BS);
		wr32(f + (size_t)map * BS + 4 * i, next);
	}
	wr32(f + 32, BS);
	wr32(f + 36, 1);
	wr32(f + 40, nblocks);
	wr32(f + 44, dir_words * 4);
	wr32(f + 52, map);
	char *path = strdup("/tmp/etlscope-omap-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f, (size_t)nblocks * BS), (ssize_t)nblocks * BS);
	close(fd);
	free(f);
	free(dir);
	return path;
}

static void msf_free(msf *m)
{
	for (uint32_t s = 0; s < m->n; s++)
		free(m->data[s]);
}

static const fx_row *row(const char *kind, const char *name)
{
	for (size_t i = 0; i < F.n; i++)
		if (!strcmp(F.rows[i].kind, kind) && !strcmp(F.rows[i].name, name))
			return &F.rows[i];
	fail_msg("expect.txt lacks %s %s", kind, name);
	return NULL;
}

/* Offset in the DBI stream of its optional debug header (README §3). */
static uint32_t dbg_off(const uint8_t *dbi)
{
	uint32_t off = 64;
	static const int sizes[] = {24, 28, 32, 36, 40, 52};
	for (int i = 0; i < 6; i++)
		off += rd32(dbi + sizes[i]);
	return off;
}

enum variant { GOOD, NO_ORIG, UNSORTED, HALF_ENTRY };

/* Builds the rearranged PDB; *to_text receives where etl_alpha moved. */
static char *build(enum variant v, uint32_t *table, size_t *nent)
{
	FILE *in = fopen(F.pdb, "rb");
	fseek(in, 0, SEEK_END);
	size_t len = (size_t)ftell(in);
	rewind(in);
	uint8_t *b = malloc(len);
	assert_int_equal(fread(b, 1, len, in), len);
	fclose(in);
	msf m = {0};
	msf_split(b, &m);
	free(b);
	uint8_t *dbi = m.data[3];
	uint8_t *dbg = dbi + dbg_off(dbi);
	assert_true(rd32(dbi + 48) >= 22);                /* 11 entries */
	uint32_t sh = (uint32_t)(dbg[10] | dbg[11] << 8); /* entry 5: final section headers */
	uint32_t text_va = rd32(m.data[sh] + 12);
	const fx_row *alpha = row("proc", "etl_alpha"), *mul = row("proc", "helper_mul"),
	 *beta = row("proc", "etl_beta"), *add = row("proc", "helper_add"),
	 *one = row("public", "nodbg_one");
	if (!(alpha->a < mul->a && mul->a < beta->a && beta->a < add->a && add->a < one->a))
		fail_msg("the fixture's layout changed: etl_alpha < helper_mul < etl_beta < "
			 "helper_add < nodbg_one expected");
	/* from → to: alpha..beta up to .text+0x800, beta.. down to alpha, helper_add gone. */
	uint32_t t[8] = {alpha->a, text_va + 0x800, beta->a, alpha->a, add->a, 0, one->a, one->a};
	if (v == UNSORTED) {
		uint32_t x = t[2], y = t[3];
		t[2] = t[4], t[3] = t[5], t[4] = x, t[5] = y;
	}
	memcpy(table, t, sizeof t);
	*nent = 4;
	uint8_t raw[32];
	for (int i = 0; i < 8; i++)
		wr32(raw + 4 * i, t[i]);
	uint32_t omap = msf_add(&m, raw, v == HALF_ENTRY ? 28 : 32);
	uint32_t orig = msf_add(&m, m.data[sh], m.size[sh]);
	/* The final .text is larger: it now reaches .text+0x900. */
	wr32(m.data[sh] + 8, 0x900);
	wr16(dbg + 2 * 4, (uint16_t)omap);
	wr16(dbg + 2 * 10, v == NO_ORIG ? 0xffff : (uint16_t)orig);
	char *path = msf_write(&m);
	msf_free(&m);
	return path;
}

static uint32_t by_hand(const uint32_t *t, uint32_t rva, int *gone)
{
	int k = -1;
	for (int i = 0; i < 4; i++)
		if (t[2 * i] <= rva)
			k = i;
	*gone = k < 0 || t[2 * k + 1] == 0;
	return *gone ? 0 : t[2 * k + 1] + (rva - t[2 * k]);
}

static void test_rearranged(void **state)
{
	(void)state;
	if (fx_load(&F) != 0)
		skip();
	uint32_t t[8];
	size_t n;
	char *path = build(GOOD, t, &n);
	char err[PDB_ERR_LEN];
	pdb *p = pdb_open(path, err, sizeof err);
	if (!p)
		fail_msg("pdb_open: %s", err);
	int moved = 0, dropped = 0;
	for (size_t i = 0; i < F.n; i++) {
		const fx_row *r = &F.rows[i];
		if (strcmp(r->kind, "proc") && !(strcmp(r->kind, "public") == 0 && r->b == 1))
			continue;
		int gone;
		uint32_t to = by_hand(t, r->a, &gone);
		if (gone) {
			dropped++;
			continue;
		}
		const char *name;
		uint32_t off;
		if (!pdb_lookup(p, to, &name, &off))
			fail_msg("%s moved to 0x%x: not found", r->name, to);
		assert_string_equal(name, r->name);
		assert_int_equal(off, 0);
		moved += to != r->a;
	}
	assert_int_equal(moved, 5); /* etl_alpha, helper_mul, etl_beta as proc and as public */
	assert_int_equal(dropped, 1);
	/* The dropped function's name is gone everywhere. */
	for (uint32_t rva = 0; rva < 0x6000; rva++) {
		const char *name;
		uint32_t off;
		if (pdb_lookup(p, rva, &name, &off) && !strcmp(name, "helper_add"))
			fail_msg("helper_add still answers at 0x%x", rva);
	}
	pdb_close(p);
	unlink(path);
	free(path);
}

static void test_broken(void **state)
{
	(void)state;
	if (fx_load(&F) != 0)
		skip();
	static const struct {
		enum variant v;
		const char *error;
	} rows[] = {
		{NO_ORIG, "no original section headers"},
		{UNSORTED, "not sorted"},
		{HALF_ENTRY, "not whole entries"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint32_t t[8];
		size_t n;
		char *path = build(rows[i].v, t, &n);
		char err[PDB_ERR_LEN] = "";
		pdb *p = pdb_open(path, err, sizeof err);
		if (p)
			fail_msg("variant %d opened", (int)rows[i].v);
		if (!strstr(err, rows[i].error))
			fail_msg("variant %d: \"%s\" lacks \"%s\"", (int)rows[i].v, err,
				 rows[i].error);
		unlink(path);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rearranged),
		cmocka_unit_test(test_broken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
