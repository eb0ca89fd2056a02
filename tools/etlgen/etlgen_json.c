/* etlgen_json.c — the scenario JSON format (parse) and the expected-aggregates JSON (build).
 *
 * Scenario:
 * {
 *   "cpus": 4, "pointer_size": 8, "compressed": false, "buffer_size": 65536,
 *   "duration_s": 10, "seed": 1, "qpc_frequency": 10000000, "build": 19041,
 *   "sample_rate_hz": 1000, "images_at_end": false, "stack_keys": false,
 *   "stack_key_defs": 0, "user_keys": false,  (with stack_keys: etlgen.h)
 *   "dpc_groups_enabled": true, "process_pid": 4242, "implausible_images": 0,
 *   "frames_per_module": 0,   (> 0: a bounded set of return addresses per module, ≤ 2^20)
 *   "leaf_spread": 0,         (> 0: sampled IPs spread over that many bytes past the drawn
 *                              address, ≤ 2^20: random offsets within a hot function)
 *   "hot_ips": 0,             (> 0: each module's sampled IPs are one of this many hot
 *                              addresses, its return addresses one of as many others, ≤ 2^20,
 *                              drawn Zipf-like: the K most frequent of N take the share
 *                              ln(K+1)/ln(N+1) at skew 1 — etlgen_hot_index in etlgen.h;
 *                              takes precedence over frames_per_module; leaf_spread still
 *                              applies; 0: as before)
 *   "hot_skew": 1,            (the exponent s of that law, 0 to 8; 0 = uniform over the set)
 *   "hot_paths": 0,           (> 0: a sampled IP's caller frames are one of this many call
 *                              chains fixed by the IP, ≤ 2^16, chain j drawn with the same
 *                              law; 0: each caller frame drawn on its own, as before)
 *   "sample_stacks": true,    (false: no StackWalk events, the samples alone)
 *   "modules": [
 *     { "name": "ndis.sys", "path": "\\SystemRoot\\System32\\drivers\\ndis.sys",
 *       "base": "0xfffff80001000000", "size": 1048576,
 *       "dpc": { "rate": 2000, "kind": "dpc"|"threaded"|"timer",
 *                "duration_us": { "dist": "fixed", "value": 20 } },
 *       "isr": { "rate": 500, "msi": false,
 *                "duration_us": { "dist": "uniform", "min": 1, "max": 5 } },
 *       "samples": { "weight": 1, "stack": ["ntoskrnl.exe"] },
 *       "cpus": [0, 2, 4, 6],                (optional: where its DPCs/ISRs run)
 *       "unmapped": false,                   (true: no image event for it)
 *       "routine_rva": 4096,                 (optional: every DPC/ISR routine at base + it)
 *       "hot_ips": 1,                        (optional: this module's hot set size in place
 *                                             of the scenario's, e.g. 1 for an idle loop)
 *       "frame_rvas": [4096, 4097],          (optional: its frames and IPs at base + one of
 *                                             these, at most 8, each below size)
 *       "pdb": { "name": "ndis.pdb", "guid": "{8E4FE85E-D867-9989-4C4C-44205044422E}",
 *                "age": 1, "timestamp": 1594000000 } } ] }   (optional: debug identity)
 * Optional machine: "computer_name": "FS01", "processes": [{"pid": 4, "name": "System",
 * "command_line": ""}, …]; a module's "samples": {"process": 4} puts its samples in that
 * listed process's threads (pid 0: the Idle process's thread 0).
 * "lognormal" takes "median" and "sigma". base may be a number or a "0x…" string.
 * Optional stories: "syscalls", "ready_wait" (parse_sched), "diskio" (parse_diskio) and
 * "load", a busy machine (parse_load);
 * "thread_names": ["name of tid 1000", "name of tid 1001", …] (Thread SetName events;
 * with "thread_names_rundown": true, the ThreadName field of the threads' DCStart).
 */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "etlgen.h"

static int parse_sched(const cJSON *root, struct etlgen_scenario *s, char *msg, size_t n);
static int parse_load(const cJSON *root, struct etlgen_scenario *s, char *msg, size_t n);
static double num(const cJSON *o, const char *k, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* num_in: o's number k (def when absent) into *out; -1 with "k takes 0 to max" in msg
 * when it is below 0 or above max (or NaN). */
static int num_in(const cJSON *o, const char *k, double def, double max, double *out,
		  char *msg, size_t n)
{
	*out = num(o, k, def);
	if (*out >= 0 && *out <= max)
		return 0;
	snprintf(msg, n, "%s takes 0 to %.0f", k, max);
	return -1;
}

/* "frame_rvas": [rva, …]: 0, or -1 when not numbers below the module's size or too many. */
static int frame_rvas(const cJSON *o, struct etlgen_module *m)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "frame_rvas"), *e;
	if (!a)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > ETLGEN_MAX_FRAME_RVAS)
		return -1;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= (double)m->size)
			return -1;
		m->frame_rvas[m->n_frame_rvas++] = (uint64_t)e->valuedouble;
	}
	return 0;
}

