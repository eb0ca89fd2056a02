/* api_stacks_names.c — frame names for the call-stack endpoints (issue 14): a frame whose
 * module has symbols (the run's etw_symbols, written by the symbol job: db_symbols.h) reads
 * module!function+0xOFF, else module+0xOFF, or 0xADDRESS outside every module. Every tree,
 * export and stack tag names frames through api_stk_frame_name / api_stk_tree_name.
 *
 * Lookups go through a bounded per-request cache: (module, offset) → the function's name
 * and the frame's offset inside it (or "no name"). When the cache or its name arena fills,
 * both are forgotten and refilled from SQLite, so a name returned by api_stk_frame_sym is
 * valid only until the next lookup: callers copy it. A run without any stored symbol never
 * queries SQLite (syms stays NULL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_stacks.h"
#include "db_symbols.h"

#define SYMS_MAP_LOG2 16           /* ≤ 49,152 cached frames */
#define SYMS_ARENA_MAX (4u << 20) /* bytes of cached names */

struct api_stk_syms {
	struct db_sym_lookup *l;
	struct stk_map map; /* (module id, offset) → entry index + 1, or -1: no name */
	struct syms_entry {
		uint32_t func_off, name_at;
	} *ent;
	size_t nent;
	char *arena;
	size_t used;
};

int api_stk_syms_open(sqlite3 *db, int64_t run_id, struct api_stk_syms **out)
{
	sqlite3_stmt *st;
	*out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM etw_symbols WHERE run_id=? LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return strstr(sqlite3_errmsg(db), "no such table") ? 0 : -1;
	sqlite3_bind_int64(st, 1, run_id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0; /* no names: every frame is module+offset */
	if (rc != SQLITE_ROW)
		return -1;
	struct api_stk_syms *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	size_t cap = (size_t)1 << SYMS_MAP_LOG2;
	s->l = db_sym_lookup_new(db, run_id);
	s->ent = malloc(cap * sizeof *s->ent);
	s->arena = malloc(SYMS_ARENA_MAX);
	if (!s->l || !s->ent || !s->arena || stk_map_init(&s->map, SYMS_MAP_LOG2)) {
		api_stk_syms_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void api_stk_syms_free(struct api_stk_syms *s)
{
	if (!s)
		return;
	db_sym_lookup_free(s->l);
	stk_map_free(&s->map);
	free(s->ent);
	free(s->arena);
	free(s);
}

int api_stk_frame_sym(struct api_stk_query *q, int32_t module_id, uint64_t offset,
		      const char **name, uint32_t *func_off)
{
	struct api_stk_syms *s = q->syms;
	char buf[1024];
	uint32_t off;
	if (!s || module_id < 0 || offset > UINT32_MAX)
		return 0;
	struct stk_entry *e = stk_map_get(&s->map, (uint64_t)module_id, offset, 0);
	if (!e) {
		int found = db_sym_lookup_find(s->l, module_id, (uint32_t)offset, buf, sizeof buf, &off);
		size_t len = found ? strlen(buf) + 1 : 0;
		if (stk_map_full(&s->map) || s->used + len > SYMS_ARENA_MAX) {
			stk_map_reset(&s->map);
			s->nent = 0;
			s->used = 0;
		}
		e = stk_map_put(&s->map, (uint64_t)module_id, offset, 0);
		if (!found) {
			e->v = -1;
			return 0;
		}
		memcpy(s->arena + s->used, buf, len);
		s->ent[s->nent] = (struct syms_entry){off, (uint32_t)s->used};
		s->used += len;
		e->v = (int64_t)++s->nent;
	}
	if (e->v < 0)
		return 0;
	const struct syms_entry *x = &s->ent[e->v - 1];
	if (name)
		*name = s->arena + x->name_at;
	if (func_off)
		*func_off = x->func_off;
	return 1;
}

void api_stk_frame_name(struct api_stk_query *q, int32_t module_id, uint64_t offset,
			int with_offset, char *buf, size_t n)
{
	const char *m = api_stk_module(q, module_id), *fn;
	uint32_t fo;
	if (!m)
		snprintf(buf, n, "0x%llx", (unsigned long long)offset);
	else if (!api_stk_frame_sym(q, module_id, offset, &fn, &fo))
		snprintf(buf, n, "%s+0x%llx", m, (unsigned long long)offset);
	else if (with_offset)
		snprintf(buf, n, "%s!%s+0x%x", m, fn, fo);
	else
		snprintf(buf, n, "%s!%s", m, fn);
}
