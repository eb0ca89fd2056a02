/* db_etw_sink.c — storing ETW records for one run: modules as rows, DPC/ISR events into
 * the multi-level aggregates (plus every above-guideline event in compact chunks,
 * db_dpc_chunks.c, and reservoir samples below it), CPU samples into their own
 * aggregates (Idle-process samples only as Idle, never as module time; unresolved IPs
 * split kernel/user space), and the run's ETW facts at the end.
 * Records that cannot be stored faithfully (CPU >= DB_MAX_CPUS, unknown kind, absurd time)
 * are skipped with a warning; unknown module ids count as unresolved, with a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_agg.h"
#include "db_dpc_chunks.h"
#include "db_dpc_inside.h"
#include "db_etw_sink.h"
#include "db_reservoir.h"
#include "db_stacks.h"

struct db_etw {
	sqlite3 *db;
	int64_t run_id;
	db_etw_warn_fn warn;
	void *warn_ud;
	struct agg_builder *dpc, *cpu;
	const int64_t *dpc_due, *cpu_due; /* agg_builder_due: advance only from there */
	sqlite3_stmt *ins_module, *ins_symbols;
	struct db_dpc_chunks *above;
	struct db_resv_set *resv;
	struct db_inside *inside; /* samples inside DPCs/ISRs */
	struct db_stacks *stacks; /* call stacks, processes, threads (db_stacks.c) */
	uint8_t *seen; /* bitset over module+1, for inclusive counts */
	uint32_t seen_bits;
	int32_t nmodules;
	int any;
	int64_t t_max;
	uint64_t n_dpcisr, n_above, n_samples;
	uint32_t ncpus;
	int64_t old_cache; /* cache_size to restore; 0 = untouched */
	char err[256];
};

/* The aggregate and chunk indexes take scattered inserts; SQLite's default 2 MB page
 * cache would spill and rewrite their pages over and over, so an ETW ingest gets a bounded
 * larger cache for the run's duration. 12 MiB, not more: it is the largest part of the
 * ingest's peak RSS, and on the 25 M-event bench trace 64 MiB saved no CPU time (user+sys
 * 7.9 s vs 8.0 s; spilled pages land in the OS cache via the WAL) while it took peak RSS
 * from 37 MB to 89 MB (issue 17: < 64 MB). 12 rather than 16 MiB since the stack store's id
 * caches (db_stacks.c, 6 MiB) and the stack window (etl_ingest.c, ~8 MiB) joined it; 8
 * rather than 12 since that left a 60 s kernel trace with random frames at 66 MB (61 MB
 * with 8; CPU 46.1 s against 46.9 s, bench/README.md "Peak RSS, second look"). 6 rather
 * than 8 since the XPRESS prefetch thread (etl_prefetch.c) took the realistic XPRESS kernel
 * trace to 61.9 MiB: 6 MiB gives 60.0 MiB there, 58.1 on the uncompressed one, with CPU time
 * within the noise on both and on the 25 M-event DPC trace (three alternated pairs each,
 * 2026-12-08 01:30, load 1.5). */
#define INGEST_CACHE_KIB 6144
#define CPU_LOOKAHEAD_NS (80 * AGG_MS)

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void grow_cache(struct db_etw *e)
{
	char sql[64];
	if (e->old_cache)
		return;
	e->old_cache = pragma_int(e->db, "PRAGMA cache_size");
	if (!e->old_cache)
		e->old_cache = -2000;
	snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", INGEST_CACHE_KIB);
	sqlite3_exec(e->db, sql, NULL, NULL, NULL);
}

