/* etlgen.h — a trace writer for tests and benchmarks: writes valid .etl files (32/64-bit,
 * plain or XPRESS-compressed buffers) from a scenario of modules with DPC/ISR rates and
 * duration distributions and a sampled-profile rate with stacks, streaming in bounded memory
 * (one buffer per CPU), and reports the exact aggregates it wrote. */
#ifndef ETLSCOPE_ETLGEN_H
#define ETLSCOPE_ETLGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cJSON;

enum etlgen_dist_kind { ETLGEN_FIXED = 0, ETLGEN_UNIFORM, ETLGEN_LOGNORMAL };

/* Durations in microseconds: FIXED a; UNIFORM [a, b]; LOGNORMAL median a, sigma b. */
struct etlgen_dist {
	enum etlgen_dist_kind kind;
	double a, b;
};

/* The writer's random numbers (splitmix64): deterministic for a scenario's seed. */
struct etlgen_rng {
	uint64_t s;
};

static inline uint64_t etlgen_rnd(struct etlgen_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static inline double etlgen_rnd01(struct etlgen_rng *r) /* (0, 1) */
{
	return ((double)(etlgen_rnd(r) >> 11) + 0.5) / 9007199254740992.0;
}

/* A draw of d (etlgen.c). */
double etlgen_draw(struct etlgen_rng *r, const struct etlgen_dist *d);

/* DPC/ISR kinds, same numbers as sink.h enum sink_dpcisr_kind. */
enum etlgen_kind { ETLGEN_DPC = 0, ETLGEN_THREADED_DPC, ETLGEN_TIMER_DPC, ETLGEN_ISR,
		   ETLGEN_ISR_MSI, ETLGEN_KINDS };

/* One kind of CPU sample taken inside a module's DPCs: the IP in module leaf, the stack's
 * callers (module indices, after the IP's frame) and a weight among the module's kinds. */
struct etlgen_inside {
	int leaf;
	const int *callers;
	size_t n_callers;
	double weight;
};

#define ETLGEN_MAX_FRAME_RVAS 8

struct etlgen_module {
	const char *name;        /* e.g. "ndis.sys" */
	const char *path;        /* NULL: \SystemRoot\System32\drivers\<name> */
	uint64_t base, size;
	double dpc_rate;         /* DPCs per second, whole machine */
	enum etlgen_kind dpc_kind; /* DPC, THREADED_DPC or TIMER_DPC */
	struct etlgen_dist dpc_us;
	double isr_rate;         /* ISRs per second */
	int isr_msi;             /* log ISR-MSI instead of ISR */
	struct etlgen_dist isr_us;
	double sample_weight;    /* share of profile samples whose IP is in this module */
	const int *stack;        /* module indices of callers on the sample's stack */
	size_t n_stack;
	const unsigned *cpus;    /* the CPUs its DPCs/ISRs run on (interrupt affinity); */
	size_t n_cpus;           /* 0 = any CPU */
	/* Samples inside its DPCs: floor(duration / inside_every_us + inside_jitter × U(0,1))
	 * per DPC (jitter 1: a sampling timer's chance per DPC shorter than its period), evenly
	 * spaced
	 * strictly inside [entry, exit] on the DPC's CPU, written before the DPC event (it is
	 * logged at exit). None when inside_every_us is 0 or n_inside is 0. */
	double inside_every_us;
	double inside_jitter;    /* 0 or 1 */
	int inside_flag;         /* set the ExecutingDPC flag bit of those samples */
	int inside_stacks;       /* give them a StackWalk Stack event (IP, then callers) */
	int inside_hide_dpc;     /* write the samples but not the DPC events (DPC not traced) */
	const struct etlgen_inside *inside;
	size_t n_inside;
	int unmapped;            /* no image event is logged: samples in it hit an address
				  * outside every loaded module (hidden driver, JIT code) */
	/* Optional debug identity: when pdb is set, the image rundown is followed by the
	 * KernelTraceControl ImageId and DbgID_RSDS events a merged xperf/WPR trace carries. */
	const char *pdb;         /* PDB file name (or path) for DbgID_RSDS */
	uint8_t pdb_guid[16];    /* as stored: Data1..3 little-endian */
	uint32_t pdb_age;
	uint32_t timestamp;      /* PE TimeDateStamp for ImageId */
	uint64_t routine_rva;    /* non-zero: every DPC/ISR routine is base + routine_rva
				  * (a known function), else a random address in the image */
	/* Optional: every stack frame and sampled IP in this module is base + one of these
	 * (picked at random), so a test can place frames on known functions of a PDB. */
	uint64_t frame_rvas[ETLGEN_MAX_FRAME_RVAS];
	size_t n_frame_rvas;
	uint32_t hot_ips;        /* > 0: this module's hot set size, in place of the
				  * scenario's hot_ips (e.g. 1 for an idle loop's one halt) */
	int sample_process;      /* 0: its samples run in the scenario's process (below);
				  * k + 1: in processes[k]'s thread on the sample's CPU */
};

/* A process of the scenario's rundown (etlgen_procs.c). */
struct etlgen_process {
	uint32_t pid;            /* 0 is the Idle process */
	const char *name;        /* image file name, e.g. "System" */
	const char *command_line;
};

/* The sampled threads (one per CPU, ids 1000 + cpu) belong to this process unless the
 * scenario says otherwise; user-space modules (base below the kernel range) are its
 * images. */
#define ETLGEN_PROCESS_PID 4242

/* Scheduling stories (etlgen_sched.c), written after the DPC/sample stream, in QPC ticks.
 * Syscalls: thread tid on CPU cpu runs (one CSwitch in) and makes count syscalls at
 * address modules[module].base + offset, each duration_ticks long, gap_ticks apart; every
 * sample_every-th one carries a SampledProfile of the thread halfway through, IP at the
 * syscall address, stack through modules[module]'s sample stack. */
struct etlgen_syscalls {
	unsigned count, cpu, sample_every;
	uint32_t tid;
	size_t module;
	uint64_t offset;
	uint64_t duration_ticks, gap_ticks;
};

/* Ready-waiting behind a DPC: thread tid on CPU cpu runs run_ticks, waits wait_ticks
 * (wait_reason), is readied from a DPC of modules[dpc_module] that then holds the CPU for
 * ready_ticks before the thread switches in; count times, then runs once more and waits. */
struct etlgen_readywait {
	unsigned count, cpu;
	uint32_t tid;
	uint8_t wait_reason;
	size_t dpc_module;
	uint64_t run_ticks, wait_ticks, ready_ticks;
};

/* Disk I/O story (etlgen_io.c), written after the scheduling stories: a FileRundown names
 * file_object file; thread tid (of the scenario's process) on CPU cpu completes reads then
 * writes on disk disk, one after another gap_ticks apart, each DiskIo v3 completion carrying
 * its size, HighResResponseTime (latency ticks), the file object and IssuingThreadId. */
struct etlgen_diskio {
	unsigned reads, writes, cpu, disk;
	uint32_t tid, read_size, write_size;
	uint64_t file_object;
	const char *file;        /* owned by the scenario */
	uint64_t read_ticks, write_ticks, gap_ticks;
	/* then file_reads FileIo Read (v3) + OperationEnd pairs on the same file object and
	 * thread, file_read_size bytes each, file_ticks apart from start to end, gap_ticks
	 * between them */
	unsigned file_reads;
	uint32_t file_read_size;
	uint64_t file_ticks;
	/* 0: the Reads' FileKey is file_object. Else the Reads carry this FileKey and the
	 * FileRundown names it instead of the object (Windows 8+ name events key by FileKey) */
	uint64_t file_key;
};

/* Minifilter story (etlgen_flt.c), written after the disk I/O story: a FileRundown names
 * file_object file and a Thread rundown puts tid in the scenario's process; then, creates
 * times, gap_ticks apart, on CPU cpu: a PreOpInit, a PreOpCompletion pre_ticks[i % n_pre]
 * after it, and a PostOpCompletion post_ticks[i % n_post] after that (InitialTime = the
 * start of each), all of modules[module]'s routine (base + 0x1000) for IRP_MJ_CREATE on
 * file_object; then failures PreOpFailure events, then truncated PreOpCompletion events
 * 4 bytes short. Every event has a SYSTEM header carrying tid. Layout: the candidate
 * (ingest/etl/etl_fltio.h); major_first: MajorFunction moved before RoutineAddr, a layout
 * the ingest must refuse. file2 (if set): a second FileRundown names file_object2, and the
 * odd-numbered creates (i = 1, 3, …) are on it. file_slot: which pointer of the payload
 * holds the file object (ETLGEN_FLT_SLOT_*; the value that slot would hold moves to the
 * FileObject slot), so the ingest must find it by the FileIo evidence; no_file_events: no
 * FileRundown at all (the FileObject cannot be pinned). */
#define ETLGEN_FLT_DELAYS 4
enum { ETLGEN_FLT_SLOT_FILE_OBJECT = 1, ETLGEN_FLT_SLOT_FILE_CONTEXT,
       ETLGEN_FLT_SLOT_IRP, ETLGEN_FLT_SLOT_CALLBACK_DATA };
struct etlgen_minifilter {
	unsigned creates, failures, truncated, cpu;
	uint32_t tid;
	size_t module;
	uint64_t file_object, file_object2;
	const char *file, *file2; /* owned by the scenario */
	uint64_t pre_ticks[ETLGEN_FLT_DELAYS], post_ticks[ETLGEN_FLT_DELAYS], gap_ticks;
	size_t n_pre, n_post;
	int major_first;
	unsigned file_slot;      /* 0 = ETLGEN_FLT_SLOT_FILE_OBJECT */
	int no_file_events;
};

/* The busy-machine story (etlgen_load.c), written after the other stories for duration_s:
 * n_processes processes (processes[], Process DCStart) whose threads, threads_per_cpu on
 * each CPU (tid first_tid + 4 k, process k mod n_processes), take turns on their CPU for
 * quanta of quantum_us; every idle_every-th switch goes through the idle thread for
 * idle_ticks and a DPC of ready_dpc_module (ready_dpc_us) that readies the next thread, the
 * others are readied by the leaving thread halfway between its last activity and the
 * switch. While a thread runs, activities arrive at these rates per CPU-second (each from
 * the end of the one before, so busy CPUs see fewer): syscalls at one of syscall_addresses
 * addresses of syscall_module (syscall_us), FileIo Read/Write of 4..64 KiB + OperationEnd
 * (file_us) on one of its process's files_per_process files, DiskIo Read/Write completions
 * of 4 KiB..512 KiB (disk_us latency) on one of disks disks, each a write write_percent %
 * of the time; and every module's DPCs/ISRs at its rates (spread over its CPUs). Samples
 * at the scenario's sample_rate_hz on every CPU, in the DPC's module when inside one. */
struct etlgen_load {
	double duration_s;       /* 0: no story */
	unsigned n_processes, threads_per_cpu;
	struct etlgen_process *processes; /* owned by the scenario */
	uint32_t first_tid;
	struct etlgen_dist quantum_us, ready_dpc_us, syscall_us, file_us, disk_us;
	unsigned idle_every;
	uint64_t idle_ticks;
	size_t ready_dpc_module, syscall_module;
	double syscall_rate, file_rate, disk_rate;
	unsigned syscall_addresses, files_per_process, disks, write_percent;
};

/* What the story wrote per thread ([0] read, [1] write for file and disk; ns exact). */
struct etlgen_load_thread {
	unsigned proc;           /* index in load.processes */
	uint32_t pid, tid;
	uint64_t running_ns, switches, ready_ns, ready_spells, waiting_ns, waits, ready_dpc_ns;
	uint64_t syscalls, syscall_ns, syscall_samples;
	uint64_t file_n[2], file_bytes[2], file_ns[2];
	uint64_t disk_n[2], disk_bytes[2], disk_ns[2];
};

struct etlgen_scenario {
	unsigned cpus;           /* 1..256 */
	unsigned pointer_size;   /* 4 or 8 */
	int compressed;          /* XPRESS (plain LZ77) buffers after the header buffer */
	uint32_t buffer_size;    /* bytes, e.g. 65536 */
	double duration_s;
	uint64_t seed;
	uint64_t qpc_frequency;  /* default 10 MHz */
	uint32_t build;          /* OS build for the header, default 19041 */
	double sample_rate_hz;   /* SampledProfile per CPU per second (0 = none) */
	int images_at_end;       /* log image rundown after all DPCs instead of at the start */
	int stack_keys;          /* Win8+ stack caching: KeyKernel references, KeyRundown
				  * definitions at the end, instead of inline Stack events */
	int stack_key_defs;      /* with stack_keys, where keys are defined: 0 at the end
				  * (KeyRundown); 1 also in the middle (KeyDelete of the keys
				  * used so far, their frames 8 bytes off the end's: a key is
				  * defined twice, and a reference takes the first definition
				  * at or after it); 2 at the end but the first module's key
				  * never (its samples' stacks stay unresolved) */
	int user_keys;           /* with stack_keys: each keyed sample also references one
				  * user key (KeyUser) shared by every process, defined at the
				  * end with one frame in the first user-space module — it
				  * resolves only in that module's process. The expected
				  * aggregates leave that frame out. */
	int dpc_groups_enabled;  /* group masks say DPC+INTERRUPT on (default 1) */
	uint32_t frames_per_module; /* > 0: frames and IPs of a module without frame_rvas are
				     * one of this many fixed addresses (0: anywhere) */
	uint32_t leaf_spread;    /* > 0: a sampled IP is its drawn address plus 0 to this many
				  * bytes less one (inside the image), as real IPs fall anywhere
				  * in a hot function while return addresses repeat */
	uint32_t hot_ips;        /* > 0: a module's sampled IPs are one of this many hot
				  * addresses and its return addresses one of as many others,
				  * address k drawn with etlgen_hot_index's skew (real samples
				  * pile onto a few hot instructions); 0: frames_per_module's
				  * or uniform draws, as before */
	double hot_skew;         /* the skew s of etlgen_hot_index (0 = uniform; default 1) */
	uint32_t hot_paths;      /* > 0: a sampled IP's caller frames are one of this many call
				  * chains fixed by the IP (chain j drawn with etlgen_hot_index's
				  * skew; each chain's frames drawn as frame_in does, from a
				  * generator seeded by the IP, j and the frame's depth), as a
				  * hot instruction is reached through a few call sites; 0:
				  * every caller frame drawn on its own, as before */
	int no_stacks;           /* "sample_stacks": false — no StackWalk event at all (the
				  * samples alone: ingest without stacks, for comparison) */
	uint32_t process_pid;    /* 0 = ETLGEN_PROCESS_PID */
	const char *const *thread_names; /* "thread_names": [..]: the sampled thread of CPU i
					  * (tid 1000 + i) named thread_names[i] by a Thread
					  * SetName event (5/72) after its rundown */
	size_t n_thread_names;
	int thread_names_rundown; /* 1: the names in the threads' DCStart (v3 ThreadName)
				   * instead of SetName events */
	unsigned implausible_images; /* image events with an empty path, size 0 or pid
				      * 0xFFFFFFFF (in turn), logged with the rundown */
	const struct etlgen_module *modules;
	size_t n_modules;
	/* Optional: called for every DPC/ISR written (ns values as etl_ingest computes them). */
	void (*on_dpcisr)(void *ud, int64_t t_ns, uint32_t duration_ns, unsigned cpu,
			  enum etlgen_kind kind, size_t module, uint64_t routine);
	void *ud;
	struct etlgen_syscalls syscalls;     /* count 0: none */
	struct etlgen_readywait readywait;   /* count 0: none */
	struct etlgen_diskio diskio;         /* reads + writes 0: none */
	const char *computer_name;           /* NULL: no SystemConfig CPU event */
	const struct etlgen_process *processes; /* Process DCStart rundown, in this order */
	size_t n_processes;
	int interrupted_process;             /* the thread samples inside DPCs interrupt: 0 the
					      * default one, k + 1 processes[k]'s */
	struct etlgen_load load;             /* duration_s 0: none */
	struct etlgen_minifilter minifilter; /* creates + failures + truncated 0: none */
};

struct etlgen_agg {
	uint64_t count, total_ns, max_ns;
};

struct etlgen_module_expect {
	struct etlgen_agg kind[ETLGEN_KINDS];
	uint64_t samples_ip;     /* samples whose IP is in the module */
	uint64_t samples_on_stack; /* samples with the module anywhere on the stack */
	/* Samples inside this module's DPCs (written ones, hidden DPCs included): all, those
	 * with the flag, those with a stack; per module: as leaf and anywhere on the stack
	 * (arrays of n_modules). */
	uint64_t inside_samples, inside_flagged, inside_with_stack;
	uint64_t *inside_leaf, *inside_on_stack;
};

struct etlgen_expect {
	size_t n_modules;
	struct etlgen_module_expect *modules;
	unsigned cpus;
	uint64_t *cpu_dpcisr;    /* DPC/ISR count per CPU */
	uint64_t *cpu_samples;
	struct etlgen_agg kind[ETLGEN_KINDS];
	uint64_t samples;
	uint64_t samples_unmapped_kernel; /* samples in unmapped kernel-space modules */
	uint64_t samples_unmapped_user;   /* samples in unmapped user-space modules */
	uint64_t *process_samples; /* per scenario process ([n_processes]: the default one),
				    * the samples its threads took (inside DPCs included) */
	/* scheduling stories, exact (ns) */
	uint64_t syscalls, syscall_total_ns, syscall_max_ns, syscall_samples;
	uint64_t rw_switches, rw_running_ns, rw_ready_ns, rw_waiting_ns, rw_readied_from_dpc;
	/* disk I/O story, exact: [0] reads, [1] writes (ns latencies) */
	struct etlgen_agg disk[2];
	uint64_t disk_bytes[2];
	struct etlgen_agg file_read;
	uint64_t file_read_bytes;
	/* minifilter story, exact: [0] pre-, [1] post-operation delays (ns); over 1, 10,
	 * 100 ms; inits, failures and truncated events written */
	struct etlgen_agg flt[2];
	uint64_t flt_over[2][3], flt_inits, flt_failures, flt_truncated;
	struct etlgen_load_thread *load_threads; /* the busy-machine story's, cpus × per CPU */
	size_t n_load_threads;
	uint64_t events;         /* every event written, header included */
	uint64_t buffers;
	uint64_t bytes;
};

/* Write the trace to out (sequential writes only; if out is seekable the header's
 * BuffersWritten/EndTime are patched at the end). exp may be NULL; else it is filled
 * (free with etlgen_expect_free). Returns 0, or -1 with msg set. */
int etlgen_write(const struct etlgen_scenario *s, FILE *out, struct etlgen_expect *exp,
		 char *msg, size_t msg_len);
void etlgen_expect_free(struct etlgen_expect *e);
/* One more event of ns into an expected aggregate (count, total, max). */
void etlgen_agg_add(struct etlgen_agg *a, uint64_t ns);
/* Expected aggregates as JSON (caller frees with cJSON_Delete). */
struct cJSON *etlgen_expect_json(const struct etlgen_scenario *s, const struct etlgen_expect *e);

/* Internal (etlgen.c ↔ etlgen_sched.c): a kernel event of size bytes with a PERFINFO
 * header at ts on cpu (payload at +16, zeroed), or NULL on a write error. */
struct etlgen_gen;
uint8_t *etlgen_event(struct etlgen_gen *g, unsigned cpu, size_t size, uint8_t group,
		      uint8_t type, uint64_t ts);
/* A DPC/ISR event of modules[mi] of kind over [start, end) ticks on cpu, with its expected
 * aggregates (and on_dpcisr); the routine as the scenario says. 0 or -1. */
int etlgen_dpcisr_at(struct etlgen_gen *g, struct etlgen_rng *r, unsigned cpu, size_t mi,
		     enum etlgen_kind kind, uint64_t start, uint64_t end);
/* A SampledProfile of thread tid at ts on cpu, IP in modules[mi], with its stack (its
 * StackWalk event says stack_pid) and expected aggregates. 0 or -1. */
int etlgen_sample_at(struct etlgen_gen *g, struct etlgen_rng *r, unsigned cpu, size_t mi,
		     uint32_t tid, uint32_t stack_pid, uint64_t ts);
/* The module of a sample's IP, drawn by sample_weight (total_w their sum). */
/* The index 0 ≤ k < n of a hot address: x drawn on [1, n + 1) with density ∝ x^-skew (one
 * uniform draw from r, inverted), k = floor(x) - 1. So the K most frequent indices
 * (0 … K-1) take the share F(K) = (1 - (K+1)^(1-s)) / (1 - (n+1)^(1-s)), and for s = 1
 * F(K) = ln(K+1) / ln(n+1): a Zipf-like law with an exact, hand-computable top-K share
 * (s = 1, n = 1024: top 1 10.0 %, top 10 34.6 %, top 100 66.6 %). n ≤ 1 returns 0 and
 * takes no draw from r. */
uint32_t etlgen_hot_index(struct etlgen_rng *r, uint32_t n, double skew);
size_t etlgen_sample_module(const struct etlgen_scenario *s, struct etlgen_rng *r, double total_w);
/* Write the scheduling stories from tick start on; *end receives the last tick used. */
int etlgen_sched_write(struct etlgen_gen *g, const struct etlgen_scenario *s,
		       struct etlgen_expect *exp, uint64_t start, uint64_t *end);

/* Write the disk I/O story from tick start on; *end receives the last tick used. */
int etlgen_io_write(struct etlgen_gen *g, const struct etlgen_scenario *s,
		    struct etlgen_expect *exp, uint64_t start, uint64_t *end);
/* CSwitch v2 (24 bytes) on cpu at ts: old_tid leaves in old_state with wait reason. 0 or -1. */
int etlgen_cswitch(struct etlgen_gen *g, unsigned cpu, uint64_t ts, uint32_t new_tid,
		   uint32_t old_tid, uint8_t old_state, uint8_t reason);
/* Write the busy-machine story from tick start on; *end receives the last tick used. */
int etlgen_load_write(struct etlgen_gen *g, const struct etlgen_scenario *s,
		      struct etlgen_expect *exp, uint64_t start, uint64_t *end);
/* Write the minifilter story from tick start on; *end receives the last tick used. */
int etlgen_flt_write(struct etlgen_gen *g, const struct etlgen_scenario *s,
		     struct etlgen_expect *exp, uint64_t start, uint64_t *end);
/* A FileIo FileRundown on cpu at ts naming file_object name (ASCII). 0 or -1. */
int etlgen_file_rundown(struct etlgen_gen *g, const struct etlgen_scenario *s, unsigned cpu,
			uint64_t file_object, const char *name, uint64_t ts);
/* Process DCStart (v4) of pr on CPU 0 at ts. 0 or -1. */
int etlgen_process_dcstart(struct etlgen_gen *g, const struct etlgen_scenario *s,
			   const struct etlgen_process *pr, uint64_t ts);
/* A Thread DCStart (v3) of tid in process pid on cpu at ts; 0 or -1. */
int etlgen_thread_dcstart(struct etlgen_gen *g, const struct etlgen_scenario *s, unsigned cpu,
			  uint32_t pid, uint32_t tid, uint64_t ts);
/* A Thread rundown (v3) of tid in the scenario's process on cpu at ts; 0 or -1. */
int etlgen_thread_rundown(struct etlgen_gen *g, const struct etlgen_scenario *s, unsigned cpu,
			  uint32_t tid, uint64_t ts);

/* The machine and its processes (etlgen_procs.c). */
int etlgen_procs_parse(const struct cJSON *root, struct etlgen_scenario *s, char *msg, size_t n);
/* The index of pid in s->processes, or -1. */
int etlgen_procs_find(const struct etlgen_scenario *s, uint32_t pid);
void etlgen_procs_free(struct etlgen_scenario *s);
/* The expect->process_samples slot of a module's sample_process: its listed process, the
 * default process's listing when it is listed, else n_processes. */
size_t etlgen_procs_slot(const struct etlgen_scenario *s, int sample_process);
/* The process and thread on cpu of sample_process (a module's, or the scenario's
 * interrupted_process: 0 the default process, k + 1 processes[k]). */
void etlgen_sample_thread(const struct etlgen_scenario *s, int sample_process, unsigned cpu,
			  uint32_t *pid, uint32_t *tid);
/* Process DCStart of every listed process and the DCStart of their sampled threads. */
int etlgen_procs_rundown(struct etlgen_gen *g, const struct etlgen_scenario *s, uint64_t ts);
/* The SystemConfig CPU event with the computer name, when the scenario has one. */
int etlgen_procs_sysconfig(struct etlgen_gen *g, const struct etlgen_scenario *s, uint64_t ts);

/* Scenario from JSON text (format in etlgen_scenario.c); free with etlgen_scenario_free. */
int etlgen_scenario_parse(const char *json, struct etlgen_scenario *s, char *msg, size_t msg_len);
void etlgen_scenario_free(struct etlgen_scenario *s);
/* The same from a file; 0, or -1 with msg set (unreadable file or bad scenario). */
int etlgen_scenario_load(const char *path, struct etlgen_scenario *s, char *msg, size_t msg_len);

/* [MS-XCA] plain LZ77 compressor: returns compressed size, or 0 if out_cap is too small. */
size_t etlgen_lz77_compress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap);
/* Worst-case compressed size for n input bytes. */
static inline size_t etlgen_lz77_bound(size_t n)
{
	return n + n / 8 + 64;
}

#endif
