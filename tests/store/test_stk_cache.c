/* test_stk_cache.c — the server's kept stack node arrays (db/db_stk_cache.c): entries are
 * kept within the byte bound, least recently used out first; an entry evicted while held
 * stays readable until given back; a new version of a run is a new entry (the older one
 * dropped); two threads asking for one run at once load it once; a run larger than the
 * cache, and a failed load, are not kept (a failed one is loaded again next time); a
 * background load (db_stk_cache_warm) keeps its entry for later gets, and gives it up for a
 * get that arrives while it loads, which then loads the entry itself.
 * The loader here makes arrays of a size and content chosen by the run id, so every
 * expected byte count is arithmetic on those sizes (db_stk_nodes_bytes is checked against
 * the layout by hand first). */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "db_stk_cache.h"

/* run id r: r × 1000 nodes, 10 frames; node i's parent i - 1, frame (i % 10) + 1; run id 99
 * fails to load; the loader waits until `wait_for` gets are waiting when that is set; with
 * `yield_first`, the first load waits until it is asked to yield, then fails as an
 * interrupted SQLite scan does */
struct loader {
	struct db_stk_cache *c;
	unsigned wait_for;
	int yield_first;
	int calls;
};

static int fake_load(void *ud, sqlite3 *db, int64_t run_id, size_t max_bytes,
		     struct db_stk_nodes *n)
{
	struct loader *l = ud;
	(void)db;
	int call = __atomic_add_fetch(&l->calls, 1, __ATOMIC_SEQ_CST);
	memset(n, 0, sizeof *n);
	if (run_id == 99)
		return -1;
	if (l->yield_first && call == 1) {
		while (!db_stk_cache_yield(l->c))
			sched_yield();
		return -1;
	}
	for (struct db_stk_cache_stats st; l->wait_for;) {
		db_stk_cache_stats(l->c, &st);
		if (st.waiting >= l->wait_for)
			break;
		sched_yield();
	}
	int64_t nn = run_id * 1000, nf = 10;
	if (db_stk_nodes_bytes(nn, nf) > max_bytes)
		return 1;
	n->nn = nn;
	n->nf = nf;
	n->parent = calloc((size_t)nn + 1, sizeof *n->parent);
	n->frame = calloc((size_t)nn + 1, sizeof *n->frame);
	n->fmod = calloc((size_t)nf + 1, sizeof *n->fmod);
	n->foff = calloc((size_t)nf + 1, sizeof *n->foff);
	if (!n->parent || !n->frame || !n->fmod || !n->foff) {
		db_stk_nodes_clear(n);
		return -1;
	}
	for (int64_t i = 1; i <= nn; i++) {
		n->parent[i] = (int32_t)(i - 1);
		n->frame[i] = (int32_t)(i % 10 + 1);
	}
	for (int64_t f = 1; f <= nf; f++) {
		n->fmod[f] = (int32_t)run_id;
		n->foff[f] = (uint64_t)(f * 0x10);
	}
	return 0;
}

/* Bytes of run r's arrays, by hand: (nn + 1) × (4 + 4) + (nf + 1) × (4 + 8) */
static size_t run_bytes(int64_t r)
{
	return (size_t)(r * 1000 + 1) * 8 + 11 * 12;
}

static void check_arrays(const struct db_stk_nodes *n, int64_t r)
{
	assert_int_equal(n->nn, r * 1000);
	assert_int_equal(n->parent[n->nn], n->nn - 1);
	assert_int_equal(n->frame[n->nn], n->nn % 10 + 1);
	assert_int_equal(n->fmod[3], r);
	assert_int_equal(n->foff[3], 0x30);
}

static const struct db_stk_nodes *get(struct db_stk_cache *c, int64_t r, const char *key,
				      int64_t version)
{
	const struct db_stk_nodes *n = NULL;
	assert_int_equal(db_stk_cache_get(c, NULL, r, key, version, &n), 0);
	assert_non_null(n);
	check_arrays(n, r);
	return n;
}

static struct db_stk_cache_stats stats(struct db_stk_cache *c)
{
	struct db_stk_cache_stats st;
	db_stk_cache_stats(c, &st);
	return st;
}

static void test_bytes(void **state)
{
	(void)state;
	assert_int_equal(db_stk_nodes_bytes(2000, 10), run_bytes(2));
}

