/* test_etl_onepass.c — the one-pass ETL ingest gives what the two-pass one gives.
 *
 * A recording sink keeps every record the parser hands out (DPC/ISR, samples with their
 * frames, tasks, scheduling and I/O aggregates, slice facts, warnings, the summary) as text
 * in the order given, with each module id replaced by the module's final facts (path, base,
 * pid, size, times, identity) at the end — module ids themselves differ by design (one pass
 * numbers modules as lookups first meet them). The same trace read with ETL_TWO_PASS and
 * ETL_ONE_PASS must give the same text, on every shared ETL sample and on etlgen scenarios
 * (with and without stacks, compressed, images at the end, the scheduling and I/O story,
 * and stack caching: keys defined at the end, evicted mid-trace and defined again, never
 * defined, a user key shared by two processes). Each case also says which way the one
 * pass must have gone: read once, or started over in two passes for a named reason — the
 * scenarios whose late images or file names change earlier answers must start over
 * (disable the detector and the texts differ), the others must not; the stack-caching
 * ones read once with their key-referencing samples deferred to the end (etl_defer.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "ingest/etl/etl_ingest.h"
#include "tools/etlgen/etlgen.h"

#define SAMPLE(name) SHARED_DIR "/samples/etl/" name

struct text {
	char *s;
	size_t n, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
		va_end(ap);
		assert_true(k >= 0);
		if (t->s && t->n + (size_t)k < t->cap) {
			t->n += (size_t)k;
			return;
		}
		size_t cap = (t->cap + (size_t)k + 1) * 2;
		t->s = realloc(t->s, cap);
		assert_non_null(t->s);
		t->cap = cap;
	}
}

struct rec {
	struct ingest_sink sink;
	struct text out;  /* records; a module id is written as "\x01<id>\x02" */
	struct text *mod; /* final facts of each module, by id */
	size_t n_mod;
	int restarts, updates;
	char mode[32], reason[32];
	double deferred; /* ingest_passes.deferred_samples: samples resolved at the end */
	double keys_unresolved; /* the summary's stack_keys_unresolved */
};

static void put_mod(struct rec *r, int32_t id)
{
	put(&r->out, "\x01%d\x02", (int)id);
}

static void mod_facts(struct text *t, const struct sink_module *m)
{
	t->n = 0;
	put(t, "%s|%s|%llx|%llx|%u|%u|%u|%lld|%lld|%s|%u|%d|%u|%llx", m->path, m->name,
	    (unsigned long long)m->base, (unsigned long long)m->size, m->pid, m->timestamp,
	    m->checksum, (long long)m->load_ns, (long long)m->unload_ns, m->pdb ? m->pdb : "-",
	    m->pdb ? m->pdb_age : 0, m->has_image_id, m->image_timestamp,
	    (unsigned long long)m->image_size);
}

static int on_module(void *ud, const struct sink_module *m, int32_t *id)
{
	struct rec *r = ud;
	r->mod = realloc(r->mod, (r->n_mod + 1) * sizeof *r->mod);
	assert_non_null(r->mod);
	memset(&r->mod[r->n_mod], 0, sizeof *r->mod);
	mod_facts(&r->mod[r->n_mod], m);
	*id = (int32_t)r->n_mod++;
	return 0;
}

static int on_module_update(void *ud, int32_t id, const struct sink_module *m)
{
	struct rec *r = ud;
	assert_true(id >= 0 && (size_t)id < r->n_mod);
	mod_facts(&r->mod[id], m);
	r->updates++;
	return 0;
}

static void rec_clear(struct rec *r)
{
	for (size_t i = 0; i < r->n_mod; i++)
		free(r->mod[i].s);
	free(r->mod);
	r->mod = NULL;
	r->n_mod = 0;
	r->out.n = 0;
}

static int on_restart(void *ud)
{
	struct rec *r = ud;
	rec_clear(r);
	r->restarts++;
	return 0;
}

static int on_dpcisr(void *ud, const struct sink_dpcisr *e)
{
	struct rec *r = ud;
	put(&r->out, "D %lld %u %u %u %llx ", (long long)e->t_ns, e->duration_ns, e->cpu, e->kind,
	    (unsigned long long)e->routine);
	put_mod(r, e->module_id);
	put(&r->out, "\n");
	return 0;
}

