/* api_dpc_inside.c — GET /api/runs/{id}/dpcisr/inside: what runs inside each DPC/ISR
 * module's DPCs/ISRs — the CPU samples taken inside them by leaf module (where the CPU
 * was), by module anywhere on the stack, and the most frequent module-level caller chains
 * (leaf first), with vendor and category of each module. The counts cover the whole run:
 * `kind` and `module` filter the rows; `cpus`, `from` and `to` are parsed like the other
 * DPC/ISR endpoints but do not apply (the document says so in "applies"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_dpc.h"
#include "api_params.h"
#include "attr.h"
#include "db_dpc_inside.h"

static const char *const rule =
	"A CPU sample is inside a DPC/ISR when it lies in its [entry, exit) interval on the "
	"same CPU (the innermost one when an ISR interrupted a DPC); samples with the "
	"ExecutingDPC/ExecutingISR flag in no logged interval are listed as flag only.";

static void add_module(cJSON *o, const struct api_module_names *names, int32_t id)
{
	const struct api_module_name *nm = api_module_names_find(names, id);
	struct attr_class cls;
	cJSON_AddNumberToObject(o, "module_id", id);
	cJSON_AddStringToObject(o, "module", id == DB_INSIDE_FLAG_ONLY ? "(flag only)" :
					    nm ? nm->name : "(outside any loaded module)");
	if (!nm)
		return;
	attr_classify(nm->name, nm->path, nm->base, &cls);
	cJSON_AddStringToObject(o, "vendor", cls.vendor);
	cJSON_AddStringToObject(o, "category", cls.category);
	cJSON_AddStringToObject(o, "category_label", attr_category_label(cls.category));
	cJSON_AddBoolToObject(o, "microsoft", cls.microsoft);
}

static cJSON *share(uint64_t n, uint64_t of)
{
	return api_json_number(of ? (double)n / (double)of : 0);
}

static cJSON *group_json(const struct db_inside_group *g, const struct api_module_names *names)
{
	cJSON *o = cJSON_CreateObject();
	add_module(o, names, g->dpc_module);
	cJSON_AddStringToObject(o, "kind", api_dpc_kind_name(g->kind));
	cJSON_AddItemToObject(o, "samples", api_json_number((double)g->samples));
	cJSON_AddItemToObject(o, "flagged", api_json_number((double)g->flagged));
	cJSON_AddItemToObject(o, "with_stack", api_json_number((double)g->with_stack));
	cJSON *leaf = cJSON_AddArrayToObject(o, "leaf");
	cJSON *stack = cJSON_AddArrayToObject(o, "on_stack");
	for (size_t i = 0; i < g->n_mods; i++) {
		const struct db_inside_module *m = &g->mods[i];
		for (int k = 0; k < 2; k++) {
			uint64_t n = k ? m->on_stack : m->leaf;
			if (!n)
				continue;
			cJSON *r = cJSON_CreateObject();
			add_module(r, names, m->module);
			cJSON_AddItemToObject(r, "samples", api_json_number((double)n));
			cJSON_AddItemToObject(r, "share", share(n, g->samples));
			cJSON_AddItemToArray(k ? stack : leaf, r);
		}
	}
	cJSON *chains = cJSON_AddArrayToObject(o, "chains");
	uint64_t in_top = 0;
	for (size_t i = 0; i < g->n_chains; i++) {
		const struct db_inside_chain *c = &g->chains[i];
		cJSON *r = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(r, "module_ids"),
		      *nm = cJSON_AddArrayToObject(r, "modules");
		for (uint32_t j = 0; j < c->n_mods; j++) {
			const struct api_module_name *n = api_module_names_find(names, c->mods[j]);
			cJSON_AddItemToArray(ids, cJSON_CreateNumber(c->mods[j]));
			cJSON_AddItemToArray(nm, cJSON_CreateString(n ? n->name : "(outside any loaded module)"));
		}
		cJSON_AddItemToObject(r, "samples", api_json_number((double)c->samples));
		cJSON_AddItemToObject(r, "share", share(c->samples, g->with_stack));
		cJSON_AddItemToArray(chains, r);
		in_top += c->samples;
	}
	cJSON_AddItemToObject(o, "other_chains_samples",
			      api_json_number((double)(g->with_stack - (in_top < g->with_stack ? in_top : g->with_stack))));
	return o;
}

static int wanted(const struct api_dpc_query *q, int32_t module)
{
	for (size_t i = 0; i < q->nmodules; i++)
		if (q->modules[i] == module)
			return 1;
	return q->nmodules == 0;
}

int api_run_dpc_inside(sqlite3 *db, const char *run_id, const struct api_request *rq,
		       cJSON **out)
{
	struct api_dpc_query q;
	struct api_module_names names = {0};
	struct db_inside_result r;
	char err[256];
	int st = api_dpc_query_parse(db, run_id, rq, &q, out);
	if (st)
		return st;
	if (api_module_names_load(db, q.run.id, &names, err, sizeof err) ||
	    db_inside_read(db, q.run.id, q.kind_mask, INT32_MIN, &r, err, sizeof err)) {
		api_module_names_clear(&names);
		api_dpc_query_clear(&q);
		*out = api_error("%s", err);
		return 500;
	}
	cJSON *o = cJSON_CreateObject();
	api_dpc_add_context(o, &q);
	cJSON *ap = cJSON_AddObjectToObject(o, "applies");
	cJSON_AddBoolToObject(ap, "kind", 1);
	cJSON_AddBoolToObject(ap, "module", 1);
	cJSON_AddBoolToObject(ap, "cpus", 0);
	cJSON_AddBoolToObject(ap, "window", 0);
	cJSON_AddStringToObject(o, "scope", "whole run");
	/* runs ingested before these counts existed have none: say so, not "no samples" */
	cJSON *sum = cJSON_Parse(q.run.summary ? q.run.summary : "{}");
	cJSON_AddBoolToObject(o, "recorded", cJSON_HasObjectItem(sum, "cpu_samples_in_dpcisr_interval"));
	cJSON_Delete(sum);
	cJSON_AddStringToObject(o, "rule", rule);
	uint64_t inside = 0, flag_only = 0, with_stack = 0;
	cJSON *groups = cJSON_AddArrayToObject(o, "groups");
	for (size_t i = 0; i < r.n; i++) {
		const struct db_inside_group *g = &r.groups[i];
		if (!wanted(&q, g->dpc_module))
			continue;
		if (g->dpc_module == DB_INSIDE_FLAG_ONLY)
			flag_only += g->samples;
		else
			inside += g->samples;
		with_stack += g->with_stack;
		cJSON_AddItemToArray(groups, group_json(g, &names));
	}
	cJSON *t = cJSON_AddObjectToObject(o, "totals");
	cJSON_AddItemToObject(t, "samples_inside", api_json_number((double)inside));
	cJSON_AddItemToObject(t, "samples_flag_only", api_json_number((double)flag_only));
	cJSON_AddItemToObject(t, "samples_with_stack", api_json_number((double)with_stack));
	cJSON_AddItemToObject(t, "samples", api_json_number((double)q.info.n_samples));
	db_inside_result_clear(&r);
	api_module_names_clear(&names);
	api_dpc_query_clear(&q);
	*out = o;
	return 200;
}
