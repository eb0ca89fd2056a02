/* find_rules_stacks.c — findings from the stack store (issue 13): a process that used more
 * than one CPU's worth for a sustained window, with the third-party modules on its stacks
 * ("process-cpu-sustained"). CPUs used in a 1-second window = the process's samples × CPUs
 * / all samples of the window (Idle included); sustained = at least FIND_SUSTAIN_S
 * consecutive windows above one CPU. The modules are the non-Microsoft ones (KB vendor)
 * on the process's stacks over that stretch, by inclusive share of its samples; the finding
 * is made only when one of them is on at least 10 % of them (a busy process running
 * Microsoft code alone is not a driver problem). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "db_stacks.h"
#include "db_stk_blobs.h"
#include "db_stk_map.h"
#include "find.h"
#include "find_node_sums.h"

#define WINDOW_SLICES 10 /* 1 s of 100 ms slices */
#define FIND_SUSTAIN_S 2 /* consecutive seconds above one CPU */
#define MIN_MODULE_SHARE 0.10
#define MAX_PROCS 4
/* the stretch's leaf nodes summed 48 Ki at a time (2.5 MiB of map, 40 B a slot) */
#define NODE_SUMS_LOG2 16

struct stretch {
	uint32_t pid;
	int64_t first, last;   /* windows */
	int64_t samples, all;  /* the process's / everyone's samples in the stretch */
};

static int window_rec(void *ud, int64_t slice, int64_t cpu, const struct db_stkblob_rec *r)
{
	struct stk_map *m = ud;
	(void)cpu;
	uint64_t w = (uint64_t)(slice / 10);
	struct stk_entry *a = stk_map_put(m, 1, w, 0); /* all samples */
	struct stk_entry *p = stk_map_put(m, 0, w, (uint64_t)r->pid + 1);
	if (!a || !p)
		return 1;
	a->v += r->n;
	p->v += r->n;
	return 0;
}

static int load_windows(sqlite3 *db, int64_t run, struct stk_map *m)
{
	char err[256];
	/* the map sums the records: no GROUP BY, whose sort of every record cost more than
	 * the scan */
	return db_stk_blobs_scan(db, run, 0, INT64_MAX, NULL, window_rec, m, err, sizeof err);
}

/* The longest stretch of windows where pid used more than one CPU. */
static void longest(struct stk_map *m, uint32_t pid, int64_t nwin, unsigned cpus,
		    struct stretch *best)
{
	struct stretch cur = {pid, -1, -1, 0, 0};
	memset(best, 0, sizeof *best);
	for (int64_t w = 0; w <= nwin; w++) {
		struct stk_entry *a = w < nwin ? stk_map_get(m, 1, (uint64_t)w, 0) : NULL;
		struct stk_entry *p = w < nwin ? stk_map_get(m, 0, (uint64_t)w, (uint64_t)pid + 1)
					       : NULL;
		int above = a && p && a->v && (double)p->v * cpus / (double)a->v > 1.0;
		if (above) {
			if (cur.first < 0)
				cur.first = w, cur.samples = cur.all = 0;
			cur.last = w;
			cur.samples += p->v;
			cur.all += a->v;
			continue;
		}
		if (cur.first >= 0 && cur.last - cur.first > best->last - best->first)
			*best = cur;
		if (cur.first >= 0 && !best->samples)
			*best = cur;
		cur.first = -1;
	}
}

struct mod_count {
	const struct find_ctx *c;
	struct stk_map *incl; /* third-party module row index + 1 → samples */
	struct db_stk_reader *r;
	int64_t total;
	int failed;
};

/* The row of a third-party module, by name (one image in several processes is one). */
static const struct attr_row *third_party(const struct find_ctx *c, int32_t id)
{
	const struct attr_row *row = id >= 0 ? attr_find(c->attr, id) : NULL;
	if (!row || row->cls.microsoft || !row->cls.vendor[0])
		return NULL;
	for (size_t i = 0; i < c->attr->n; i++) /* the first row of that name */
		if (c->attr->rows[i].name && strcasecmp(c->attr->rows[i].name, row->name) == 0)
			return &c->attr->rows[i];
	return row;
}