/* "pdb": {"name", "guid" as {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}, "age", "timestamp"}. */
static int pdb_identity(const cJSON *o, struct etlgen_module *m)
{
	const cJSON *pdb = cJSON_GetObjectItemCaseSensitive(o, "pdb");
	if (!pdb)
		return 0;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(pdb, "name");
	const cJSON *guid = cJSON_GetObjectItemCaseSensitive(pdb, "guid");
	unsigned d1, d2, d3, b[8];
	if (!cJSON_IsString(name) || !cJSON_IsString(guid) ||
	    sscanf(guid->valuestring, "{%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}", &d1, &d2, &d3, &b[0],
		   &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7]) != 11)
		return -1;
	uint8_t *g = m->pdb_guid;
	for (int i = 0; i < 4; i++)
		g[i] = (uint8_t)(d1 >> 8 * i);
	g[4] = (uint8_t)d2, g[5] = (uint8_t)(d2 >> 8), g[6] = (uint8_t)d3, g[7] = (uint8_t)(d3 >> 8);
	for (int i = 0; i < 8; i++)
		g[8 + i] = (uint8_t)b[i];
	m->pdb_age = (uint32_t)num(pdb, "age", 1);
	m->timestamp = (uint32_t)num(pdb, "timestamp", 0);
	m->pdb = strdup(name->valuestring);
	return m->pdb ? 0 : -1;
}

static int u64val(const cJSON *o, const char *k, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsNumber(v) && v->valuedouble >= 0) {
		*out = (uint64_t)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v)) {
		char *end;
		*out = strtoull(v->valuestring, &end, 0);
		return *end ? -1 : 0;
	}
	return -1;
}

/* A distribution object {"dist": "fixed"|"uniform"|"lognormal", …} (NULL: fixed 10). */
static int dist_of(const cJSON *du, struct etlgen_dist *d, char *msg, size_t n)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(du, "dist");
	const char *k = cJSON_IsString(kind) ? kind->valuestring : "fixed";
	if (!strcmp(k, "fixed")) {
		d->kind = ETLGEN_FIXED;
		d->a = num(du, "value", 10);
	} else if (!strcmp(k, "uniform")) {
		d->kind = ETLGEN_UNIFORM;
		d->a = num(du, "min", 1);
		d->b = num(du, "max", 10);
	} else if (!strcmp(k, "lognormal")) {
		d->kind = ETLGEN_LOGNORMAL;
		d->a = num(du, "median", 10);
		d->b = num(du, "sigma", 0.5);
	} else {
		snprintf(msg, n, "unknown distribution \"%s\"", k);
		return -1;
	}
	return 0;
}

static int dist(const cJSON *o, struct etlgen_dist *d, char *msg, size_t n)
{
	return dist_of(cJSON_GetObjectItemCaseSensitive(o, "duration_us"), d, msg, n);
}

static int module_index(const struct etlgen_scenario *s, const cJSON *name)
{
	for (size_t j = 0; cJSON_IsString(name) && j < s->n_modules; j++)
		if (!strcmp(s->modules[j].name, name->valuestring))
			return (int)j;
	return -1;
}

/* "inside": {"every_us", "jitter", "flag", "stacks", "hide_dpc",
 *            "samples": [{"leaf": name, "callers": [names], "weight": w}, ...]} */
static int parse_inside(const struct etlgen_scenario *s, struct etlgen_module *m,
			const cJSON *in, char *msg, size_t n)
{
	if (!in)
		return 0;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(in, "samples");
	int ns = cJSON_GetArraySize(list);
	m->inside_every_us = num(in, "every_us", 0);
	m->inside_jitter = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "jitter")) ? 1 : 0;
	m->inside_flag = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "flag"));
	m->inside_stacks = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "stacks"));
	m->inside_hide_dpc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "hide_dpc"));
	if (ns <= 0)
		return 0;
	struct etlgen_inside *v = calloc((size_t)ns, sizeof *v);
	if (!v) {
		snprintf(msg, n, "out of memory");
		return -1;
	}
	m->inside = v;
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		struct etlgen_inside *x = &v[m->n_inside++];
		x->weight = num(e, "weight", 1);
		x->leaf = module_index(s, cJSON_GetObjectItemCaseSensitive(e, "leaf"));
		const cJSON *cl = cJSON_GetObjectItemCaseSensitive(e, "callers");
		int nc = cJSON_GetArraySize(cl);
		int *idx = nc > 0 ? calloc((size_t)nc, sizeof *idx) : NULL;
		if (nc > 0 && !idx) {
			snprintf(msg, n, "out of memory");
			return -1;
		}
		x->callers = idx;
		const cJSON *c;
		cJSON_ArrayForEach(c, cl) {
			if ((idx[x->n_callers++] = module_index(s, c)) < 0)
				x->leaf = -1;
		}
		if (x->leaf < 0) {
			snprintf(msg, n, "module %s: inside sample names an unknown module", m->name);
			return -1;
		}
	}
	return 0;
}

void etlgen_scenario_free(struct etlgen_scenario *s)
{
	struct etlgen_module *m = (struct etlgen_module *)s->modules;
	for (size_t i = 0; m && i < s->n_modules; i++) {
		free((char *)m[i].name);
		free((char *)m[i].path);
		free((char *)m[i].pdb);
		free((int *)m[i].stack);
		free((unsigned *)m[i].cpus);
		for (size_t k = 0; m[i].inside && k < m[i].n_inside; k++)
			free((int *)m[i].inside[k].callers);
		free((struct etlgen_inside *)m[i].inside);
	}
	free(m);
	free((char *)s->diskio.file);
	free((char *)s->minifilter.file);
	free((char *)s->minifilter.file2);
	for (unsigned k = 0; s->load.processes && k < s->load.n_processes; k++) {
		free((char *)s->load.processes[k].name);
		free((char *)s->load.processes[k].command_line);
	}
	free(s->load.processes);
	etlgen_procs_free(s);
	for (size_t i = 0; i < s->n_thread_names; i++)
		free((char *)s->thread_names[i]);
	free((char **)s->thread_names);
	memset(s, 0, sizeof *s);
}