static void test_evicted_by_bytes_lru(void **state)
{
	(void)state;
	struct loader l = {0};
	/* room for runs 1 and 2 (or 3 alone), not for all three */
	struct db_stk_cache *c = l.c = db_stk_cache_new(run_bytes(1) + run_bytes(2), fake_load, &l);
	db_stk_cache_release(c, get(c, 1, "a", 1));
	db_stk_cache_release(c, get(c, 2, "b", 1));
	assert_int_equal(stats(c).bytes, run_bytes(1) + run_bytes(2));
	db_stk_cache_release(c, get(c, 1, "a", 1)); /* a hit: a is now the most recent */
	assert_int_equal(l.calls, 2);
	assert_int_equal(stats(c).hits, 1);
	/* 1 + 3 fits, 1 + 2 + 3 does not: b (least recently used) goes */
	db_stk_cache_release(c, get(c, 1, "c", 1));
	assert_int_equal(l.calls, 3);
	assert_int_equal(stats(c).entries, 2);
	assert_int_equal(stats(c).bytes, run_bytes(1) * 2);
	db_stk_cache_release(c, get(c, 1, "a", 1)); /* still kept */
	assert_int_equal(l.calls, 3);
	/* b loaded again: c, used before a, goes */
	db_stk_cache_release(c, get(c, 2, "b", 1));
	assert_int_equal(l.calls, 4);
	assert_int_equal(stats(c).bytes, run_bytes(1) + run_bytes(2));
	db_stk_cache_release(c, get(c, 1, "a", 1)); /* a was kept */
	assert_int_equal(l.calls, 4);
	db_stk_cache_release(c, get(c, 1, "c", 1)); /* loaded again: b, now the oldest, goes */
	assert_int_equal(l.calls, 5);
	assert_int_equal(stats(c).bytes, run_bytes(1) * 2);
	db_stk_cache_release(c, get(c, 1, "a", 1));
	assert_int_equal(l.calls, 5);
	assert_int_equal(stats(c).evicted, 3);
	assert_int_equal(stats(c).held, 0);
	db_stk_cache_free(c);
}

static void test_held_entry_survives_eviction(void **state)
{
	(void)state;
	struct loader l = {0};
	struct db_stk_cache *c = l.c = db_stk_cache_new(run_bytes(3), fake_load, &l);
	const struct db_stk_nodes *a = get(c, 2, "a", 1), *a2 = get(c, 2, "a", 1);
	assert_ptr_equal(a, a2);
	db_stk_cache_release(c, a2);
	/* run 3 fills the cache alone: a is evicted, but a request still holds it */
	const struct db_stk_nodes *b = get(c, 3, "b", 1);
	assert_int_equal(stats(c).entries, 1);
	assert_int_equal(stats(c).bytes, run_bytes(3));
	assert_int_equal(stats(c).held, 2);
	check_arrays(a, 2); /* still whole (freed only when given back: ASan would see it) */
	db_stk_cache_release(c, a);
	assert_int_equal(stats(c).held, 1);
	db_stk_cache_release(c, b);
	/* a is gone: asked again, loaded again */
	db_stk_cache_release(c, get(c, 2, "a", 1));
	assert_int_equal(l.calls, 3);
	db_stk_cache_free(c);
}

static void test_new_version_new_entry(void **state)
{
	(void)state;
	struct loader l = {0};
	struct db_stk_cache *c = l.c = db_stk_cache_new(64u << 20, fake_load, &l);
	const struct db_stk_nodes *v1 = get(c, 1, "run", 1);
	db_stk_cache_release(c, get(c, 2, "other", 1));
	const struct db_stk_nodes *v2 = get(c, 2, "run", 2);
	assert_ptr_not_equal(v1, v2);
	assert_int_equal(l.calls, 3);
	/* version 1 was dropped when 2 came (held by v1 until now), "other" kept */
	assert_int_equal(stats(c).entries, 2);
	assert_int_equal(stats(c).bytes, run_bytes(2) * 2);
	check_arrays(v1, 1);
	db_stk_cache_release(c, v1);
	db_stk_cache_release(c, v2);
	db_stk_cache_release(c, get(c, 2, "run", 2));
	assert_int_equal(l.calls, 3);
	db_stk_cache_free(c);
}

struct racer {
	struct db_stk_cache *c;
	const struct db_stk_nodes *got;
	int rc;
};

static void *race(void *ud)
{
	struct racer *r = ud;
	r->rc = db_stk_cache_get(r->c, NULL, 5, "same", 1, &r->got);
	return NULL;
}

