/* find_rules_passthrough.c — "driver-passthrough" (issue 13): a third-party driver that is
 * on many stacks but rarely the running code: inclusive share of busy (non-idle) samples
 * ≥ 10 % and inclusive ≥ 5 × exclusive. In plain words: work passes through it — it sits
 * in the path as a filter or hook and calls on the code that does the work — so the CPU
 * is spent below it, not in its own code. Its top callers (the module just before it on
 * the stacks) say where the work comes from. Warning from 25 % inclusive, info below.
 * Security drivers (antivirus, EDR, activity monitors, network filters) that already get
 * "security-driver-cpu" are left to it, which says the same of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "db_stacks.h"
#include "db_stk_map.h"
#include "find.h"

#define PT_MIN_INCL 0.10   /* of busy samples */
#define PT_RATIO 5.0       /* inclusive ≥ 5 × exclusive */
#define PT_WARN_INCL 0.25
#define PT_MAX_MODULES 4
#define PT_TOP_CALLERS 3

struct pt {
	const struct find_ctx *c;
	struct db_stk_reader *r;
	const char *names[PT_MAX_MODULES]; /* the modules found, by name */
	size_t n;
	struct stk_map callers; /* (module slot, caller row index + 1) → samples */
	int failed;
};

/* A module id's attribution row index, or -1 (unresolved or unknown). */
static long row_of(const struct find_ctx *c, int32_t id)
{
	const struct attr_row *row = id >= 0 ? attr_find(c->attr, id) : NULL;
	return row ? (long)(row - c->attr->rows) : -1;
}

static int slot_of(const struct pt *p, long row)
{
	const char *name = row >= 0 ? p->c->attr->rows[row].name : NULL;
	for (size_t i = 0; name && i < p->n; i++)
		if (strcasecmp(name, p->names[i]) == 0)
			return (int)i;
	return -1;
}

/* Each stack: for every found module on it, the module before its first frame (once). */
static int on_stack(void *ud, int64_t node, uint32_t pid, uint32_t tid, int64_t slice, int64_t n)
{
	struct pt *p = ud;
	struct db_stk_frame fr[DB_STK_MAX_DEPTH];
	int done[PT_MAX_MODULES] = {0};
	(void)pid, (void)tid, (void)slice;
	int k = db_stk_path(p->r, node, fr, DB_STK_MAX_DEPTH);
	if (k < 0) {
		p->failed = 1;
		return 1;
	}
	long prev = -1;
	for (int i = 0; i < k; i++) { /* root first */
		long row = row_of(p->c, fr[i].module_id);
		int s = slot_of(p, row);
		if (s >= 0 && !done[s] && (prev < 0 || slot_of(p, prev) != s)) {
			done[s] = 1;
			if (prev >= 0) {
				struct stk_entry *e = stk_map_put(&p->callers, (uint64_t)s, (uint64_t)prev + 1, 0);
				if (e)
					e->v += n;
			}
		}
		if (row >= 0 && (prev < 0 || strcasecmp(p->c->attr->rows[row].name,
							p->c->attr->rows[prev].name) != 0))
			prev = row;
	}
	return 0;
}

/* The top callers of slot s as "a.sys (60 %), b.sys (30 %)" and a JSON list; shares of
 * the module's inclusive samples. */
static void callers(struct pt *p, int s, uint64_t incl, char *buf, size_t len, cJSON *list)
{
	buf[0] = 0;
	for (int shown = 0; shown < PT_TOP_CALLERS; shown++) {
		struct stk_entry *best = NULL;
		for (size_t i = 0; i < p->callers.cap; i++) {
			struct stk_entry *e = &p->callers.e[i];
			if (!e->used || e->k[0] != (uint64_t)s || e->v <= 0)
				continue;
			/* one name once: rows of the same image in several processes add up */
			if (!best || e->v > best->v)
				best = e;
		}
		if (!best)
			break;
		const char *name = p->c->attr->rows[best->k[1] - 1].name;
		int64_t sum = 0;
		for (size_t i = 0; i < p->callers.cap; i++) {
			struct stk_entry *e = &p->callers.e[i];
			if (e->used && e->k[0] == (uint64_t)s && e->v > 0 &&
			    strcasecmp(p->c->attr->rows[e->k[1] - 1].name, name) == 0) {
				sum += e->v;
				e->v = -e->v; /* taken */
			}
		}
		double share = incl ? (double)sum / (double)incl : 0;
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s (%.0f %%)", shown ? ", " : "", name, share * 100);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "module", name);
		cJSON_AddNumberToObject(o, "samples", (double)sum);
		cJSON_AddNumberToObject(o, "share", share);
		cJSON_AddItemToArray(list, o);
	}
}

