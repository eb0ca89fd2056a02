/* etl_kernel.c — kernel event classification by hook (group/type, or classic MOF GUID) and
 * the payload decoders of etl_kernel.h (layouts: etl-format.md §8). */
#include <string.h>
#include "etl_kernel.h"
#include "etl_le.h"
#include "etl_logfile.h"

struct group_guid {
	int group;
	const char *name;
	uint8_t guid[16]; /* on-disk (Windows) byte order */
};

#define G(d1, d2, d3, a, b, c, d, e, f, g, h)                                                \
	{ (uint8_t)(d1), (uint8_t)((d1) >> 8), (uint8_t)((d1) >> 16), (uint8_t)((d1) >> 24),  \
	  (uint8_t)(d2), (uint8_t)((d2) >> 8), (uint8_t)(d3), (uint8_t)((d3) >> 8),             \
	  a, b, c, d, e, f, g, h }

static const struct group_guid groups[] = {
	{0x00, "EventTrace", G(0x68fdd900, 0x4a3e, 0x11d1, 0x84, 0xf4, 0x00, 0x00, 0xf8, 0x04, 0x64, 0xe3)},
	{0x01, "DiskIo", G(0x3d6fa8d4, 0xfe05, 0x11d0, 0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c)},
	{0x02, "PageFault", G(0x3d6fa8d3, 0xfe05, 0x11d0, 0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c)},
	{0x03, "Process", G(0x3d6fa8d0, 0xfe05, 0x11d0, 0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c)},
	{0x04, "FileIo", G(0x90cbdc39, 0x4a3e, 0x11d1, 0x84, 0xf4, 0x00, 0x00, 0xf8, 0x04, 0x64, 0xe3)},
	{0x05, "Thread", G(0x3d6fa8d1, 0xfe05, 0x11d0, 0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c)},
	{0x06, "TcpIp", G(0x9a280ac0, 0xc8e0, 0x11d1, 0x84, 0xe2, 0x00, 0xc0, 0x4f, 0xb9, 0x98, 0xa2)},
	{0x08, "UdpIp", G(0xbf3a50c5, 0xa9c9, 0x4988, 0xa0, 0x05, 0x2d, 0xf0, 0xb7, 0xc8, 0x0f, 0x80)},
	{0x09, "Registry", G(0xae53722e, 0xc863, 0x11d2, 0x86, 0x59, 0x00, 0xc0, 0x4f, 0xa3, 0x21, 0xa1)},
	{0x0B, "SystemConfig", G(0x01853a65, 0x418f, 0x4f36, 0xae, 0xfc, 0xdc, 0x0f, 0x1d, 0x2f, 0xd2, 0x35)},
	{0x0F, "PerfInfo", G(0xce1dbfb4, 0x137e, 0x4da6, 0x87, 0xb0, 0x3f, 0x59, 0xaa, 0x10, 0x2c, 0xbc)},
	{0x12, "Power", G(0xe43445e0, 0x0903, 0x48c3, 0xb8, 0x78, 0xff, 0x0f, 0xcc, 0xeb, 0xdd, 0x04)},
	{0x14, "Image", G(0x2cb15d1d, 0x5fc1, 0x11d2, 0xab, 0xe1, 0x00, 0xa0, 0xc9, 0x11, 0xf5, 0x18)},
	{0x15, "DpcQueue", G(0xb2d14872, 0x7c5b, 0x463d, 0x84, 0x19, 0xee, 0x9b, 0xf7, 0xd2, 0x3e, 0x04)},
	{0x18, "StackWalk", G(0xdef2fe46, 0x7bd6, 0x4b80, 0xbd, 0x94, 0xf5, 0x7f, 0xe2, 0x0d, 0x0c, 0xe3)},
	{0x1A, "ALPC", G(0x45d8cccd, 0x539f, 0x4b72, 0xa8, 0xb7, 0x5c, 0x68, 0x31, 0x42, 0x60, 0x9a)},
};

const char *etl_kernel_group_name(int group)
{
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (groups[i].group == group)
			return groups[i].name;
	return NULL;
}

