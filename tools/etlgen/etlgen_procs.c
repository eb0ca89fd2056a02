/* etlgen_procs.c — the machine and its processes: the scenario's "computer_name" (a
 * SystemConfig CPU event, as xperf/WPR write at trace stop) and "processes" (a Process
 * DCStart v4 rundown each: ids, session, flags, the user's SID, image name, command line),
 * and which thread of which process takes a module's samples on each CPU.
 *
 * Threads: the scenario's own process keeps ids 1000 + cpu (etlgen.c); the Idle process
 * (pid 0) runs thread 0 on every CPU, as Windows' idle threads do; the k-th listed process
 * runs thread 1000 × (k + 2) + cpu. Layouts: ../shared/research/etl-format.md §8.6, §8.7,
 * §8.9. */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "etlgen.h"
#include "ingest/etl/etl_le.h"

int etlgen_procs_parse(const struct cJSON *root, struct etlgen_scenario *s, char *msg, size_t n)
{
	const cJSON *cn = cJSON_GetObjectItemCaseSensitive(root, "computer_name");
	if (cn && (!cJSON_IsString(cn) || strlen(cn->valuestring) > 255)) {
		snprintf(msg, n, "computer_name is a string of at most 255 characters");
		return -1;
	}
	if (cn && !(s->computer_name = strdup(cn->valuestring)))
		goto oom;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "processes");
	const cJSON *intr = cJSON_GetObjectItemCaseSensitive(root, "interrupted_process");
	int np = cJSON_GetArraySize(list);
	if (np <= 0 && !intr)
		return 0;
	if (np > 64) {
		snprintf(msg, n, "at most 64 processes");
		return -1;
	}
	struct etlgen_process *p = calloc(np > 0 ? (size_t)np : 1, sizeof *p);
	if (!p)
		goto oom;
	s->processes = p;
	const cJSON *o;
	cJSON_ArrayForEach(o, list) {
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "pid");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
		const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(o, "command_line");
		if (!cJSON_IsNumber(pid) || pid->valuedouble < 0 || pid->valuedouble > 4294967295.0 ||
		    !cJSON_IsString(name) || strlen(name->valuestring) > 255 ||
		    (cmd && (!cJSON_IsString(cmd) || strlen(cmd->valuestring) > 1024))) {
			snprintf(msg, n, "process %zu: pid, name (≤ 255) and optional command_line (≤ 1024)",
				 s->n_processes);
			return -1;
		}
		p->pid = (uint32_t)pid->valuedouble;
		p->name = strdup(name->valuestring);
		p->command_line = strdup(cmd ? cmd->valuestring : "");
		s->n_processes++;
		if (!p->name || !p->command_line)
			goto oom;
		p++;
	}
	if (intr) {
		int k = cJSON_IsNumber(intr) ? etlgen_procs_find(s, (uint32_t)intr->valuedouble) : -1;
		if (k < 0) {
			snprintf(msg, n, "interrupted_process is the pid of a listed process");
			return -1;
		}
		s->interrupted_process = k + 1;
	}
	return 0;
oom:
	snprintf(msg, n, "out of memory");
	return -1;
}

int etlgen_procs_find(const struct etlgen_scenario *s, uint32_t pid)
{
	for (size_t k = 0; k < s->n_processes; k++)
		if (s->processes[k].pid == pid)
			return (int)k;
	return -1;
}

size_t etlgen_procs_slot(const struct etlgen_scenario *s, int sample_process)
{
	if (sample_process)
		return (size_t)sample_process - 1;
	int k = etlgen_procs_find(s, s->process_pid ? s->process_pid : ETLGEN_PROCESS_PID);
	return k >= 0 ? (size_t)k : s->n_processes;
}

void etlgen_procs_free(struct etlgen_scenario *s)
{
	struct etlgen_process *p = (struct etlgen_process *)s->processes;
	for (size_t k = 0; p && k < s->n_processes; k++) {
		free((char *)p[k].name);
		free((char *)p[k].command_line);
	}
	free(p);
	free((char *)s->computer_name);
}

