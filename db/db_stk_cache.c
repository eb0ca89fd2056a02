/* db_stk_cache.c — the kept stack node arrays (see db_stk_cache.h): a list of entries most
 * recently used first, behind one mutex, and one condition variable that loads signal.
 *
 * Invariants (under the mutex):
 * - an entry is kept (on the list, findable) or evicted (off it, held by refs > 0);
 *   an evicted entry with refs 0 is freed at once;
 * - c->bytes is the sum of kept READY entries' bytes, ≤ c->max after every insertion;
 * - a LOADING entry is held by its loader (refs ≥ 1) and never evicted; its arrays are
 *   written only by the loader, outside the mutex, and read by others only once READY;
 * - a READY entry's arrays never change until it is freed;
 * - c->yielding counts the LOADING background entries asked to yield (cancel 1): set by the
 *   first request that waits for one, given back by its loader when the load ends. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "db_stk_cache.h"

enum { LOADING, READY, FAILED };
#define YIELDED 2 /* a FAILED background load's rc when a request asked it to stop */

struct entry {
	struct db_stk_nodes n; /* first: db_stk_cache_release finds the entry from it */
	char key[DB_STK_CACHE_KEY_MAX + 1];
	int64_t version;
	int state, rc;         /* rc: the load's result when FAILED */
	int kept;
	int background, cancel; /* loaded by db_stk_cache_warm; a request asked it to yield */
	unsigned refs;
	size_t bytes;
	struct entry *prev, *next;
};

struct db_stk_cache {
	pthread_mutex_t mu;
	pthread_cond_t loaded;
	size_t max;
	db_stk_cache_load_fn load;
	void *ud;
	struct entry *head, *tail; /* kept entries, most recently used first */
	struct db_stk_cache_stats st;
	atomic_int yielding;
};

static int default_load(void *ud, sqlite3 *db, int64_t run_id, size_t max_bytes,
			struct db_stk_nodes *n)
{
	(void)ud;
	int rc = db_stk_nodes_load(db, run_id, max_bytes, n);
	/* the slice rows too when they fit: without them, windows scan SQLite */
	if (!rc && db_stk_nodes_load_slices(db, run_id, max_bytes, n) < 0)
		rc = -1;
	if (rc < 0)
		db_stk_nodes_clear(n);
	return rc;
}

struct db_stk_cache *db_stk_cache_new(size_t max_bytes, db_stk_cache_load_fn load, void *ud)
{
	struct db_stk_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->loaded, NULL);
	c->max = max_bytes;
	atomic_init(&c->yielding, 0);
	c->load = load ? load : default_load;
	c->ud = ud;
	return c;
}

static void entry_free(struct entry *e)
{
	db_stk_nodes_clear(&e->n);
	free(e);
}

static void unlink_entry(struct db_stk_cache *c, struct entry *e)
{
	*(e->prev ? &e->prev->next : &c->head) = e->next;
	*(e->next ? &e->next->prev : &c->tail) = e->prev;
	e->prev = e->next = NULL;
	e->kept = 0;
	c->st.entries--;
	if (e->state == READY)
		c->st.bytes -= e->bytes;
}

static void push_front(struct db_stk_cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	*(c->head ? &c->head->prev : &c->tail) = e;
	c->head = e;
	e->kept = 1;
	c->st.entries++;
	if (e->state == READY)
		c->st.bytes += e->bytes;
}

/* Take e off the list (it is evicted); freed now unless a request holds it. */
static void evict(struct db_stk_cache *c, struct entry *e)
{
	unlink_entry(c, e);
	c->st.evicted++;
	if (!e->refs)
		entry_free(e);
}

static void unhold(struct db_stk_cache *c, struct entry *e)
{
	if (--e->refs == 0) {
		c->st.held--;
		if (!e->kept)
			entry_free(e);
	}
}

static void hold(struct db_stk_cache *c, struct entry *e)
{
	if (e->refs++ == 0)
		c->st.held++;
}

