/* find_inside.c — what runs inside a module's DPCs or ISRs, for the rules: the CPU samples
 * taken inside them (db_dpc_inside.h) summed over the DPC kinds (or the ISR kinds), and the
 * module holding the leaf of most of them. A Microsoft module (KB vendor, attr_class
 * .microsoft) whose DPC samples mostly sit in a third-party module is a dispatcher for
 * that module: ndis.sys, storport.sys, Wdf01000.sys and the like call the routines of the
 * drivers beneath them inside their own DPCs. No list of dispatchers is kept: the samples
 * show which module did the work. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "db_dpc_inside.h"
#include "find.h"

int find_inside_load(struct find_ctx *c, int32_t module, int isr, struct find_inside *out)
{
	struct db_inside_result r;
	memset(out, 0, sizeof *out);
	out->leaf = INT32_MIN;
	out->recorded = cJSON_HasObjectItem(c->summary, "cpu_samples_in_dpcisr_interval");
	if (!out->recorded)
		return 0;
	if (db_inside_read(c->db, c->run_id, isr ? DB_KIND_ISRS : DB_KIND_DPCS, module, &r, c->err,
			   c->errlen))
		return -1;
	for (size_t i = 0; i < r.n; i++) {
		out->samples += r.groups[i].samples;
		out->flagged += r.groups[i].flagged;
		out->with_stack += r.groups[i].with_stack;
	}
	/* the leaf module with the most samples over all kinds of the module */
	for (size_t i = 0; i < r.n; i++)
		for (size_t j = 0; j < r.groups[i].n_mods; j++) {
			int32_t m = r.groups[i].mods[j].module;
			uint64_t sum = 0;
			for (size_t k = 0; k < r.n; k++)
				for (size_t l = 0; l < r.groups[k].n_mods; l++)
					if (r.groups[k].mods[l].module == m)
						sum += r.groups[k].mods[l].leaf;
			if (sum > out->leaf_samples) {
				out->leaf_samples = sum;
				out->leaf = m;
			}
		}
	db_inside_result_clear(&r);
	out->row = out->leaf != INT32_MIN ? attr_find(c->attr, out->leaf) : NULL;
	out->third_party_leaf = out->row && out->leaf != module && !out->row->cls.microsoft &&
				2 * out->leaf_samples > out->samples;
	return 0;
}

void find_inside_sentence(const struct find_inside *in, const struct attr_row *row, int isr,
			  char *buf, size_t len)
{
	const char *what = isr ? "ISRs" : "DPCs";
	char count[32], desc[400];
	buf[0] = '\0';
	if (!in->recorded)
		return;
	if (!in->samples) {
		snprintf(buf, len,
			 " No CPU sample fell inside %s's %s, so the driver doing the work in them "
			 "cannot be named; record CPU samples with stacks alongside DPC/ISR events "
			 "(xperf -on PROC_THREAD+LOADER+PROFILE+DPC+INTERRUPT -stackwalk Profile, or "
			 "WPR's CPU profile with DPC/ISR) to see it.",
			 row->name, what);
		return;
	}
	char share[32];
	find_thousands(in->samples, count, sizeof count);
	find_percent(100.0 * (double)in->leaf_samples / (double)in->samples, share, sizeof share);
	if (in->row)
		find_driver_desc(in->row, desc, sizeof desc);
	else
		snprintf(desc, sizeof desc, "module #%d", (int)in->leaf);
	size_t n;
	if (in->third_party_leaf)
		n = (size_t)snprintf(buf, len,
				     "%s of the %s CPU samples inside them are in %s, so %s "
				     "only dispatches and that driver does the work.",
				     share, count, desc, row->name);
	else
		n = (size_t)snprintf(buf, len, "%s of the %s CPU samples inside them are in %s.",
				     share, count, desc);
	if (!in->with_stack && n < len)
		snprintf(buf + n, len - n,
			 " Those samples carry no stacks, so only the module at the top is known; "
			 "add -stackwalk Profile to see the callers.");
}

void find_inside_numbers(const struct find_inside *in, cJSON *numbers)
{
	if (!in->recorded)
		return;
	cJSON *o = cJSON_AddObjectToObject(numbers, "inside");
	cJSON_AddNumberToObject(o, "samples", (double)in->samples);
	cJSON_AddNumberToObject(o, "flagged", (double)in->flagged);
	cJSON_AddNumberToObject(o, "with_stack", (double)in->with_stack);
	if (in->leaf == INT32_MIN)
		return;
	cJSON_AddNumberToObject(o, "leaf_module_id", in->leaf);
	if (in->row)
		cJSON_AddStringToObject(o, "leaf_module", in->row->name);
	cJSON_AddNumberToObject(o, "leaf_samples", (double)in->leaf_samples);
	cJSON_AddNumberToObject(o, "leaf_share", in->samples ? (double)in->leaf_samples /
							      (double)in->samples : 0);
	cJSON_AddBoolToObject(o, "third_party_leaf", in->third_party_leaf);
}

/* Samples flagged as running in a DPC (ISR) that lie in no logged interval: the trace did
 * not log those DPCs/ISRs (or lost them), yet the flag still says where the CPU was. */
void find_inside_flag_only(struct find_ctx *c)
{
	for (int isr = 0; isr < 2; isr++) {
		struct find_inside in;
		if (find_inside_load(c, DB_INSIDE_FLAG_ONLY, isr, &in) != 0 ||
		    in.samples < c->lim->min_events)
			continue;
		char count[32], share[32], desc[400] = "code outside any loaded module";
		find_thousands(in.samples, count, sizeof count);
		find_percent(100.0 * (double)in.leaf_samples / (double)in.samples, share,
			     sizeof share);
		if (in.row)
			find_driver_desc(in.row, desc, sizeof desc);
		cJSON *n = cJSON_CreateObject();
		find_inside_numbers(&in, n);
		find_emit(c, isr ? "isr-flag-only" : "dpc-flag-only",
			  in.third_party_leaf ? FIND_WARNING : FIND_INFO, (double)in.samples, "dpcisr",
			  NULL, n,
			  "%s CPU samples carry the Executing%s flag but lie in no logged %s (the "
			  "trace did not record or lost those %ss, or one outlasted the parser's hold "
			  "of its samples); %s of them are in %s.",
			  count, isr ? "ISR" : "DPC", isr ? "ISR" : "DPC", isr ? "ISR" : "DPC", share,
			  desc);
	}
}