/* The kind of each kernel hook (group, type), ETL_K_OTHER = 0 where none: one load for every
 * event, inline (etl_kernel.h). DPC, ISR and sample events, most of a trace, come
 * interleaved, and a switch's jump through a table of cases mispredicted on nearly every
 * one; the call and the switch over the group were ~20 instructions an event. */
_Static_assert(ETL_K_COUNT <= 256, "kinds fit a byte");
const uint8_t etl_kernel_hooks[ETL_KERNEL_HOOK_GROUPS][256] = {
	[ETL_GROUP_EVENTTRACE] = {
		[0] = ETL_K_HEADER, [5] = ETL_K_EXTENSION, [8] = ETL_K_RUNDOWN_COMPLETE,
		[32] = ETL_K_END_EXTENSION,
	},
	[ETL_GROUP_PERFINFO] = {
		[46] = ETL_K_SAMPLED_PROFILE, [50] = ETL_K_ISR_MSI, [51] = ETL_K_SYSCALL_ENTER,
		[52] = ETL_K_SYSCALL_EXIT, [66] = ETL_K_THREADED_DPC, [67] = ETL_K_ISR,
		[68] = ETL_K_DPC, [69] = ETL_K_TIMER_DPC, [72] = ETL_K_PROFILE_SET_INTERVAL,
		[73] = ETL_K_PROFILE_COLLECTION_START, [74] = ETL_K_PROFILE_COLLECTION_END,
	},
	[ETL_GROUP_STACKWALK] = {
		[32] = ETL_K_STACK, [34] = ETL_K_STACK_KEY_CREATE, [35] = ETL_K_STACK_KEY_DELETE,
		[36] = ETL_K_STACK_KEY_RUNDOWN, [37] = ETL_K_STACK_KEY_KERNEL,
		[38] = ETL_K_STACK_KEY_USER,
	},
	[ETL_GROUP_IMAGE] = {
		[10] = ETL_K_IMAGE_LOAD, /* classic Image GUID, type 10 */
		[2] = ETL_K_IMAGE_UNLOAD, [3] = ETL_K_IMAGE_DCSTART, [4] = ETL_K_IMAGE_DCEND,
		[33] = ETL_K_KERNEL_IMAGE_BASE,
	},
	[ETL_GROUP_PROCESS] = {
		[1] = ETL_K_PROCESS_START, [2] = ETL_K_PROCESS_END, [3] = ETL_K_PROCESS_DCSTART,
		[4] = ETL_K_PROCESS_DCEND,
		[10] = ETL_K_IMAGE_LOAD, /* live image load is logged in group 3 */
		[11] = ETL_K_PROCESS_TERMINATE, [39] = ETL_K_PROCESS_DEFUNCT,
	},
	[ETL_GROUP_THREAD] = {
		[1] = ETL_K_THREAD_START, [2] = ETL_K_THREAD_END, [3] = ETL_K_THREAD_DCSTART,
		[4] = ETL_K_THREAD_DCEND, [36] = ETL_K_CSWITCH, [50] = ETL_K_READY_THREAD,
		[72] = ETL_K_THREAD_SET_NAME,
	},
	[ETL_GROUP_SYSCONFIG] = {
		[10] = ETL_K_SYSCONFIG_CPU,
	},
};

enum etl_kernel_kind etl_kernel_classify_other(const struct etl_event *ev, int *group_out)
{
	int g = -1; /* kernel headers (ETL_EC_SYSTEM) are classified inline, etl_kernel.h */
	if (ev->ev_class == ETL_EC_CLASSIC) {
		for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
			if (memcmp(ev->guid, groups[i].guid, 16) == 0) {
				g = groups[i].group;
				break;
			}
	}
	if (group_out)
		*group_out = g;
	return g < 0 || g >= ETL_KERNEL_HOOK_GROUPS ? ETL_K_OTHER
						    : (enum etl_kernel_kind)etl_kernel_hooks[g][ev->type];
}

