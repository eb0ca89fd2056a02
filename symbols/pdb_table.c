/* pdb_table.c — the sorted address table of one PDB, with interned names (a PDB repeats the
 * same name in its publics and its procedure records: the arena keeps one copy). */
#include "pdb_table.h"
#include "pdb.h"
#include <stdlib.h>
#include <string.h>

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static int grow_hash(pdb_table *t)
{
	size_t cap = t->hash_cap ? t->hash_cap * 2 : 1024;
	uint32_t *h = calloc(cap, sizeof *h);
	if (!h)
		return -1;
	for (size_t i = 0; i < t->hash_cap; i++) {
		if (!t->hash[i])
			continue;
		const char *s = t->names + t->hash[i] - 1;
		size_t j = name_hash(s, strlen(s)) & (cap - 1);
		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = t->hash[i];
	}
	free(t->hash);
	t->hash = h;
	t->hash_cap = cap;
	return 0;
}

/* Offset of the interned copy of name, or -1 when the name bound is reached. */
static int64_t intern(pdb_table *t, const char *name, size_t len)
{
	if (t->distinct * 2 >= t->hash_cap && grow_hash(t) != 0)
		return -1;
	size_t j = name_hash(name, len) & (t->hash_cap - 1);
	for (; t->hash[j]; j = (j + 1) & (t->hash_cap - 1)) {
		const char *s = t->names + t->hash[j] - 1;
		if (strncmp(s, name, len) == 0 && s[len] == '\0')
			return t->hash[j] - 1;
	}
	if (t->names_len + len + 1 > PDB_MAX_NAMES)
		return -1;
	if (t->names_len + len + 1 > t->names_cap) {
		size_t cap = t->names_cap ? t->names_cap : 65536;
		while (cap < t->names_len + len + 1)
			cap *= 2;
		char *n = realloc(t->names, cap);
		if (!n)
			return -1;
		t->names = n;
		t->names_cap = cap;
	}
	size_t off = t->names_len;
	memcpy(t->names + off, name, len);
	t->names[off + len] = '\0';
	t->names_len += len + 1;
	t->hash[j] = (uint32_t)off + 1;
	t->distinct++;
	return (int64_t)off;
}

int pdb_table_add(pdb_table *t, uint32_t rva, uint16_t section, uint32_t size, int kind,
		  const char *name, size_t len)
{
	if (t->n >= PDB_MAX_SYMBOLS)
		return -1;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		pdb_sym *s = realloc(t->syms, cap * sizeof *s);
		if (!s)
			return -1;
		t->syms = s;
		t->cap = cap;
	}
	int64_t off = intern(t, name, len);
	if (off < 0)
		return -1;
	t->syms[t->n++] = (pdb_sym){.rva = rva,
				    .size = size,
				    .name = (uint32_t)off,
				    .section = section,
				    .kind = (uint8_t)kind};
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const pdb_sym *x = a, *y = b;
	if (x->rva != y->rva)
		return x->rva < y->rva ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

void pdb_table_finish(pdb_table *t)
{
	if (t->n)
		qsort(t->syms, t->n, sizeof *t->syms, cmp_sym);
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++)
		if (w == 0 || t->syms[w - 1].rva != t->syms[i].rva)
			t->syms[w++] = t->syms[i];
	t->n = w;
	free(t->hash); /* names are final: the hash is only for building */
	t->hash = NULL;
	t->hash_cap = 0;
}

ptrdiff_t pdb_table_find(const pdb_table *t, uint32_t rva)
{
	size_t lo = 0, hi = t->n; /* first index with syms[i].rva > rva */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo - 1;
}

void pdb_table_clear(pdb_table *t)
{
	free(t->syms);
	free(t->names);
	free(t->hash);
	memset(t, 0, sizeof *t);
}
