/* fuzz_kb_lookup.c — libFuzzer harness for kb_lookup(): every input (cut at the first NUL,
 * at most 8 KiB) is looked up as is and checked against the lookup's promises: at most max
 * rows, each a row of the table and none twice; a smaller max gives a prefix of the same
 * answer; ASCII case, a trailing separator and a directory in front change nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kb/kb.h"

#define FUZZ_INPUT_MAX 8192

static size_t look(const char *s, const struct kb_entry **out, size_t max)
{
	size_t n = kb_lookup(s, out, max);
	if (n > max)
		abort();
	const struct kb_entry *first = kb_at(0), *last = kb_at(kb_count() - 1);
	for (size_t i = 0; i < n; i++) {
		if (!out[i] || out[i] < first || out[i] > last)
			abort();
		(void)strlen(out[i]->driver); /* readable, terminated */
		if (!kb_category_label(out[i]->category))
			abort();
		for (size_t k = 0; k < i; k++)
			if (out[k] == out[i])
				abort();
	}
	return n;
}

static void same(const struct kb_entry *const *a, size_t na, const struct kb_entry *const *b,
		 size_t nb)
{
	if (na != nb || (na && memcmp(a, b, na * sizeof *a) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[FUZZ_INPUT_MAX + 1], alt[FUZZ_INPUT_MAX + 32];
	if (size > FUZZ_INPUT_MAX)
		size = FUZZ_INPUT_MAX;
	memcpy(in, data, size);
	in[size] = '\0';
	size_t len = strlen(in);

	const struct kb_entry *full[KB_MATCH_MAX], *part[KB_MATCH_MAX], *other[KB_MATCH_MAX];
	size_t n = look(in, full, KB_MATCH_MAX);

	size_t max = size ? data[0] % (KB_MATCH_MAX + 1) : 0;
	size_t np = look(in, part, max);
	same(part, np, full, n < max ? n : max);

	for (size_t i = 0; i <= len; i++)
		alt[i] = in[i] >= 'a' && in[i] <= 'z' ? (char)(in[i] - 'a' + 'A') : in[i];
	same(other, look(alt, other, KB_MATCH_MAX), full, n);

	memcpy(alt, in, len);
	memcpy(alt + len, "\\", 2);
	same(other, look(alt, other, KB_MATCH_MAX), full, n);

	if (len && in[len - 1] != '\\' && in[len - 1] != '/') {
		memcpy(alt, "\\??\\C:\\dir\\", 11);
		memcpy(alt + 11, in, len + 1);
		same(other, look(alt, other, KB_MATCH_MAX), full, n);
	}
	return 0;
}
