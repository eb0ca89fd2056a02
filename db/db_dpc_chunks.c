/* db_dpc_chunks.c — writing and decoding the above-guideline event chunks (layout in
 * db_dpc_chunks.h). The writer keeps one open chunk per (kind, bucket, module) in a small
 * hash table; a chunk is written when it reaches CHUNK_BYTES, and every open chunk is
 * written when together they pass OPEN_BYTES_MAX or OPEN_PARTS_MAX, so memory stays
 * bounded whatever the trace holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_dpc_chunks.h"
#include "db_varint.h"

#define CHUNK_VERSION 1
#define CHUNK_BYTES 8192
#define OPEN_BYTES_MAX (8u << 20)
#define OPEN_PARTS_MAX 16384u
#define EVENT_MAX (4 * DB_VARINT_MAX) /* bytes one event can take */

struct part {
	int32_t module;
	uint8_t kind, bucket;
	uint32_t n;
	int64_t t_first, t_last;
	uint64_t prev_t, prev_routine;
	uint8_t *buf;
	size_t len, cap;
};

struct db_dpc_chunks {
	sqlite3 *db;
	int64_t run_id;
	sqlite3_stmt *ins;
	struct part *parts;
	uint32_t nparts, capparts;
	uint32_t *tab; /* part index + 1, 0 = empty; open addressing, load <= 1/2 */
	uint32_t tabcap;
	size_t open_bytes;
	char err[256];
};

struct db_dpc_chunks *db_dpc_chunks_new(sqlite3 *db, int64_t run_id)
{
	struct db_dpc_chunks *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->db = db;
	c->run_id = run_id;
	return c;
}

const char *db_dpc_chunks_error(const struct db_dpc_chunks *c)
{
	return c->err;
}

static int fail(struct db_dpc_chunks *c, const char *what)
{
	snprintf(c->err, sizeof c->err, "%s: %s", what, sqlite3_errmsg(c->db));
	return -1;
}

static int oom(struct db_dpc_chunks *c)
{
	snprintf(c->err, sizeof c->err, "out of memory");
	return -1;
}

static uint32_t hash(int kind, int bucket, int32_t module)
{
	uint32_t h = (uint32_t)(module + 1) * 0x9e3779b1u;
	h ^= (uint32_t)(kind << 8 | bucket) * 0x85ebca6bu;
	return h ^ h >> 15;
}

static int write_part(struct db_dpc_chunks *c, struct part *p)
{
	if (!p->n)
		return 0;
	if (!c->ins &&
	    sqlite3_prepare_v2(c->db,
			       "INSERT INTO etw_dpc_chunks(run_id, kind, bucket, module_id, t_first,"
			       " t_last, n, data) VALUES (?,?,?,?,?,?,?,?)",
			       -1, &c->ins, NULL) != SQLITE_OK)
		return fail(c, "preparing event chunks");
	sqlite3_stmt *q = c->ins;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, c->run_id);
	sqlite3_bind_int(q, 2, p->kind);
	sqlite3_bind_int(q, 3, p->bucket);
	sqlite3_bind_int(q, 4, p->module);
	sqlite3_bind_int64(q, 5, p->t_first);
	sqlite3_bind_int64(q, 6, p->t_last);
	sqlite3_bind_int64(q, 7, p->n);
	sqlite3_bind_blob(q, 8, p->buf, (int)p->len, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_bind_null(q, 8); /* drop the reference to buf */
	if (rc != SQLITE_DONE)
		return fail(c, "storing DPC/ISR events");
	c->open_bytes -= p->len;
	p->n = 0;
	p->len = 0;
	return 0;
}

/* Write and forget every open chunk. */
static int flush_all(struct db_dpc_chunks *c)
{
	int rc = 0;
	for (uint32_t i = 0; i < c->nparts; i++) {
		if (rc == 0)
			rc = write_part(c, &c->parts[i]);
		free(c->parts[i].buf);
	}
	c->nparts = 0;
	c->open_bytes = 0;
	if (c->tab)
		memset(c->tab, 0, sizeof *c->tab * c->tabcap);
	return rc;
}

static int grow_table(struct db_dpc_chunks *c)
{
	uint32_t cap = c->tabcap ? c->tabcap * 2 : 256;
	uint32_t *tab = calloc(cap, sizeof *tab);
	if (!tab)
		return -1;
	for (uint32_t i = 0; i < c->nparts; i++) {
		const struct part *p = &c->parts[i];
		uint32_t h = hash(p->kind, p->bucket, p->module) & (cap - 1);
		while (tab[h])
			h = (h + 1) & (cap - 1);
		tab[h] = i + 1;
	}
	free(c->tab);
	c->tab = tab;
	c->tabcap = cap;
	return 0;
}

static struct part *find_part(struct db_dpc_chunks *c, int kind, int bucket, int32_t module)
{
	if (c->nparts >= OPEN_PARTS_MAX && flush_all(c))
		return NULL;
	if ((c->nparts + 1) * 2 > c->tabcap && grow_table(c)) {
		oom(c);
		return NULL;
	}
	uint32_t h = hash(kind, bucket, module) & (c->tabcap - 1);
	for (; c->tab[h]; h = (h + 1) & (c->tabcap - 1)) {
		struct part *p = &c->parts[c->tab[h] - 1];
		if (p->module == module && p->kind == kind && p->bucket == bucket)
			return p;
	}
	if (c->nparts == c->capparts) {
		uint32_t cap = c->capparts ? c->capparts * 2 : 64;
		struct part *parts = realloc(c->parts, sizeof *parts * cap);
		if (!parts) {
			oom(c);
			return NULL;
		}
		c->parts = parts;
		c->capparts = cap;
	}
	struct part *p = &c->parts[c->nparts];
	memset(p, 0, sizeof *p);
	p->module = module;
	p->kind = (uint8_t)kind;
	p->bucket = (uint8_t)bucket;
	c->tab[h] = ++c->nparts;
	return p;
}