const char *etl_kernel_kind_name(enum etl_kernel_kind k)
{
	static const char *const names[ETL_K_COUNT] = {
		[ETL_K_OTHER] = "Other",
		[ETL_K_HEADER] = "EventTraceHeader", [ETL_K_EXTENSION] = "EventTraceExtension",
		[ETL_K_END_EXTENSION] = "EventTraceEndExtension",
		[ETL_K_RUNDOWN_COMPLETE] = "EventTraceRundownComplete",
		[ETL_K_DPC] = "DPC", [ETL_K_THREADED_DPC] = "ThreadedDPC",
		[ETL_K_TIMER_DPC] = "TimerDPC", [ETL_K_ISR] = "ISR", [ETL_K_ISR_MSI] = "ISR_MSI",
		[ETL_K_SAMPLED_PROFILE] = "SampledProfile",
		[ETL_K_PROFILE_SET_INTERVAL] = "SampledProfileSetInterval",
		[ETL_K_PROFILE_COLLECTION_START] = "SampledProfileCollectionStart",
		[ETL_K_PROFILE_COLLECTION_END] = "SampledProfileCollectionEnd",
		[ETL_K_STACK] = "StackWalkStack", [ETL_K_STACK_KEY_CREATE] = "StackWalkKeyCreate",
		[ETL_K_STACK_KEY_DELETE] = "StackWalkKeyDelete",
		[ETL_K_STACK_KEY_RUNDOWN] = "StackWalkKeyRundown",
		[ETL_K_STACK_KEY_KERNEL] = "StackWalkKeyKernel",
		[ETL_K_STACK_KEY_USER] = "StackWalkKeyUser",
		[ETL_K_IMAGE_LOAD] = "ImageLoad", [ETL_K_IMAGE_UNLOAD] = "ImageUnload",
		[ETL_K_IMAGE_DCSTART] = "ImageDCStart", [ETL_K_IMAGE_DCEND] = "ImageDCEnd",
		[ETL_K_KERNEL_IMAGE_BASE] = "KernelImageBase",
		[ETL_K_PROCESS_START] = "ProcessStart", [ETL_K_PROCESS_END] = "ProcessEnd",
		[ETL_K_PROCESS_DCSTART] = "ProcessDCStart", [ETL_K_PROCESS_DCEND] = "ProcessDCEnd",
		[ETL_K_PROCESS_TERMINATE] = "ProcessTerminate",
		[ETL_K_PROCESS_DEFUNCT] = "ProcessDefunct",
		[ETL_K_THREAD_START] = "ThreadStart", [ETL_K_THREAD_END] = "ThreadEnd",
		[ETL_K_THREAD_DCSTART] = "ThreadDCStart", [ETL_K_THREAD_DCEND] = "ThreadDCEnd",
		[ETL_K_CSWITCH] = "CSwitch", [ETL_K_SYSCONFIG_CPU] = "SystemConfigCPU",
		[ETL_K_THREAD_SET_NAME] = "ThreadSetName",
		[ETL_K_READY_THREAD] = "ReadyThread", [ETL_K_SYSCALL_ENTER] = "SysClEnter",
		[ETL_K_SYSCALL_EXIT] = "SysClExit",
	};
	return (unsigned)k < ETL_K_COUNT && names[k] ? names[k] : "Other";
}

int etl_decode_dpc(const struct etl_event *ev, struct etl_dpc *d)
{
	unsigned P = ev->pointer_size;
	if (ev->payload_len < 8 + P)
		return -1;
	d->initial_time = etl_le64(ev->payload);
	d->routine = etl_leptr(ev->payload + 8, P);
	return 0;
}

int etl_decode_isr(const struct etl_event *ev, int msi, struct etl_isr *d)
{
	unsigned P = ev->pointer_size;
	const uint8_t *p = ev->payload;
	if (ev->payload_len < 8 + P + 4 + (msi ? 4u : 0u))
		return -1;
	d->initial_time = etl_le64(p);
	d->routine = etl_leptr(p + 8, P);
	d->return_value = p[8 + P];
	d->vector = etl_le16(p + 8 + P + 1); /* byte-packed: unaligned */
	d->message_number = msi ? etl_le32(p + 8 + P + 4) : 0;
	return 0;
}

int etl_decode_sampled_profile(const struct etl_event *ev, struct etl_sampled_profile *s)
{
	unsigned P = ev->pointer_size;
	const uint8_t *p = ev->payload;
	if (ev->payload_len < P + 4)
		return -1;
	memset(s, 0, sizeof *s);
	s->ip = etl_leptr(p, P);
	s->thread_id = etl_le32(p + P);
	if (ev->payload_len >= P + 8) {
		s->count = etl_le16(p + P + 4);
		s->flags = p[P + 6];
		s->rank = p[P + 7];
	} else {
		s->count = 1;
	}
	return 0;
}

