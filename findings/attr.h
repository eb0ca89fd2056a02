/* attr.h — driver attribution: which vendor, product and category each loaded module of an
 * ETW run belongs to (the KB joined with the module list), and the DPC, ISR and sampled
 * CPU time each one cost, rolled up by vendor and by category. Pure reads of db_etw.h; the
 * result is owned by the caller (attr_result_clear). */
#ifndef ETLSCOPE_ATTR_H
#define ETLSCOPE_ATTR_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "db_etw.h"
#include "kb.h"

/* Categories beyond the KB's own (kb_category.h). */
#define ATTR_CAT_UNKNOWN "unknown-third-party" /* kernel module not in the KB */
#define ATTR_CAT_MIXED "several-vendors"       /* the name belongs to vendors of different categories */
#define ATTR_CAT_USER "user-mode"              /* a user-mode image (not a driver) */
#define ATTR_CAT_HIDDEN "outside-modules"      /* addresses in no loaded module */

/* How a module name is classified. Strings point into the KB or static text, or into
 * the fixed buffers. */
struct attr_class {
	const char *category;     /* KB category name or one of ATTR_CAT_* */
	char vendor[256];         /* "Intel", "one of: A, B, C" or "" (unknown) */
	char product[256];
	int microsoft;            /* every candidate row's vendor is Microsoft */
	int kernel;               /* a kernel image (address or .sys) */
	int note_wdk_sample;      /* a WDK sample name: may be a third party's copy */
	int dump_copy;            /* dump_X.sys: the crash-dump copy of X.sys */
	size_t ncand;             /* KB rows that matched (several = a name collision) */
	const struct kb_entry *cand[KB_MATCH_MAX];
};

/* Classify a module by name/path; base decides kernel vs user (kernel images live in the
 * upper half of the address space). */
void attr_classify(const char *name, const char *path, uint64_t base, struct attr_class *out);
/* Names the KB lacks (attr_overlay.c): "dump_X.sys" crash-dump copies resolve as X.sys,
 * then a few in-box images; *dump_copy says the name had the dump_ prefix. */
size_t attr_overlay_lookup(const char *img, const struct kb_entry **out, size_t max,
			   int *dump_copy);
/* Label of any attribution category (KB labels plus ATTR_CAT_*). */
const char *attr_category_label(const char *category);

struct attr_time {
	uint64_t count, total_ns, max_ns, above_count;
	struct db_cpu_set cpus;
};

struct attr_row {
	int32_t module_id;        /* -1: the "outside any module" row */
	char *name, *path;
	struct attr_class cls;
	struct attr_time dpc, isr;
	uint64_t excl, incl;      /* sampled CPU: IP in module / module anywhere on the stack */
};

struct attr_rollup {
	char key[256];            /* vendor text or category name */
	const char *category;     /* for vendor roll-ups: the vendor's first row's category */
	size_t modules;
	uint64_t dpc_ns, isr_ns, dpc_count, isr_count, excl;
	uint64_t incl_max;        /* the largest inclusive count among its modules (a floor:
				   * one sample can hold several of them) */
};

struct attr_result {
	size_t n;
	struct attr_row *rows;    /* module id order; the unresolved row last when present */
	size_t nvendors, ncategories;
	struct attr_rollup *vendors, *categories; /* largest DPC+ISR+exclusive time first */
	uint64_t samples, idle, in_dpc, in_isr; /* sampled CPU totals in the window; Idle-process
						 * samples are in `idle` and in no row */
	uint64_t unknown_kernel;  /* of the -1 row's samples: kernel-space IPs (the rest is user
				   * code without an image: JIT, unpacked code) */
	uint64_t dpc_ns, isr_ns;  /* all DPC/ISR time in the window */
	uint32_t ncpus;
	int64_t window_ns;        /* length of the window (clipped to the trace) */
};

/* Non-idle samples: the denominator of "share of busy CPU". */
static inline uint64_t attr_busy_samples(const struct attr_result *r)
{
	return r->samples > r->idle ? r->samples - r->idle : 0;
}

/* 0 ok, 1 the run has no ETW data, -1 error (err says why). */
int attr_run(sqlite3 *db, const struct db_etw_filter *f, struct attr_result *out, char *err,
	     size_t errlen);
void attr_result_clear(struct attr_result *r);
/* The row with this module id, or NULL. */
const struct attr_row *attr_find(const struct attr_result *r, int32_t module_id);

#endif