int db_dpc_chunks_add(struct db_dpc_chunks *c, const struct db_dpc_event *e)
{
	int bucket = db_dpc_bucket(e->duration_ns);
	struct part *p = find_part(c, e->kind, bucket, e->module_id);
	if (!p)
		return -1;
	if (p->cap - p->len < 1 + EVENT_MAX) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		uint8_t *buf = realloc(p->buf, cap);
		if (!buf)
			return oom(c);
		p->buf = buf;
		p->cap = cap;
	}
	if (p->n == 0) {
		p->buf[0] = CHUNK_VERSION;
		p->len = 1;
		c->open_bytes++;
		p->prev_t = 0;
		p->prev_routine = 0;
		p->t_first = p->t_last = e->t_ns;
	}
	uint8_t *w = p->buf + p->len;
	w = put_varint(w, zigzag((uint64_t)e->t_ns - p->prev_t));
	w = put_varint(w, e->cpu);
	w = put_varint(w, e->duration_ns);
	w = put_varint(w, zigzag(e->routine - p->prev_routine));
	size_t added = (size_t)(w - (p->buf + p->len));
	p->len += added;
	c->open_bytes += added;
	p->prev_t = (uint64_t)e->t_ns;
	p->prev_routine = e->routine;
	if (e->t_ns < p->t_first)
		p->t_first = e->t_ns;
	if (e->t_ns > p->t_last)
		p->t_last = e->t_ns;
	p->n++;
	if (p->len >= CHUNK_BYTES && write_part(c, p))
		return -1;
	if (c->open_bytes > OPEN_BYTES_MAX)
		return flush_all(c);
	return 0;
}

int db_dpc_chunks_finish(struct db_dpc_chunks *c)
{
	return flush_all(c);
}

void db_dpc_chunks_free(struct db_dpc_chunks *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->nparts; i++)
		free(c->parts[i].buf);
	free(c->parts);
	free(c->tab);
	sqlite3_finalize(c->ins);
	free(c);
}

int db_dpc_chunk_decode(const uint8_t *p, size_t len, uint64_t n, int kind, int32_t module,
			int (*visit)(void *ud, const struct db_dpc_event *e), void *ud)
{
	const uint8_t *end = p + len;
	uint64_t t = 0, routine = 0;
	if (len < 1 || p[0] != CHUNK_VERSION || n > len)
		return -1;
	p++;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t dt, cpu, dur, dr;
		if (get_varint(&p, end, &dt) || get_varint(&p, end, &cpu) ||
		    get_varint(&p, end, &dur) || get_varint(&p, end, &dr) || cpu > UINT16_MAX ||
		    dur > UINT32_MAX)
			return -1;
		t += unzigzag(dt);
		routine += unzigzag(dr);
		if (t > INT64_MAX)
			return -1;
		struct db_dpc_event e = {(int64_t)t, (uint32_t)dur, (uint16_t)cpu, (uint8_t)kind, 0,
					 module, routine};
		int rc = visit(ud, &e);
		if (rc)
			return rc;
	}
	return p == end ? 0 : -1;
}

int db_dpc_chunks_convert(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct db_dpc_chunks *c = NULL;
	int64_t run = 0;
	int rc = SQLITE_DONE, failed = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT run_id, t_ns, cpu, module_id, kind, duration_ns, routine FROM"
			       " etw_dpc_events ORDER BY run_id, t_ns, seq",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading old events: %s", sqlite3_errmsg(db));
		return -1;
	}
	while (!failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t r = sqlite3_column_int64(st, 0);
		struct db_dpc_event e = {sqlite3_column_int64(st, 1),
					 (uint32_t)sqlite3_column_int64(st, 5),
					 (uint16_t)sqlite3_column_int(st, 2),
					 (uint8_t)sqlite3_column_int(st, 4), 0,
					 sqlite3_column_int(st, 3),
					 (uint64_t)sqlite3_column_int64(st, 6)};
		if (e.t_ns < 0 || e.kind >= SINK_DPCISR_KINDS || e.module_id < -1)
			continue; /* never written by any version */
		if (c && r != run) {
			failed = db_dpc_chunks_finish(c) != 0;
			if (failed)
				break;
			db_dpc_chunks_free(c);
			c = NULL;
		}
		if (!c && !(c = db_dpc_chunks_new(db, run = r))) {
			snprintf(err, errlen, "out of memory");
			sqlite3_finalize(st);
			return -1;
		}
		failed = db_dpc_chunks_add(c, &e) != 0;
	}
	if (!failed && rc != SQLITE_DONE)
		snprintf(err, errlen, "converting events: %s", sqlite3_errmsg(db));
	else if (!failed && c)
		failed = db_dpc_chunks_finish(c) != 0;
	if (failed)
		snprintf(err, errlen, "converting events: %s", c->err);
	sqlite3_finalize(st);
	db_dpc_chunks_free(c);
	return failed || rc != SQLITE_DONE ? -1 : 0;
}