void etlgen_sample_thread(const struct etlgen_scenario *s, int sample_process, unsigned cpu,
			  uint32_t *pid, uint32_t *tid)
{
	if (!sample_process) {
		*pid = s->process_pid ? s->process_pid : ETLGEN_PROCESS_PID;
		*tid = 1000 + cpu;
		return;
	}
	size_t k = (size_t)(sample_process - 1);
	*pid = s->processes[k].pid;
	*tid = *pid == 0 ? 0 : 1000u * (unsigned)(k + 2) + cpu;
}

/* Process DCStart (3/3) v4 of one process: S-1-5-18 as its user (LocalSystem). */
int etlgen_process_dcstart(struct etlgen_gen *g, const struct etlgen_scenario *s,
			   const struct etlgen_process *pr, uint64_t ts)
{
	unsigned P = s->pointer_size;
	size_t name = strlen(pr->name), cmd = strlen(pr->command_line);
	size_t sid = 2 * P + 12, off = P + 16 + P + 4;
	size_t size = 16 + off + sid + name + 1 + 2 * (cmd + 1) + 2 + 2;
	uint8_t *p = etlgen_event(g, 0, size, 3, 3, ts);
	if (!p)
		return -1;
	etl_put16(p, 4);
	uint8_t *q = p + 16;
	etl_putptr(q, 0xffffc00000000000ull + 0x1000ull * pr->pid, P); /* EPROCESS */
	etl_put32(q + P, pr->pid);
	etl_put32(q + P + 4, pr->pid ? 4 : 0);                      /* parent: System */
	etl_put32(q + P + 8, pr->pid > 4 ? 0 : 0xFFFFFFFFu);          /* session */
	etl_put32(q + P + 12, 259);                                   /* STATUS_PENDING */
	q += off;
	etl_putptr(q, 0xffffc00000100000ull, P);                      /* TOKEN_USER.Sid */
	q += 2 * P;
	q[0] = 1, q[1] = 1;                                           /* revision, 1 sub */
	q[7] = 5;                                                     /* NT authority */
	etl_put32(q + 8, 18);                                         /* LocalSystem */
	q += 12;
	memcpy(q, pr->name, name + 1);
	q += name + 1;
	for (size_t i = 0; i < cmd; i++)
		etl_put16(q + 2 * i, (uint8_t)pr->command_line[i]);
	/* the terminator, then empty PackageFullName and ApplicationId: zeros already */
	return 0;
}

int etlgen_procs_rundown(struct etlgen_gen *g, const struct etlgen_scenario *s, uint64_t ts)
{
	for (size_t k = 0; k < s->n_processes; k++) {
		if (etlgen_process_dcstart(g, s, &s->processes[k], ts))
			return -1;
		int sampled = s->interrupted_process == (int)k + 1;
		for (size_t i = 0; i < s->n_modules; i++)
			sampled |= s->modules[i].sample_process == (int)k + 1 &&
				    s->modules[i].sample_weight > 0 && s->sample_rate_hz > 0;
		for (unsigned cpu = 0; sampled && cpu < s->cpus; cpu++) {
			uint32_t pid, tid;
			etlgen_sample_thread(s, (int)k + 1, cpu, &pid, &tid);
			if (etlgen_thread_dcstart(g, s, cpu, pid, tid, ts))
				return -1;
		}
	}
	return 0;
}

int etlgen_procs_sysconfig(struct etlgen_gen *g, const struct etlgen_scenario *s, uint64_t ts)
{
	if (!s->computer_name)
		return 0;
	unsigned P = s->pointer_size;
	uint8_t *p = etlgen_event(g, 0, 16 + 800 + P, 11, 10, ts);
	if (!p)
		return -1;
	uint8_t *q = p + 16;
	etl_put32(q, 2600);            /* MHz */
	etl_put32(q + 4, s->cpus);
	etl_put32(q + 8, 65536);       /* MB */
	etl_put32(q + 12, 4096);       /* page size */
	etl_put32(q + 16, 65536);      /* allocation granularity */
	for (size_t i = 0; s->computer_name[i]; i++)
		etl_put16(q + 20 + 2 * i, (uint8_t)s->computer_name[i]);
	return 0;
}
