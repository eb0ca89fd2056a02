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
	/* Debug identity (ETW: KernelTraceControl ImageId / DbgID_RSDS, etl_imageid.h). */
	const char *pdb;         /* PDB path from the RSDS record; NULL if the trace has none */
	const uint8_t *pdb_guid; /* its 16 GUID bytes as stored; set with pdb */
	uint32_t pdb_age;        /* its age; set with pdb */
	int has_image_id;        /* an ImageId event gave image_timestamp and image_size */
	uint32_t image_timestamp;
	uint64_t image_size;
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
	SINK_THREAD_END = 3,
	SINK_THREAD_NAME = 4 /* Thread SetName: name is the thread's new name (UTF-8) */
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

/* Idle CPU time: the Idle process's thread (pid 0) was on the CPU and no DPC or ISR ran.
 * A DPC or ISR that interrupts the idle loop is its driver's busy time, not idle time —
 * as Windows' own counters keep "% DPC Time" and "% Interrupt Time" out of "% Idle Time";
 * otherwise a NIC whose DPCs pin otherwise idle CPUs would look idle. */
static inline int sink_sample_idle(const struct sink_cpu_sample *s)
{
	return s->pid == 0 && !s->in_dpcisr && !s->covered;
}

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

/* Scheduling and syscalls (CSwitch, ReadyThread, SysClEnter/SysClExit), aggregated by the
 * parser over the whole trace and emitted once at the end (rows are bounded by threads and
 * syscall addresses, never by events). Durations in ns. */
#define SINK_SYSCALL_BUCKETS 40 /* bucket b: duration < 2^b ns (b 0..38), b 39: the rest */
#define SINK_WAIT_REASONS 64    /* KWAIT_REASON values (0..39 known), clamped to 63 */

/* One (process, syscall address): paired enter/exit. */
struct sink_syscall {
	uint32_t pid;          /* SINK_PID_UNKNOWN: the thread was not known (no CSwitch) */
	const char *process;   /* image name of pid, "" if unknown */
	uint64_t address;      /* SysCallAddress (the NT service routine) */
	int32_t module_id;     /* module of the address, -1 if unresolved */
	uint64_t count, total_ns, max_ns;
	uint64_t samples;      /* CPU samples of this process taken inside such a syscall */
	uint64_t hist[SINK_SYSCALL_BUCKETS];
};

/* A module on the stacks of CPU samples taken inside syscalls, per process. */
struct sink_syscall_module {
	uint32_t pid;
	int32_t module_id;
	uint64_t samples;
};

/* One thread's scheduling over the trace. */
struct sink_sched_thread {
	uint32_t pid, tid;     /* pid: the thread's last known process (SINK_PID_UNKNOWN) */
	const char *process;   /* image name of pid, "" if unknown */
	uint64_t running_ns;   /* switched in → switched out */
	uint64_t ready_ns;     /* ReadyThread (or preempted while ready) → switched in */
	uint64_t waiting_ns;   /* switched out waiting → ReadyThread */
	uint64_t switches;     /* times switched in */
	uint64_t wait_count[SINK_WAIT_REASONS]; /* switch-outs into a wait, by reason */
	uint64_t wait_ns[SINK_WAIT_REASONS];    /* waiting time ended by a ReadyThread */
};

/* Who readied a thread, and how long it then stayed ready before running. */
struct sink_sched_ready {
	uint32_t tid, pid;     /* the readied thread */
	uint32_t by_tid, by_pid; /* the thread running on the readying CPU (UINT32_MAX: unknown) */
	uint8_t from_dpc;      /* ReadyThread Flag 0x1: readied from a DPC on that CPU */
	const char *process, *by_process; /* image names, "" if unknown */
	uint64_t count, ready_ns;
};

/* What ran on one CPU in one slice of the per-CPU timeline (slices of slice_ns from the
 * trace start): the SINK_SLICE_TOP threads with the most running time, the other threads
 * together, and the idle thread (id 0). Slices in which no CSwitch interval fell are not
 * emitted. */
#define SINK_SLICE_TOP 3
struct sink_sched_slice {
	uint16_t cpu;
	uint32_t slice;
	uint64_t slice_ns;
	uint32_t tid[SINK_SLICE_TOP], pid[SINK_SLICE_TOP]; /* tid UINT32_MAX: no such rank */
	uint64_t ns[SINK_SLICE_TOP];
	uint64_t other_ns, idle_ns;
};

