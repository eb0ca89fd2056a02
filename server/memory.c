/* memory.c — what holds the server's memory, for /api/health's "memory" object: the
 * process's resident set as the kernel counts it (/proc/self/status), malloc's view over
 * all arenas (mallinfo2: live blocks, and freed memory it keeps instead of giving back),
 * SQLite's own allocations (every connection's page cache and statements), and the two
 * caches the server sizes itself: kept run answers (answers.h) and kept stack nodes
 * (db_stk_cache.h). All figures are bytes; a figure the system cannot give is null. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include "db_stk_cache.h"
#include "server.h"

/* "Key:  N kB" lines of /proc/self/status: 0 with rss and hwm set (bytes), -1 */
static int proc_rss(double *rss, double *hwm)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	int got = 0;
	unsigned long long kb;
	while (got != 3 && fgets(line, sizeof line, f)) {
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1) {
			*rss = (double)kb * 1024;
			got |= 1;
		} else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) {
			*hwm = (double)kb * 1024;
			got |= 2;
		}
	}
	fclose(f);
	return got == 3 ? 0 : -1;
}

static void add_or_null(cJSON *o, const char *name, int ok, double v)
{
	if (ok)
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

void server_memory_init(void)
{
	(void)mallinfo2();
}

void server_memory_json(cJSON *o, struct server_ctx *s)
{
	cJSON *m = cJSON_AddObjectToObject(o, "memory");
	double rss = 0, hwm = 0;
	int ok = proc_rss(&rss, &hwm) == 0;
	add_or_null(m, "rss", ok, rss);
	add_or_null(m, "rss_peak", ok, hwm);

	struct mallinfo2 mi = mallinfo2(); /* sums every arena, each under its lock */
	cJSON *h = cJSON_AddObjectToObject(m, "malloc");
	cJSON_AddNumberToObject(h, "in_use", (double)(mi.uordblks + mi.hblkhd));
	cJSON_AddNumberToObject(h, "mapped", (double)mi.hblkhd);
	cJSON_AddNumberToObject(h, "free_kept", (double)mi.fordblks);

	sqlite3_int64 cur = 0, peak = 0;
	ok = sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &peak, 0) == SQLITE_OK;
	add_or_null(m, "sqlite", ok, (double)cur);

	size_t n, bytes;
	answers_stats(&s->answers, &n, &bytes);
	cJSON *a = cJSON_AddObjectToObject(m, "answers");
	cJSON_AddNumberToObject(a, "entries", (double)n);
	cJSON_AddNumberToObject(a, "bytes", (double)bytes);
	cJSON_AddNumberToObject(a, "max_bytes", (double)ANSWERS_MAX_BYTES);

	cJSON *k = cJSON_AddObjectToObject(m, "stack_nodes");
	struct db_stk_cache_stats st = {0};
	if (s->stk_cache)
		db_stk_cache_stats(s->stk_cache, &st);
	cJSON_AddNumberToObject(k, "bytes", (double)st.bytes);
	cJSON_AddNumberToObject(k, "max_bytes", (double)s->cfg.stack_cache);
}
