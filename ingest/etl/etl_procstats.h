/* etl_procstats.h — samples and sampled threads per process, for the run summary (the
 * Idle process is pid 0; SINK_PID_UNKNOWN gathers samples of threads never described). */
#ifndef ETLSCOPE_ETL_PROCSTATS_H
#define ETLSCOPE_ETL_PROCSTATS_H

#include <stddef.h>
#include <stdint.h>
#include "etl_tidmap.h"

#include "sink.h"

struct etl_proc_row {
	uint32_t pid;
	char name[64];      /* image name from its latest Process event, "" if none */
	uint32_t threads;   /* distinct thread ids with a sample in this process */
	uint64_t samples;
};

struct etl_procstats {
	struct etl_proc_row *v;
	size_t n, cap;
	struct etl_tidmap index; /* pid + 1 → row index + 1 (pid 0 is row-indexed too) */
	struct etl_tidmap seen;  /* tid + 1 → pid of the thread's counted (pid, tid) pair */
	int idle_thread_seen;    /* tid 0 in pid 0 counted */
};

void etl_procstats_init(struct etl_procstats *p);
void etl_procstats_free(struct etl_procstats *p);
/* Count one sample of thread tid in process pid. 0 or -1 (ENOMEM). */
int etl_procstats_add(struct etl_procstats *p, uint32_t pid, uint32_t tid);
/* Name a process (Process Start/DCStart/DCEnd image name; the last one wins). 0 or -1. */
int etl_procstats_name(struct etl_procstats *p, uint32_t pid, const char *name);
/* Call once, at the end (it reorders the rows). JSON array of up to max rows, most samples first (then by pid); *omitted gets the number
 * of rows left out. NULL on ENOMEM. */
struct cJSON *etl_procstats_json(struct etl_procstats *p, size_t max, size_t *omitted);

#endif
