/* fuzz_fact_blob.c — libFuzzer harness for the decoder of the packed per-slice facts
 * (db/db_factblob.h): blobs come from run files, which can be imported, so arbitrary bytes
 * must be read within bounds or refused. Asserts: decoding is deterministic (same result,
 * same entries); an accepted blob has at most one entry per byte; re-encoding what it
 * decoded fits db_factblob_bound and decodes to the same entries. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "db/db_factblob.h"
#include "fuzz/invariant.h"

#define KEEP 4096

struct seen {
	struct db_factblob_entry *e;
	size_t n;
};

static int keep(void *ud, const struct db_factblob_entry *e)
{
	struct seen *s = ud;
	if (s->n < KEEP)
		s->e[s->n] = *e;
	s->n++;
	return 0;
}

static int decode(const uint8_t *p, size_t len, struct seen *s)
{
	s->n = 0;
	return db_factblob_decode(p, len, keep, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the blob */
	uint8_t *blob = malloc(size ? size : 1);
	struct db_factblob_entry *a = calloc(KEEP, sizeof *a), *b = calloc(KEEP, sizeof *b);
	struct sink_slice_fact *f = calloc(KEEP, sizeof *f);
	uint8_t *again = malloc(db_factblob_bound(KEEP));
	FUZZ_CHECK(blob && a && b && f && again);
	memcpy(blob, data, size);
	struct seen s1 = {a, 0}, s2 = {b, 0};
	int rc = decode(blob, size, &s1);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(decode(blob, size, &s2) == rc && s2.n == s1.n);
	size_t kept = s1.n < KEEP ? s1.n : KEEP;
	FUZZ_CHECK(memcmp(a, b, kept * sizeof *a) == 0);
	if (rc == 0 && s1.n <= KEEP) {
		FUZZ_CHECK(s1.n <= size);
		for (size_t i = 0; i < s1.n; i++)
			f[i] = (struct sink_slice_fact){1, 0, 0, a[i].pid, a[i].tid, a[i].key,
							a[i].v[0], a[i].v[1], a[i].v[2], a[i].v[3]};
		size_t len = db_factblob_encode(f, s1.n, again);
		FUZZ_CHECK(len <= db_factblob_bound(s1.n));
		FUZZ_CHECK(decode(again, len, &s2) == 0 && s2.n == s1.n);
		FUZZ_CHECK(memcmp(a, b, s1.n * sizeof *a) == 0);
	}
	free(blob);
	free(a);
	free(b);
	free(f);
	free(again);
	return 0;
}