int find_rules_passthrough(struct find_ctx *c)
{
	const struct attr_result *a = c->attr;
	uint64_t busy = a ? attr_busy_samples(a) : 0;
	if (!busy || db_stk_present(c->db, c->run_id) != 1)
		return 0;
	struct pt p = {.c = c};
	const struct attr_row *rows[PT_MAX_MODULES];
	for (size_t i = 0; i < a->n && p.n < PT_MAX_MODULES; i++) {
		const struct attr_row *row = &a->rows[i];
		double incl = (double)row->incl / (double)busy;
		if (row->module_id < 0 || !row->name || row->cls.microsoft || !row->cls.vendor[0] ||
		    incl < PT_MIN_INCL || (double)row->incl < PT_RATIO * (double)row->excl ||
		    (find_is_security(&row->cls) && incl > c->lim->security_incl_warn))
			continue;
		rows[p.n] = row;
		p.names[p.n++] = row->name;
	}
	if (!p.n)
		return 0;
	char err[256];
	struct db_stk_filter f = {.from_ns = INT64_MIN, .to_ns = INT64_MAX};
	p.r = db_stk_reader_new(c->db, c->run_id);
	if (!p.r || stk_map_init(&p.callers, 12)) {
		db_stk_reader_free(p.r);
		snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	int rc = db_stk_counts(c->db, c->run_id, &f, 0, on_stack, &p, err, sizeof err);
	db_stk_reader_free(p.r);
	if (rc || p.failed) {
		stk_map_free(&p.callers);
		snprintf(c->err, c->errlen, "%s", rc ? err : "the stack store is inconsistent");
		return -1;
	}
	for (size_t i = 0; i < p.n; i++) {
		const struct attr_row *row = rows[i];
		double incl = (double)row->incl / (double)busy, excl = (double)row->excl / (double)busy;
		char desc[400], from[400];
		cJSON *n = cJSON_CreateObject(), *list = cJSON_CreateArray();
		callers(&p, (int)i, row->incl, from, sizeof from, list);
		find_driver_desc(row, desc, sizeof desc);
		cJSON_AddNumberToObject(n, "module_id", row->module_id);
		cJSON_AddStringToObject(n, "module", row->name);
		cJSON_AddNumberToObject(n, "inclusive_samples", (double)row->incl);
		cJSON_AddNumberToObject(n, "exclusive_samples", (double)row->excl);
		cJSON_AddNumberToObject(n, "non_idle_samples", (double)busy);
		cJSON_AddNumberToObject(n, "inclusive_share", incl);
		cJSON_AddNumberToObject(n, "exclusive_share", excl);
		cJSON_AddItemToObject(n, "callers", list);
		cJSON *lp = cJSON_CreateObject();
		cJSON_AddStringToObject(lp, "smod", row->name);
		find_emit(c, "driver-passthrough", incl >= PT_WARN_INCL ? FIND_WARNING : FIND_INFO,
			  incl * 100, "stacks", lp, n,
			  "%s is on the stacks of %.1f %% of busy CPU samples but is the running code "
			  "in only %.1f %%: work passes through it (a filter or hook in the path) and "
			  "the CPU is spent in the code it calls, not in its own.%s%s%s",
			  desc, incl * 100, excl * 100, from[0] ? " The calls come from " : "", from,
			  from[0] ? "." : "");
	}
	stk_map_free(&p.callers);
	return 0;
}
