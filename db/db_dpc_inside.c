/* db_dpc_inside.c — counting the CPU samples taken inside DPCs/ISRs during an ingest
 * (one hash table of counters: per group, per group+module, per group+chain) and storing
 * and reading them (tables etw_inside_groups, etw_inside_modules, etw_inside_chains).
 *
 * Invariants: memory is bounded — at most INSIDE_MAX_KEYS distinct counters; a group or
 * module counter that finds the table full is an error (it cannot happen below that many
 * modules squared), a new chain that finds it over INSIDE_CHAIN_KEYS is not kept (its
 * samples still count in the group's with_stack, so "other chains" stays exact). */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "db_dpc_inside.h"
#include "db_etw.h"

#define INSIDE_MAX_KEYS (1u << 20)
#define INSIDE_CHAIN_KEYS (1u << 16)

enum { K_GROUP = 0, K_MODULE = 1, K_CHAIN = 2 };

/* A counter's key: type, group, then the module (K_MODULE) or the chain (K_CHAIN). */
struct ikey {
	uint8_t type, kind;
	uint16_t n;             /* ids used */
	int32_t dpc_module;
	int32_t ids[DB_INSIDE_CHAIN_MAX];
};

struct ient {
	struct ikey k;
	uint64_t a, b, c;       /* group: samples, flagged, with_stack; module: leaf, on_stack;
				 * chain: samples */
	int used;
};

struct db_inside {
	struct ient *t;
	size_t cap, n, n_chains;
};

struct db_inside *db_inside_new(void)
{
	return calloc(1, sizeof(struct db_inside));
}

void db_inside_free(struct db_inside *x)
{
	if (!x)
		return;
	free(x->t);
	free(x);
}

static uint64_t key_hash(const struct ikey *k)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)k;
	size_t len = offsetof(struct ikey, ids) + (size_t)k->n * sizeof(int32_t);
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static int key_eq(const struct ikey *a, const struct ikey *b)
{
	return a->type == b->type && a->kind == b->kind && a->n == b->n &&
	       a->dpc_module == b->dpc_module && !memcmp(a->ids, b->ids, a->n * sizeof(int32_t));
}

static int grow(struct db_inside *x)
{
	size_t cap = x->cap ? x->cap * 2 : 256;
	struct ient *t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	for (size_t i = 0; i < x->cap; i++) {
		if (!x->t[i].used)
			continue;
		size_t j = key_hash(&x->t[i].k) & (cap - 1);
		while (t[j].used)
			j = (j + 1) & (cap - 1);
		t[j] = x->t[i];
	}
	free(x->t);
	x->t = t;
	x->cap = cap;
	return 0;
}

/* The counter of k, created when new; NULL when out of memory or full (*full set). */
static struct ient *counter(struct db_inside *x, const struct ikey *k, int *full)
{
	*full = 0;
	if ((x->n + 1) * 2 > x->cap && (x->cap >= INSIDE_MAX_KEYS * 2 || grow(x)))
		return NULL;
	size_t j = key_hash(k) & (x->cap - 1);
	for (; x->t[j].used; j = (j + 1) & (x->cap - 1))
		if (key_eq(&x->t[j].k, k))
			return &x->t[j];
	if (x->n + 1 >= INSIDE_MAX_KEYS || (k->type == K_CHAIN && x->n_chains >= INSIDE_CHAIN_KEYS)) {
		*full = 1;
		return NULL;
	}
	memset(&x->t[j], 0, sizeof x->t[j]);
	x->t[j].k = *k;
	x->t[j].used = 1;
	x->n++;
	x->n_chains += k->type == K_CHAIN;
	return &x->t[j];
}

static int32_t clamp_id(int32_t id, int32_t nmodules)
{
	return id < -1 || id >= nmodules ? -1 : id;
}

static int bump_module(struct db_inside *x, struct ikey *k, int32_t id, int leaf)
{
	int full;
	k->type = K_MODULE;
	k->n = 1;
	k->ids[0] = id;
	struct ient *e = counter(x, k, &full);
	if (!e)
		return -1;
	e->a += leaf;
	e->b++;
	return 0;
}

