/* etl_kernel.h — kernel (NT Kernel Logger) event classification and payload decoders for
 * the events the dashboard needs: DPC/ThreadedDPC/TimerDPC, ISR/ISR-MSI, SampledProfile,
 * StackWalk (stacks and Win8+ stack keys), Image, Process, Thread, CSwitch, SystemConfig
 * CPU. Every decoder bounds its reads by the event payload and handles 32/64-bit layouts
 * from the event's own pointer size. */
#ifndef ETLSCOPE_ETL_KERNEL_H
#define ETLSCOPE_ETL_KERNEL_H

#include <stdint.h>
#include "etl_event.h"

enum etl_kernel_kind {
	ETL_K_OTHER = 0,
	ETL_K_HEADER, ETL_K_EXTENSION, ETL_K_END_EXTENSION, ETL_K_RUNDOWN_COMPLETE,
	ETL_K_DPC, ETL_K_THREADED_DPC, ETL_K_TIMER_DPC, ETL_K_ISR, ETL_K_ISR_MSI,
	ETL_K_SAMPLED_PROFILE, ETL_K_PROFILE_SET_INTERVAL, ETL_K_PROFILE_COLLECTION_START,
	ETL_K_PROFILE_COLLECTION_END,
	ETL_K_STACK, ETL_K_STACK_KEY_CREATE, ETL_K_STACK_KEY_DELETE, ETL_K_STACK_KEY_RUNDOWN,
	ETL_K_STACK_KEY_KERNEL, ETL_K_STACK_KEY_USER,
	ETL_K_IMAGE_LOAD, ETL_K_IMAGE_UNLOAD, ETL_K_IMAGE_DCSTART, ETL_K_IMAGE_DCEND,
	ETL_K_KERNEL_IMAGE_BASE,
	ETL_K_PROCESS_START, ETL_K_PROCESS_END, ETL_K_PROCESS_DCSTART, ETL_K_PROCESS_DCEND,
	ETL_K_PROCESS_TERMINATE, ETL_K_PROCESS_DEFUNCT,
	ETL_K_THREAD_START, ETL_K_THREAD_END, ETL_K_THREAD_DCSTART, ETL_K_THREAD_DCEND,
	ETL_K_CSWITCH, ETL_K_SYSCONFIG_CPU,
	ETL_K_READY_THREAD, ETL_K_SYSCALL_ENTER, ETL_K_SYSCALL_EXIT, /* etl_sched.h */
	ETL_K_THREAD_SET_NAME,
	ETL_K_COUNT
};

/* Kernel group numbers (hook id high byte). */
#define ETL_GROUP_EVENTTRACE 0x00
#define ETL_GROUP_PROCESS 0x03
#define ETL_GROUP_THREAD 0x05
#define ETL_GROUP_SYSCONFIG 0x0B
#define ETL_GROUP_PERFINFO 0x0F
#define ETL_GROUP_IMAGE 0x14
#define ETL_GROUP_STACKWALK 0x18

/* The kind of hook (group, type) for group < ETL_KERNEL_HOOK_GROUPS (no kind is known in a
 * higher group), ETL_K_OTHER where none. */
#define ETL_KERNEL_HOOK_GROUPS 32
extern const uint8_t etl_kernel_hooks[ETL_KERNEL_HOOK_GROUPS][256];
/* etl_kernel_classify for an event that is not a kernel header (a classic header's GUID
 * looked up); same contract. */
enum etl_kernel_kind etl_kernel_classify_other(const struct etl_event *ev, int *group_out);

/* Which kernel event is this? Kernel headers by (group, type); classic FULL_HEADER events
 * carrying a kernel MOF GUID (e.g. Image from a 32-bit private logger) by GUID + type.
 * *group_out (if not NULL) receives the effective kernel group (or -1 if not a kernel
 * event). Inline for the kernel headers: it runs once for every event of a trace. */
static inline enum etl_kernel_kind etl_kernel_classify(const struct etl_event *ev,
						       int *group_out)
{
	if (ev->ev_class != ETL_EC_SYSTEM)
		return etl_kernel_classify_other(ev, group_out);
	if (group_out)
		*group_out = ev->group;
	if (ev->group >= ETL_KERNEL_HOOK_GROUPS)
		return ETL_K_OTHER;
	return (enum etl_kernel_kind)etl_kernel_hooks[ev->group][ev->type];
}
/* Stable name used in summaries, e.g. "SampledProfile", "ImageDCStart", "DPC". */
const char *etl_kernel_kind_name(enum etl_kernel_kind k);
/* Name of a kernel group for the "other kernel events" counts, e.g. "DiskIo"; NULL if none. */
const char *etl_kernel_group_name(int group);

