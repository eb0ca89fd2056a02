/* db_symbols.h — symbols stored per run and module (issue 14): each ETW module's debug
 * identity and symbol status (etw_module_symbols, written at ingest by db_etw_sink.c), the
 * addresses of a module that users see (DPC/ISR routines: every above-guideline event and the
 * reservoir samples), and the names found for them (etw_symbols: (module, rva) → function +
 * offset). Re-resolving replaces a module's names and status in one transaction, so a PDB that
 * arrives later updates the run without a new upload. */
#ifndef ETLSCOPE_DB_SYMBOLS_H
#define ETLSCOPE_DB_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "sink.h"

/* At most this many distinct routine addresses per module are resolved (a driver has far
 * fewer DPC/ISR routines); beyond it db_sym_routines fails with a sentence. */
#define DB_SYM_MAX_RVAS 65536u

struct db_sym_module {
	int32_t id;
	const char *name;  /* image file name */
	uint64_t base, size;
	const char *pdb;   /* PDB path from the trace's RSDS record */
	const char *guid;  /* 32 SymStore hex digits */
	uint32_t age;
	const char *status;
};
/* Calls cb for each module of the run that has a debug identity (a PDB name); a non-zero
 * return stops. 0, or -1 with a sentence in err. */
int db_sym_modules(sqlite3 *db, int64_t run_id,
		   int (*cb)(void *ud, const struct db_sym_module *m), void *ud, char *err,
		   size_t errlen);

/* The distinct routine RVAs (address - base, inside [0, size)) of the module's stored DPC/ISR
 * events, ascending, in a new array (*rvas, free()). 0, or -1 with a sentence in err. */
int db_sym_routines(sqlite3 *db, int64_t run_id, const struct db_sym_module *m,
		    uint32_t **rvas, size_t *n, char *err, size_t errlen);

/* At most this many distinct stack frame addresses per module are resolved (the first ones
 * by address); db_sym_frames says how many the store holds, so the caller can say so. */
#define DB_SYM_MAX_FRAMES 262144u

/* The distinct stack frame RVAs of the module in the run's stack store (stk_frames),
 * ascending, at most DB_SYM_MAX_FRAMES of them, in a new array (*rvas, free(); NULL when
 * none); *total is how many the store holds. A run without a stack store has none.
 * 0, or -1 with a sentence in err. */
int db_sym_frames(sqlite3 *db, int64_t run_id, int32_t module_id, uint32_t **rvas, size_t *n,
		  size_t *total, char *err, size_t errlen);

/* The distinct SysCallAddress RVAs of the run's syscalls (etw_syscalls) that fall in the
 * module, ascending, in a new array (*rvas, free(); NULL when none). 0, or -1 with err. */
int db_sym_syscalls(sqlite3 *db, int64_t run_id, const struct db_sym_module *m, uint32_t **rvas,
		    size_t *n, char *err, size_t errlen);

struct db_sym_name {
	uint32_t rva, offset;
	const char *name;
};
/* Replaces the module's names by names[0..n) and sets its status and why, in one
 * transaction. 0, or -1 with a sentence in err. */
int db_sym_store(sqlite3 *db, int64_t run_id, int32_t module_id, const char *status,
		 const char *why, const struct db_sym_name *names, size_t n, char *err,
		 size_t errlen);

/* Sets every module of the run that has an identity to status pending with why, keeping its
 * names until the job replaces them. 0, or -1 with a sentence in err. */
int db_sym_set_pending(sqlite3 *db, int64_t run_id, const char *why, char *err, size_t errlen);

/* Reading names back: a prepared lookup for one run. NULL when out of memory or on a
 * database without etw_symbols. */
struct db_sym_lookup;
struct db_sym_lookup *db_sym_lookup_new(sqlite3 *db, int64_t run_id);
/* 1 with the name copied into name (NUL-terminated, truncated to len) and *offset, 0 if
 * the address has no stored name. */
int db_sym_lookup_find(struct db_sym_lookup *l, int32_t module_id, uint32_t rva, char *name,
		       size_t len, uint32_t *offset);
void db_sym_lookup_free(struct db_sym_lookup *l);

/* The kind_mask bits (enum sink_dpcisr_kind) of the ISR kinds (isr 1) or the DPC kinds. */
#define DB_SYM_KIND_MASK(isr)                                                                 \
	((isr) ? (1u << SINK_ISR | 1u << SINK_ISR_MSI)                                        \
	       : (1u << SINK_DPC | 1u << SINK_THREADED_DPC | 1u << SINK_TIMER_DPC))

/* The function holding the module's longest above-guideline DPC (isr 0) or ISR (isr 1) of
 * the whole run, when the run's symbols name its routine: 1 with the name copied into name
 * (truncated to len), 0 when there is no such event or no name, -1 with err. */
int db_sym_longest_routine(sqlite3 *db, int64_t run_id, int32_t module_id, int isr, char *name,
			   size_t len, char *err, size_t errlen);
#endif
