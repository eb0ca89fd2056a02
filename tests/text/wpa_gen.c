/* wpa_gen.c — WPA-style DPC/ISR CSV exports for tests (wpa_gen.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/sink.h"
#include "wpa_gen.h"

void wg_records(struct wg_rec *out, size_t n)
{
	static const char *const mods[] = {"ndis.sys", "storport.sys", "Unknown", "NDIS.SYS",
					   "dxgkrnl.sys", "Wdf01000.sys"};
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		struct wg_rec *r = &out[i];
		r->t_ns = (int64_t)(i * 1234567891ull % 4000000000000ull) + (int64_t)(x % 1000);
		r->incl_ns = (uint32_t)(x % 300000) + 1;
		if (i % 97 == 5)
			r->incl_ns = 1500000000u; /* 1.5 s: a grouped "1,500.000000" in en-US */
		r->excl_ns = r->incl_ns - (uint32_t)(x % (r->incl_ns / 4 + 1));
		r->cpu = (uint16_t)(x >> 20) % 12;
		r->kind = i % 3 == 0 ? SINK_ISR : i % 7 == 0 ? SINK_TIMER_DPC : SINK_DPC;
		r->module = mods[(x >> 30) % 6];
		r->routine = 0xFFFFF80000000000ull + (x >> 40);
		r->fragments = r->kind != SINK_ISR && i % 5 == 0 ? 1 + (int)(i % 2) : 0;
	}
}

/* v / 10^digits with grouping, in the locale's format; quoted if it holds a comma. */
static int fixed(char *out, size_t cap, uint64_t v, int digits, int de)
{
	uint64_t p = 1;
	char ip[32], grouped[48];
	for (int i = 0; i < digits; i++)
		p *= 10;
	int n = snprintf(ip, sizeof ip, "%llu", (unsigned long long)(v / p)), k = 0;
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			grouped[k++] = de ? '.' : ',';
		grouped[k++] = ip[i];
	}
	grouped[k] = '\0';
	char num[80];
	if (digits)
		snprintf(num, sizeof num, "%s%c%0*llu", grouped, de ? ',' : '.', digits,
			 (unsigned long long)(v % p));
	else
		snprintf(num, sizeof num, "%s", grouped);
	return snprintf(out, cap, strchr(num, ',') ? "\"%s\"" : "%s", num);
}

char *wg_csv(const struct wg_rec *r, size_t n, int de, int bom, int dur_us, size_t *len)
{
	size_t cap = 512 + n * 600, k = 0;
	char *s = malloc(cap);
	const char *u = dur_us ? "\xC2\xB5s" : "ms";
	if (!s)
		return NULL;
	if (bom)
		k += (size_t)snprintf(s + k, cap - k, "\xEF\xBB\xBF");
	k += (size_t)snprintf(s + k, cap - k,
			      "Type,DPC Type,Module,Function,Address,CPU,Count (DPCs/ISRs),"
			      "Count (Fragments),Fragment,DPC/ISR Enter Time (s),"
			      "Duration (Fragmented) (%s),Exclusive Duration (%s),"
			      "Inclusive Duration (%s)\r\n", u, u, u);
	for (size_t i = 0; i < n; i++) {
		const struct wg_rec *e = &r[i];
		for (int f = 0; f <= e->fragments; f++) {
			char t[64], frag[64], ex[64], in[64];
			int final = f == e->fragments;
			uint32_t fd = e->excl_ns / (uint32_t)(e->fragments + 1);
			fixed(t, sizeof t, (uint64_t)e->t_ns, 9, de);
			fixed(frag, sizeof frag, fd, dur_us ? 3 : 6, de);
			fixed(ex, sizeof ex, e->excl_ns, dur_us ? 3 : 6, de);
			fixed(in, sizeof in, e->incl_ns, dur_us ? 3 : 6, de);
			k += (size_t)snprintf(
				s + k, cap - k, "%s,%s,%s,%s,0x%016llX,%u,%d,%d,%s,%s,%s,%s,%s\r\n",
				e->kind == SINK_ISR ? "Interrupt" : "DPC",
				e->kind == SINK_ISR ? "" : e->kind == SINK_TIMER_DPC ? "Timer" : "Regular",
				e->module, "\"Fn<a,b>\"", (unsigned long long)e->routine, e->cpu,
				final, e->fragments + 1, e->fragments ? "True" : "False", t, frag, ex,
				in);
		}
	}
	*len = k;
	return s;
}
