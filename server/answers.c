/* answers.c — the kept run answers (see answers.h): a fixed table of slots behind one
 * mutex, least recently used out first. Lookups compare tags in a linear scan (512 short
 * strings: well under a microsecond next to an answer's SQLite reads). */
#include <stdlib.h>
#include <string.h>
#include "answers.h"

void answers_init(struct answers *a)
{
	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
}

static void drop(struct answers *a, struct answers_entry *e)
{
	a->bytes -= e->len;
	free(e->body);
	memset(e, 0, sizeof *e);
}

void answers_clear(struct answers *a)
{
	for (int i = 0; i < ANSWERS_SLOTS; i++)
		if (a->e[i].etag[0])
			drop(a, &a->e[i]);
	pthread_mutex_destroy(&a->mu);
}

static struct answers_entry *find(struct answers *a, const char *etag)
{
	for (int i = 0; i < ANSWERS_SLOTS; i++)
		if (a->e[i].etag[0] && strcmp(a->e[i].etag, etag) == 0)
			return &a->e[i];
	return NULL;
}

char *answers_get(struct answers *a, const char *etag, size_t *len)
{
	char *copy = NULL;
	pthread_mutex_lock(&a->mu);
	struct answers_entry *e = find(a, etag);
	if (e && (copy = malloc(e->len ? e->len : 1))) {
		memcpy(copy, e->body, e->len);
		*len = e->len;
		e->used = ++a->clock;
	}
	if (copy)
		a->hits++;
	else
		a->misses++;
	pthread_mutex_unlock(&a->mu);
	return copy;
}

/* The least recently used kept answer, or a free slot when want_free and one exists. */
static struct answers_entry *oldest(struct answers *a, int want_free)
{
	struct answers_entry *best = NULL;
	for (int i = 0; i < ANSWERS_SLOTS; i++) {
		struct answers_entry *e = &a->e[i];
		if (!e->etag[0]) {
			if (want_free)
				return e;
			continue;
		}
		if (!best || e->used < best->used)
			best = e;
	}
	return best;
}

void answers_put(struct answers *a, const char *etag, const char *body, size_t len)
{
	if (len > ANSWERS_MAX_ONE || strlen(etag) >= ANSWERS_TAG_LEN)
		return;
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, body, len);
	pthread_mutex_lock(&a->mu);
	struct answers_entry *e = find(a, etag);
	if (e) /* another request stored the same answer meanwhile */
		drop(a, e);
	while (a->bytes + len > ANSWERS_MAX_BYTES)
		drop(a, oldest(a, 0));
	e = oldest(a, 1);
	if (e->etag[0])
		drop(a, e);
	strcpy(e->etag, etag);
	e->body = copy;
	e->len = len;
	e->used = ++a->clock;
	a->bytes += len;
	pthread_mutex_unlock(&a->mu);
}

void answers_stats(struct answers *a, size_t *entries, size_t *bytes)
{
	size_t n = 0;
	pthread_mutex_lock(&a->mu);
	for (int i = 0; i < ANSWERS_SLOTS; i++)
		n += a->e[i].etag[0] != 0;
	*bytes = a->bytes;
	pthread_mutex_unlock(&a->mu);
	*entries = n;
}
