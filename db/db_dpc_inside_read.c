/* db_dpc_inside_read.c — reading a run's "what runs inside DPCs/ISRs" counts
 * (db_dpc_inside.h): groups with their modules and top chains, largest first. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "db_dpc_inside.h"

void db_inside_result_clear(struct db_inside_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->groups[i].mods);
		free(r->groups[i].chains);
	}
	free(r->groups);
	memset(r, 0, sizeof *r);
}

static int fail(sqlite3 *db, char *err, size_t errlen)
{
	snprintf(err, errlen, "reading DPC/ISR inside counts: %s", sqlite3_errmsg(db));
	return -1;
}

static void parse_chain(const char *s, struct db_inside_chain *c)
{
	c->n_mods = 0;
	while (s && *s && c->n_mods < DB_INSIDE_CHAIN_MAX) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s)
			break;
		c->mods[c->n_mods++] = v < -1 || v > INT32_MAX ? -1 : (int32_t)v;
		s = *end == ',' ? end + 1 : end;
	}
}

/* Rows of one group from a prepared statement bound to (run, dpc_module, kind). */
static int read_rows(sqlite3_stmt *q, struct db_inside_group *g, int chains)
{
	size_t cap = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		size_t n = chains ? g->n_chains : g->n_mods;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			void *p = chains ? realloc(g->chains, cap * sizeof *g->chains)
					 : realloc(g->mods, cap * sizeof *g->mods);
			if (!p)
				return -1;
			if (chains)
				g->chains = p;
			else
				g->mods = p;
		}
		if (chains) {
			struct db_inside_chain *c = &g->chains[g->n_chains++];
			parse_chain((const char *)sqlite3_column_text(q, 0), c);
			c->samples = (uint64_t)sqlite3_column_int64(q, 1);
		} else {
			struct db_inside_module *m = &g->mods[g->n_mods++];
			m->module = sqlite3_column_int(q, 0);
			m->leaf = (uint64_t)sqlite3_column_int64(q, 1);
			m->on_stack = (uint64_t)sqlite3_column_int64(q, 2);
		}
	}
	return 0;
}

int db_inside_read(sqlite3 *db, int64_t run_id, unsigned kind_mask, int32_t module,
		   struct db_inside_result *out, char *err, size_t errlen)
{
	sqlite3_stmt *gq = NULL, *mq = NULL, *cq = NULL;
	size_t cap = 0;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(db, "SELECT dpc_module, kind, samples, flagged, with_stack FROM"
				   " etw_inside_groups WHERE run_id=? ORDER BY samples DESC,"
				   " dpc_module, kind", -1, &gq, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT module, leaf, on_stack FROM etw_inside_modules WHERE"
				   " run_id=? AND dpc_module=? AND kind=? ORDER BY leaf DESC,"
				   " on_stack DESC, module", -1, &mq, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT chain, samples FROM etw_inside_chains WHERE run_id=?"
				   " AND dpc_module=? AND kind=? ORDER BY rank", -1, &cq, NULL) != SQLITE_OK) {
		fail(db, err, errlen);
		goto done;
	}
	sqlite3_bind_int64(gq, 1, run_id);
	while (sqlite3_step(gq) == SQLITE_ROW) {
		int32_t dm = sqlite3_column_int(gq, 0);
		int kind = sqlite3_column_int(gq, 1);
		if (kind < 0 || kind >= SINK_DPCISR_KINDS || !(kind_mask >> kind & 1) ||
		    (module != INT32_MIN && dm != module))
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct db_inside_group *p = realloc(out->groups, cap * sizeof *p);
			if (!p)
				goto oom;
			out->groups = p;
		}
		struct db_inside_group *g = &out->groups[out->n++];
		memset(g, 0, sizeof *g);
		g->dpc_module = dm;
		g->kind = (uint8_t)kind;
		g->samples = (uint64_t)sqlite3_column_int64(gq, 2);
		g->flagged = (uint64_t)sqlite3_column_int64(gq, 3);
		g->with_stack = (uint64_t)sqlite3_column_int64(gq, 4);
		sqlite3_stmt *qs[2] = {mq, cq};
		for (int i = 0; i < 2; i++) {
			sqlite3_reset(qs[i]);
			sqlite3_bind_int64(qs[i], 1, run_id);
			sqlite3_bind_int(qs[i], 2, dm);
			sqlite3_bind_int(qs[i], 3, kind);
			if (read_rows(qs[i], g, i))
				goto oom;
		}
	}
	rc = 0;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	if (rc)
		db_inside_result_clear(out);
	sqlite3_finalize(gq);
	sqlite3_finalize(mq);
	sqlite3_finalize(cq);
	return rc;
}