struct etl_dpc {
	uint64_t initial_time; /* clock value when the routine was entered */
	uint64_t routine;
};
int etl_decode_dpc(const struct etl_event *ev, struct etl_dpc *d);

struct etl_isr {
	uint64_t initial_time;
	uint64_t routine;
	uint8_t return_value;
	uint16_t vector;
	uint32_t message_number; /* ISR-MSI only */
};
int etl_decode_isr(const struct etl_event *ev, int msi, struct etl_isr *d);

struct etl_sampled_profile {
	uint64_t ip;
	uint32_t thread_id;
	uint16_t count;
	uint8_t flags;         /* bit0 executing DPC, bit1 executing ISR */
	uint8_t rank;
};
int etl_decode_sampled_profile(const struct etl_event *ev, struct etl_sampled_profile *s);

/* StackWalk Stack (frames inline) and KeyKernel/KeyUser (a key to a cached stack). */
struct etl_stack {
	uint64_t event_ts;
	uint32_t pid, tid;
	uint64_t key;          /* key events only */
	const uint8_t *frames; /* n_frames × psize bytes, frame 0 = innermost */
	uint32_t n_frames;
	uint8_t psize;
};
int etl_decode_stack(const struct etl_event *ev, struct etl_stack *s);
int etl_decode_stack_key_ref(const struct etl_event *ev, struct etl_stack *s);
/* KeyRundown / KeyDelete / KeyCreate: key then frames. */
int etl_decode_stack_key_def(const struct etl_event *ev, struct etl_stack *s);
static inline uint64_t etl_stack_frame(const struct etl_stack *s, uint32_t i)
{
	const uint8_t *p = s->frames + (size_t)i * s->psize;
	return s->psize == 8 ? ((uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
				(uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
				(uint64_t)p[6] << 48 | (uint64_t)p[7] << 56)
			     : ((uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
				(uint64_t)p[3] << 24);
}

struct etl_image {
	uint64_t base, size;
	uint32_t pid;
	uint32_t checksum;
	uint32_t timestamp;
	uint64_t default_base;
	char path[520];        /* UTF-8 */
};
int etl_decode_image(const struct etl_event *ev, struct etl_image *im);

struct etl_process {
	uint64_t unique_key;
	uint32_t pid, ppid, session;
	int32_t exit_status;
	uint32_t flags;
	char image_name[256];  /* 8-bit string as logged */
	char command_line[512]; /* UTF-16 as logged, non-ASCII as '?'; "" if absent */
};
int etl_decode_process(const struct etl_event *ev, struct etl_process *p);

struct etl_thread {
	uint32_t pid, tid;
	char name[256]; /* Start/DCStart v3+: the optional ThreadName (UTF-8), else "" */
};
int etl_decode_thread(const struct etl_event *ev, struct etl_thread *t);
/* Thread SetName (5/72, Windows 10 1607+): +0 ProcessId u32, +4 ThreadId u32, +8 ThreadName
 * UTF-16 (NUL-terminated or ending with the payload), to UTF-8 in name[cap]. 0, or -1
 * when shorter than 8 bytes. */
int etl_decode_thread_name(const struct etl_event *ev, struct etl_thread *t, char *name,
			   size_t cap);

struct etl_cswitch {
	uint32_t new_tid, old_tid;
	int8_t new_priority, old_priority;
	uint8_t previous_cstate;
	uint8_t old_wait_reason, old_wait_mode, old_state, old_ideal_processor;
	uint32_t new_wait_time;
};
int etl_decode_cswitch(const struct etl_event *ev, struct etl_cswitch *c);

struct etl_sysconfig_cpu {
	uint32_t mhz, cpus, mem_mb, page_size, allocation_granularity;
	char computer_name[256];
	char domain_name[272];
};
int etl_decode_sysconfig_cpu(const struct etl_event *ev, struct etl_sysconfig_cpu *c);

/* Is addr a kernel-mode address for this pointer size? */
static inline int etl_is_kernel_address(uint64_t addr, unsigned psize)
{
	return psize == 8 ? addr >= 0xFFFF800000000000ull : addr >= 0x80000000ull;
}

#endif
