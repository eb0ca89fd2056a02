/* sink.h — the normalized records every parser emits, and the sink that receives them.
 *
 * Parsers know formats; sinks know storage. A parser calls the sink's callbacks in file
 * order and never touches SQLite; the SQLite sink (db/db_sink.c) writes one run in one
 * transaction, and tests use in-memory sinks. Every callback returns 0 on success or a
 * negative value to abort the parse (the parser then returns that value unchanged).
 *
 * Times: absolute instants are microseconds since the Unix epoch, UTC ("t_us"); ETW
 * events are nanoseconds since the trace start ("t_ns"), with the start in run meta.
 * Missing perfmon values are NAN, never 0.
 */
#ifndef ETLSCOPE_SINK_H
#define ETLSCOPE_SINK_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* One perfmon counter column (PDH path parsed into its parts). */
struct sink_counter {
	const char *path;     /* full path as written in the file */
	const char *machine;  /* without the leading backslashes; "" if absent */
	const char *object;   /* e.g. "Processor", "Processor Information" */
	const char *instance; /* e.g. "0", "0,3", "_Total"; NULL for single-instance objects */
	const char *counter;  /* e.g. "% DPC Time" */
	int cpu;              /* logical CPU for per-CPU instances, -1 otherwise (incl. _Total) */
	uint32_t counter_type; /* winperf PERF_* type when known (BLG), 0 otherwise */
};

/* DPC/ISR kinds, stored as these numbers. */
enum sink_dpcisr_kind {
	SINK_DPC = 0,
	SINK_THREADED_DPC = 1,
	SINK_TIMER_DPC = 2,
	SINK_ISR = 3,
	SINK_ISR_MSI = 4,
	SINK_DPCISR_KINDS = 5
};

/* A loaded image (kernel driver or user module). */
struct sink_module {
	const char *path;   /* image path as logged, e.g. \SystemRoot\System32\drivers\ndis.sys */
	const char *name;   /* file name part, e.g. ndis.sys */
	uint64_t base;
	uint64_t size;
	uint32_t pid;       /* 0 or 4 for kernel images */
	uint32_t timestamp; /* PE TimeDateStamp, 0 if unknown */
	uint32_t checksum;  /* PE CheckSum, 0 if unknown */
	int64_t load_ns;    /* when loaded, ns since trace start; INT64_MIN if before the trace */
	int64_t unload_ns;  /* when unloaded; INT64_MAX if still loaded at the end */
};

/* One DPC or ISR execution. */
struct sink_dpcisr {
	int64_t t_ns;        /* entry time (InitialTime), ns since trace start */
	uint32_t duration_ns;
	uint16_t cpu;
	uint8_t kind;        /* enum sink_dpcisr_kind */
	int32_t module_id;   /* id returned by sink->module, -1 if unresolved */
	uint64_t routine;    /* routine address */
};

/* pid of a sample whose thread was never described by a Thread event. */
#define SINK_PID_UNKNOWN UINT32_MAX

/* One frame of a sample's stack: the address, its module (-1 unresolved) and the offset
 * from that module's base (the address itself when unresolved). */
struct sink_frame {
	uint64_t addr;
	uint64_t offset;
	int32_t module_id;
	uint32_t reserved;
};

/* Process and thread lifetimes (Process/Thread Start, End, DCStart, DCEnd events). */
enum sink_task_kind {
	SINK_PROCESS_START = 0, /* DCStart too: the process existed when the trace began */
	SINK_PROCESS_END = 1,
	SINK_THREAD_START = 2,
	SINK_THREAD_END = 3
};

struct sink_task {
	uint8_t kind;             /* enum sink_task_kind */
	uint8_t rundown;          /* 1 for DCStart/DCEnd (state at trace start/end) */
	int64_t t_ns;
	uint32_t pid, tid, ppid;  /* tid 0 for process events */
	const char *name;         /* process image name as logged, "" if absent */
	const char *command_line; /* "" if the trace does not have it */
};

/* One SampledProfile hit, with the modules on its stack (deduplicated). pid 0 is the Idle
 * process: stores count such samples as Idle, never as CPU time of a module. */
