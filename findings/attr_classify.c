/* attr_classify.c — one module name → vendor, product and category from the KB: kernel vs
 * user image, "unknown third party" for kernel images the KB lacks, "one of: …" when vendors
 * collide on a name, and the WDK-sample caveat (drivers.md). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "attr.h"

static const struct {
	const char *name, *label;
} extra_labels[] = {
	{ATTR_CAT_UNKNOWN, "Unknown third party"},
	{ATTR_CAT_MIXED, "Several vendors"},
	{ATTR_CAT_USER, "User mode"},
	{ATTR_CAT_HIDDEN, "Outside any module"},
};

const char *attr_category_label(const char *category)
{
	const char *l = kb_category_label(category);
	if (l)
		return l;
	for (size_t i = 0; category && i < sizeof extra_labels / sizeof *extra_labels; i++)
		if (strcmp(extra_labels[i].name, category) == 0)
			return extra_labels[i].label;
	return "Other";
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int is_kernel(const char *name, uint64_t base)
{
	if (ends_with(name, ".sys"))
		return 1;
	/* x64 kernel space starts at 0xFFFF8000'00000000; 32-bit at 0x80000000. */
	if (base >= 0xffff800000000000ull)
		return 1;
	return base >= 0x80000000ull && base <= 0xffffffffull;
}

/* Append s to a ", "-separated list unless already there. */
static void add_unique(char *list, size_t cap, const char *s)
{
	size_t len = strlen(s), n = strlen(list);
	for (const char *p = list; (p = strstr(p, s)) != NULL; p += len)
		if ((p == list || (p >= list + 2 && p[-2] == ',')) && (p[len] == ',' || !p[len]))
			return;
	snprintf(list + n, cap - n, "%s%s", n ? ", " : "", s);
}

void attr_classify(const char *name, const char *path, uint64_t base, struct attr_class *out)
{
	memset(out, 0, sizeof *out);
	const char *img = path && *path ? path : name;
	out->kernel = is_kernel(name ? name : "", base);
	out->ncand = kb_lookup(img, out->cand, KB_MATCH_MAX);
	if (!out->ncand && name && img != name)
		out->ncand = kb_lookup(name, out->cand, KB_MATCH_MAX);
	if (!out->ncand && name)
		out->ncand = attr_overlay_lookup(name, out->cand, KB_MATCH_MAX, &out->dump_copy);
	if (!out->ncand) {
		out->category = out->kernel ? ATTR_CAT_UNKNOWN : ATTR_CAT_USER;
		return;
	}
	out->kernel = 1; /* the KB lists kernel modules only */
	char vendors[200] = "";
	int same_cat = 1, all_ms = 1;
	for (size_t i = 0; i < out->ncand; i++) {
		add_unique(vendors, sizeof vendors, out->cand[i]->vendor);
		same_cat &= strcmp(out->cand[i]->category, out->cand[0]->category) == 0;
		all_ms &= kb_is_microsoft(out->cand[i]);
		if (strstr(out->cand[i]->product, "WDK sample"))
			out->note_wdk_sample = 1;
	}
	out->microsoft = all_ms;
	out->category = same_cat ? out->cand[0]->category : ATTR_CAT_MIXED;
	if (strchr(vendors, ',')) {
		snprintf(out->vendor, sizeof out->vendor, "one of: %s", vendors);
		snprintf(out->product, sizeof out->product, "%zu vendors ship a driver of this name",
			 out->ncand);
	} else {
		snprintf(out->vendor, sizeof out->vendor, "%s", vendors);
		snprintf(out->product, sizeof out->product, "%s%s", out->dump_copy ?
			 "crash-dump copy of: " : "", out->cand[0]->product);
	}
}