int etlgen_scenario_parse(const char *json, struct etlgen_scenario *s, char *msg, size_t n)
{
	memset(s, 0, sizeof *s);
	cJSON *root = cJSON_Parse(json);
	if (!cJSON_IsObject(root)) {
		snprintf(msg, n, "scenario is not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	s->cpus = (unsigned)num(root, "cpus", 4);
	s->pointer_size = (unsigned)num(root, "pointer_size", 8);
	s->compressed = (int)num(root, "compressed", 0);
	s->buffer_size = (uint32_t)num(root, "buffer_size", 65536);
	s->duration_s = num(root, "duration_s", 1);
	s->seed = (uint64_t)num(root, "seed", 1);
	s->qpc_frequency = (uint64_t)num(root, "qpc_frequency", 10000000);
	s->build = (uint32_t)num(root, "build", 19041);
	s->sample_rate_hz = num(root, "sample_rate_hz", 0);
	s->images_at_end = (int)num(root, "images_at_end", 0);
	s->stack_keys = (int)num(root, "stack_keys", 0);
	s->stack_key_defs = (int)num(root, "stack_key_defs", 0);
	s->user_keys = (int)num(root, "user_keys", 0);
	s->dpc_groups_enabled = (int)num(root, "dpc_groups_enabled", 1);
	s->process_pid = (uint32_t)num(root, "process_pid", 0);
	double fpm, spread, hot, skew, paths;
	if (num_in(root, "frames_per_module", 0, 1 << 20, &fpm, msg, n) ||
	    num_in(root, "leaf_spread", 0, 1 << 20, &spread, msg, n) ||
	    num_in(root, "hot_ips", 0, 1 << 20, &hot, msg, n) ||
	    num_in(root, "hot_skew", 1, 8, &skew, msg, n) ||
	    num_in(root, "hot_paths", 0, 1 << 16, &paths, msg, n)) {
		cJSON_Delete(root);
		etlgen_scenario_free(s);
		return -1;
	}
	s->frames_per_module = (uint32_t)fpm;
	s->leaf_spread = (uint32_t)spread;
	s->hot_ips = (uint32_t)hot;
	s->hot_skew = skew;
	s->hot_paths = (uint32_t)paths;
	const cJSON *ss = cJSON_GetObjectItemCaseSensitive(root, "sample_stacks");
	s->no_stacks = cJSON_IsFalse(ss);
	s->implausible_images = (unsigned)num(root, "implausible_images", 0);
	if (etlgen_procs_parse(root, s, msg, n)) {
		cJSON_Delete(root);
		etlgen_scenario_free(s);
		return -1;
	}
	s->thread_names_rundown = (int)num(root, "thread_names_rundown", 0);
	const cJSON *tn = cJSON_GetObjectItemCaseSensitive(root, "thread_names");
	int ntn = cJSON_GetArraySize(tn);
	if (ntn > 0) {
		char **names = calloc((size_t)ntn, sizeof *names);
		s->thread_names = (const char *const *)names;
		for (int i = 0; names && i < ntn; i++) {
			const cJSON *v = cJSON_GetArrayItem(tn, i);
			names[i] = strdup(cJSON_IsString(v) ? v->valuestring : "");
			s->n_thread_names += names[i] != NULL;
		}
		if (!names || s->n_thread_names != (size_t)ntn) {
			snprintf(msg, n, "out of memory");
			cJSON_Delete(root);
			etlgen_scenario_free(s);
			return -1;
		}
	}
	const cJSON *mods = cJSON_GetObjectItemCaseSensitive(root, "modules");
	int nm = cJSON_GetArraySize(mods);
	struct etlgen_module *m = calloc(nm > 0 ? (size_t)nm : 1, sizeof *m);
	if (!m) {
		snprintf(msg, n, "out of memory");
		cJSON_Delete(root);
		return -1;
	}
	s->modules = m;
	s->n_modules = (size_t)(nm > 0 ? nm : 0);
	int i = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, mods) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
		if (!cJSON_IsString(name)) {
			snprintf(msg, n, "module %d has no name", i);
			goto fail;
		}
		m[i].name = strdup(name->valuestring);
		m[i].path = cJSON_IsString(path) ? strdup(path->valuestring) : NULL;
		if (u64val(o, "base", &m[i].base) || u64val(o, "size", &m[i].size)) {
			snprintf(msg, n, "module %s: base and size are required", name->valuestring);
			i++;
			goto fail;
		}
		const cJSON *dpc = cJSON_GetObjectItemCaseSensitive(o, "dpc");
		if (dpc) {
			m[i].dpc_rate = num(dpc, "rate", 0);
			const cJSON *k = cJSON_GetObjectItemCaseSensitive(dpc, "kind");
			const char *ks = cJSON_IsString(k) ? k->valuestring : "dpc";
			m[i].dpc_kind = !strcmp(ks, "threaded") ? ETLGEN_THREADED_DPC :
					!strcmp(ks, "timer") ? ETLGEN_TIMER_DPC : ETLGEN_DPC;
			if (dist(dpc, &m[i].dpc_us, msg, n)) {
				i++;
				goto fail;
			}
		}
		const cJSON *isr = cJSON_GetObjectItemCaseSensitive(o, "isr");
		if (isr) {
			m[i].isr_rate = num(isr, "rate", 0);
			m[i].isr_msi = (int)num(isr, "msi", 0);
			if (dist(isr, &m[i].isr_us, msg, n)) {
				i++;
				goto fail;
			}
		}
		m[i].unmapped = (int)num(o, "unmapped", 0);
		m[i].routine_rva = (uint64_t)num(o, "routine_rva", 0);
		double mhot = num(o, "hot_ips", 0);
		if (!(mhot >= 0 && mhot <= 1 << 20)) {
			snprintf(msg, n, "module %s: hot_ips takes 0 to %d", name->valuestring, 1 << 20);
			i++;
			goto fail;
		}
		m[i].hot_ips = (uint32_t)mhot;
		if (frame_rvas(o, &m[i])) {
			snprintf(msg, n, "module %s: frame_rvas takes at most %d numbers below size",
				 name->valuestring, ETLGEN_MAX_FRAME_RVAS);
			i++;
			goto fail;
		}
		if (pdb_identity(o, &m[i])) {
			snprintf(msg, n, "module %s: pdb needs a name and a guid {…}", name->valuestring);
			i++;
			goto fail;
		}
		const cJSON *smp = cJSON_GetObjectItemCaseSensitive(o, "samples");
		if (smp)
			m[i].sample_weight = num(smp, "weight", 0);
		const cJSON *spid = cJSON_GetObjectItemCaseSensitive(smp, "process");
		if (spid) {
			int k = cJSON_IsNumber(spid) ? etlgen_procs_find(s, (uint32_t)spid->valuedouble) : -1;
			if (k < 0) {
				snprintf(msg, n, "module %s: samples.process is the pid of a listed process",
					 name->valuestring);
				i++;
				goto fail;
			}
			m[i].sample_process = k + 1;
		}
		const cJSON *cl = cJSON_GetObjectItemCaseSensitive(o, "cpus");
		int nc = cJSON_IsArray(cl) ? cJSON_GetArraySize(cl) : 0;
		if (nc > 0) {
			unsigned *cpus = calloc((size_t)nc, sizeof *cpus);
			if (!cpus) {
				snprintf(msg, n, "out of memory");
				i++;
				goto fail;
			}
			m[i].cpus = cpus;
			m[i].n_cpus = (size_t)nc;
			int k = 0;
			const cJSON *c;
			cJSON_ArrayForEach(c, cl) {
				if (!cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > 255) {
					snprintf(msg, n, "module %s: cpus are numbers 0..255", name->valuestring);
					i++;
					goto fail;
				}
				cpus[k++] = (unsigned)c->valuedouble;
			}
		}
		i++;
	}
	/* stacks name other modules: resolve after all names are known */
	i = 0;
	cJSON_ArrayForEach(o, mods) {
		if (parse_inside(s, &m[i], cJSON_GetObjectItemCaseSensitive(
						   cJSON_GetObjectItemCaseSensitive(o, "dpc"), "inside"),
				 msg, n))
			goto fail_all;
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(o, "samples"), "stack");
		int ns = cJSON_GetArraySize(st);
		if (ns > 0) {
			int *idx = calloc((size_t)ns, sizeof *idx);
			if (!idx) {
				snprintf(msg, n, "out of memory");
				goto fail_all;
			}
			m[i].stack = idx;
			m[i].n_stack = (size_t)ns;
			int k = 0;
			const cJSON *e;
			cJSON_ArrayForEach(e, st) {
				idx[k] = -1;
				for (size_t j = 0; cJSON_IsString(e) && j < s->n_modules; j++)
					if (!strcmp(m[j].name, e->valuestring))
						idx[k] = (int)j;
				if (idx[k] < 0) {
					snprintf(msg, n, "module %s: stack names an unknown module",
						 m[i].name);
					goto fail_all;
				}
				k++;
			}
		}
		i++;
	}
	if (parse_sched(root, s, msg, n))
		goto fail_all;
	cJSON_Delete(root);
	return 0;