/* Disk I/O completions (DiskIo Read/Write/Flush) of one (disk, op, process, file), whole
 * trace. Latency histogram: bucket 0 holds < 1 µs, bucket i (1 ≤ i < last) holds
 * [2^(i-1), 2^i) µs, the last bucket everything from 2^(SINK_DISKIO_BUCKETS-2) µs (≈ 8.4 s). */
#define SINK_DISKIO_BUCKETS 25
struct sink_disk_io_row {
	uint32_t disk;
	uint8_t op;          /* DiskIo event type: 10 read, 11 write, 14 flush */
	uint32_t pid;        /* of the issuing thread; SINK_PID_UNKNOWN if not known */
	const char *file;    /* from the FileIo name events; NULL if the file object was never named */
	uint64_t count, bytes, total_ns, max_ns;
	uint64_t hist[SINK_DISKIO_BUCKETS];
};

/* One of the slowest disk I/Os of the trace (at most SINK_DISKIO_SLOWEST, slowest first). */
#define SINK_DISKIO_SLOWEST 20
struct sink_disk_io_slow {
	int64_t t_ns;        /* completion time */
	uint64_t duration_ns;
	uint32_t disk;
	uint8_t op;
	uint32_t pid, tid;
	uint64_t offset;
	uint32_t size, irp_flags;
	const char *file;
};

/* Queue depth of one disk over time: the trace [0, span] cut into SINK_DISKIO_SLICES equal
 * slices; busy_ns[i] = Σ over the disk's I/Os of the time each was outstanding inside slice
 * i (an I/O is outstanding from completion − latency to completion), so busy_ns[i] /
 * slice_ns is the average number of I/Os in flight during the slice. */
#define SINK_DISKIO_SLICES 100
struct sink_disk_queue {
	uint32_t disk;
	uint64_t slice_ns;
	const double *busy_ns; /* [SINK_DISKIO_SLICES] */
};

/* File I/O operations of one (op, process, file), whole trace: count = operations started;
 * completed = those paired with their OperationEnd (same IrpPtr), whose time (start to
 * end) makes total_ns and max_ns; bytes = bytes requested by reads and writes. */
struct sink_file_io_row {
	uint8_t op;          /* FileIo event type, e.g. 64 Create, 67 Read */
	const char *op_name; /* e.g. "Create" */
	uint32_t pid;        /* SINK_PID_UNKNOWN if the thread is unknown */
	const char *file;    /* NULL if the file object/key was never named */
	uint64_t count, completed, bytes, total_ns, max_ns;
};

/* Minifilter delays (issue 15; ingest/etl/etl_fltagg.h): per (filter module, major
 * function, pre/post operation, process, file), whole trace, only when the trace proved the
 * minifilter layout. count = completions, each with a delay (completion time −
 * InitialTime) making total_ns, max_ns and the over[] counts (delays above 1, 10, 100 ms);
 * inits = PreOpInit/PostOpInit events, failures = PreOpFailure/PostOpFailure events. */
#define SINK_FLT_OVER 3
#define SINK_FLT_SLOWEST 20
struct sink_flt_row {
	int32_t module;      /* sink module id of the routine's image; -1 never (checked) */
	uint8_t major;       /* MajorFunction byte (IRP_MJ_*, or FltMgr's (UCHAR)-n) */
	uint8_t post;        /* 0 pre-operation, 1 post-operation */
	const char *major_name; /* e.g. "IRP_MJ_CREATE" */
	uint32_t pid;        /* of the logging thread; SINK_PID_UNKNOWN if not known */
	const char *file;    /* FileObject's name; NULL if never named */
	uint64_t inits, count, failures, total_ns, max_ns;
	uint64_t over[SINK_FLT_OVER];
};
/* One of the slowest minifilter delays (at most SINK_FLT_SLOWEST, slowest first). */
struct sink_flt_slow {
	int64_t t_ns;        /* completion time */
	uint64_t delay_ns;
	int32_t module;
	uint8_t major, post;
	uint32_t pid, tid;
	uint16_t cpu;
	const char *file;
};

/* How many events of one DiskIo (group 1) or FileIo (group 4) type the trace holds, and
 * how many of them were not decoded (payload too short, or no public layout: minifilter). */