/* n samples of the stacks ending at node: additive in n (find_node_sums.h) */
static int on_stack(void *ud, int64_t node, int64_t n)
{
	struct mod_count *mc = ud;
	struct db_stk_frame fr[DB_STK_MAX_DEPTH];
	const struct attr_row *seen[DB_STK_MAX_DEPTH];
	int ns = 0;
	int k = db_stk_path(mc->r, node, fr, DB_STK_MAX_DEPTH);
	if (k < 0) {
		mc->failed = 1;
		return 1;
	}
	mc->total += n;
	for (int i = 0; i < k; i++) {
		const struct attr_row *row = third_party(mc->c, fr[i].module_id);
		int dup = !row;
		for (int j = 0; !dup && j < ns; j++)
			dup = seen[j] == row;
		if (dup)
			continue;
		seen[ns++] = row;
		struct stk_entry *e = stk_map_put(mc->incl, (uint64_t)(row - mc->c->attr->rows), 0, 0);
		if (e)
			e->v += n;
	}
	return 0;
}

/* The stretch's process's records, summed per leaf node: on_stack is additive in the
 * count and reads only the node, so no grouping by thread or slice is needed. */
struct stretch_sel {
	uint32_t pid;
	struct find_node_sums sums;
};

static int stretch_rec(void *ud, int64_t slice, int64_t cpu, const struct db_stkblob_rec *r)
{
	struct stretch_sel *sel = ud;
	(void)slice, (void)cpu;
	return r->pid == sel->pid ? find_node_sums_add(&sel->sums, r->node, r->n) : 0;
}

static void emit(struct find_ctx *c, const struct stretch *s, unsigned cpus)
{
	struct stk_map incl;
	char err[256], name[256] = "", mods[1200] = "", desc[600], secs[32];
	if (stk_map_init(&incl, 12))
		return;
	struct mod_count mc = {c, &incl, db_stk_reader_new(c->db, c->run_id), 0, 0};
	struct db_stk_filter f = {.from_ns = s->first * 1000000000LL,
				  .to_ns = (s->last + 1) * 1000000000LL};
	struct stretch_sel sel = {.pid = s->pid}; /* sums zeroed: clear is safe before init */
	int64_t lo, hi;
	db_stk_slice_range(&f, &lo, &hi);
	if (!mc.r || find_node_sums_init(&sel.sums, NODE_SUMS_LOG2, on_stack, &mc))
		mc.failed = 1;
	else if (db_stk_blobs_scan(c->db, c->run_id, lo, hi, NULL, stretch_rec, &sel, err,
				   sizeof err) ||
		 find_node_sums_flush(&sel.sums))
		mc.failed = 1; /* a damaged store, or a node with no path: no modules named */
	find_node_sums_clear(&sel.sums);
	db_stk_reader_free(mc.r);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(c->db, "SELECT name FROM etw_processes WHERE run_id=? AND pid=?"
				      " AND name<>'' ORDER BY rowid DESC LIMIT 1", -1, &q,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, c->run_id);
		sqlite3_bind_int64(q, 2, s->pid);
		if (sqlite3_step(q) == SQLITE_ROW)
			snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	if (!name[0])
		snprintf(name, sizeof name, "process %u", s->pid);
	double used = (double)s->samples * cpus / (double)s->all;
	cJSON *n = cJSON_CreateObject(), *list = cJSON_CreateArray();
	cJSON_AddNumberToObject(n, "pid", s->pid);
	cJSON_AddStringToObject(n, "process", name);
	cJSON_AddNumberToObject(n, "cpus_used", used);
	/* the stretch in seconds; its last window may be cut short by the end of the trace */
	double span = (double)(s->last - s->first + 1);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(c->summary, "duration_us");
	if (cJSON_IsNumber(d) && d->valuedouble / 1e6 - (double)s->first > 0 &&
	    d->valuedouble / 1e6 - (double)s->first < span)
		span = d->valuedouble / 1e6 - (double)s->first;
	cJSON_AddNumberToObject(n, "window_s", span);
	cJSON_AddNumberToObject(n, "from_s", (double)s->first);
	cJSON_AddNumberToObject(n, "samples", (double)s->samples);
	/* third-party modules by inclusive share, largest first (at most 3 named) */
	for (int shown = 0; shown < 3 && !mc.failed && mc.total; shown++) {
		struct stk_entry *best = NULL;
		for (size_t i = 0; i < incl.cap; i++)
			if (incl.e[i].used && incl.e[i].v > 0 && (!best || incl.e[i].v > best->v))
				best = &incl.e[i];
		if (!best || (double)best->v / (double)mc.total < MIN_MODULE_SHARE)
			break;
		const struct attr_row *row = &c->attr->rows[best->k[0]];
		double share = (double)best->v / (double)mc.total;
		find_driver_desc(row, desc, sizeof desc);
		size_t l = strlen(mods);
		snprintf(mods + l, sizeof mods - l, "%s%.0f %% of its samples pass through %s",
			 shown ? "; " : "", share * 100, desc);
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "module", row->name);
		cJSON_AddNumberToObject(m, "inclusive_share", share);
		cJSON_AddItemToArray(list, m);
		best->v = -best->v; /* taken */
	}
	cJSON_AddItemToObject(n, "third_party_modules", list);
	if (!mods[0]) { /* a busy process on Microsoft code alone is not a driver finding */
		cJSON_Delete(n);
		stk_map_free(&incl);
		return;
	}
	find_seconds(span, secs, sizeof secs);
	/* the drivers table filtered to the first module (the stacks panel is the web's) */
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "dq", cJSON_GetArrayItem(list, 0)->child->valuestring);
	find_emit(c, "process-cpu-sustained", FIND_WARNING, used, "drivers", p, n,
		  "%s used %.1f CPUs for %s; %s.", name, used, secs, mods);
	stk_map_free(&incl);
}