static const struct agg_out dpc_outs[] = {
	{AGG_DPC, -1, 5, {0, 1, 2, 3, 4}, 1, 1, 1, AGG_GROUP_NONE, 0},
	{AGG_DPC_BUSY, -1, 1, {V_TOTAL}, 0, 0, 0, AGG_GROUP_NONE, 1},
	{AGG_DPC_BUSY_CPU, -1, 1, {V_TOTAL}, 0, 0, 0, AGG_GROUP_CPU_CLASS, 1},
	{AGG_DPC_BUSY_MOD, -1, 1, {V_TOTAL}, 0, 0, 0, AGG_GROUP_MODULE_CLASS, 1},
};
static const struct agg_out cpu_outs[] = {
	{AGG_CPU, 0, 2, {0, 1}, 0, 0, 1, AGG_GROUP_NONE, 0},
	{AGG_CPU_UTIL, 1, 5, {0, 1, 2, 3, 4}, 0, 0, 1, AGG_GROUP_NONE, 0},
};

static int sql_fail(struct db_etw *e, const char *what)
{
	snprintf(e->err, sizeof e->err, "%s: %s", what, sqlite3_errmsg(e->db));
	return -1;
}

static int oom(struct db_etw *e)
{
	snprintf(e->err, sizeof e->err, "out of memory");
	return -1;
}

struct db_etw *db_etw_begin(sqlite3 *db, int64_t run_id, db_etw_warn_fn warn, void *warn_ud)
{
	struct db_etw *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->db = db;
	e->run_id = run_id;
	e->warn = warn;
	e->warn_ud = warn_ud;
	return e;
}

const char *db_etw_error(const struct db_etw *e)
{
	return e->err;
}

static int warn(struct db_etw *e, const char *code, const char *msg)
{
	return e->warn ? (e->warn(e->warn_ud, code, msg), 0) : 0;
}

/* The stack store, created with the run's first ETW record. */
static int stacks_start(struct db_etw *e)
{
	if (!e->stacks && !(e->stacks = db_stacks_begin(e->db, e->run_id)))
		return sql_fail(e, "starting the stack store");
	return 0;
}

static int stacks_result(struct db_etw *e, int rc)
{
	if (rc)
		snprintf(e->err, sizeof e->err, "%s", db_stacks_error(e->stacks));
	return rc ? -1 : 0;
}

int db_etw_task(struct db_etw *e, const struct sink_task *t)
{
	if (stacks_start(e))
		return -1;
	e->any = 1;
	return stacks_result(e, db_stacks_task(e->stacks, t));
}

static int prepare(struct db_etw *e, sqlite3_stmt **st, const char *sql)
{
	if (*st)
		return 0;
	if (sqlite3_prepare_v2(e->db, sql, -1, st, NULL) != SQLITE_OK)
		return sql_fail(e, "preparing ETW store");
	return 0;
}

/* The module's debug identity (etw_module_symbols): the GUID as SymStore writes it (Data1,
 * Data2, Data3 as little-endian numbers, then Data4's bytes), status pending until the
 * symbol job looks for its PDB, no_identity when the trace has no RSDS record for it. */