static void test_race_loads_once(void **state)
{
	(void)state;
	/* the first get's load waits until the other get waits for it: they overlap for sure */
	struct loader l = {.wait_for = 1};
	struct db_stk_cache *c = l.c = db_stk_cache_new(64u << 20, fake_load, &l);
	struct racer r[2] = {{c, NULL, -2}, {c, NULL, -2}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(l.calls, 1);
	assert_int_equal(r[0].rc, 0);
	assert_int_equal(r[1].rc, 0);
	assert_ptr_equal(r[0].got, r[1].got);
	check_arrays(r[0].got, 5);
	assert_int_equal(stats(c).loads, 1);
	assert_int_equal(stats(c).hits, 1);
	assert_int_equal(stats(c).held, 1);
	for (int i = 0; i < 2; i++)
		db_stk_cache_release(c, r[i].got);
	assert_int_equal(stats(c).held, 0);
	db_stk_cache_free(c);
}

static void test_warm_kept(void **state)
{
	(void)state;
	struct loader l = {0};
	struct db_stk_cache *c = l.c = db_stk_cache_new(64u << 20, fake_load, &l);
	assert_int_equal(db_stk_cache_warm(c, NULL, 2, "w", 1), 0);
	assert_int_equal(stats(c).held, 0); /* nothing held after a warm */
	assert_int_equal(stats(c).bytes, run_bytes(2));
	const struct db_stk_nodes *n = NULL;
	assert_int_equal(db_stk_cache_get(c, NULL, 2, "w", 1, &n), 0);
	check_arrays(n, 2);
	db_stk_cache_release(c, n);
	assert_int_equal(l.calls, 1); /* the get found it kept */
	assert_int_equal(stats(c).hits, 1);
	assert_int_equal(db_stk_cache_warm(c, NULL, 2, "w", 1), 0); /* kept already: no load */
	assert_int_equal(l.calls, 1);
	assert_int_equal(stats(c).hits, 1); /* and no hit: no request was served */
	db_stk_cache_free(c);
}

struct warmer {
	struct db_stk_cache *c;
	int rc;
};

static void *warm(void *ud)
{
	struct warmer *w = ud;
	w->rc = db_stk_cache_warm(w->c, NULL, 4, "same", 1);
	return NULL;
}

static void test_warm_yields_to_get(void **state)
{
	(void)state;
	struct loader l = {.yield_first = 1};
	struct db_stk_cache *c = l.c = db_stk_cache_new(64u << 20, fake_load, &l);
	struct warmer w = {c, -2};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, warm, &w), 0);
	while (__atomic_load_n(&l.calls, __ATOMIC_SEQ_CST) < 1) /* the warm is loading */
		sched_yield();
	assert_int_equal(db_stk_cache_yield(c), 0); /* nobody waits for it yet */
	const struct db_stk_nodes *n = NULL;
	assert_int_equal(db_stk_cache_get(c, NULL, 4, "same", 1, &n), 0);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, 2); /* given up */
	assert_int_equal(l.calls, 2); /* the get loaded it itself */
	check_arrays(n, 4);
	assert_int_equal(db_stk_cache_yield(c), 0);
	struct db_stk_cache_stats st = stats(c);
	assert_int_equal(st.loads, 2);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, run_bytes(4));
	assert_int_equal(st.held, 1);
	db_stk_cache_release(c, n);
	db_stk_cache_free(c);
}

static void test_not_kept(void **state)
{
	(void)state;
	struct loader l = {0};
	struct db_stk_cache *c = l.c = db_stk_cache_new(run_bytes(2), fake_load, &l);
	const struct db_stk_nodes *n = NULL;
	/* larger than the whole cache: 1, nothing kept */
	assert_int_equal(db_stk_cache_get(c, NULL, 3, "big", 1, &n), 1);
	assert_null(n);
	/* a failed load: -1, and tried again by the next get */
	assert_int_equal(db_stk_cache_get(c, NULL, 99, "bad", 1, &n), -1);
	assert_int_equal(db_stk_cache_get(c, NULL, 99, "bad", 1, &n), -1);
	assert_int_equal(l.calls, 3);
	/* a key longer than DB_STK_CACHE_KEY_MAX is never looked up */
	char key[DB_STK_CACHE_KEY_MAX + 2];
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = 0;
	assert_int_equal(db_stk_cache_get(c, NULL, 1, key, 1, &n), 1);
	assert_int_equal(l.calls, 3);
	struct db_stk_cache_stats st = stats(c);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.held, 0);
	db_stk_cache_free(c);
	/* a cache of 0 bytes keeps nothing and loads nothing */
	c = l.c = db_stk_cache_new(0, fake_load, &l);
	assert_int_equal(db_stk_cache_get(c, NULL, 1, "a", 1, &n), 1);
	assert_int_equal(l.calls, 3);
	db_stk_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_evicted_by_bytes_lru),
		cmocka_unit_test(test_held_entry_survives_eviction),
		cmocka_unit_test(test_new_version_new_entry),
		cmocka_unit_test(test_race_loads_once),
		cmocka_unit_test(test_not_kept),
		cmocka_unit_test(test_warm_kept),
		cmocka_unit_test(test_warm_yields_to_get),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
