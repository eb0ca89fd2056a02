/* etl_summary.h — what an ETL ingest learned (counts, health) and how it is reported: the
 * warnings and the summary cJSON object handed to the sink. */
#ifndef ETLSCOPE_ETL_SUMMARY_H
#define ETLSCOPE_ETL_SUMMARY_H

#include <stdint.h>
#include "etl_addrs.h"
#include "etl_kernel.h"
#include "etl_procstats.h"
#include "etl_reader.h"
#include "ingest.h"

struct etl_summary_facts {
	struct etl_reader_stats reader;   /* pass-1 reader counters */
	uint64_t kind_counts[ETL_K_COUNT];
	uint64_t group_counts[256];       /* kernel events of no specific kind, by group */
	uint64_t classic_events, manifest_events;
	uint64_t other_events; /* messages and other headers: counted so counts add up */
	uint64_t malformed_events;        /* payload too short for its decoder */
	uint64_t dpcisr_emitted, dpcisr_unresolved, dpcisr_malformed;
	uint64_t dpcisr_damaged;          /* InitialTime outside the trace / absurd duration */
	uint64_t merge_limit_buffers;     /* buffers pass 2 skipped for the memory budget */
	uint64_t merge_late_buffers;      /* buffers the streamed merge met after their time */
	uint64_t samples_emitted, samples_with_stack, stack_keys_unresolved;
	uint64_t stack_events_matched;    /* Stack/KeyKernel/KeyUser events matched to a sample */
	uint64_t samples_in_dpcisr_interval; /* samples inside a DPC/ISR's entry…exit on their CPU */
	uint64_t stack_events_unmatched;  /* ... naming no sample in the window (other events') */
	uint64_t stack_events_late;       /* ... naming a time whose samples had already left */
	uint64_t samples_out_of_order;    /* samples older than the window: stored stackless */
	uint64_t stack_window_shed;       /* samples emitted early: waiting frames over budget */
	uint64_t idle_samples, samples_unknown_process;
	uint64_t implausible_images;      /* image events that were not modules */
	struct etl_procstats *procs;      /* per-process counts (set before the summary) */
	const struct etl_addrs *unknown_kernel, *unknown_user; /* unresolved non-idle IPs */
	uint64_t first_ts, last_ts;
	int have_ts;
	size_t kernel_sys_images, modules;
	uint64_t kernel_sys_image_events; /* image events (any kind) of kernel .sys files */
	uint32_t sysconfig_mhz;
	char computer_name[256];
	/* how the trace was read (etl_ingest.c): NULL two passes as asked; else "one_pass",
	 * or "two_pass_redo" with the reason the one pass stopped and its trace time */
	const char *passes, *redo_reason;
	int64_t redo_at_ns;
	uint64_t deferred_samples; /* one pass: samples resolved at the end (etl_defer.h) */
	const struct etl_fltagg *flt;     /* minifilter delays (set before the summary) */
};

/* 1 when data was lost (cut-off file, read error, damaged times, buffers over the limits):
 * the run is stored as partial. */
int etl_summary_partial(const struct etl_summary_facts *f);

/* Build the summary object (caller frees with cJSON_Delete); NULL on ENOMEM. */
struct cJSON *etl_summary_build(const struct etl_reader *r, const struct etl_summary_facts *f);
/* Send warnings then the summary to the sink. Returns 0, INGEST_ENOMEM or the sink's value. */
int etl_summary_emit(const struct etl_reader *r, const struct etl_summary_facts *f,
		     const struct ingest_sink *sink, struct ingest_error *err);

#endif
