/* etl_procstats.c — per-process sample and thread counts, keyed through two id maps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "etl_grow.h"
#include "etl_procstats.h"

void etl_procstats_init(struct etl_procstats *p)
{
	memset(p, 0, sizeof *p);
	etl_tidmap_init(&p->index);
	etl_tidmap_init(&p->seen);
}

void etl_procstats_free(struct etl_procstats *p)
{
	free(p->v);
	etl_tidmap_free(&p->index);
	etl_tidmap_free(&p->seen);
	memset(p, 0, sizeof *p);
}

static struct etl_proc_row *row(struct etl_procstats *p, uint32_t pid)
{
	uint32_t key = pid + 1; /* SINK_PID_UNKNOWN wraps to key 0: kept as row 0 below */
	uint32_t idx = key ? etl_tidmap_get(&p->index, key, 0) : 0;
	if (!key) {
		for (size_t i = 0; i < p->n; i++)
			if (p->v[i].pid == pid)
				return &p->v[i];
	} else if (idx) {
		return &p->v[idx - 1];
	}
	if (etl_grow((void **)&p->v, &p->cap, p->n + 1, sizeof *p->v) != 0)
		return NULL;
	if (key && etl_tidmap_set(&p->index, key, (uint32_t)p->n + 1) != 0)
		return NULL;
	struct etl_proc_row *r = &p->v[p->n++];
	memset(r, 0, sizeof *r);
	r->pid = pid;
	return r;
}

int etl_procstats_add(struct etl_procstats *p, uint32_t pid, uint32_t tid)
{
	struct etl_proc_row *r = row(p, pid);
	if (!r)
		return -1;
	r->samples++;
	if (tid == 0) { /* the idle threads (one per CPU) all have id 0: one thread id */
		if (pid == 0 && !p->idle_thread_seen) {
			p->idle_thread_seen = 1;
			r->threads++;
		}
		return 0;
	}
	if (tid == UINT32_MAX)
		return 0;
	const uint32_t none = UINT32_MAX - 1;
	if (etl_tidmap_get(&p->seen, tid + 1, none) != pid) {
		if (etl_tidmap_set(&p->seen, tid + 1, pid) != 0)
			return -1;
		r->threads++;
	}
	return 0;
}

int etl_procstats_name(struct etl_procstats *p, uint32_t pid, const char *name)
{
	if (!name[0])
		return 0;
	struct etl_proc_row *r = row(p, pid);
	if (!r)
		return -1;
	/* the name is an 8-bit string as logged: keep printable ASCII only (valid UTF-8) */
	size_t i = 0;
	for (; name[i] && i + 1 < sizeof r->name; i++)
		r->name[i] = (unsigned char)name[i] >= 0x20 && (unsigned char)name[i] < 0x7F ? name[i] : '?';
	r->name[i] = 0;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct etl_proc_row *x = a, *y = b;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

cJSON *etl_procstats_json(struct etl_procstats *p, size_t max, size_t *omitted)
{
	cJSON *arr = cJSON_CreateArray();
	if (!arr)
		return NULL;
	if (p->n)
		qsort(p->v, p->n, sizeof *p->v, row_cmp);
	/* the order changed: the index is stale from here on */
	etl_tidmap_free(&p->index);
	size_t k = 0, with = 0;
	for (size_t i = 0; i < p->n; i++)
		with += p->v[i].samples > 0;
	for (size_t i = 0; i < p->n && k < max; i++) {
		const struct etl_proc_row *r = &p->v[i];
		if (!r->samples)
			break; /* sorted: the rest were only named */
		cJSON *o = cJSON_CreateObject();
		if (!o) {
			cJSON_Delete(arr);
			return NULL;
		}
		if (r->pid == SINK_PID_UNKNOWN)
			cJSON_AddNullToObject(o, "pid");
		else
			cJSON_AddNumberToObject(o, "pid", r->pid);
		if (r->name[0])
			cJSON_AddStringToObject(o, "name", r->name);
		cJSON_AddBoolToObject(o, "idle", r->pid == 0);
		cJSON_AddNumberToObject(o, "samples", (double)r->samples);
		cJSON_AddNumberToObject(o, "threads", r->threads);
		cJSON_AddItemToArray(arr, o);
		k++;
	}
	*omitted = with - k;
	return arr;
}
