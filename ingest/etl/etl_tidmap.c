/* etl_tidmap.c — a small linear-probing hash from thread id to process id. */
#include <stdlib.h>
#include <string.h>
#include "etl_tidmap.h"

void etl_tidmap_init(struct etl_tidmap *m)
{
	memset(m, 0, sizeof *m);
}

void etl_tidmap_free(struct etl_tidmap *m)
{
	free(m->tid);
	free(m->pid);
	memset(m, 0, sizeof *m);
}

static size_t slot(uint32_t tid, size_t cap)
{
	return (size_t)((tid * 2654435761u) & (cap - 1));
}

static void put(uint32_t *tids, uint32_t *pids, size_t cap, uint32_t tid, uint32_t pid, size_t *n)
{
	size_t i = slot(tid, cap);
	while (tids[i] && tids[i] != tid)
		i = (i + 1) & (cap - 1);
	if (!tids[i])
		(*n)++;
	tids[i] = tid;
	pids[i] = pid;
}

int etl_tidmap_set(struct etl_tidmap *m, uint32_t tid, uint32_t pid)
{
	if (tid == 0)
		return 0;
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 1024;
		uint32_t *t = calloc(ncap, sizeof *t), *p = calloc(ncap, sizeof *p);
		if (!t || !p) {
			free(t);
			free(p);
			return -1;
		}
		size_t n = 0;
		for (size_t i = 0; i < m->cap; i++)
			if (m->tid[i])
				put(t, p, ncap, m->tid[i], m->pid[i], &n);
		free(m->tid);
		free(m->pid);
		m->tid = t;
		m->pid = p;
		m->cap = ncap;
		m->n = n;
	}
	put(m->tid, m->pid, m->cap, tid, pid, &m->n);
	return 0;
}

static uint32_t miss(const struct etl_tidmap *m, uint32_t tid, uint32_t def)
{
	if (m->missed)
		etl_keyset_note(m->missed, tid, 0);
	return def;
}

uint32_t etl_tidmap_get(const struct etl_tidmap *m, uint32_t tid, uint32_t def)
{
	if (tid == 0)
		return 0;
	if (!m->cap)
		return miss(m, tid, def);
	size_t i = slot(tid, m->cap);
	while (m->tid[i]) {
		if (m->tid[i] == tid)
			return m->pid[i];
		i = (i + 1) & (m->cap - 1);
	}
	return miss(m, tid, def);
}