fail:
	s->n_modules = (size_t)i;
fail_all:
	cJSON_Delete(root);
	etlgen_scenario_free(s);
	return -1;
}

/* Index of the module named by o[key], or n_modules (rejected by the writer) if none. */
static size_t module_named(const struct etlgen_scenario *s, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	for (size_t j = 0; cJSON_IsString(v) && j < s->n_modules; j++)
		if (!strcmp(s->modules[j].name, v->valuestring))
			return j;
	return s->n_modules;
}

static uint64_t ticks(const struct etlgen_scenario *s, const cJSON *o, const char *key)
{
	double us = num(o, key, 0);
	return us > 0 ? (uint64_t)(us * (double)s->qpc_frequency / 1e6 + 0.5) : 0;
}

/* "diskio": {reads, writes, cpu, tid, disk, file, file_object, read_size, write_size,
 *            read_latency_us, write_latency_us, gap_us, file_reads, file_read_size,
 *            file_latency_us}. */
static int parse_diskio(const cJSON *root, struct etlgen_scenario *s, char *msg, size_t n)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "diskio");
	if (!cJSON_IsObject(o))
		return 0;
	struct etlgen_diskio *c = &s->diskio;
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(o, "file");
	c->reads = (unsigned)num(o, "reads", 0);
	c->writes = (unsigned)num(o, "writes", 0);
	c->cpu = (unsigned)num(o, "cpu", 0);
	c->tid = (uint32_t)num(o, "tid", 4000);
	c->disk = (unsigned)num(o, "disk", 0);
	c->read_size = (uint32_t)num(o, "read_size", 4096);
	c->write_size = (uint32_t)num(o, "write_size", 4096);
	c->read_ticks = ticks(s, o, "read_latency_us");
	c->write_ticks = ticks(s, o, "write_latency_us");
	c->gap_ticks = ticks(s, o, "gap_us");
	c->file_reads = (unsigned)num(o, "file_reads", 0);
	c->file_read_size = (uint32_t)num(o, "file_read_size", 4096);
	c->file_ticks = ticks(s, o, "file_latency_us");
	if (u64val(o, "file_object", &c->file_object) ||
	    (cJSON_HasObjectItem(o, "file_key") && u64val(o, "file_key", &c->file_key))) {
		snprintf(msg, n, "diskio: file_object must be a number or a \"0x…\" string");
		return -1;
	}
	if (cJSON_IsString(file) && !(c->file = strdup(file->valuestring))) {
		snprintf(msg, n, "out of memory");
		return -1;
	}
	return 0;
}

