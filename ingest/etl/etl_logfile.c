/* etl_logfile.c — TRACE_LOGFILE_HEADER (P-dependent offsets: fixed part 272/280 bytes, then
 * the logger and log-file names as UTF-16), the PERFINFO_GROUPMASK of the header extension
 * and its decoding into kernel flag names. */
#include <string.h>
#include "etl_logfile.h"
#include "etl_le.h"

size_t etl_utf16_to_utf8(const uint8_t *src, size_t len, char *dst, size_t cap)
{
	size_t i = 0, o = 0;
	if (cap == 0)
		return 0;
	while (i + 2 <= len) {
		uint32_t c = etl_le16(src + i);
		i += 2;
		if (c == 0)
			break;
		if (c >= 0xD800 && c < 0xDC00 && i + 2 <= len) {
			uint32_t lo = etl_le16(src + i);
			if (lo >= 0xDC00 && lo < 0xE000) {
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else {
				c = 0xFFFD;
			}
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD;
		}
		uint8_t b[4];
		size_t n;
		if (c < 0x80) {
			b[0] = (uint8_t)c; n = 1;
		} else if (c < 0x800) {
			b[0] = (uint8_t)(0xC0 | c >> 6); b[1] = (uint8_t)(0x80 | (c & 0x3F)); n = 2;
		} else if (c < 0x10000) {
			b[0] = (uint8_t)(0xE0 | c >> 12); b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
			b[2] = (uint8_t)(0x80 | (c & 0x3F)); n = 3;
		} else {
			b[0] = (uint8_t)(0xF0 | c >> 18); b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
			b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)); b[3] = (uint8_t)(0x80 | (c & 0x3F));
			n = 4;
		}
		if (o + n < cap) {
			memcpy(dst + o, b, n);
			o += n;
		}
	}
	dst[o] = 0;
	return i;
}

int etl_logfile_parse(const struct etl_event *ev, struct etl_logfile *lf)
{
	memset(lf, 0, sizeof *lf);
	unsigned P = ev->pointer_size;
	const uint8_t *p = ev->payload;
	size_t n = ev->payload_len;
	size_t fixed = P == 8 ? 280 : 272;
	if (n < 56)
		return -1;
	lf->buffer_size = etl_le32(p + 0);
	lf->version = etl_le32(p + 4);
	lf->build = etl_le32(p + 8);
	lf->cpus = etl_le32(p + 12);
	lf->end_time = etl_le64(p + 16);
	lf->timer_resolution = etl_le32(p + 24);
	lf->max_file_size = etl_le32(p + 28);
	lf->log_file_mode = etl_le32(p + 32);
	lf->buffers_written = etl_le32(p + 36);
	lf->pointer_size = etl_le32(p + 44);
	lf->events_lost = etl_le32(p + 48);
	lf->cpu_mhz = etl_le32(p + 52);
	lf->header_timestamp = ev->timestamp;
	lf->header_pointer_size = (uint8_t)P;
	if (n < fixed)
		return -1;
	size_t tz = 56 + 2 * P;
	lf->tz_bias = (int32_t)etl_le32(p + tz);
	size_t after_tz = tz + 176;
	lf->boot_time = etl_le64(p + after_tz);
	lf->perf_freq = etl_le64(p + after_tz + 8);
	lf->start_time = etl_le64(p + after_tz + 16);
	lf->clock_type = etl_le32(p + after_tz + 24);
	lf->buffers_lost = etl_le32(p + after_tz + 28);
	size_t used = etl_utf16_to_utf8(p + fixed, n - fixed, lf->logger_name,
					sizeof lf->logger_name);
	etl_utf16_to_utf8(p + fixed + used, n - fixed - used, lf->log_file_name,
			  sizeof lf->log_file_name);
	return 0;
}

int etl_groupmask_parse(const struct etl_event *ev, uint32_t masks[8])
{
	if (ev->payload_len < 32)
		return -1;
	uint32_t any = 0, m[8];
	for (int i = 0; i < 8; i++) {
		m[i] = etl_le32(ev->payload + 4 * i);
		any |= m[i];
	}
	if (!any)
		return 0;
	memcpy(masks, m, sizeof m);
	return 1;
}

struct mask_bit {
	uint8_t word;
	uint32_t bit;
	const char *name;
};

/* Bits from ntwmi.h PERF_* (word 0 = public EVENT_TRACE_FLAG_*). */
static const struct mask_bit mask_bits[] = {
	{0, 0x00000001, "process"}, {0, 0x00000002, "thread"}, {0, 0x00000004, "loader"},
	{0, 0x00000008, "perf_counter"}, {0, 0x00000100, "disk_io"}, {0, 0x00000200, "disk_file_io"},
	{0, 0x00001000, "memory_page_faults"}, {0, 0x00002000, "memory_hard_faults"},
	{0, 0x00010000, "network"}, {0, 0x00020000, "registry"}, {0, 0x02000000, "file_io"},
	{1, 0x00000002, "profile"}, {1, 0x00000004, "cswitch"}, {1, 0x00000010, "drivers"},
	{1, 0x00000080, "dpc"}, {1, 0x00000100, "compact_cswitch"}, {1, 0x00000200, "dispatcher"},
	{1, 0x00004000, "interrupt"}, {1, 0x00040000, "dpc_queue"},
	{2, 0x00000040, "syscall"}, {2, 0x00040000, "clock_interrupt"}, {2, 0x00400000, "ipi"},
	{0, 0x00400000, "disk_io_init"}, {0, 0x04000000, "file_io_init"},
	{4, 0x00080000, "flt_io_init"}, {4, 0x00100000, "flt_io"}, {4, 0x00200000, "flt_fastio"},
	{4, 0x00400000, "flt_io_failure"},
};

int etl_groupmask_names(const uint32_t masks[8], const char **names, int max)
{
	int n = 0;
	for (size_t i = 0; i < sizeof mask_bits / sizeof mask_bits[0] && n < max; i++)
		if (masks[mask_bits[i].word] & mask_bits[i].bit)
			names[n++] = mask_bits[i].name;
	return n;
}

int etl_groupmask_dpcisr(const uint32_t masks[8])
{
	return (masks[1] & (0x80u | 0x4000u)) != 0;
}