struct sink_io_type_count {
	uint8_t group, type;
	const char *name;    /* e.g. "Read", "FileRundown", "PreOpInit" */
	uint64_t count, undecoded;
};

/* Per-slice facts of the syscall, scheduling, disk and file I/O tables (issue 15): counts
 * and sums per (100 ms slice from the trace start, CPU, pid, tid, domain, key), so a time
 * window, CPU set, process and thread select exact sums (at slice resolution). Passed in
 * batches during pass 2 and at the end; the same key may come again in a later batch
 * (the store adds them). Which event sets slice and CPU, and what n, m, ns, bytes mean per
 * domain: ingest/etl/etl_slicefacts.h. */
#define SINK_FACT_SLICE_NS 100000000LL
enum { SINK_FACT_SYSCALL = 1, SINK_FACT_SCHED = 2, SINK_FACT_DISK = 3, SINK_FACT_FILE = 4,
       SINK_FACT_FLT = 5 };
/* Rollups of the same facts, so a long window reads few rows: domain + SINK_FACT_SECOND
 * holds them per whole second (slice = second from the trace start), domain +
 * SINK_FACT_WHOLE for the whole trace (slice 0); CPU, pid, tid and key as at 100 ms. */
enum { SINK_FACT_SECOND = 16, SINK_FACT_WHOLE = 32 };
#define SINK_FACT_SLICES_PER_SECOND (1000000000LL / SINK_FACT_SLICE_NS)
struct sink_slice_fact {
	uint8_t domain;
	uint16_t cpu;
	uint32_t slice, pid, tid;
	uint64_t key;
	uint64_t n, m, ns, bytes;
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

	/* Scheduling and syscall aggregates (ETW CSwitch/ReadyThread/SysCl*), emitted before
	 * the summary. NULL: the sink does not store them. */
	int (*syscall)(void *ud, const struct sink_syscall *s);
	int (*syscall_module)(void *ud, const struct sink_syscall_module *m);
	int (*sched_thread)(void *ud, const struct sink_sched_thread *t);
	int (*sched_ready)(void *ud, const struct sink_sched_ready *r);
	int (*sched_slice)(void *ud, const struct sink_sched_slice *s);
	/* Disk and file I/O (issue 15), pre-aggregated by the parser and passed once at the
	 * end, before the summary. NULL: the sink does not store them. */
	int (*disk_io_row)(void *ud, const struct sink_disk_io_row *r);
	int (*disk_io_slow)(void *ud, const struct sink_disk_io_slow *s);
	int (*io_type_count)(void *ud, const struct sink_io_type_count *c);
	int (*disk_queue)(void *ud, const struct sink_disk_queue *q);
	int (*file_io_row)(void *ud, const struct sink_file_io_row *r);
	/* Minifilter delays (issue 15), at the end, before the summary; NULL: not stored. */
	int (*flt_row)(void *ud, const struct sink_flt_row *r);
	int (*flt_slow)(void *ud, const struct sink_flt_slow *s);
	/* Process and thread lifetimes (ETW), in trace order; may be NULL. */
	int (*task)(void *ud, const struct sink_task *t);
	/* Per-slice facts (issue 15), a batch of n; may be NULL. */
	int (*slice_facts)(void *ud, const struct sink_slice_fact *f, size_t n);
	/* Per-slice fact contributions not yet added up (each one's n, m, ns and bytes go to
	 * its key), in the order the parser made them; slice_facts_flush: emit what is held,
	 * where the parser would have flushed its own maps. Offered by sink_pipe.h, which adds
	 * them up on its store thread (etl_slicefacts.h) and passes the sums to the real
	 * sink's slice_facts, so the parser's thread does not. Both NULL: the parser adds them
	 * up itself and calls slice_facts. */
	int (*slice_fact_adds)(void *ud, const struct sink_slice_fact *c, size_t n);
	int (*slice_facts_flush)(void *ud);

	/* One-pass ETW ingest (ingest/etl/etl_ingest.c). module_update: the final facts of a
	 * module emitted earlier under id (its load/unload times, size, identity learnt later);
	 * base and pid never change. restart: forget every record received since the parse
	 * began (same run, same transaction), so the parser can start over; module ids start
	 * again from the first. NULL: the sink cannot, and the parser reads in two passes. */
	int (*module_update)(void *ud, int32_t id, const struct sink_module *m);
	int (*restart)(void *ud);
};

#endif
