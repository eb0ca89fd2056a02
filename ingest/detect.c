/* detect.c — guess an uploaded file's format from its first bytes, never its name. */
#include <string.h>
#include "ingest.h"
#include "ingest_utf16.h"

static int has_prefix(const unsigned char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	return n >= k && memcmp(p, s, k) == 0;
}

static int find(const unsigned char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; k <= n && i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return 1;
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A UTF-16LE needle inside the first bytes (ETL headers carry UTF-16 strings). */
static int find_utf16(const unsigned char *p, size_t n, const char *s)
{
	unsigned char w[128];
	size_t k = strlen(s);
	if (k * 2 > sizeof w)
		return 0;
	for (size_t i = 0; i < k; i++) {
		w[2 * i] = (unsigned char)s[i];
		w[2 * i + 1] = 0;
	}
	for (size_t i = 0; i + 2 * k <= n; i++)
		if (memcmp(p + i, w, 2 * k) == 0)
			return 1;
	return 0;
}

/* ETL: a WMI buffer header whose size is plausible, then the logfile-header event.
 * The PDH provider GUID 933f3bb3-943e-490d-9ced-3cbb14c14479 marks a .blg. */
static enum ingest_format detect_etl(const unsigned char *p, size_t n)
{
	static const unsigned char pdh_guid[16] = {0xb3, 0x3b, 0x3f, 0x93, 0x3e, 0x94, 0x0d, 0x49,
						   0x9c, 0xed, 0x3c, 0xbb, 0x14, 0xc1, 0x44, 0x79};
	if (n < 0x48 + 8)
		return INGEST_FMT_UNKNOWN;
	uint32_t size = le32(p);
	if (size < 0x48 + 8 || size > 64u << 20)
		return INGEST_FMT_UNKNOWN;
	/* The first event after the buffer header is the system trace header:
	 * u16 version, u8 header type, u8 marker flags with the 0xC0 bits set. */
	if ((p[0x48 + 3] & 0xC0) != 0xC0)
		return INGEST_FMT_UNKNOWN;
	for (size_t i = 0; i + 16 <= n; i++)
		if (memcmp(p + i, pdh_guid, 16) == 0)
			return INGEST_FMT_BLG;
	/* Perfmon's logger names end in .blg paths; ETW kernel traces never do. */
	if (find_utf16(p, n, ".blg") || find_utf16(p, n, ".BLG"))
		return INGEST_FMT_BLG;
	return INGEST_FMT_ETL;
}

/* A WPA export starts with a header of column names that carry units ("Complete Time (s)",
 * "Disk Service Time (µs)") or DPC/ISR names; a WPA Ctrl+C copy starts with "Line #, "
 * (recognised here so the parser can refuse it with a useful message). */
static int detect_wpa_header(const unsigned char *p, size_t n)
{
	static const char *const marks[] = {"(s)", "(ms)", "(\xC2\xB5s)", "(us)", "(ns)", "(B)",
					    "(in view)", "Count (DPCs/ISRs)", "DPC/ISR"};
	size_t line = 0;
	while (line < n && p[line] != '\n')
		line++;
	if (!memchr(p, ',', line))
		return 0;
	if (has_prefix(p, line, "Line #"))
		return 1;
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		if (find(p, line, marks[i]))
			return 1;
	return find(p, line, "Module") && (find(p, line, "Duration") || find(p, line, "DPC"));
}

enum ingest_format ingest_detect(const unsigned char *head, size_t n)
{
	const unsigned char *p = head;
	const char *utf16 = ingest_utf16_bom(head, n);
	if (utf16) { /* a text export saved as UTF-16: detect on its ASCII characters */
		unsigned char ascii[INGEST_DETECT_BYTES / 2];
		size_t k = ingest_utf16_ascii(head, n, utf16[6] == 'B', ascii, sizeof ascii);
		return ingest_detect(ascii, k);
	}
	enum ingest_format f = detect_etl(head, n);
	if (f != INGEST_FMT_UNKNOWN)
		return f;
	if (has_prefix(p, n, "\xEF\xBB\xBF")) { /* UTF-8 byte order mark */
		p += 3;
		n -= 3;
	}
	while (n > 0 && (*p == '\r' || *p == '\n')) { /* typeperf starts with a blank line */
		p++;
		n--;
	}
	if (has_prefix(p, n, "\"(PDH-CSV"))
		return INGEST_FMT_PDH_CSV;
	if (has_prefix(p, n, "\"(PDH-TSV"))
		return INGEST_FMT_PDH_TSV;
	/* A PDH log without its signature (seen in the wild): a quoted first cell, then
	 * quoted counter paths starting with two backslashes. */
	if (n > 0 && p[0] == '"') {
		size_t line = 0;
		while (line < n && p[line] != '\n')
			line++;
		if (find(p, line, "\",\"\\\\"))
			return INGEST_FMT_PDH_CSV;
		if (find(p, line, "\"\t\"\\\\"))
			return INGEST_FMT_PDH_TSV;
	}
	if (find(p, n, "Elapsed Time, >") || find(p, n, "CPU Usage Summing By Module") ||
	    (find(p, n, "DPC Info") && find(p, n, "usec")) ||
	    (find(p, n, "Total = ") && find(p, n, " for module ")))
		return INGEST_FMT_XPERF_DPCISR;
	if (detect_wpa_header(p, n))
		return INGEST_FMT_WPA_CSV;
	return INGEST_FMT_UNKNOWN;
}
