/* etl_logfile.h — the trace's first event (EventTrace/Header = TRACE_LOGFILE_HEADER, whose
 * layout depends on the writer's pointer size) and the header-extension group masks. */
#ifndef ETLSCOPE_ETL_LOGFILE_H
#define ETLSCOPE_ETL_LOGFILE_H

#include <stdint.h>
#include "etl_event.h"

#define ETL_LOGFILE_MODE_CIRCULAR 0x00000002u
#define ETL_LOGFILE_MODE_BUFFERING 0x00000400u /* in-memory ring, written at stop */
#define ETL_LOGFILE_MODE_RELOG 0x00010000u
#define ETL_LOGFILE_MODE_COMPRESSED 0x04000000u

enum etl_clock_type { ETL_CLOCK_QPC = 1, ETL_CLOCK_SYSTEM = 2, ETL_CLOCK_CYCLES = 3 };

struct etl_logfile {
	uint32_t buffer_size;
	uint32_t version;          /* raw: bytes major, minor, sub, subminor */
	uint32_t build;            /* ProviderVersion */
	uint32_t cpus;
	uint64_t end_time;         /* FILETIME */
	uint32_t timer_resolution;
	uint32_t max_file_size;
	uint32_t log_file_mode;
	uint32_t buffers_written;
	uint32_t pointer_size;     /* the field; header_pointer_size is what the header type said */
	uint32_t events_lost;
	uint32_t cpu_mhz;
	int32_t tz_bias;
	uint64_t boot_time;        /* FILETIME */
	uint64_t perf_freq;
	uint64_t start_time;       /* FILETIME */
	uint32_t clock_type;       /* ReservedFlags */
	uint32_t buffers_lost;
	char logger_name[256];     /* UTF-8 */
	char log_file_name[512];   /* UTF-8 */
	uint64_t header_timestamp; /* T0: the header event's timestamp */
	uint8_t header_pointer_size;
};

/* Parse the EventTrace/Header event (group 0, type 0). Returns 0 or -1 if too short. */
int etl_logfile_parse(const struct etl_event *ev, struct etl_logfile *lf);

/* The clock's ticks per second (PerfFreq, 10^7 for system time, MHz×10^6 for cycles);
 * 0 if unknown. Inline: etl_reader_ticks_to_ns asks it twice per DPC/ISR. */
static inline uint64_t etl_logfile_ticks_per_second(const struct etl_logfile *lf)
{
	switch (lf->clock_type) {
	case ETL_CLOCK_SYSTEM: return 10000000u;
	case ETL_CLOCK_CYCLES: return (uint64_t)lf->cpu_mhz * 1000000u;
	default: return lf->perf_freq;
	}
}

/* Group masks from EventTrace/Extension (0/5) or EndExtension (0/32). Returns 1 if the
 * payload held a non-zero mask set (copied to masks[8]), 0 if all zero, -1 if too short. */
int etl_groupmask_parse(const struct etl_event *ev, uint32_t masks[8]);

/* Kernel groups that a mask set enables, for people: fills names[] (up to max) with
 * short names like "dpc", "interrupt", "profile", "cswitch", "loader". Returns count. */
int etl_groupmask_names(const uint32_t masks[8], const char **names, int max);
/* DPC or INTERRUPT tracing enabled? */
int etl_groupmask_dpcisr(const uint32_t masks[8]);

/* UTF-16LE (bounded, NUL-terminated or ending at len) to UTF-8 in dst[cap].
 * Returns the number of source bytes consumed including the terminator. */
size_t etl_utf16_to_utf8(const uint8_t *src, size_t len, char *dst, size_t cap);

#endif
