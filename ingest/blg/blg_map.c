/* blg_map.c — open-addressing (linear probing) string → uint32 map, FNV-1a hashed. */
#include <stdlib.h>
#include <string.h>
#include "blg_map.h"
#include "blg_str.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

void blg_map_init(struct blg_map *m)
{
	memset(m, 0, sizeof *m);
}

void blg_map_free(struct blg_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

static size_t find(const struct blg_map *m, const char *key)
{
	for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
		if (!m->keys[i] || strcmp(m->keys[i], key) == 0)
			return i;
}

int blg_map_get(const struct blg_map *m, const char *key, uint32_t *val)
{
	size_t i;
	if (!m->cap)
		return 0;
	i = find(m, key);
	if (!m->keys[i])
		return 0;
	*val = m->vals[i];
	return 1;
}

const char *blg_map_key(const struct blg_map *m, const char *key)
{
	if (!m->cap)
		return NULL;
	return m->keys[find(m, key)];
}

int blg_map_set(struct blg_map *m, const char *key, uint32_t val)
{
	size_t i;
	if (!m->cap)
		return 0;
	i = find(m, key);
	if (!m->keys[i])
		return 0;
	m->vals[i] = val;
	return 1;
}

static void place(char **keys, uint32_t *vals, size_t cap, char *key, uint32_t val)
{
	size_t i = hash(key) & (cap - 1);
	while (keys[i])
		i = (i + 1) & (cap - 1);
	keys[i] = key;
	vals[i] = val;
}

static int grow(struct blg_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	char **keys = calloc(cap, sizeof *keys);
	uint32_t *vals = calloc(cap, sizeof *vals);
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			place(keys, vals, cap, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int blg_map_put(struct blg_map *m, const char *key, uint32_t val)
{
	char *k;
	if ((m->count + 1) * 2 > m->cap && grow(m))
		return -1;
	k = blg_strdup(key);
	if (!k)
		return -1;
	place(m->keys, m->vals, m->cap, k, val);
	m->count++;
	return 0;
}
