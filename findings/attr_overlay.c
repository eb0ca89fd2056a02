/* attr_overlay.c — names the KB (kb/drivers.csv, shared data) does not list yet but that a
 * real trace shows: crash-dump copies ("dump_" + the storage driver's name, loaded by
 * crashdmp.sys) and a few Windows in-box images seen in the PerfView sample trace. These rows
 * are proposed additions to drivers.csv; once it has them, kb_lookup finds them first and
 * this table is never reached. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "attr.h"

static const struct kb_entry overlay[] = {
	{"mcupdate_genuineintel.dll", "Microsoft", "CPU microcode update (Intel)", "microsoft-inbox", "", "etlscope-overlay"},
	{"mcupdate_authenticamd.dll", "Microsoft", "CPU microcode update (AMD)", "microsoft-inbox", "", "etlscope-overlay"},
	{"netvsc63.sys", "Microsoft", "Hyper-V synthetic network adapter (Windows 8 / NDIS 6.3)", "microsoft-inbox", "", "etlscope-overlay"},
	{"netvsc60.sys", "Microsoft", "Hyper-V synthetic network adapter (NDIS 6.0)", "microsoft-inbox", "", "etlscope-overlay"},
	{"ndu.sys", "Microsoft", "Network Data Usage monitor", "microsoft-inbox", "", "etlscope-overlay"},
	{"tsddd.dll", "Microsoft", "Terminal Services display driver", "microsoft-inbox", "", "etlscope-overlay"},
	{"dumpata.sys", "Microsoft", "ATA crash dump driver", "microsoft-inbox", "", "etlscope-overlay"},
	{"secdrv.sys", "Macrovision", "SafeDisc copy-protection driver (SECDRV; shipped with Windows until 2015)", "other", "", "etlscope-overlay"},
};

static const char *base_name(const char *img)
{
	const char *b = img;
	for (const char *p = img; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

size_t attr_overlay_lookup(const char *img, const struct kb_entry **out, size_t max,
			   int *dump_copy)
{
	const char *name = base_name(img);
	*dump_copy = 0;
	if (strncasecmp(name, "dump_", 5) == 0 && name[5]) {
		*dump_copy = 1;
		name += 5;
		size_t n = kb_lookup(name, out, max);
		if (n)
			return n;
	}
	for (size_t i = 0; i < sizeof overlay / sizeof *overlay && max; i++)
		if (strcasecmp(overlay[i].driver, name) == 0) {
			out[0] = &overlay[i];
			return 1;
		}
	return 0;
}