/* Up to ETLGEN_FLT_DELAYS delays (µs) of the array at key, as ticks; their count. */
static size_t delays(const struct etlgen_scenario *s, const cJSON *o, const char *key,
		     uint64_t *out)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *v;
	size_t k = 0;
	cJSON_ArrayForEach(v, a) {
		if (k == ETLGEN_FLT_DELAYS || !cJSON_IsNumber(v) || v->valuedouble <= 0)
			return 0;
		out[k++] = (uint64_t)(v->valuedouble * (double)s->qpc_frequency / 1e6 + 0.5);
	}
	return k;
}

/* "minifilter": {module (name), creates, failures, truncated, cpu, tid, file, file_object,
 * file2, file_object2, pre_us: [..], post_us: [..] (cycled), gap_us, major_first,
 * file_slot ("FileObject", "FileContext", "IrpPtr", "CallbackDataPtr"), no_file_events}
 * (etlgen.h). */
static int parse_minifilter(const cJSON *root, struct etlgen_scenario *s, char *msg, size_t n)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "minifilter");
	if (!cJSON_IsObject(o))
		return 0;
	struct etlgen_minifilter *c = &s->minifilter;
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(o, "file");
	c->module = module_named(s, o, "module");
	c->creates = (unsigned)num(o, "creates", 0);
	c->failures = (unsigned)num(o, "failures", 0);
	c->truncated = (unsigned)num(o, "truncated", 0);
	c->cpu = (unsigned)num(o, "cpu", 0);
	c->tid = (uint32_t)num(o, "tid", 4100);
	c->gap_ticks = ticks(s, o, "gap_us");
	c->n_pre = delays(s, o, "pre_us", c->pre_ticks);
	c->n_post = delays(s, o, "post_us", c->post_ticks);
	c->major_first = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "major_first"));
	c->no_file_events = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "no_file_events"));
	if (u64val(o, "file_object", &c->file_object) ||
	    (cJSON_HasObjectItem(o, "file_object2") && u64val(o, "file_object2", &c->file_object2))) {
		snprintf(msg, n, "minifilter: file_object must be a number or a \"0x…\" string");
		return -1;
	}
	static const char *const slots[] = {"FileObject", "FileContext", "IrpPtr", "CallbackDataPtr"};
	const cJSON *slot = cJSON_GetObjectItemCaseSensitive(o, "file_slot");
	for (unsigned k = 0; cJSON_IsString(slot) && k < 4; k++)
		if (strcmp(slot->valuestring, slots[k]) == 0)
			c->file_slot = ETLGEN_FLT_SLOT_FILE_OBJECT + k;
	if (slot && !c->file_slot) {
		snprintf(msg, n, "minifilter: file_slot must be FileObject, FileContext, IrpPtr or "
			 "CallbackDataPtr");
		return -1;
	}
	const cJSON *file2 = cJSON_GetObjectItemCaseSensitive(o, "file2");
	if ((cJSON_IsString(file) && !(c->file = strdup(file->valuestring))) ||
	    (cJSON_IsString(file2) && !(c->file2 = strdup(file2->valuestring)))) {
		snprintf(msg, n, "out of memory");
		return -1;
	}
	return 0;
}

/* "load": {duration_s, processes (count; named svc01.exe, … from pid first_pid, default
 * 6000, step 4), threads_per_cpu, first_tid, quantum_us, idle_every, idle_us,
 * ready_dpc_module, ready_dpc_us, syscall_rate, syscall_module, syscall_addresses,
 * syscall_us, file_rate, file_us, files_per_process, disk_rate, disk_us, disks,
 * write_percent} — the *_us are distribution objects like a module's duration_us;
 * etlgen.h struct etlgen_load says what each does. */