int etl_decode_stack(const struct etl_event *ev, struct etl_stack *s)
{
	unsigned P = ev->pointer_size;
	if (ev->payload_len < 16)
		return -1;
	memset(s, 0, sizeof *s);
	s->event_ts = etl_le64(ev->payload);
	s->pid = etl_le32(ev->payload + 8);
	s->tid = etl_le32(ev->payload + 12);
	s->psize = (uint8_t)P;
	s->frames = ev->payload + 16;
	s->n_frames = (uint32_t)((ev->payload_len - 16) / P);
	return 0;
}

int etl_decode_stack_key_ref(const struct etl_event *ev, struct etl_stack *s)
{
	unsigned P = ev->pointer_size;
	if (ev->payload_len < 16 + P)
		return -1;
	memset(s, 0, sizeof *s);
	s->event_ts = etl_le64(ev->payload);
	s->pid = etl_le32(ev->payload + 8);
	s->tid = etl_le32(ev->payload + 12);
	s->key = etl_leptr(ev->payload + 16, P);
	s->psize = (uint8_t)P;
	return 0;
}

int etl_decode_stack_key_def(const struct etl_event *ev, struct etl_stack *s)
{
	unsigned P = ev->pointer_size;
	if (ev->payload_len < P)
		return -1;
	memset(s, 0, sizeof *s);
	s->key = etl_leptr(ev->payload, P);
	s->psize = (uint8_t)P;
	s->frames = ev->payload + P;
	s->n_frames = (uint32_t)((ev->payload_len - P) / P);
	return 0;
}

int etl_decode_image(const struct etl_event *ev, struct etl_image *im)
{
	unsigned P = ev->pointer_size;
	const uint8_t *p = ev->payload;
	size_t n = ev->payload_len, name_off;
	memset(im, 0, sizeof *im);
	if (n < 2 * P)
		return -1;
	im->base = etl_leptr(p, P);
	im->size = etl_leptr(p + P, P);
	if (ev->version >= 2) {
		name_off = P == 8 ? 56 : 44;
		if (n < name_off)
			return -1;
		im->pid = etl_le32(p + 2 * P);
		im->checksum = etl_le32(p + 2 * P + 4);
		im->timestamp = etl_le32(p + 2 * P + 8);
		im->default_base = etl_leptr(p + 2 * P + 16, P);
	} else if (ev->version == 1) {
		name_off = 2 * P + 4;
		if (n < name_off)
			return -1;
		im->pid = etl_le32(p + 2 * P);
	} else {
		name_off = 2 * P;
		im->pid = ev->has_ids ? ev->process_id : 0;
	}
	etl_utf16_to_utf8(p + name_off, n - name_off, im->path, sizeof im->path);
	return 0;
}

/* Length of the UserSID field at p[0..n): 4 if null, else TOKEN_USER (2P) + SID. */
static long sid_len(const uint8_t *p, size_t n, unsigned P)
{
	if (n < 4)
		return -1;
	if (etl_le32(p) == 0)
		return 4;
	size_t sid = 2 * P;
	if (n < sid + 8)
		return -1;
	size_t len = sid + 8 + 4u * p[sid + 1];
	return len > n ? -1 : (long)len;
}

