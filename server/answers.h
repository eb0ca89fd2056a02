/* answers.h — finished runs' JSON answers kept in memory by their strong ETag (cache.h):
 * the tag already names everything an answer depends on (run, edits, findings, symbols,
 * path and query, server start), so a kept answer under the same tag is the answer. A
 * repeated GET (a shared link, a page revisit, many viewers) is then a copy, not SQLite
 * reads and cJSON printing. Bounded: ANSWERS_MAX_BYTES in all, ANSWERS_MAX_ONE each. */
#ifndef ETLSCOPE_ANSWERS_H
#define ETLSCOPE_ANSWERS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define ANSWERS_SLOTS 512
#define ANSWERS_TAG_LEN 40 /* >= CACHE_ETAG_LEN (checked in cache.c) */
#define ANSWERS_MAX_BYTES (32u << 20)
#define ANSWERS_MAX_ONE (4u << 20)

struct answers_entry {
	char etag[ANSWERS_TAG_LEN]; /* "" = free */
	char *body;
	size_t len;
	uint64_t used; /* the clock's value at the last hit or store */
};

struct answers {
	pthread_mutex_t mu;
	uint64_t clock;
	uint64_t hits, misses; /* answers_get's finds and misses (the hit rate: bench/pages.mjs) */
	size_t bytes;
	struct answers_entry e[ANSWERS_SLOTS];
};

void answers_init(struct answers *a);
/* Free every kept answer. */
void answers_clear(struct answers *a);
/* A copy of the answer kept under etag (free it), or NULL. */
char *answers_get(struct answers *a, const char *etag, size_t *len);
/* Keep a copy of body under etag, evicting the least recently used answers as needed;
 * answers over ANSWERS_MAX_ONE are not kept. */
void answers_put(struct answers *a, const char *etag, const char *body, size_t len);
/* How many answers are kept and the bytes of their bodies (/api/health). */
void answers_stats(struct answers *a, size_t *entries, size_t *bytes);

#endif