static int on_sample(void *ud, const struct sink_cpu_sample *s)
{
	struct rec *r = ud;
	put(&r->out, "S %lld %u %u %u %llx %u %u %u %u ", (long long)s->t_ns, s->cpu, s->pid, s->tid,
	    (unsigned long long)s->ip, s->in_dpcisr, s->ip_kernel, s->covered, s->cover_kind);
	put_mod(r, s->module_id);
	if (s->covered) /* the cover's module means nothing otherwise */
		put_mod(r, s->cover_module_id);
	put(&r->out, " m");
	for (uint32_t i = 0; i < s->n_stack_modules; i++)
		put_mod(r, s->stack_modules[i]);
	put(&r->out, " c");
	for (uint32_t i = 0; i < s->n_module_chain; i++)
		put_mod(r, s->module_chain[i]);
	put(&r->out, " f");
	for (uint32_t i = 0; i < s->n_frames; i++) {
		put(&r->out, " %llx+%llx", (unsigned long long)s->frames[i].addr,
		    (unsigned long long)s->frames[i].offset);
		put_mod(r, s->frames[i].module_id);
	}
	put(&r->out, "\n");
	return 0;
}

static int on_task(void *ud, const struct sink_task *t)
{
	struct rec *r = ud;
	put(&r->out, "T %u %u %lld %u %u %u %s %s\n", t->kind, t->rundown, (long long)t->t_ns,
	    t->pid, t->tid, t->ppid, t->name, t->command_line);
	return 0;
}

static int on_warning(void *ud, const char *code, const char *msg)
{
	struct rec *r = ud;
	put(&r->out, "W %s %s\n", code, msg);
	return 0;
}

static int on_summary(void *ud, const cJSON *s)
{
	struct rec *r = ud;
	cJSON *c = cJSON_Duplicate(s, 1);
	assert_non_null(c);
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "ingest_passes");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(p, "mode");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(p, "redo_reason");
	const cJSON *deferred = cJSON_GetObjectItemCaseSensitive(p, "deferred_samples");
	r->deferred = cJSON_IsNumber(deferred) ? deferred->valuedouble : -1;
	const cJSON *unres = cJSON_GetObjectItemCaseSensitive(s, "stack_keys_unresolved");
	r->keys_unresolved = cJSON_IsNumber(unres) ? unres->valuedouble : -1;
	snprintf(r->mode, sizeof r->mode, "%s", cJSON_IsString(mode) ? mode->valuestring : "");
	snprintf(r->reason, sizeof r->reason, "%s", cJSON_IsString(why) ? why->valuestring : "");
	cJSON_DeleteItemFromObjectCaseSensitive(c, "ingest_passes");
	char *j = cJSON_PrintUnformatted(c);
	assert_non_null(j);
	put(&r->out, "Y %s\n", j);
	free(j);
	cJSON_Delete(c);
	return 0;
}

static int on_syscall(void *ud, const struct sink_syscall *s)
{
	struct rec *r = ud;
	put(&r->out, "SC %u %s %llx %llu %llu %llu %llu ", s->pid, s->process,
	    (unsigned long long)s->address, (unsigned long long)s->count,
	    (unsigned long long)s->total_ns, (unsigned long long)s->max_ns,
	    (unsigned long long)s->samples);
	put_mod(r, s->module_id);
	for (int i = 0; i < SINK_SYSCALL_BUCKETS; i++)
		put(&r->out, " %llu", (unsigned long long)s->hist[i]);
	put(&r->out, "\n");
	return 0;
}

static int on_syscall_module(void *ud, const struct sink_syscall_module *m)
{
	struct rec *r = ud;
	put(&r->out, "SM %u %llu ", m->pid, (unsigned long long)m->samples);
	put_mod(r, m->module_id);
	put(&r->out, "\n");
	return 0;
}

static int on_sched_thread(void *ud, const struct sink_sched_thread *t)
{
	struct rec *r = ud;
	put(&r->out, "ST %u %u %s %llu %llu %llu %llu", t->pid, t->tid, t->process,
	    (unsigned long long)t->running_ns, (unsigned long long)t->ready_ns,
	    (unsigned long long)t->waiting_ns, (unsigned long long)t->switches);
	for (int i = 0; i < SINK_WAIT_REASONS; i++)
		put(&r->out, " %llu/%llu", (unsigned long long)t->wait_count[i],
		    (unsigned long long)t->wait_ns[i]);
	put(&r->out, "\n");
	return 0;
}