static int parse_load(const cJSON *root, struct etlgen_scenario *s, char *msg, size_t n)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "load");
	if (!cJSON_IsObject(o))
		return 0;
	struct etlgen_load *l = &s->load;
	l->duration_s = num(o, "duration_s", 0);
	double procs = num(o, "processes", 4);
	if (!(procs >= 1 && procs <= 1000)) {
		snprintf(msg, n, "load: processes must be 1..1000");
		return -1;
	}
	l->n_processes = (unsigned)procs;
	l->threads_per_cpu = (unsigned)num(o, "threads_per_cpu", 4);
	l->first_tid = (uint32_t)num(o, "first_tid", 20000);
	l->idle_every = (unsigned)num(o, "idle_every", 0);
	l->idle_ticks = ticks(s, o, "idle_us");
	l->ready_dpc_module = module_named(s, o, "ready_dpc_module");
	l->syscall_module = module_named(s, o, "syscall_module");
	l->syscall_rate = num(o, "syscall_rate", 0);
	l->syscall_addresses = (unsigned)num(o, "syscall_addresses", 16);
	l->file_rate = num(o, "file_rate", 0);
	l->files_per_process = (unsigned)num(o, "files_per_process", 4);
	l->disk_rate = num(o, "disk_rate", 0);
	l->disks = (unsigned)num(o, "disks", 1);
	l->write_percent = (unsigned)num(o, "write_percent", 30);
	static const char *const dk[5] = {"quantum_us", "ready_dpc_us", "syscall_us", "file_us",
					  "disk_us"};
	struct etlgen_dist *dd[5] = {&l->quantum_us, &l->ready_dpc_us, &l->syscall_us, &l->file_us,
				     &l->disk_us};
	for (int k = 0; k < 5; k++)
		if (dist_of(cJSON_GetObjectItemCaseSensitive(o, dk[k]), dd[k], msg, n))
			return -1;
	uint32_t pid = (uint32_t)num(o, "first_pid", 6000);
	if (!(l->processes = calloc(l->n_processes, sizeof *l->processes)))
		goto oom;
	for (unsigned k = 0; k < l->n_processes; k++) {
		char name[32];
		snprintf(name, sizeof name, "svc%02u.exe", k + 1);
		l->processes[k].pid = pid + 4 * k;
		if (!(l->processes[k].name = strdup(name)) || !(l->processes[k].command_line = strdup(name)))
			goto oom;
	}
	return 0;
oom:
	snprintf(msg, n, "out of memory");
	return -1;
}

/* "syscalls": {count, cpu, tid, module, offset, duration_us, gap_us, sample_every},
 * "ready_wait": {count, cpu, tid, wait_reason, dpc_module, run_us, wait_us, ready_us}. */
static int parse_sched(const cJSON *root, struct etlgen_scenario *s, char *msg, size_t n)
{
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "syscalls");
	const cJSON *rw = cJSON_GetObjectItemCaseSensitive(root, "ready_wait");
	(void)msg;
	(void)n;
	if (cJSON_IsObject(sc)) {
		struct etlgen_syscalls *c = &s->syscalls;
		c->count = (unsigned)num(sc, "count", 0);
		c->cpu = (unsigned)num(sc, "cpu", 0);
		c->tid = (uint32_t)num(sc, "tid", 2000);
		c->module = module_named(s, sc, "module");
		c->offset = (uint64_t)num(sc, "offset", 0);
		c->duration_ticks = ticks(s, sc, "duration_us");
		c->gap_ticks = ticks(s, sc, "gap_us");
		c->sample_every = (unsigned)num(sc, "sample_every", 0);
	}
	if (cJSON_IsObject(rw)) {
		struct etlgen_readywait *c = &s->readywait;
		c->count = (unsigned)num(rw, "count", 0);
		c->cpu = (unsigned)num(rw, "cpu", 0);
		c->tid = (uint32_t)num(rw, "tid", 3000);
		c->wait_reason = (uint8_t)num(rw, "wait_reason", 15);
		c->dpc_module = module_named(s, rw, "dpc_module");
		c->run_ticks = ticks(s, rw, "run_us");
		c->wait_ticks = ticks(s, rw, "wait_us");
		c->ready_ticks = ticks(s, rw, "ready_us");
	}
	if (parse_diskio(root, s, msg, n) || parse_minifilter(root, s, msg, n))
		return -1;
	return parse_load(root, s, msg, n);
}

static const char *const kind_names[ETLGEN_KINDS] = {"dpc", "threaded_dpc", "timer_dpc", "isr",
						     "isr_msi"};

static cJSON *agg_json(const struct etlgen_agg *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", (double)a->count);
	cJSON_AddNumberToObject(o, "total_ns", (double)a->total_ns);
	cJSON_AddNumberToObject(o, "max_ns", (double)a->max_ns);
	return o;
}

/* Sums of the busy-machine story's threads: a, into o's fields (SCHED_KEYS, the I/O). */
struct load_sum {
	uint64_t sched[7], syscalls, syscall_ns, syscall_samples;
	uint64_t file_n[2], file_bytes[2], file_ns[2], disk_n[2], disk_bytes[2], disk_ns[2];
};

static void load_add(struct load_sum *a, const struct etlgen_load_thread *t)
{
	const uint64_t v[7] = {t->running_ns, t->switches, t->ready_ns, t->ready_spells,
			       t->waiting_ns, t->waits, t->ready_dpc_ns};
	for (int i = 0; i < 7; i++)
		a->sched[i] += v[i];
	a->syscalls += t->syscalls;
	a->syscall_ns += t->syscall_ns;
	a->syscall_samples += t->syscall_samples;
	for (int k = 0; k < 2; k++) {
		a->file_n[k] += t->file_n[k];
		a->file_bytes[k] += t->file_bytes[k];
		a->file_ns[k] += t->file_ns[k];
		a->disk_n[k] += t->disk_n[k];
		a->disk_bytes[k] += t->disk_bytes[k];
		a->disk_ns[k] += t->disk_ns[k];
	}
}

