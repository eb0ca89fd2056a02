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
#define ANSWERS_FLIGHTS 64    /* answers being computed at once that others may wait for */
#define ANSWERS_WAIT_MS 10000 /* the longest a request waits for another's answer */

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
	/* The tags whose answers a request is computing (answers_claim; "" = free): a request
	 * for the same tag waits for that answer (landed) instead of computing it again, so
	 * that 60 viewers opening a fresh run at once pay for each answer once (issue 17:
	 * the load test's slowest queries were its first, all computing the same answers). */
	char flight[ANSWERS_FLIGHTS][ANSWERS_TAG_LEN];
	pthread_cond_t landed; /* a claimed answer was kept, or given up */
	int waiting;	       /* requests waiting for a claimed answer now */
};

void answers_init(struct answers *a);
/* Free every kept answer. */
void answers_clear(struct answers *a);
/* A copy of the answer kept under etag (free it), or NULL. */
char *answers_get(struct answers *a, const char *etag, size_t *len);
/* answers_get, except that while another request computes the answer under etag (it
 * claimed the tag), this waits for it, at most ANSWERS_WAIT_MS in all. A copy of the kept
 * answer (free it), or NULL: then *claimed is 1 when the caller now holds the tag's claim
 * and must call answers_land(a, etag) once its answer is kept or given up, else 0 (no
 * claim slot free, the wait ran out, or it ended with no answer kept: compute without a
 * claim, beside any others). */
char *answers_get_or_claim(struct answers *a, const char *etag, size_t *len, int *claimed);
/* End the claim on etag (answers_get_or_claim) and wake the requests waiting for it. */
void answers_land(struct answers *a, const char *etag);
/* Keep a copy of body under etag, evicting the least recently used answers as needed;
 * answers over ANSWERS_MAX_ONE are not kept. */
void answers_put(struct answers *a, const char *etag, const char *body, size_t len);
/* How many answers are kept and the bytes of their bodies (/api/health). */
void answers_stats(struct answers *a, size_t *entries, size_t *bytes);

#endif