static int on_sched_ready(void *ud, const struct sink_sched_ready *x)
{
	struct rec *r = ud;
	put(&r->out, "SR %u %u %u %u %u %s %s %llu %llu\n", x->tid, x->pid, x->by_tid, x->by_pid,
	    x->from_dpc, x->process, x->by_process, (unsigned long long)x->count,
	    (unsigned long long)x->ready_ns);
	return 0;
}

static int on_sched_slice(void *ud, const struct sink_sched_slice *s)
{
	struct rec *r = ud;
	put(&r->out, "SL %u %u %llu", s->cpu, s->slice, (unsigned long long)s->slice_ns);
	for (int i = 0; i < SINK_SLICE_TOP; i++)
		put(&r->out, " %u/%u/%llu", s->tid[i], s->pid[i], (unsigned long long)s->ns[i]);
	put(&r->out, " %llu %llu\n", (unsigned long long)s->other_ns, (unsigned long long)s->idle_ns);
	return 0;
}

static int on_disk_io_row(void *ud, const struct sink_disk_io_row *x)
{
	struct rec *r = ud;
	put(&r->out, "DR %u %u %u %s %llu %llu %llu %llu", x->disk, x->op, x->pid,
	    x->file ? x->file : "-", (unsigned long long)x->count, (unsigned long long)x->bytes,
	    (unsigned long long)x->total_ns, (unsigned long long)x->max_ns);
	for (int i = 0; i < SINK_DISKIO_BUCKETS; i++)
		put(&r->out, " %llu", (unsigned long long)x->hist[i]);
	put(&r->out, "\n");
	return 0;
}

static int on_disk_io_slow(void *ud, const struct sink_disk_io_slow *x)
{
	struct rec *r = ud;
	put(&r->out, "DS %lld %llu %u %u %u %u %llu %u %u %s\n", (long long)x->t_ns,
	    (unsigned long long)x->duration_ns, x->disk, x->op, x->pid, x->tid,
	    (unsigned long long)x->offset, x->size, x->irp_flags, x->file ? x->file : "-");
	return 0;
}

static int on_io_type_count(void *ud, const struct sink_io_type_count *x)
{
	struct rec *r = ud;
	put(&r->out, "IT %u %u %s %llu %llu\n", x->group, x->type, x->name,
	    (unsigned long long)x->count, (unsigned long long)x->undecoded);
	return 0;
}

static int on_disk_queue(void *ud, const struct sink_disk_queue *q)
{
	struct rec *r = ud;
	put(&r->out, "DQ %u %llu", q->disk, (unsigned long long)q->slice_ns);
	for (int i = 0; i < SINK_DISKIO_SLICES; i++)
		put(&r->out, " %.17g", q->busy_ns[i]);
	put(&r->out, "\n");
	return 0;
}

static int on_file_io_row(void *ud, const struct sink_file_io_row *x)
{
	struct rec *r = ud;
	put(&r->out, "FR %u %s %u %s %llu %llu %llu %llu %llu\n", x->op, x->op_name, x->pid,
	    x->file ? x->file : "-", (unsigned long long)x->count,
	    (unsigned long long)x->completed, (unsigned long long)x->bytes,
	    (unsigned long long)x->total_ns, (unsigned long long)x->max_ns);
	return 0;
}

static int on_slice_facts(void *ud, const struct sink_slice_fact *f, size_t n)
{
	struct rec *r = ud;
	for (size_t i = 0; i < n; i++)
		put(&r->out, "SF %u %u %u %u %u %llx %llu %llu %llu %llu\n", f[i].domain, f[i].cpu,
		    f[i].slice, f[i].pid, f[i].tid, (unsigned long long)f[i].key,
		    (unsigned long long)f[i].n, (unsigned long long)f[i].m,
		    (unsigned long long)f[i].ns, (unsigned long long)f[i].bytes);
	return 0;
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof *r);
	r->sink = (struct ingest_sink){
		.ud = r, .module = on_module, .dpcisr = on_dpcisr, .cpu_sample = on_sample,
		.warning = on_warning, .summary = on_summary, .task = on_task,
		.syscall = on_syscall, .syscall_module = on_syscall_module,
		.sched_thread = on_sched_thread, .sched_ready = on_sched_ready,
		.sched_slice = on_sched_slice, .disk_io_row = on_disk_io_row,
		.disk_io_slow = on_disk_io_slow, .io_type_count = on_io_type_count,
		.disk_queue = on_disk_queue, .file_io_row = on_file_io_row,
		.slice_facts = on_slice_facts, .module_update = on_module_update,
		.restart = on_restart,
	};
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The text's lines in sorted order: the aggregates' rows come in hash order (by string
 * pointers), so the records are compared as a multiset; each carries its own times. */