int db_inside_add(struct db_inside *x, const struct sink_cpu_sample *s, int32_t nmodules)
{
	struct ikey k;
	int full;
	memset(&k, 0, sizeof k);
	if (s->covered && s->cover_kind < SINK_DPCISR_KINDS) {
		k.dpc_module = clamp_id(s->cover_module_id, nmodules);
		k.kind = s->cover_kind;
	} else if (s->in_dpcisr == 1 || s->in_dpcisr == 2) {
		k.dpc_module = DB_INSIDE_FLAG_ONLY;
		k.kind = s->in_dpcisr == 1 ? SINK_DPC : SINK_ISR;
	} else {
		return 0;
	}
	int has_chain = s->module_chain && s->n_module_chain;
	k.type = K_GROUP;
	struct ient *g = counter(x, &k, &full);
	if (!g)
		return -1;
	g->a++;
	g->b += s->in_dpcisr != 0;
	g->c += has_chain;

	int32_t leaf = clamp_id(s->module_id, nmodules);
	if (bump_module(x, &k, leaf, 1))
		return -1;
	/* each other module of the stack once */
	for (uint32_t i = 0; s->stack_modules && i < s->n_stack_modules; i++) {
		int32_t m = clamp_id(s->stack_modules[i], nmodules);
		int dup = m == leaf;
		for (uint32_t j = 0; j < i && !dup; j++)
			dup = clamp_id(s->stack_modules[j], nmodules) == m;
		if (!dup && bump_module(x, &k, m, 0))
			return -1;
	}
	if (!has_chain)
		return 0;
	k.type = K_CHAIN;
	k.n = 0;
	for (uint32_t i = 0; i < s->n_module_chain && k.n < DB_INSIDE_CHAIN_MAX; i++)
		k.ids[k.n++] = clamp_id(s->module_chain[i], nmodules);
	struct ient *c = counter(x, &k, &full);
	if (c)
		c->a++;
	return c || full ? 0 : -1;
}

/* Chains sorted by group, then most samples first. */
static int chain_cmp(const void *pa, const void *pb)
{
	const struct ient *a = *(const struct ient *const *)pa, *b = *(const struct ient *const *)pb;
	if (a->k.dpc_module != b->k.dpc_module)
		return a->k.dpc_module < b->k.dpc_module ? -1 : 1;
	if (a->k.kind != b->k.kind)
		return a->k.kind < b->k.kind ? -1 : 1;
	return a->a > b->a ? -1 : a->a < b->a ? 1 : 0;
}

static void chain_text(const struct ikey *k, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (uint16_t i = 0; i < k->n && o + 16 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%d", i ? "," : "", k->ids[i]);
}

static int fail(sqlite3 *db, char *err, size_t errlen)
{
	snprintf(err, errlen, "storing DPC/ISR inside counts: %s", sqlite3_errmsg(db));
	return -1;
}

int db_inside_write(struct db_inside *x, sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
	static const char *const sql[3] = {
		"INSERT INTO etw_inside_groups(run_id, dpc_module, kind, samples, flagged,"
		" with_stack) VALUES (?,?,?,?,?,?)",
		"INSERT INTO etw_inside_modules(run_id, dpc_module, kind, module, leaf, on_stack)"
		" VALUES (?,?,?,?,?,?)",
		"INSERT INTO etw_inside_chains(run_id, dpc_module, kind, rank, chain, samples)"
		" VALUES (?,?,?,?,?,?)"};
	sqlite3_stmt *st[3] = {NULL, NULL, NULL};
	struct ient **chains = NULL;
	size_t nc = 0;
	int rc = -1;
	if (!x->n)
		return 0;
	for (int i = 0; i < 3; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK)
			goto sqlfail;
	chains = malloc((x->n_chains ? x->n_chains : 1) * sizeof *chains);
	if (!chains) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < x->cap; i++) {
		const struct ient *e = &x->t[i];
		if (!e->used)
			continue;
		if (e->k.type == K_CHAIN) {
			chains[nc++] = &x->t[i];
			continue;
		}
		sqlite3_stmt *q = st[e->k.type];
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, run_id);
		sqlite3_bind_int(q, 2, e->k.dpc_module);
		sqlite3_bind_int(q, 3, e->k.kind);
		int col = 4;
		if (e->k.type == K_MODULE)
			sqlite3_bind_int(q, col++, e->k.ids[0]);
		sqlite3_bind_int64(q, col++, (int64_t)e->a);
		sqlite3_bind_int64(q, col++, (int64_t)e->b);
		if (e->k.type == K_GROUP)
			sqlite3_bind_int64(q, col, (int64_t)e->c);
		if (sqlite3_step(q) != SQLITE_DONE)
			goto sqlfail;
	}
	qsort(chains, nc, sizeof *chains, chain_cmp);
	for (size_t i = 0, rank = 0; i < nc; i++) {
		const struct ient *e = chains[i];
		if (i && (e->k.dpc_module != chains[i - 1]->k.dpc_module ||
			  e->k.kind != chains[i - 1]->k.kind))
			rank = 0;
		if (rank >= DB_INSIDE_TOP_CHAINS)
			continue;
		char text[DB_INSIDE_CHAIN_MAX * 12 + 1];
		chain_text(&e->k, text, sizeof text);
		sqlite3_stmt *q = st[K_CHAIN];
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, run_id);
		sqlite3_bind_int(q, 2, e->k.dpc_module);
		sqlite3_bind_int(q, 3, e->k.kind);
		sqlite3_bind_int64(q, 4, (int64_t)rank++);
		sqlite3_bind_text(q, 5, text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 6, (int64_t)e->a);
		if (sqlite3_step(q) != SQLITE_DONE)
			goto sqlfail;
	}
	rc = 0;
	goto done;
sqlfail:
	fail(db, err, errlen);
done:
	free(chains);
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(st[i]);
	return rc;
}
