/* api_etw_modules.c — GET /api/runs/{id}/modules: the images an ETW trace saw loaded
 * (kernel drivers and user modules) with base, size, PE facts, load/unload times and the
 * debug identity the trace gave (symbols: pdb, guid, age, status, why). */
#include <inttypes.h>
#include <stdio.h>
#include "api_dpc.h"
#include "api_params.h"

struct mods_ctx {
	cJSON *arr;
};

static int add_module(void *ud, const struct db_etw_module *m)
{
	struct mods_ctx *c = ud;
	char buf[32];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", m->id);
	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "path", m->path);
	snprintf(buf, sizeof buf, "0x%" PRIx64, m->base);
	cJSON_AddStringToObject(o, "base", buf);
	cJSON_AddItemToObject(o, "size", api_json_number((double)m->size));
	cJSON_AddNumberToObject(o, "pid", m->pid);
	cJSON_AddNumberToObject(o, "timestamp", m->timestamp);
	cJSON_AddNumberToObject(o, "checksum", m->checksum);
	/* Loaded before the trace / still loaded at its end: null. */
	cJSON_AddItemToObject(o, "load_s", m->load_ns == INT64_MIN ? cJSON_CreateNull()
								   : api_json_number((double)m->load_ns / 1e9));
	cJSON_AddItemToObject(o, "unload_s", m->unload_ns == INT64_MAX ? cJSON_CreateNull()
								       : api_json_number((double)m->unload_ns / 1e9));
	if (m->sym_status) {
		cJSON *sy = cJSON_AddObjectToObject(o, "symbols");
		cJSON_AddItemToObject(sy, "pdb", m->pdb ? cJSON_CreateString(m->pdb) : cJSON_CreateNull());
		cJSON_AddItemToObject(sy, "guid", m->guid ? cJSON_CreateString(m->guid) : cJSON_CreateNull());
		cJSON_AddItemToObject(sy, "age", m->pdb ? cJSON_CreateNumber(m->age) : cJSON_CreateNull());
		cJSON_AddStringToObject(sy, "status", m->sym_status);
		cJSON_AddStringToObject(sy, "why", m->sym_why ? m->sym_why : "");
	}
	cJSON_AddItemToArray(c->arr, o);
	return 0;
}

int api_run_modules(sqlite3 *db, const char *run_id, const struct api_request *rq,
		    cJSON **out)
{
	struct db_run r;
	char err[256];
	(void)rq;
	int st = api_find_run(db, run_id, &r, out);
	if (st)
		return st;
	cJSON *o = cJSON_CreateObject();
	struct mods_ctx c = {cJSON_AddArrayToObject(o, "modules")};
	int rc = db_etw_modules(db, r.id, add_module, &c, err, sizeof err);
	db_run_clear(&r);
	if (rc < 0) {
		cJSON_Delete(o);
		*out = api_error("%s", err);
		return 500;
	}
	*out = o;
	return 200;
}