static int store_identity(struct db_etw *e, const struct sink_module *m, int32_t id)
{
	if (prepare(e, &e->ins_symbols,
		    "INSERT INTO etw_module_symbols(run_id, module_id, pdb, guid, age,"
		    " image_timestamp, image_size, status, why) VALUES (?,?,?,?,?,?,?,?,?)"))
		return -1;
	sqlite3_stmt *q = e->ins_symbols;
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	sqlite3_bind_int64(q, 1, e->run_id);
	sqlite3_bind_int(q, 2, id);
	if (m->pdb) {
		const uint8_t *g = m->pdb_guid;
		char guid[33];
		snprintf(guid, sizeof guid, "%02X%02X%02X%02X%02X%02X%02X%02X", g[3], g[2], g[1],
			 g[0], g[5], g[4], g[7], g[6]);
		for (int i = 0; i < 8; i++)
			snprintf(guid + 16 + 2 * i, 3, "%02X", g[8 + i]);
		sqlite3_bind_text(q, 3, m->pdb, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 4, guid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 5, m->pdb_age);
	}
	if (m->has_image_id) {
		sqlite3_bind_int64(q, 6, m->image_timestamp);
		sqlite3_bind_int64(q, 7, (int64_t)m->image_size);
	}
	sqlite3_bind_text(q, 8, m->pdb ? "pending" : "no_identity", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 9,
			  m->pdb ? "no symbol path has been searched for this run yet"
				 : "the trace has no DbgID_RSDS event (PDB name, GUID, age) for this"
				   " image; record it with xperf -merge or WPR to keep them",
			  -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sql_fail(e, "storing module identity");
	return 0;
}

/* A module's row into q: ?1 run, ?2 id, ?3 … ?11 its columns (INSERT and UPDATE alike). */
static void bind_module(struct db_etw *e, sqlite3_stmt *q, int32_t id, const struct sink_module *m)
{
	sqlite3_bind_int64(q, 1, e->run_id);
	sqlite3_bind_int(q, 2, id);
	sqlite3_bind_text(q, 3, m->name ? m->name : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, m->path ? m->path : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 5, (int64_t)m->base);
	sqlite3_bind_int64(q, 6, (int64_t)m->size);
	sqlite3_bind_int64(q, 7, m->pid);
	sqlite3_bind_int64(q, 8, m->timestamp);
	sqlite3_bind_int64(q, 9, m->checksum);
	sqlite3_bind_int64(q, 10, m->load_ns);
	sqlite3_bind_int64(q, 11, m->unload_ns);
}

/* Run one statement of ?1 run, ?2 id (and ?3 … from m when m is given). 0 or -1. */
static int module_exec(struct db_etw *e, const char *sql, int32_t id, const struct sink_module *m)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(e->db, sql, -1, &q, NULL) != SQLITE_OK)
		return sql_fail(e, "updating module");
	if (m)
		bind_module(e, q, id, m);
	else {
		sqlite3_bind_int64(q, 1, e->run_id);
		sqlite3_bind_int(q, 2, id);
	}
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sql_fail(e, "updating module");
}

/* The final facts of module id (one-pass ingest): its row and its identity row rewritten. */
int db_etw_module_update(struct db_etw *e, int32_t id, const struct sink_module *m)
{
	if (id < 0 || id >= e->nmodules) {
		snprintf(e->err, sizeof e->err, "update of an unknown module %d", (int)id);
		return -1;
	}
	if (module_exec(e, "UPDATE etw_modules SET name=?3, path=?4, base=?5, size=?6, pid=?7,"
			   " timestamp=?8, checksum=?9, load_ns=?10, unload_ns=?11"
			   " WHERE run_id=?1 AND id=?2", id, m) ||
	    module_exec(e, "DELETE FROM etw_module_symbols WHERE run_id=?1 AND module_id=?2", id,
			NULL))
		return -1;
	return store_identity(e, m, id);
}

int db_etw_module(struct db_etw *e, const struct sink_module *m, int32_t *out_id)
{
	if (prepare(e, &e->ins_module,
		    "INSERT INTO etw_modules(run_id, id, name, path, base, size, pid, timestamp,"
		    " checksum, load_ns, unload_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?)"))
		return -1;
	if (e->nmodules == INT32_MAX - 1) {
		snprintf(e->err, sizeof e->err, "too many modules");
		return -1;
	}
	sqlite3_stmt *q = e->ins_module;
	sqlite3_reset(q);
	bind_module(e, q, e->nmodules, m);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sql_fail(e, "storing module");
	if (stacks_start(e) || stacks_result(e, db_stacks_module(e->stacks, e->nmodules, m->base)) ||
	    store_identity(e, m, e->nmodules) != 0)
		return -1;
	*out_id = e->nmodules++;
	e->any = 1;
	return 0;
}

/* check's rare cases, each with its warning: 1 the event is skipped (CPU or time out of
 * range), 0 it is kept (with *module set to -1 when the id was never declared). Out of line,
 * so that check is a few compares inline for every event. */
