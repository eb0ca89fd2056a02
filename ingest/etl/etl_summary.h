/* etl_summary.h — what an ETL ingest learned (counts, health) and how it is reported: the
 * warnings and the summary cJSON object handed to the sink. */
#ifndef ETLSCOPE_ETL_SUMMARY_H
#define ETLSCOPE_ETL_SUMMARY_H

#include <stdint.h>
#include "etl_kernel.h"
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
	uint64_t samples_emitted, samples_with_stack, stack_keys_unresolved;
	uint64_t stack_events_matched;    /* Stack/KeyKernel/KeyUser events matched to a sample */
	uint64_t first_ts, last_ts;
	int have_ts;
	size_t kernel_sys_images, modules;
	uint64_t kernel_sys_image_events; /* image events (any kind) of kernel .sys files */
	uint32_t sysconfig_mhz;
	char computer_name[256];
};

/* Build the summary object (caller frees with cJSON_Delete); NULL on ENOMEM. */
struct cJSON *etl_summary_build(const struct etl_reader *r, const struct etl_summary_facts *f);
/* Send warnings then the summary to the sink. Returns 0, INGEST_ENOMEM or the sink's value. */
int etl_summary_emit(const struct etl_reader *r, const struct etl_summary_facts *f,
		     const struct ingest_sink *sink, struct ingest_error *err);

#endif