int find_rules_stacks(struct find_ctx *c)
{
	if (db_stk_present(c->db, c->run_id) != 1 || !c->attr)
		return 0;
	const cJSON *cj = cJSON_GetObjectItemCaseSensitive(c->summary, "cpus");
	unsigned cpus = cJSON_IsNumber(cj) && cj->valuedouble >= 1 ? (unsigned)cj->valuedouble : 1;
	struct stk_map m;
	if (stk_map_init(&m, 18))
		return 0;
	if (load_windows(c->db, c->run_id, &m)) {
		stk_map_free(&m);
		snprintf(c->err, c->errlen, "reading stack counts: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	int64_t nwin = 0;
	uint32_t pids[4096];
	size_t np = 0;
	for (size_t i = 0; i < m.cap; i++) {
		const struct stk_entry *e = &m.e[i];
		if (!e->used)
			continue;
		if ((int64_t)e->k[1] + 1 > nwin)
			nwin = (int64_t)e->k[1] + 1;
		uint32_t pid = (uint32_t)(e->k[2] - 1);
		int dup = e->k[0] != 0 || pid == 0 || pid == SINK_PID_UNKNOWN;
		for (size_t j = 0; !dup && j < np; j++)
			dup = pids[j] == pid;
		if (!dup && np < sizeof pids / sizeof pids[0])
			pids[np++] = pid;
	}
	/* The stretches first, the map freed before any is emitted: emit reads a stretch's
	 * stacks through a reader whose node arrays (26 MB on the 60 s uniform kernel story)
	 * would else sit beside the map's 2^18 slots (10 MiB) at the findings' peak. */
	struct stretch st[MAX_PROCS];
	size_t ns = 0;
	for (size_t i = 0; i < np && ns < MAX_PROCS; i++) {
		longest(&m, pids[i], nwin, cpus, &st[ns]);
		if (st[ns].samples && st[ns].last - st[ns].first + 1 >= FIND_SUSTAIN_S)
			ns++;
	}
	stk_map_free(&m);
	for (size_t i = 0; i < ns; i++)
		emit(c, &st[i], cpus);
	return find_rules_passthrough(c);
}