static char *sort_lines(char *s)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	for (char *p = strtok(s, "\n"); p; p = strtok(NULL, "\n")) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof *v);
			assert_non_null(v);
		}
		v[n++] = p;
	}
	qsort(v, n, sizeof *v, line_cmp);
	struct text t = {0};
	put(&t, "%s", "");
	for (size_t i = 0; i < n; i++)
		put(&t, "%s\n", v[i]);
	free(v);
	free(s);
	return t.s;
}

/* The records with every module id replaced by its module's final facts. */
static char *rec_render(struct rec *r)
{
	struct text t = {0};
	put(&t, "%s", "");
	for (size_t i = 0; i < r->out.n; i++) {
		if (r->out.s[i] != '\x01') {
			put(&t, "%c", r->out.s[i]);
			continue;
		}
		long id = strtol(r->out.s + i + 1, NULL, 10);
		if (id >= 0 && (size_t)id < r->n_mod)
			put(&t, "[%s]", r->mod[id].s);
		else
			put(&t, "[%ld]", id);
		while (r->out.s[i] != '\x02')
			i++;
	}
	return sort_lines(t.s);
}

/* Ingest f both ways; the texts must be equal; the one pass's way is returned in *one. */
static void compare(FILE *f, struct rec *one)
{
	struct rec two;
	rec_init(&two);
	struct ingest_error err = {{0}};
	rewind(f);
	int rc2 = etl_ingest_ex(f, ETL_TWO_PASS, &two.sink, &err);
	rewind(f);
	rec_init(one);
	struct ingest_error err1 = {{0}};
	int rc1 = etl_ingest_ex(f, ETL_ONE_PASS, &one->sink, &err1);
	assert_int_equal(rc1, rc2);
	assert_int_equal(rc2, INGEST_OK);
	assert_string_equal(two.mode, "");
	assert_int_equal(two.updates, 0);
	char *a = rec_render(&two), *b = rec_render(one);
	assert_true(strlen(a) > 100);
	if (strcmp(a, b) != 0) { /* the first difference, for whoever reads the failure */
		size_t i = 0;
		while (a[i] == b[i])
			i++;
		size_t from = i > 60 ? i - 60 : 0;
		print_error("two passes: …%.160s\none pass:   …%.160s\n", a + from, b + from);
		const char *dump = getenv("ONEPASS_DUMP"); /* a folder to write both texts to */
		char path[512];
		for (int k = 0; dump && k < 2; k++) {
			snprintf(path, sizeof path, "%s/%s.txt", dump, k ? "one" : "two");
			FILE *o = fopen(path, "w");
			if (o) {
				fputs(k ? b : a, o);
				fclose(o);
			}
		}
	}
	assert_string_equal(a, b);
	free(a);
	free(b);
	rec_clear(&two);
	free(two.out.s);
}

static void check_file(const char *path, const char *mode, const char *reason)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct rec one;
	compare(f, &one);
	fclose(f);
	print_message("%s: %s %s\n", strrchr(path, '/') + 1, one.mode, one.reason);
	assert_string_equal(one.mode, mode);
	assert_string_equal(one.reason, reason);
	rec_clear(&one);
	free(one.out.s);
}

/* The shared samples: xperf/WPR kernel sessions that log their rundown first are read in
 * one pass. The PerfView trace (the one with stack caching) starts over: its thread rundown
 * comes at the end, after samples of those threads (and its FileRundown, after the disk
 * I/O that used the files) — no longer for its stack keys. */