int etl_decode_process(const struct etl_event *ev, struct etl_process *pr)
{
	unsigned P = ev->pointer_size;
	const uint8_t *p = ev->payload;
	size_t n = ev->payload_len, off;
	memset(pr, 0, sizeof *pr);
	if (ev->version < 2) {
		if (n < 8)
			return -1;
		pr->pid = etl_le32(p);
		pr->ppid = etl_le32(p + 4);
		return 0;
	}
	if (n < P + 16)
		return -1;
	pr->unique_key = etl_leptr(p, P);
	pr->pid = etl_le32(p + P);
	pr->ppid = etl_le32(p + P + 4);
	pr->session = etl_le32(p + P + 8);
	pr->exit_status = (int32_t)etl_le32(p + P + 12);
	off = P + 16;
	if (ev->version >= 3)
		off += P; /* DirectoryTableBase */
	if (ev->version >= 4) {
		if (n < off + 4)
			return -1;
		pr->flags = etl_le32(p + off);
		off += 4;
	}
	if (n < off)
		return -1;
	long sl = sid_len(p + off, n - off, P);
	if (sl < 0)
		return 0; /* ids are good; name not available */
	off += (size_t)sl;
	size_t i = 0;
	while (off + i < n && p[off + i] && i + 1 < sizeof pr->image_name) {
		pr->image_name[i] = (char)p[off + i];
		i++;
	}
	pr->image_name[i] = 0;
	/* v3+: the NUL-terminated UTF-16 CommandLine follows the image name */
	if (ev->version < 3 || off + i >= n || p[off + i])
		return 0; /* no terminator: the name was cut, nothing reliable follows */
	off += i + 1;
	size_t j = 0;
	while (off + 1 < n && j + 1 < sizeof pr->command_line) {
		unsigned u = (unsigned)p[off] | (unsigned)p[off + 1] << 8;
		if (!u)
			break;
		pr->command_line[j++] = u >= 0x20 && u < 0x7f ? (char)u : '?';
		off += 2;
	}
	pr->command_line[j] = 0;
	return 0;
}

int etl_decode_thread(const struct etl_event *ev, struct etl_thread *t)
{
	/* v3+: ThreadName UTF-16 after ThreadFlags, at 8 + 7 pointers + 8 (72 on x64, 44 on
	 * x86), when the payload is long enough (TraceEvent's ThreadTraceData.ThreadName) */
	size_t name_at = 8 + 7 * (size_t)ev->pointer_size + 8;
	t->name[0] = 0;
	if (ev->version >= 3 && ev->payload_len >= name_at + 2)
		etl_utf16_to_utf8(ev->payload + name_at, ev->payload_len - name_at, t->name,
				  sizeof t->name);
	if (ev->payload_len < 8)
		return -1;
	if (ev->version == 0) {
		t->tid = etl_le32(ev->payload);
		t->pid = etl_le32(ev->payload + 4);
	} else {
		t->pid = etl_le32(ev->payload);
		t->tid = etl_le32(ev->payload + 4);
	}
	return 0;
}

int etl_decode_thread_name(const struct etl_event *ev, struct etl_thread *t, char *name,
			   size_t cap)
{
	if (ev->payload_len < 8)
		return -1;
	t->pid = etl_le32(ev->payload);
	t->tid = etl_le32(ev->payload + 4);
	etl_utf16_to_utf8(ev->payload + 8, ev->payload_len - 8, name, cap);
	return 0;
}

int etl_decode_cswitch(const struct etl_event *ev, struct etl_cswitch *c)
{
	const uint8_t *p = ev->payload;
	if (ev->payload_len < 20)
		return -1;
	c->new_tid = etl_le32(p);
	c->old_tid = etl_le32(p + 4);
	c->new_priority = (int8_t)p[8];
	c->old_priority = (int8_t)p[9];
	c->previous_cstate = p[10];
	c->old_wait_reason = p[12];
	c->old_wait_mode = p[13];
	c->old_state = p[14];
	c->old_ideal_processor = p[15];
	c->new_wait_time = etl_le32(p + 16);
	return 0;
}

int etl_decode_sysconfig_cpu(const struct etl_event *ev, struct etl_sysconfig_cpu *c)
{
	const uint8_t *p = ev->payload;
	size_t n = ev->payload_len;
	memset(c, 0, sizeof *c);
	if (n < 20)
		return -1;
	c->mhz = etl_le32(p);
	c->cpus = etl_le32(p + 4);
	c->mem_mb = etl_le32(p + 8);
	c->page_size = etl_le32(p + 12);
	c->allocation_granularity = etl_le32(p + 16);
	size_t cn = n - 20 < 512 ? n - 20 : 512;
	etl_utf16_to_utf8(p + 20, cn, c->computer_name, sizeof c->computer_name);
	if (n > 532) {
		size_t dn = n - 532 < 268 ? n - 532 : 268;
		etl_utf16_to_utf8(p + 532, dn, c->domain_name, sizeof c->domain_name);
	}
	return 0;
}
