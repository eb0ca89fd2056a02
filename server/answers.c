/* answers.c — the kept run answers (see answers.h): a fixed table of slots behind one
 * mutex, least recently used out first. Lookups compare tags in a linear scan (512 short
 * strings: well under a microsecond next to an answer's SQLite reads). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "answers.h"

void answers_init(struct answers *a)
{
	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->landed, &ca);
	pthread_condattr_destroy(&ca);
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
	pthread_cond_destroy(&a->landed);
}

static struct answers_entry *find(struct answers *a, const char *etag)
{
	for (int i = 0; i < ANSWERS_SLOTS; i++)
		if (a->e[i].etag[0] && strcmp(a->e[i].etag, etag) == 0)
			return &a->e[i];
	return NULL;
}

/* A copy of the answer kept under etag, or NULL (called locked; counts a hit or a miss) */
static char *get_locked(struct answers *a, const char *etag, size_t *len)
{
	char *copy = NULL;
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
	return copy;
}

char *answers_get(struct answers *a, const char *etag, size_t *len)
{
	pthread_mutex_lock(&a->mu);
	char *copy = get_locked(a, etag, len);
	pthread_mutex_unlock(&a->mu);
	return copy;
}

/* The claim slot holding etag, or with etag NULL a free one; NULL if none (called locked) */
static char *flight(struct answers *a, const char *etag)
{
	for (int i = 0; i < ANSWERS_FLIGHTS; i++)
		if (etag ? strcmp(a->flight[i], etag) == 0 : !a->flight[i][0])
			return a->flight[i];
	return NULL;
}

char *answers_get_or_claim(struct answers *a, const char *etag, size_t *len, int *claimed)
{
	*claimed = 0;
	if (!etag[0] || strlen(etag) >= ANSWERS_TAG_LEN)
		return answers_get(a, etag, len);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ANSWERS_WAIT_MS / 1000;
	until.tv_nsec += (ANSWERS_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&a->mu);
	int waited = 0, waited_out = 0;
	while (!find(a, etag) && flight(a, etag) && !waited_out) {
		waited = 1;
		a->waiting++;
		waited_out = pthread_cond_timedwait(&a->landed, &a->mu, &until) != 0;
		a->waiting--;
	}
	char *copy = get_locked(a, etag, len);
	char *slot;
	/* one that waited and found nothing (an answer not kept: an error, over
	 * ANSWERS_MAX_ONE) computes beside the others, as it would have without waiting */
	if (!copy && !waited && (slot = flight(a, NULL))) {
		strcpy(slot, etag);
		*claimed = 1;
	}
	pthread_mutex_unlock(&a->mu);
	return copy;
}

void answers_land(struct answers *a, const char *etag)
{
	pthread_mutex_lock(&a->mu);
	char *slot = flight(a, etag);
	if (slot)
		slot[0] = '\0';
	pthread_cond_broadcast(&a->landed);
	pthread_mutex_unlock(&a->mu);
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