/* The names are the API's selection fields (docs/api.md "The selection"). */
static void load_sched_json(cJSON *o, const uint64_t *v)
{
	static const char *const k[7] = {"running_ns", "switches", "ready_ns", "ready_spells",
					 "waiting_ns", "waits", "ready_behind_dpc_ns"};
	for (int i = 0; i < 7; i++)
		cJSON_AddNumberToObject(o, k[i], (double)v[i]);
}

static void load_io_json(cJSON *o, const struct load_sum *a)
{
	cJSON *sc = cJSON_AddObjectToObject(o, "syscalls");
	cJSON_AddNumberToObject(sc, "count", (double)a->syscalls);
	cJSON_AddNumberToObject(sc, "total_ns", (double)a->syscall_ns);
	cJSON_AddNumberToObject(sc, "samples", (double)a->syscall_samples);
	static const char *const ops[2] = {"read", "write"};
	cJSON *f = cJSON_AddObjectToObject(o, "fileio"), *d = cJSON_AddObjectToObject(o, "diskio");
	for (int k = 0; k < 2; k++) {
		cJSON *x = cJSON_AddObjectToObject(f, ops[k]);
		cJSON_AddNumberToObject(x, "count", (double)a->file_n[k]);
		cJSON_AddNumberToObject(x, "bytes", (double)a->file_bytes[k]);
		cJSON_AddNumberToObject(x, "total_ns", (double)a->file_ns[k]);
		x = cJSON_AddObjectToObject(d, ops[k]);
		cJSON_AddNumberToObject(x, "count", (double)a->disk_n[k]);
		cJSON_AddNumberToObject(x, "bytes", (double)a->disk_bytes[k]);
		cJSON_AddNumberToObject(x, "total_ns", (double)a->disk_ns[k]);
	}
}

/* "load": totals, per process (I/O, scheduling) and per thread (scheduling). */
static void load_json(cJSON *root, const struct etlgen_scenario *s, const struct etlgen_expect *e)
{
	const struct etlgen_load *l = &s->load;
	struct load_sum all = {0};
	cJSON *o = cJSON_AddObjectToObject(root, "load");
	cJSON *thr = cJSON_CreateArray(), *procs = cJSON_CreateArray();
	for (size_t i = 0; i < e->n_load_threads; i++) {
		const struct etlgen_load_thread *t = &e->load_threads[i];
		struct load_sum one = {0};
		load_add(&all, t);
		load_add(&one, t);
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "pid", t->pid);
		cJSON_AddNumberToObject(x, "tid", t->tid);
		load_sched_json(x, one.sched);
		cJSON_AddItemToArray(thr, x);
	}
	for (unsigned k = 0; k < l->n_processes; k++) {
		struct load_sum p = {0};
		for (size_t i = 0; i < e->n_load_threads; i++)
			if (e->load_threads[i].proc == k)
				load_add(&p, &e->load_threads[i]);
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "pid", l->processes[k].pid);
		cJSON_AddStringToObject(x, "name", l->processes[k].name);
		load_sched_json(cJSON_AddObjectToObject(x, "scheduling"), p.sched);
		load_io_json(x, &p);
		cJSON_AddItemToArray(procs, x);
	}
	load_sched_json(cJSON_AddObjectToObject(o, "scheduling"), all.sched);
	load_io_json(o, &all);
	cJSON_AddItemToObject(o, "processes", procs);
	cJSON_AddItemToObject(o, "threads", thr);
}

