/* etlgen_flt.c — the minifilter story of a scenario (etlgen.h struct etlgen_minifilter):
 * FileIo minifilter events (types 0x60, 0x62, 0x63, 0x64) with the candidate layout of
 * ingest/etl/etl_fltio.h — or, major_first, a permuted one the ingest must refuse; the file
 * object in any of the four data-pointer slots — under
 * SYSTEM headers that carry the thread, written with their exact expected delays. */
#include <string.h>
#include "etlgen.h"
#include "ingest/etl/etl_le.h"

#define GROUP_FILEIO 4
#define PRE_INIT 0x60
#define PRE_COMPLETION 0x62
#define POST_COMPLETION 0x63
#define PRE_FAILURE 0x64
#define ROUTINE_RVA 0x1000

/* Kernel pool addresses (outside every scenario image) for contexts, IRPs, callback data. */
static uint64_t pool(unsigned P, unsigned which, unsigned i)
{
	uint64_t base = P == 8 ? 0xFFFFC10000000000ull + ((uint64_t)which << 32)
			       : 0xE0000000ull + ((uint64_t)which << 24);
	return base + (uint64_t)(i & 0xFFFF) * 0x100;
}

/* A FileIo event of payload n under a SYSTEM header (thread tid of the scenario's
 * process) at ts on cpu; returns the payload, NULL on a write error. */
static uint8_t *sys_event(struct etlgen_gen *g, const struct etlgen_scenario *s, size_t n,
			  uint8_t type, uint64_t ts)
{
	const struct etlgen_minifilter *m = &s->minifilter;
	uint8_t *p = etlgen_event(g, m->cpu, 32 + n, GROUP_FILEIO, type, ts);
	if (!p)
		return NULL;
	p[2] = s->pointer_size == 8 ? 0x02 : 0x01; /* SYSTEM64 / SYSTEM32 */
	etl_put32(p + 8, m->tid);
	etl_put32(p + 12, s->process_pid ? s->process_pid : ETLGEN_PROCESS_PID);
	etl_put64(p + 16, ts);
	etl_put64(p + 24, 0); /* kernel and user time */
	return p + 32;
}

/* The file object of create i: file_object2 for odd i when there is a second file. */
static uint64_t file_of(const struct etlgen_minifilter *m, unsigned i)
{
	return m->file2 && (i & 1) ? m->file_object2 : m->file_object;
}

/* One record: [InitialTime,] then RoutineAddr, FileObject, FileContext, IrpPtr,
 * CallbackDataPtr, MajorFunction (IRP_MJ_CREATE) [, Status] — or MajorFunction first; the
 * file object in the scenario's file_slot. */
static int record(struct etlgen_gen *g, const struct etlgen_scenario *s, uint8_t type,
		  unsigned i, uint64_t ts, uint64_t initial, size_t cut)
{
	const struct etlgen_minifilter *m = &s->minifilter;
	unsigned P = s->pointer_size;
	int completion = type == PRE_COMPLETION || type == POST_COMPLETION;
	size_t n = (completion ? 8 : 0) + 5 * (size_t)P + 4 + (type == PRE_FAILURE ? 4 : 0);
	uint8_t *p = sys_event(g, s, n - cut, type, ts);
	if (!p)
		return -1;
	uint8_t full[8 + 5 * 8 + 8];
	memset(full, 0, sizeof full);
	size_t o = 0;
	if (completion) {
		etl_put64(full, initial);
		o = 8;
	}
	if (m->major_first) {
		etl_put32(full + o, 0); /* IRP_MJ_CREATE */
		o += 4;
	}
	uint64_t ptr[5] = {s->modules[m->module].base + ROUTINE_RVA, file_of(m, i),
			   pool(P, 1, 0), pool(P, 2, i), pool(P, 3, i)};
	unsigned slot = m->file_slot ? m->file_slot : ETLGEN_FLT_SLOT_FILE_OBJECT;
	if (slot < 5) { /* the file object where the scenario puts it, that slot's value in its place */
		uint64_t v = ptr[slot];
		ptr[slot] = ptr[ETLGEN_FLT_SLOT_FILE_OBJECT];
		ptr[ETLGEN_FLT_SLOT_FILE_OBJECT] = v;
	}
	for (unsigned k = 0; k < 5; k++, o += P)
		etl_putptr(full + o, ptr[k], P);
	if (!m->major_first) {
		etl_put32(full + o, 0);
		o += 4;
	}
	if (type == PRE_FAILURE)
		etl_put32(full + o, 0xC0000022); /* STATUS_ACCESS_DENIED */
	memcpy(p, full, n - cut);
	return 0;
}

static void expect_delay(struct etlgen_expect *exp, const struct etlgen_scenario *s,
			 int post, uint64_t ticks)
{
	static const uint64_t over_ns[3] = {1000000, 10000000, 100000000};
	uint64_t ns = ticks * 1000000000ull / s->qpc_frequency;
	etlgen_agg_add(&exp->flt[post], ns);
	for (int k = 0; k < 3; k++)
		exp->flt_over[post][k] += ns > over_ns[k];
}

int etlgen_flt_write(struct etlgen_gen *g, const struct etlgen_scenario *s,
		     struct etlgen_expect *exp, uint64_t start, uint64_t *end)
{
	const struct etlgen_minifilter *m = &s->minifilter;
	uint64_t t = start;
	if (!m->no_file_events &&
	    (etlgen_file_rundown(g, s, m->cpu, m->file_object, m->file, t) ||
	     (m->file2 && etlgen_file_rundown(g, s, m->cpu, m->file_object2, m->file2, t))))
		return -1;
	if (etlgen_thread_rundown(g, s, m->cpu, m->tid, t + 1))
		return -1;
	t += 2;
	for (unsigned i = 0; i < m->creates; i++) {
		uint64_t pre = m->pre_ticks[i % m->n_pre], post = m->post_ticks[i % m->n_post];
		if (record(g, s, PRE_INIT, i, t, 0, 0) ||
		    record(g, s, PRE_COMPLETION, i, t + pre, t, 0) ||
		    record(g, s, POST_COMPLETION, i, t + pre + post, t + pre, 0))
			return -1;
		if (exp) {
			exp->flt_inits++;
			expect_delay(exp, s, 0, pre);
			expect_delay(exp, s, 1, post);
		}
		t += pre + post + m->gap_ticks;
	}
	for (unsigned i = 0; i < m->failures; i++, t += m->gap_ticks + 1)
		if (record(g, s, PRE_FAILURE, m->creates + i, t, 0, 0))
			return -1;
	for (unsigned i = 0; i < m->truncated; i++, t += m->gap_ticks + 1)
		if (record(g, s, PRE_COMPLETION, i, t, t, 4))
			return -1;
	if (exp) {
		exp->flt_failures += m->failures;
		exp->flt_truncated += m->truncated;
	}
	*end = t;
	return 0;
}