static void test_samples(void **state)
{
	(void)state;
	check_file(SAMPLE("airbus-lxcore_kernel.etl"), "one_pass", "");
	check_file(SAMPLE("airbus-AMSITrace.etl"), "one_pass", "");
	check_file(SAMPLE("airbus-ShutdownPerfDiagLogger.etl"), "one_pass", "");
	check_file(SAMPLE("syzygy-image_data_32_v2.etl"), "one_pass", "");
	check_file(SAMPLE("perfview-net452-x64-compressed.etl"), "two_pass_redo", "thread");
}

struct variant {
	const char *name;
	int compressed, no_stacks, images_at_end, stack_keys;
	int key_defs, user_keys; /* etlgen's stack_key_defs and user_keys */
	const char *mode, *reason; /* what the one pass must do */
	int deferred; /* one pass: 1 if samples must wait for stack keys (etl_defer.h) */
};

/* A scenario file, cut to `seconds`, written with a variant's options, read both ways. */
static void check_scenario(const char *file, double seconds, const struct variant *v)
{
	struct etlgen_scenario s;
	char msg[256];
	assert_int_equal(etlgen_scenario_load(file, &s, msg, sizeof msg), 0);
	if (s.duration_s > 0)
		s.duration_s = seconds;
	if (s.load.duration_s > 0)
		s.load.duration_s = seconds;
	s.compressed = v->compressed;
	s.no_stacks = v->no_stacks;
	s.images_at_end = v->images_at_end;
	s.stack_keys = v->stack_keys;
	s.stack_key_defs = v->key_defs;
	s.user_keys = v->user_keys;
	/* user keys: the first kernel module's samples run in the System process (pid 4),
	 * where the shared user key's frame (in app.exe, of the scenario's process) resolves
	 * to nothing, while every other sample resolves it to app.exe */
	if (v->user_keys) /* the loader's own heap copy: the scenario is ours to change */
		((struct etlgen_module *)s.modules)[0].sample_process = 2;
	FILE *f = tmpfile();
	assert_non_null(f);
	struct etlgen_expect e;
	assert_int_equal(etlgen_write(&s, f, &e, msg, sizeof msg), 0);
	etlgen_expect_free(&e);
	etlgen_scenario_free(&s);
	struct rec one;
	compare(f, &one);
	fclose(f);
	print_message("%s: %s %s (%d restart, %.0f deferred)\n", v->name, one.mode, one.reason,
		      one.restarts, one.deferred);
	assert_string_equal(one.mode, v->mode);
	assert_string_equal(one.reason, v->reason);
	if (strcmp(v->mode, "one_pass") == 0)
		assert_true(v->deferred ? one.deferred > 0 : one.deferred == 0);
	assert_true(v->key_defs == 2 ? one.keys_unresolved > 0 : one.keys_unresolved == 0);
	assert_int_equal(one.restarts, strcmp(v->mode, "two_pass_redo") == 0);
	rec_clear(&one);
	free(one.out.s);
}

static const struct variant field[] = {
	{"stacks", 0, 0, 0, 0, 0, 0, "one_pass", "", 0},
	{"stacks, compressed", 1, 0, 0, 0, 0, 0, "one_pass", "", 0},
	{"no stacks", 0, 1, 0, 0, 0, 0, "one_pass", "", 0},
	{"images at the end", 0, 0, 1, 0, 0, 0, "two_pass_redo", "image", 0},
	{"images at the end, no stacks", 1, 1, 1, 0, 0, 0, "two_pass_redo", "image", 0},
	{"stack keys", 0, 0, 0, 1, 0, 0, "one_pass", "", 1},
	{"stack keys defined in the middle and again at the end", 0, 0, 0, 1, 1, 0, "one_pass",
	 "", 1},
	{"stack keys, one never defined", 1, 0, 0, 1, 2, 0, "one_pass", "", 1},
	{"stack keys, user key shared by two processes", 0, 0, 0, 1, 0, 1, "one_pass", "", 1},
};

static void test_field_story(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof field / sizeof *field; i++)
		check_scenario(SOURCE_DIR "/demo/scenarios/field-before.json", 0.5, &field[i]);
}

/* The scheduling, syscall and I/O story: its files are named by a FileRundown. */
static void test_io_story(void **state)
{
	(void)state;
	static const struct variant io = {"io story", 0, 0, 0, 0, 0, 0, "one_pass", "", 0};
	check_scenario(SOURCE_DIR "/bench/io_busy.json", 0.3, &io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_field_story),
		cmocka_unit_test(test_io_story),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