cJSON *etlgen_expect_json(const struct etlgen_scenario *s, const struct etlgen_expect *e)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "events", (double)e->events);
	cJSON_AddNumberToObject(root, "buffers", (double)e->buffers);
	cJSON_AddNumberToObject(root, "bytes", (double)e->bytes);
	cJSON_AddNumberToObject(root, "samples", (double)e->samples);
	cJSON_AddNumberToObject(root, "samples_unmapped_kernel", (double)e->samples_unmapped_kernel);
	cJSON_AddNumberToObject(root, "samples_unmapped_user", (double)e->samples_unmapped_user);
	/* samples per process: the listed ones, then the default process when it took any */
	cJSON *procs = cJSON_AddArrayToObject(root, "process_samples");
	for (size_t k = 0; e->process_samples && k <= s->n_processes; k++) {
		if (k == s->n_processes && !e->process_samples[k])
			break;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "pid", k < s->n_processes ? s->processes[k].pid :
					s->process_pid ? s->process_pid : ETLGEN_PROCESS_PID);
		cJSON_AddStringToObject(o, "name", k < s->n_processes ? s->processes[k].name : "");
		cJSON_AddNumberToObject(o, "samples", (double)e->process_samples[k]);
		cJSON_AddItemToArray(procs, o);
	}
	cJSON *tot = cJSON_AddObjectToObject(root, "totals");
	uint64_t all = 0;
	for (int k = 0; k < ETLGEN_KINDS; k++) {
		cJSON_AddItemToObject(tot, kind_names[k], agg_json(&e->kind[k]));
		all += e->kind[k].count;
	}
	cJSON_AddNumberToObject(root, "dpcisr", (double)all);
	cJSON *cpus = cJSON_AddArrayToObject(root, "cpus");
	for (unsigned c = 0; c < e->cpus; c++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "cpu", c);
		cJSON_AddNumberToObject(o, "dpcisr", (double)e->cpu_dpcisr[c]);
		cJSON_AddNumberToObject(o, "samples", (double)e->cpu_samples[c]);
		cJSON_AddItemToArray(cpus, o);
	}
	if (s->syscalls.count) {
		cJSON *o = cJSON_AddObjectToObject(root, "syscalls");
		cJSON_AddNumberToObject(o, "count", (double)e->syscalls);
		cJSON_AddNumberToObject(o, "total_ns", (double)e->syscall_total_ns);
		cJSON_AddNumberToObject(o, "max_ns", (double)e->syscall_max_ns);
		cJSON_AddNumberToObject(o, "samples", (double)e->syscall_samples);
	}
	if (s->diskio.reads || s->diskio.writes) {
		cJSON *o = cJSON_AddObjectToObject(root, "diskio");
		static const char *const ops[2] = {"read", "write"};
		for (int k = 0; k < 2; k++) {
			cJSON *a = agg_json(&e->disk[k]);
			cJSON_AddNumberToObject(a, "bytes", (double)e->disk_bytes[k]);
			cJSON_AddItemToObject(o, ops[k], a);
		}
	}
	if (s->diskio.file_reads) {
		cJSON *a = agg_json(&e->file_read);
		cJSON_AddNumberToObject(a, "bytes", (double)e->file_read_bytes);
		cJSON_AddItemToObject(cJSON_AddObjectToObject(root, "fileio"), "read", a);
	}
	if (s->minifilter.creates || s->minifilter.failures || s->minifilter.truncated) {
		cJSON *o = cJSON_AddObjectToObject(root, "minifilter");
		static const char *const phase[2] = {"pre", "post"};
		for (int k = 0; k < 2; k++) {
			cJSON *a = agg_json(&e->flt[k]);
			cJSON_AddNumberToObject(a, "over_1ms", (double)e->flt_over[k][0]);
			cJSON_AddNumberToObject(a, "over_10ms", (double)e->flt_over[k][1]);
			cJSON_AddNumberToObject(a, "over_100ms", (double)e->flt_over[k][2]);
			cJSON_AddItemToObject(o, phase[k], a);
		}
		cJSON_AddNumberToObject(o, "inits", (double)e->flt_inits);
		cJSON_AddNumberToObject(o, "failures", (double)e->flt_failures);
		cJSON_AddNumberToObject(o, "truncated", (double)e->flt_truncated);
	}
	if (s->readywait.count) {
		cJSON *o = cJSON_AddObjectToObject(root, "ready_wait");
		cJSON_AddNumberToObject(o, "tid", s->readywait.tid);
		cJSON_AddNumberToObject(o, "switches", (double)e->rw_switches);
		cJSON_AddNumberToObject(o, "running_ns", (double)e->rw_running_ns);
		cJSON_AddNumberToObject(o, "ready_ns", (double)e->rw_ready_ns);
		cJSON_AddNumberToObject(o, "waiting_ns", (double)e->rw_waiting_ns);
		cJSON_AddNumberToObject(o, "readied_from_dpc", (double)e->rw_readied_from_dpc);
	}
	if (s->load.duration_s > 0 && e->load_threads)
		load_json(root, s, e);
	cJSON *mods = cJSON_AddArrayToObject(root, "modules");
	for (size_t i = 0; i < e->n_modules; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", s->modules[i].name);
		for (int k = 0; k < ETLGEN_KINDS; k++)
			cJSON_AddItemToObject(o, kind_names[k], agg_json(&e->modules[i].kind[k]));
		cJSON_AddNumberToObject(o, "samples_ip", (double)e->modules[i].samples_ip);
		cJSON_AddNumberToObject(o, "samples_on_stack", (double)e->modules[i].samples_on_stack);
		const struct etlgen_module_expect *x = &e->modules[i];
		if (!x->inside_samples)
			goto add;
		cJSON *in = cJSON_AddObjectToObject(o, "inside");
		cJSON_AddNumberToObject(in, "samples", (double)x->inside_samples);
		cJSON_AddNumberToObject(in, "flagged", (double)x->inside_flagged);
		cJSON_AddNumberToObject(in, "with_stack", (double)x->inside_with_stack);
		cJSON *leaf = cJSON_AddObjectToObject(in, "leaf");
		cJSON *stk = cJSON_AddObjectToObject(in, "on_stack");
		for (size_t j = 0; j < e->n_modules; j++) {
			if (x->inside_leaf[j])
				cJSON_AddNumberToObject(leaf, s->modules[j].name, (double)x->inside_leaf[j]);
			if (x->inside_on_stack[j])
				cJSON_AddNumberToObject(stk, s->modules[j].name,
							(double)x->inside_on_stack[j]);
		}
	add:
		cJSON_AddItemToArray(mods, o);
	}
	return root;
}

/* The whole file as a NUL-terminated string (free it); NULL if unreadable. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			char *b = realloc(buf, cap);
			if (!b)
				break;
			buf = b;
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

int etlgen_scenario_load(const char *path, struct etlgen_scenario *s, char *msg, size_t n)
{
	char *json = slurp(path);
	if (!json) {
		snprintf(msg, n, "cannot read %s", path);
		return -1;
	}
	int rc = etlgen_scenario_parse(json, s, msg, n);
	free(json);
	return rc;
}