struct sink_cpu_sample {
	int64_t t_ns;
	uint16_t cpu;
	uint32_t pid, tid;            /* pid SINK_PID_UNKNOWN: thread never described */
	uint64_t ip;
	int32_t module_id;            /* module of the instruction pointer, -1 if unresolved */
	const int32_t *stack_modules; /* distinct module ids anywhere on the stack */
	uint32_t n_stack_modules;
	uint8_t in_dpcisr;            /* 0 normal, 1 DPC, 2 ISR (when known) */
	uint8_t ip_kernel;            /* the IP is a kernel-space address (trace pointer size) */
	/* The modules of the stack in stack order, leaf (the IP's module) first, consecutive
	 * repeats folded and frames outside any module left out; n 0 when the sample has no
	 * stack. */
	const int32_t *module_chain;
	uint32_t n_module_chain;
	/* The DPC/ISR interval ([entry, exit) on the same CPU) the sample fell in, when the
	 * parser saw one: covered 1, then cover_kind (enum sink_dpcisr_kind) and the module
	 * of its routine (-1 unresolved). The innermost interval wins (an ISR inside a DPC). */
	uint8_t covered;
	uint8_t cover_kind;
	int32_t cover_module_id;
	/* The whole stack, leaf first: the kernel half then the user half (joined); n 0 when
	 * the sample has no stack. */
	const struct sink_frame *frames;
	uint32_t n_frames;
};

/* One bucket of a pre-bucketed DPC/ISR duration histogram, as printed by a text report
 * (`xperf -a dpcisr`). These are NOT events: the report only says how many DPCs/ISRs of a
 * module fell into each bucket, so stores keep them apart from sink_dpcisr records and
 * serve them with the report's own edges. A block is one histogram as printed (one
 * "Total = N for module X" header and its rows); the same module can have several blocks
 * (e.g. two captures pasted together), and blocks are never merged by the parser. */
struct sink_dpcisr_bucket {
	uint32_t block;     /* 0-based, in file order; buckets of one block arrive together */
	const char *module; /* as printed, unquoted ("Unknown" = unresolved); NULL = the
			     * all-modules histogram of the report (not to be added to the
			     * per-module blocks) */
	uint8_t kind;       /* SINK_DPC or SINK_ISR: the report does not split kinds further */
	uint64_t lo_ns;     /* exclusive lower edge: duration > lo_ns */
	uint64_t hi_ns;     /* inclusive upper edge: duration <= hi_ns; UINT64_MAX = open */
	uint64_t count;     /* DPCs/ISRs in the bucket (zero-count rows are passed on too) */
};

/* Busy time of one module on one CPU over the whole report ("CPU Usage Summing By
 * Module"), in the report's own unit (µs). Only non-zero cells are passed on. */
struct sink_dpcisr_usage {
	const char *module; /* as printed, unquoted */
	uint8_t kind;       /* SINK_DPC or SINK_ISR */
	uint16_t cpu;
	uint64_t busy_us;
};

struct ingest_sink {
	void *ud;

	/* Perfmon-style counter series. Counters may be added after samples started; a row
	 * then carries values for the counters declared so far (n <= count). */
	int (*counter)(void *ud, const struct sink_counter *c, uint32_t *out_index);
	int (*sample)(void *ud, int64_t t_us, const double *values, size_t n);

	/* ETW records. */
	int (*module)(void *ud, const struct sink_module *m, int32_t *out_id);
	int (*dpcisr)(void *ud, const struct sink_dpcisr *e);
	int (*cpu_sample)(void *ud, const struct sink_cpu_sample *s);

	/* A problem that did not stop the parse: code is a short stable identifier
	 * ("truncated", "unknown_event", "blank_sample"…), message is for people. */
	int (*warning)(void *ud, const char *code, const char *message);

	/* Called once at the end with the run's facts (format-specific summary object:
	 * header values, record counts). The sink takes no ownership. */
	int (*summary)(void *ud, const struct cJSON *summary);

	/* Pre-bucketed text reports (xperf -a dpcisr). A sink that leaves these NULL cannot
	 * store such reports; the parser then refuses the file. */
	int (*dpcisr_bucket)(void *ud, const struct sink_dpcisr_bucket *b);
	int (*dpcisr_usage)(void *ud, const struct sink_dpcisr_usage *u);

	/* Process and thread lifetimes (ETW), in trace order; may be NULL. */
	int (*task)(void *ud, const struct sink_task *t);
};

#endif