static __attribute__((noinline)) int check_rare(struct db_etw *e, int64_t t, unsigned cpu,
						int32_t *module)
{
	if (cpu >= DB_MAX_CPUS) {
		warn(e, "cpu_out_of_range", "an event on a CPU number >= 2048 was skipped");
		return 1;
	}
	if (t > AGG_MAX_T_NS) {
		warn(e, "time_out_of_range", "an event more than 36 years into the trace was skipped");
		return 1;
	}
	if (*module < -1 || *module >= e->nmodules) {
		warn(e, "unknown_module_id", "an event named a module id never declared");
		*module = -1;
	}
	return 0;
}

/* Common checks: returns 1 to skip the record (after warning), 0 to keep it. */
static inline int check(struct db_etw *e, int64_t *t, unsigned cpu, int32_t *module)
{
	if ((cpu >= DB_MAX_CPUS || *t > AGG_MAX_T_NS || *module < -1 || *module >= e->nmodules) &&
	    check_rare(e, *t, cpu, module))
		return 1;
	if (*t < 0)
		*t = 0;
	/* maxima by select, not branch: events come by end time, so their start times are
	 * out of order and a branch here mispredicted on a third of them */
	e->t_max = *t > e->t_max ? *t : e->t_max;
	e->ncpus = cpu + 1 > e->ncpus ? cpu + 1 : e->ncpus;
	e->any = 1;
	return 0;
}

static int dpc_start(struct db_etw *e)
{
	char err[256];
	if (e->dpc)
		return 0;
	grow_cache(e);
	if (!(e->above = db_dpc_chunks_new(e->db, e->run_id)) || !(e->resv = db_resv_new()))
		return oom(e);
	e->dpc = agg_builder_new(e->db, e->run_id, dpc_outs, 4, 1u << V_MAX, err, sizeof err);
	if (!e->dpc) {
		snprintf(e->err, sizeof e->err, "%s", err);
		return -1;
	}
	e->dpc_due = agg_builder_due(e->dpc);
	return 0;
}

int db_etw_dpcisr(struct db_etw *e, const struct sink_dpcisr *d)
{
	int64_t t = d->t_ns;
	int32_t module = d->module_id;
	if (d->kind >= SINK_DPCISR_KINDS) {
		warn(e, "unknown_dpcisr_kind", "a DPC/ISR record of unknown kind was skipped");
		return 0;
	}
	if (check(e, &t, d->cpu, &module))
		return 0;
	if (dpc_start(e))
		return -1;
	struct agg_rec *r = agg_builder_rec(e->dpc, t, agg_key(d->cpu, module, d->kind));
	if (!r) {
		snprintf(e->err, sizeof e->err, "%s", agg_builder_error(e->dpc));
		return -1;
	}
	uint32_t dur = d->duration_ns;
	int b = db_dpc_bucket(dur), above = dur > db_dpc_guideline_ns(d->kind);
	r->v[V_COUNT]++;
	r->v[V_TOTAL] += dur;
	/* by select and mask, not branches: durations and buckets vary from event to event */
	r->v[V_MAX] = dur > r->v[V_MAX] ? dur : r->v[V_MAX];
	uint64_t held = (uint64_t)0 - (r->hmask >> b & 1); /* hist[b] is valid only if set */
	r->hist[b] = (r->hist[b] & held) + 1;
	r->hmask |= 1ull << b;
	e->n_dpcisr++;
	struct db_dpc_event ev = {t, dur, d->cpu, d->kind, 0, module, d->routine};
	if (above) {
		r->v[V_ABOVE]++;
		r->v[V_ABOVE_TOTAL] += dur;
		if (db_dpc_chunks_add(e->above, &ev)) {
			snprintf(e->err, sizeof e->err, "%s", db_dpc_chunks_error(e->above));
			return -1;
		}
		e->n_above++;
	} else {
		ev.sample = 1;
		if (db_resv_add(e->resv, &ev, b))
			return oom(e);
	}
	if (t >= *e->dpc_due && agg_builder_advance(e->dpc, t)) {
		snprintf(e->err, sizeof e->err, "%s", agg_builder_error(e->dpc));
		return -1;
	}
	return 0;
}

