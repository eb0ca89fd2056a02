/* fuzz_stk_blob.c — libFuzzer harness for the decoder of the packed stack sample counts
 * (db/db_stkblob.h): blobs come from run files, which can be imported, so arbitrary bytes
 * must be read within bounds or refused. Asserts: decoding is deterministic (same result,
 * same records); an accepted blob has at most one record per 4 bytes, as its header's
 * count says; re-encoding what it decoded takes no more bytes (varints may be written
 * longer than needed) and decodes to the same records; merging the records with themselves doubles every n (or reports an overflow). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "db/db_stkblob.h"
#include "fuzz/invariant.h"

struct seen {
	struct db_stkblob_rec *r;
	size_t n, cap;
};

static int keep(void *ud, const struct db_stkblob_rec *r)
{
	struct seen *s = ud;
	if (s->n < s->cap)
		s->r[s->n] = *r;
	s->n++;
	return 0;
}

static int decode(const uint8_t *p, size_t len, struct seen *s)
{
	s->n = 0;
	return db_stkblob_decode(p, len, keep, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the blob */
	size_t cap = size / 4 + 1;
	uint8_t *blob = malloc(size ? size : 1);
	struct db_stkblob_rec *a = calloc(cap, sizeof *a), *b = calloc(cap, sizeof *b);
	struct db_stkblob_rec *m = calloc(2 * cap, sizeof *m);
	uint8_t *again = malloc(db_stkblob_bound(cap));
	FUZZ_CHECK(blob && a && b && m && again);
	memcpy(blob, data, size);
	struct seen s1 = {a, 0, cap}, s2 = {b, 0, cap};
	int rc = decode(blob, size, &s1);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(decode(blob, size, &s2) == rc && s2.n == s1.n);
	FUZZ_CHECK(s1.n <= cap);
	FUZZ_CHECK(memcmp(a, b, s1.n * sizeof *a) == 0);
	if (rc == 0) {
		FUZZ_CHECK(s1.n <= size / 4 && db_stkblob_count(blob, size) == (int64_t)s1.n);
		size_t len = db_stkblob_encode(a, s1.n, again);
		FUZZ_CHECK(len >= 2 && len <= size);
		FUZZ_CHECK(decode(again, len, &s2) == 0 && s2.n == s1.n);
		FUZZ_CHECK(memcmp(a, b, s1.n * sizeof *a) == 0);
		int64_t k = db_stkblob_merge(a, s1.n, a, s1.n, m);
		FUZZ_CHECK(k == -1 || k == (int64_t)s1.n);
		for (int64_t i = 0; i < k; i++)
			FUZZ_CHECK(m[i].node == a[i].node && m[i].n == 2 * a[i].n);
	}
	free(blob);
	free(a);
	free(b);
	free(m);
	free(again);
	return 0;
}
