/* db_sched_sink.c — writes the scheduling and syscall aggregate rows of one run
 * (etw_syscalls, etw_syscall_modules, etw_sched_threads, etw_sched_waits, etw_sched_ready)
 * with prepared statements, and the per-slice facts of every issue-15 table
 * (etw_fact_blobs, db_factblob_store.h), inside the run's transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_factblob_store.h"
#include "db_sched.h"

enum { Q_SYSCALL, Q_SCMOD, Q_THREAD, Q_WAIT, Q_READY, Q_SLICE, Q_N };

static const char *const sql[Q_N] = {
	"INSERT INTO etw_syscalls(run_id, pid, address, module_id, count, total_ns, max_ns,"
	" samples, hist, process) VALUES (?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO etw_syscall_modules(run_id, pid, module_id, samples) VALUES (?,?,?,?)",
	"INSERT INTO etw_sched_threads(run_id, tid, pid, running_ns, ready_ns, waiting_ns,"
	" switches, process) VALUES (?,?,?,?,?,?,?,?)",
	"INSERT INTO etw_sched_waits(run_id, tid, reason, count, wait_ns) VALUES (?,?,?,?,?)",
	"INSERT INTO etw_sched_ready(run_id, tid, by_tid, from_dpc, pid, by_pid, count,"
	" ready_ns, process, by_process) VALUES (?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO etw_sched_slices(run_id, cpu, slice, slice_ns, tid0, pid0, ns0, tid1, pid1,"
	" ns1, tid2, pid2, ns2, other_ns, idle_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
};

struct db_sched {
	sqlite3 *db;
	int64_t run_id;
	sqlite3_stmt *q[Q_N];
	struct db_factblob_writer facts;
	char err[256];
};

struct db_sched *db_sched_begin(sqlite3 *db, int64_t run_id)
{
	struct db_sched *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->db = db;
	s->run_id = run_id;
	s->facts.db = db;
	return s;
}

const char *db_sched_error(const struct db_sched *s)
{
	return s->err;
}

void db_sched_free(struct db_sched *s)
{
	if (!s)
		return;
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(s->q[i]);
	db_factblob_writer_clear(&s->facts);
	free(s);
}

/* The statement q, prepared on first use, reset, with the run id bound; NULL on error. */
static sqlite3_stmt *stmt(struct db_sched *s, int q)
{
	if (!s->q[q] && sqlite3_prepare_v2(s->db, sql[q], -1, &s->q[q], NULL) != SQLITE_OK) {
		snprintf(s->err, sizeof s->err, "cannot store scheduling data: %s",
			 sqlite3_errmsg(s->db));
		return NULL;
	}
	sqlite3_reset(s->q[q]);
	sqlite3_bind_int64(s->q[q], 1, s->run_id);
	return s->q[q];
}

static int step(struct db_sched *s, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(s->err, sizeof s->err, "cannot store scheduling data: %s",
			 sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (int64_t)v); /* stored two's complement; read back as u64 */
}

int db_sched_syscall(struct db_sched *s, const struct sink_syscall *r)
{
	sqlite3_stmt *st = stmt(s, Q_SYSCALL);
	if (!st)
		return -1;
	uint8_t hist[SINK_SYSCALL_BUCKETS * 8];
	for (int b = 0; b < SINK_SYSCALL_BUCKETS; b++)
		for (int k = 0; k < 8; k++)
			hist[b * 8 + k] = (uint8_t)(r->hist[b] >> (8 * k));
	sqlite3_bind_int64(st, 2, r->pid);
	bind_u64(st, 3, r->address);
	sqlite3_bind_int64(st, 4, r->module_id);
	bind_u64(st, 5, r->count);
	bind_u64(st, 6, r->total_ns);
	bind_u64(st, 7, r->max_ns);
	bind_u64(st, 8, r->samples);
	sqlite3_bind_blob(st, 9, hist, sizeof hist, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 10, r->process ? r->process : "", -1, SQLITE_TRANSIENT);
	return step(s, st);
}

int db_sched_syscall_module(struct db_sched *s, const struct sink_syscall_module *r)
{
	sqlite3_stmt *st = stmt(s, Q_SCMOD);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 2, r->pid);
	sqlite3_bind_int64(st, 3, r->module_id);
	bind_u64(st, 4, r->samples);
	return step(s, st);
}

int db_sched_thread(struct db_sched *s, const struct sink_sched_thread *r)
{
	sqlite3_stmt *st = stmt(s, Q_THREAD);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 2, r->tid);
	sqlite3_bind_int64(st, 3, r->pid);
	bind_u64(st, 4, r->running_ns);
	bind_u64(st, 5, r->ready_ns);
	bind_u64(st, 6, r->waiting_ns);
	bind_u64(st, 7, r->switches);
	sqlite3_bind_text(st, 8, r->process ? r->process : "", -1, SQLITE_TRANSIENT);
	if (step(s, st))
		return -1;
	for (int w = 0; w < SINK_WAIT_REASONS; w++) {
		if (!r->wait_count[w] && !r->wait_ns[w])
			continue;
		if (!(st = stmt(s, Q_WAIT)))
			return -1;
		sqlite3_bind_int64(st, 2, r->tid);
		sqlite3_bind_int(st, 3, w);
		bind_u64(st, 4, r->wait_count[w]);
		bind_u64(st, 5, r->wait_ns[w]);
		if (step(s, st))
			return -1;
	}
	return 0;
}

int db_sched_ready(struct db_sched *s, const struct sink_sched_ready *r)
{
	sqlite3_stmt *st = stmt(s, Q_READY);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 2, r->tid);
	sqlite3_bind_int64(st, 3, r->by_tid);
	sqlite3_bind_int(st, 4, r->from_dpc);
	sqlite3_bind_int64(st, 5, r->pid);
	sqlite3_bind_int64(st, 6, r->by_pid);
	bind_u64(st, 7, r->count);
	bind_u64(st, 8, r->ready_ns);
	sqlite3_bind_text(st, 9, r->process ? r->process : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 10, r->by_process ? r->by_process : "", -1, SQLITE_TRANSIENT);
	return step(s, st);
}

int db_sched_slice(struct db_sched *s, const struct sink_sched_slice *r)
{
	sqlite3_stmt *st = stmt(s, Q_SLICE);
	if (!st)
		return -1;
	sqlite3_bind_int(st, 2, r->cpu);
	sqlite3_bind_int64(st, 3, r->slice);
	bind_u64(st, 4, r->slice_ns);
	for (int k = 0; k < SINK_SLICE_TOP; k++) {
		if (r->tid[k] == UINT32_MAX) {
			sqlite3_bind_null(st, 5 + 3 * k);
			sqlite3_bind_null(st, 6 + 3 * k);
		} else {
			sqlite3_bind_int64(st, 5 + 3 * k, r->tid[k]);
			sqlite3_bind_int64(st, 6 + 3 * k, r->pid[k]);
		}
		bind_u64(st, 7 + 3 * k, r->ns[k]);
	}
	bind_u64(st, 14, r->other_ns);
	bind_u64(st, 15, r->idle_ns);
	return step(s, st);
}

int db_sched_facts(struct db_sched *s, const struct sink_slice_fact *f, size_t n)
{
	return db_factblob_write(&s->facts, s->run_id, f, n, s->err, sizeof s->err);
}