static int cpu_start(struct db_etw *e)
{
	char err[256];
	if (e->cpu)
		return 0;
	grow_cache(e);
	if (!(e->inside = db_inside_new()))
		return oom(e);
	e->cpu = agg_builder_new(e->db, e->run_id, cpu_outs, 2, 0, err, sizeof err);
	if (!e->cpu) {
		snprintf(e->err, sizeof e->err, "%s", err);
		return -1;
	}
	/* CPU samples reach the store up to 64 samples per CPU late (the per-CPU holds of
	 * etl_ingest.c: 64 ms at 1 kHz): slices stay open 80 ms, not the default 32 ms, so
	 * they are rarely written twice (callgrind, the demo story cut to 2 s: 3.31 G → 2.87 G
	 * instructions; peak RSS 58.2 → 58.7 MB on the 10 s story). */
	agg_builder_set_lookahead(e->cpu, CPU_LOOKAHEAD_NS);
	e->cpu_due = agg_builder_due(e->cpu);
	return 0;
}

static int count_inclusive(struct db_etw *e, int64_t t, unsigned cpu, int32_t module)
{
	uint32_t bit = (uint32_t)(module + 1);
	if (e->seen[bit / 8] >> (bit % 8) & 1)
		return 0;
	e->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
	struct agg_rec *r = agg_builder_rec(e->cpu, t, agg_key(cpu, module, 0));
	if (!r)
		return -1;
	r->v[1]++;
	return 0;
}