void db_stk_cache_free(struct db_stk_cache *c)
{
	if (!c)
		return;
	while (c->head)
		evict(c, c->head);
	pthread_cond_destroy(&c->loaded);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* e has loaded: keep it, making room — the key's other versions go first, then the least
 * recently used READY entries */
static void admit(struct db_stk_cache *c, struct entry *e)
{
	for (struct entry *o = c->head, *next; o; o = next) {
		next = o->next;
		if (o != e && o->state == READY && strcmp(o->key, e->key) == 0)
			evict(c, o);
	}
	unlink_entry(c, e); /* counted again as READY below */
	e->state = READY;
	for (struct entry *o = c->tail, *prev; o && c->st.bytes + e->bytes > c->max; o = prev) {
		prev = o->prev;
		if (o->state == READY)
			evict(c, o);
	}
	push_front(c, e);
}

/* Wait for e's load (held by the caller): its result */
static int await(struct db_stk_cache *c, struct entry *e)
{
	c->st.waiting++;
	while (e->state == LOADING)
		pthread_cond_wait(&c->loaded, &c->mu);
	c->st.waiting--;
	return e->state == READY ? 0 : e->rc;
}

/* db_stk_cache_get, or with background 1 db_stk_cache_warm's load (YIELDED possible) */
static int get(struct db_stk_cache *c, sqlite3 *db, int64_t run_id, const char *key,
	       int64_t version, const struct db_stk_nodes **out, int background)
{
	if (!c || !c->max || strlen(key) > DB_STK_CACHE_KEY_MAX)
		return 1;
	pthread_mutex_lock(&c->mu);
	struct entry *e;
	int rc;
again:
	e = c->head;
	while (e && (e->version != version || strcmp(e->key, key) != 0))
		e = e->next;
	if (e) {
		hold(c, e);
		if (!background) /* a warm that finds the entry serves no request */
			c->st.hits++;
		if (!background && e->state == LOADING && e->background && !e->cancel) {
			e->cancel = 1; /* not behind a low-priority thread: it stops, we load */
			atomic_fetch_add(&c->yielding, 1);
		}
		rc = await(c, e);
		if (rc == YIELDED && !background) { /* evicted by its loader: load it here */
			unhold(c, e);
			goto again;
		}
		if (!rc && e->kept) { /* most recently used */
			unlink_entry(c, e);
			push_front(c, e);
		}
	} else if (!(e = calloc(1, sizeof *e))) {
		rc = -1;
	} else {
		strcpy(e->key, key);
		e->version = version;
		e->state = LOADING;
		e->background = background;
		hold(c, e);
		push_front(c, e);
		c->st.loads++;
		pthread_mutex_unlock(&c->mu);
		rc = c->load(c->ud, db, run_id, c->max, &e->n);
		pthread_mutex_lock(&c->mu);
		if (!rc) {
			e->bytes = db_stk_nodes_size(&e->n);
			if (e->bytes > c->max) { /* a loader that ignored the bound */
				db_stk_nodes_clear(&e->n);
				rc = 1;
			}
		}
		if (e->cancel) {
			atomic_fetch_sub(&c->yielding, 1);
			if (rc < 0)
				rc = YIELDED; /* stopped for a request, not an error */
		}
		if (!rc) {
			admit(c, e);
		} else {
			e->state = FAILED;
			e->rc = rc;
			evict(c, e); /* held: freed by the last unhold */
			c->st.evicted--; /* not an eviction: never kept */
		}
		pthread_cond_broadcast(&c->loaded);
	}
	if (rc && e)
		unhold(c, e);
	else if (!rc)
		*out = &e->n;
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int db_stk_cache_get(struct db_stk_cache *c, sqlite3 *db, int64_t run_id, const char *key,
		     int64_t version, const struct db_stk_nodes **out)
{
	return get(c, db, run_id, key, version, out, 0);
}

int db_stk_cache_warm(struct db_stk_cache *c, sqlite3 *db, int64_t run_id, const char *key,
		      int64_t version)
{
	const struct db_stk_nodes *n = NULL;
	int rc = get(c, db, run_id, key, version, &n, 1);
	if (!rc)
		db_stk_cache_release(c, n);
	return rc;
}

int db_stk_cache_yield(struct db_stk_cache *c)
{
	return atomic_load(&c->yielding) > 0;
}

void db_stk_cache_release(struct db_stk_cache *c, const struct db_stk_nodes *n)
{
	if (!c || !n)
		return;
	pthread_mutex_lock(&c->mu);
	unhold(c, (struct entry *)(void *)n); /* n is the entry's first member */
	pthread_mutex_unlock(&c->mu);
}

void db_stk_cache_stats(struct db_stk_cache *c, struct db_stk_cache_stats *st)
{
	pthread_mutex_lock(&c->mu);
	*st = c->st;
	pthread_mutex_unlock(&c->mu);
}
