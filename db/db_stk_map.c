/* db_stk_map.c — the stack store's bounded hash map (see db_stk_map.h). */
#include <stdlib.h>
#include <string.h>
#include "db_stk_map.h"

int stk_map_init(struct stk_map *m, unsigned cap_log2)
{
	m->cap = (size_t)1 << cap_log2;
	m->n = 0;
	m->e = calloc(m->cap, sizeof *m->e);
	return m->e ? 0 : -1;
}

void stk_map_free(struct stk_map *m)
{
	free(m->e);
	m->e = NULL;
	m->cap = m->n = 0;
}

void stk_map_reset(struct stk_map *m)
{
	memset(m->e, 0, m->cap * sizeof *m->e);
	m->n = 0;
}

static size_t slot(const struct stk_map *m, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full ^
		     (c + 0x165667B19E3779F9ull) * 0x94D049BB133111EBull;
	h ^= h >> 31;
	return (size_t)h & (m->cap - 1);
}

static struct stk_entry *find(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c)
{
	size_t i = slot(m, a, b, c);
	for (;;) {
		struct stk_entry *e = &m->e[i];
		if (!e->used || (e->k[0] == a && e->k[1] == b && e->k[2] == c))
			return e;
		i = (i + 1) & (m->cap - 1);
	}
}

struct stk_entry *stk_map_get(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c)
{
	struct stk_entry *e = find(m, a, b, c);
	return e->used ? e : NULL;
}

struct stk_entry *stk_map_put(struct stk_map *m, uint64_t a, uint64_t b, uint64_t c)
{
	struct stk_entry *e = find(m, a, b, c);
	if (e->used)
		return e;
	if (stk_map_full(m))
		return NULL;
	e->used = 1;
	e->k[0] = a;
	e->k[1] = b;
	e->k[2] = c;
	e->v = 0;
	m->n++;
	return e;
}