static void clear_seen(struct db_etw *e, int32_t module)
{
	uint32_t bit = (uint32_t)(module + 1);
	e->seen[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

int db_etw_cpu_sample(struct db_etw *e, const struct sink_cpu_sample *s)
{
	int64_t t = s->t_ns;
	int32_t module = s->module_id;
	if (check(e, &t, s->cpu, &module))
		return 0;
	if (cpu_start(e))
		return -1;
	if (e->seen_bits < (uint32_t)e->nmodules + 1) {
		uint32_t bits = ((uint32_t)e->nmodules + 1 + 63) & ~63u;
		uint8_t *p = realloc(e->seen, bits / 8);
		if (!p)
			return oom(e);
		memset(p + e->seen_bits / 8, 0, (bits - e->seen_bits) / 8);
		e->seen = p;
		e->seen_bits = bits;
	}
	struct agg_rec *r;
	if (sink_sample_idle(s))
		goto totals; /* Idle, never a module's CPU time */
	r = agg_builder_rec(e->cpu, t, agg_key(s->cpu, module, 0));
	if (!r)
		goto fail;
	r->v[0]++;
	if (count_inclusive(e, t, s->cpu, module))
		goto fail;
	for (uint32_t i = 0; i < s->n_stack_modules && s->stack_modules; i++) {
		int32_t m = s->stack_modules[i];
		if (m < -1 || m >= e->nmodules)
			m = -1;
		if (count_inclusive(e, t, s->cpu, m))
			goto fail;
	}
	clear_seen(e, module);
	for (uint32_t i = 0; i < s->n_stack_modules && s->stack_modules; i++) {
		int32_t m = s->stack_modules[i];
		clear_seen(e, m < -1 || m >= e->nmodules ? -1 : m);
	}
totals:
	r = agg_builder_rec(e->cpu, t, agg_key(s->cpu, 0, 1));
	if (!r)
		goto fail;
	r->v[0]++;
	r->v[1] += sink_sample_idle(s) != 0;
	r->v[2] += s->in_dpcisr == 1;
	r->v[3] += s->in_dpcisr == 2;
	r->v[4] += !sink_sample_idle(s) && module < 0 && s->ip_kernel;
	e->n_samples++;
	if (db_inside_add(e->inside, s, e->nmodules))
		return oom(e);
	if (stacks_start(e) || stacks_result(e, db_stacks_sample(e->stacks, s)))
		return -1;
	if (t >= *e->cpu_due && agg_builder_advance(e->cpu, t))
		goto fail;
	return 0;
fail:
	snprintf(e->err, sizeof e->err, "%s", agg_builder_error(e->cpu));
	return -1;
}

int db_etw_finish(struct db_etw *e)
{
	sqlite3_stmt *st = NULL;
	if (!e->any)
		return 0;
	int top = agg_top_level(e->t_max);
	if (e->dpc && agg_builder_finish(e->dpc, top)) {
		snprintf(e->err, sizeof e->err, "%s", agg_builder_error(e->dpc));
		return -1;
	}
	if (e->cpu && agg_builder_finish(e->cpu, top)) {
		snprintf(e->err, sizeof e->err, "%s", agg_builder_error(e->cpu));
		return -1;
	}
	if (e->above && db_dpc_chunks_finish(e->above)) {
		snprintf(e->err, sizeof e->err, "%s", db_dpc_chunks_error(e->above));
		return -1;
	}
	if (e->resv) {
		/* 64 rows a statement (db_batch): one-row statements were ~10 k instructions a
		 * row, 68 M for the 6,737 examples of the DPC bench trace, on the serial tail */
		struct db_batch *b = malloc(sizeof *b);
		if (!b)
			return oom(e);
		int rc = db_batch_init(b, e->db, e->run_id,
				       "INSERT INTO etw_dpc_samples(run_id, module_id, kind, bucket,"
				       " t_ns, cpu, duration_ns, routine) VALUES ",
				       7, "") ||
			 db_resv_write(e->resv, b);
		db_batch_clear(b);
		free(b);
		if (rc)
			return sql_fail(e, "storing sample events");
	}
	if (e->inside && db_inside_write(e->inside, e->db, e->run_id, e->err, sizeof e->err))
		return -1;
	if (e->stacks && stacks_result(e, db_stacks_finish(e->stacks)))
		return -1;
	int64_t counts[AGG_KINDS][AGG_LEVELS] = {{0}};
	if (e->dpc)
		agg_builder_add_counts(e->dpc, counts);
	if (e->cpu)
		agg_builder_add_counts(e->cpu, counts);
	if (prepare(e, &st,
		    "INSERT INTO etw_runs(run_id, t_max_ns, top_level, n_dpcisr, n_above,"
		    " n_samples, n_modules, ncpus, level_recs) VALUES (?,?,?,?,?,?,?,?,?)"))
		return -1;
	sqlite3_bind_blob(st, 9, counts, sizeof counts, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 1, e->run_id);
	sqlite3_bind_int64(st, 2, e->t_max);
	sqlite3_bind_int(st, 3, top);
	sqlite3_bind_int64(st, 4, (int64_t)e->n_dpcisr);
	sqlite3_bind_int64(st, 5, (int64_t)e->n_above);
	sqlite3_bind_int64(st, 6, (int64_t)e->n_samples);
	sqlite3_bind_int(st, 7, e->nmodules);
	sqlite3_bind_int(st, 8, (int)e->ncpus);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(e, "storing ETW run facts");
	return 0;
}

void db_etw_free(struct db_etw *e)
{
	if (!e)
		return;
	if (e->old_cache) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)e->old_cache);
		sqlite3_exec(e->db, sql, NULL, NULL, NULL);
	}
	agg_builder_free(e->dpc);
	agg_builder_free(e->cpu);
	sqlite3_finalize(e->ins_module);
	sqlite3_finalize(e->ins_symbols);
	db_dpc_chunks_free(e->above);
	db_resv_free(e->resv);
	db_inside_free(e->inside);
	db_stacks_free(e->stacks);
	free(e->seen);
	free(e);
}
