/* test_etl_flt.c — minifilter delays (ingest/etl/etl_fltio.c, etl_fltagg.c, the ingest's
 * checks): every layout check on hand-built records, the major function names of wdm.h and
 * fltKernel.h, the 99 % rule at its edge, and two etlgen scenarios through the whole
 * ingest for both pointer sizes: "one third-party filter delays every file create" (the
 * candidate layout: the exact table, computed by hand below from the scenario's numbers)
 * and the same story with MajorFunction first (refused: no table, a warning); the
 * FileObject slot pinned by the FileIo evidence: the rule and the set by table, the file
 * object in each of the four data-pointer slots with two files, no FileIo event (no file,
 * a warning), and Windows 8+ naming through the FileKey. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "etl_test_sink.h"
#include "ingest/etl/etl_fltagg.h"
#include "ingest/etl/etl_fltio.h"
#include "ingest/etl/etl_fltpin.h"
#include "ingest/etl/etl_ingest.h"
#include "ingest/etl/etl_le.h"
#include "etlgen.h"

/* ---- single records ---- */

#define K8 0xFFFFF80000000000ull /* a kernel-space address at P = 8 */

static struct etl_event event(uint8_t type, unsigned P, const uint8_t *p, size_t n, uint64_t ts)
{
	struct etl_event ev;
	memset(&ev, 0, sizeof ev);
	ev.group = 4;
	ev.type = type;
	ev.pointer_size = (uint8_t)P;
	ev.payload = p;
	ev.payload_len = n;
	ev.timestamp = ts;
	return ev;
}

/* A PreOpCompletion at P = 8 by hand: InitialTime, 5 pointers, MajorFunction. */
static size_t completion8(uint8_t *b, uint64_t initial, const uint64_t ptr[5], uint32_t major)
{
	etl_put64(b, initial);
	for (int i = 0; i < 5; i++)
		etl_put64(b + 8 + 8 * i, ptr[i]);
	etl_put32(b + 48, major);
	return 52;
}

static void test_check_each(void **state)
{
	(void)state;
	const uint64_t good[5] = {K8 + 0x1000, K8 + 0x100000000ull, 0, K8 + 0x200000000ull,
				  K8 + 0x300000000ull};
	const struct etl_flt_lookup in_routine = {{1, 0, 0, 0, 0}};
	static const struct {
		int slot;          /* pointer to change (-1 none) */
		uint64_t value;
		uint32_t major;
		uint64_t initial;
		int routine_in_image, object_in_image;
		size_t cut;        /* bytes of payload beyond the candidate (+) */
		unsigned want;
	} cases[] = {
		{-1, 0, 0, 900, 1, 0, 0, 0},                        /* fits */
		{-1, 0, 0x1b, 900, 1, 0, 0, 0},                     /* IRP_MJ_PNP */
		{-1, 0, 0xFF, 900, 1, 0, 0, 0},                     /* (UCHAR)-1 */
		{-1, 0, 0xEC, 900, 1, 0, 0, 0},                     /* (UCHAR)-20 */
		{-1, 0, 0x1c, 900, 1, 0, 0, ETL_FLTC_MAJOR},        /* past IRP_MJ_PNP */
		{-1, 0, 0xF8, 900, 1, 0, 0, ETL_FLTC_MAJOR},        /* (UCHAR)-8: not defined */
		{-1, 0, 0xFFFFFFFF, 900, 1, 0, 0, ETL_FLTC_MAJOR},  /* not a byte */
		{-1, 0, 0, 900, 0, 0, 0, ETL_FLTC_ROUTINE},         /* routine outside images */
		{0, 0x7FF600001000ull, 0, 900, 1, 0, 0, ETL_FLTC_ROUTINE}, /* user space */
		{1, 0, 0, 900, 1, 0, 0, ETL_FLTC_POINTER},          /* no FileObject */
		{1, 0, 0, 900, 1, 1, 0, ETL_FLTC_POINTER},          /* FileObject in an image */
		{4, 0x10000, 0, 900, 1, 0, 0, ETL_FLTC_POINTER},    /* CallbackData user space */
		{3, 0x10000, 0, 900, 1, 0, 0, ETL_FLTC_POINTER},    /* IrpPtr user space */
		{2, 0x10000, 0, 900, 1, 0, 0, ETL_FLTC_POINTER},    /* FileContext user space */
		{-1, 0, 0, 99, 1, 0, 0, ETL_FLTC_TIME},             /* before the trace */
		{-1, 0, 0, 1001, 1, 0, 0, ETL_FLTC_TIME},           /* after its own event */
		{-1, 0, 0, 1000, 1, 0, 0, 0},                       /* a zero delay */
		{-1, 0, 0, 900, 1, 0, 4, ETL_FLTC_SIZE},            /* 4 bytes too many */
		{-1, 0, 0x1c, 99, 0, 0, 0, ETL_FLTC_MAJOR | ETL_FLTC_TIME | ETL_FLTC_ROUTINE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t ptr[5];
		memcpy(ptr, good, sizeof ptr);
		if (cases[i].slot >= 0)
			ptr[cases[i].slot] = cases[i].value;
		uint8_t b[64] = {0};
		size_t n = completion8(b, cases[i].initial, ptr, cases[i].major) + cases[i].cut;
		struct etl_event ev = event(ETL_FLT_PRE_COMPLETION, 8, b, n, 1000);
		struct etl_fltio f;
		assert_int_equal(etl_decode_fltio(&ev, &f), 0);
		assert_int_equal(f.initial_time, cases[i].initial);
		assert_int_equal(f.ptr[0], ptr[0]);
		assert_int_equal(f.major, cases[i].major);
		struct etl_flt_lookup lk = in_routine;
		lk.in_image[0] = (uint8_t)cases[i].routine_in_image;
		lk.in_image[1] = (uint8_t)cases[i].object_in_image;
		unsigned got = etl_fltio_check(&f, &ev, 100, &lk);
		if (got != cases[i].want)
			fail_msg("case %zu: checks 0x%x, want 0x%x", i, got, cases[i].want);
	}
}

static void test_decode_sizes(void **state)
{
	(void)state;
	static const struct { uint8_t type; unsigned P; size_t n; } sizes[] = {
		{0x60, 8, 44}, {0x61, 4, 24}, {0x62, 8, 52}, {0x63, 4, 32}, {0x64, 8, 48},
		{0x65, 4, 28},
	};
	uint8_t b[64];
	memset(b, 0x11, sizeof b);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct etl_fltio f;
		struct etl_event ev = event(sizes[i].type, sizes[i].P, b, sizes[i].n, 1);
		assert_int_equal(etl_fltio_size(sizes[i].type, sizes[i].P), sizes[i].n);
		assert_int_equal(etl_decode_fltio(&ev, &f), 0);
		assert_int_equal(f.post, sizes[i].type & 1);
		ev.payload_len = sizes[i].n - 1; /* one byte short: counted, not read */
		assert_int_equal(etl_decode_fltio(&ev, &f), -1);
	}
	struct etl_fltio f;
	struct etl_event ev = event(0x66, 8, b, 64, 1);
	assert_int_equal(etl_decode_fltio(&ev, &f), 1);
	/* a failure's Status follows MajorFunction */
	memset(b, 0, sizeof b);
	etl_put32(b + 40, 3);
	etl_put32(b + 44, 0xC0000022);
	ev = event(ETL_FLT_POST_FAILURE, 8, b, 48, 1);
	assert_int_equal(etl_decode_fltio(&ev, &f), 0);
	assert_int_equal(f.major, 3);
	assert_int_equal(f.status, 0xC0000022);
	assert_int_equal(f.failure, 1);
}

static void test_major_names(void **state)
{
	(void)state;
	static const struct { uint32_t v; const char *name; } cases[] = {
		{0, "IRP_MJ_CREATE"}, {3, "IRP_MJ_READ"}, {0x12, "IRP_MJ_CLEANUP"},
		{0x1b, "IRP_MJ_PNP"}, {0x1c, NULL}, {0xFF, "IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION"},
		{0xF9, "IRP_MJ_QUERY_OPEN"}, {0xF8, NULL}, {0xF4, NULL},
		{0xF3, "IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE"}, {0xEC, "IRP_MJ_VOLUME_DISMOUNT"},
		{0xEB, NULL}, {0xD8, "IRP_MJ_TRANSACTION_NOTIFY"}, {0x100, NULL}, {0xFFFFFFFF, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = etl_flt_major_name(cases[i].v);
		if (cases[i].name)
			assert_string_equal(got, cases[i].name);
		else
			assert_null(got);
	}
}

/* ---- the 99 % rule ---- */

static void test_rule_edge(void **state)
{
	(void)state;
	/* of 256 checked, 254 fit (99.2 %): decoded; 253 (98.8 %): refused */
	static const struct { unsigned bad; int state; uint64_t rows_count; } cases[] = {
		{2, ETL_FLT_DECODED, 254}, {3, ETL_FLT_REJECTED, 0}, {0, ETL_FLT_DECODED, 256},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct etl_fltagg a;
		etl_fltagg_init(&a);
		for (unsigned i = 0; i < 300; i++) {
			struct etl_flt_rec x;
			memset(&x, 0, sizeof x);
			x.f.type = ETL_FLT_PRE_COMPLETION;
			x.f.completion = 1;
			x.bad = i < cases[c].bad ? ETL_FLTC_MAJOR : 0;
			x.delay_ns = 1000;
			x.module = 3;
			assert_int_equal(etl_fltagg_add(&a, &x), 0);
			if (i == 254) /* the 255th: still held */
				assert_int_equal(a.state, ETL_FLT_PROBING);
			if (i == 255)
				assert_int_equal(a.state, cases[c].state);
		}
		assert_int_equal(etl_fltagg_finish(&a), 0);
		assert_int_equal(a.state, cases[c].state);
		assert_int_equal(a.decided_at, 256);
		assert_int_equal(a.decided_valid, 256 - cases[c].bad);
		uint64_t count = 0;
		for (size_t i = 0; i < a.rows_cap; i++)
			count += a.rows[i].used ? a.rows[i].r.count : 0;
		/* decoded: the valid ones of the probe, then all 44 later ones */
		assert_int_equal(count, cases[c].rows_count ? cases[c].rows_count + 44 : 0);
		assert_int_equal(a.after_reject, cases[c].state == ETL_FLT_REJECTED ? 44 : 0);
		etl_fltagg_free(&a);
	}
}

/* The slot rule (etl_fltpin_choose) over the four FileObject candidates (FileObject,
 * FileContext, IrpPtr, CallbackDataPtr), worked out by hand from its statement: at least
 * 4 matches and half of the records, every other slot at most a quarter of the best. */
static void test_pin_rule(void **state)
{
	(void)state;
	static const struct { uint64_t m[4], records; int want; } cases[] = {
		{{256, 0, 0, 0}, 256, 0},   /* every record: the candidate's own slot */
		{{0, 0, 200, 0}, 256, 2},   /* IrpPtr holds the FileObject */
		{{0, 0, 0, 128}, 256, 3},   /* exactly half */
		{{0, 0, 0, 127}, 256, -1},  /* under half */
		{{4, 0, 0, 0}, 4, 0},       /* the minimum */
		{{3, 0, 0, 0}, 3, -1},      /* too few, though all */
		{{0, 0, 0, 0}, 256, -1},    /* no FileIo evidence */
		{{0, 0, 0, 0}, 0, -1},      /* no record */
		{{200, 50, 0, 0}, 256, 0},  /* the other at a quarter */
		{{200, 51, 0, 0}, 256, -1}, /* the other above a quarter: not clear */
		{{100, 100, 0, 0}, 200, -1}, /* a tie */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = etl_fltpin_choose(cases[i].m, 4, cases[i].records);
		if (got != cases[i].want)
			fail_msg("case %zu: slot %d, want %d", i, got, cases[i].want);
	}
}

/* The FileObject set: keys kept and updated, 0 never stored, bounded (later objects are
 * counted as dropped, the first ones still answer). */
static void test_pin_set(void **state)
{
	(void)state;
	struct etl_fltpin p;
	etl_fltpin_init(&p);
	uint64_t key = 7;
	assert_int_equal(etl_fltpin_has(&p, 0x1000, &key), 0);
	assert_int_equal(etl_fltpin_note(&p, 0, 5), 0);
	assert_int_equal(p.seen.n, 0);
	assert_int_equal(etl_fltpin_note(&p, 0x1000, 0), 0);
	assert_int_equal(etl_fltpin_has(&p, 0x1000, &key), 1);
	assert_int_equal(key, 0);
	assert_int_equal(etl_fltpin_note(&p, 0x1000, 0xABC0), 0); /* a Read gives its key */
	assert_int_equal(etl_fltpin_note(&p, 0x1000, 0), 0);      /* a Close does not erase it */
	assert_int_equal(etl_fltpin_has(&p, 0x1000, &key), 1);
	assert_int_equal(key, 0xABC0);
	for (uint64_t i = 1; i <= ETL_FLTPIN_MAX_OBJECTS + 10; i++)
		assert_int_equal(etl_fltpin_note(&p, 0x1000 + i * 0x40, 0), 0);
	assert_int_equal(p.seen.n, ETL_FLTPIN_MAX_OBJECTS);
	assert_int_equal(p.dropped, 11); /* 0x1000 itself took the first place */
	assert_int_equal(etl_fltpin_has(&p, 0x1000 + 0x40, NULL), 1);
	assert_int_equal(etl_fltpin_has(&p, 0x1000 + (ETL_FLTPIN_MAX_OBJECTS + 10) * 0x40ull, NULL), 0);
	etl_fltpin_free(&p);
}

/* ---- whole ingest of etlgen scenarios ---- */

struct cap {
	struct test_sink t; /* first: the sink's ud */
	struct sink_flt_row rows[8];
	size_t n_rows;
	struct sink_flt_slow slow[SINK_FLT_SLOWEST];
	size_t n_slow;
	uint64_t type_count[256], type_undecoded[256];
	char file[64];                   /* the last row's file, "(none)" */
	char row_file[8][64], slow_file[SINK_FLT_SLOWEST][64]; /* the names die with the ingest */
};

static int cap_row(void *ud, const struct sink_flt_row *r)
{
	struct cap *c = ud;
	if (c->n_rows < 8) {
		snprintf(c->row_file[c->n_rows], sizeof c->row_file[0], "%s", r->file ? r->file : "(none)");
		c->rows[c->n_rows++] = *r;
		snprintf(c->file, sizeof c->file, "%s", r->file ? r->file : "(none)");
	}
	return 0;
}

static int cap_slow(void *ud, const struct sink_flt_slow *s)
{
	struct cap *c = ud;
	snprintf(c->slow_file[c->n_slow], sizeof c->slow_file[0], "%s", s->file ? s->file : "(none)");
	c->slow[c->n_slow++] = *s;
	return 0;
}

static int cap_type(void *ud, const struct sink_io_type_count *t)
{
	struct cap *c = ud;
	if (t->group == 4) {
		c->type_count[t->type] = t->count;
		c->type_undecoded[t->type] = t->undecoded;
	}
	return 0;
}

static const struct etlgen_module mods8[] = {
	{.name = "ntoskrnl.exe", .base = 0xfffff80000000000ull, .size = 0x1000000},
	{.name = "scanner.sys", .base = 0xfffff88002000000ull, .size = 0x40000},
};
static const struct etlgen_module mods4[] = {
	{.name = "ntoskrnl.exe", .base = 0x82000000ull, .size = 0x1000000},
	{.name = "scanner.sys", .base = 0x8a000000ull, .size = 0x40000},
};

#define MDF "\\Device\\HarddiskVolume2\\data\\orders.mdf"
#define LDF "\\Device\\HarddiskVolume2\\data\\orders.ldf"

/* Variants of the story: where the file object sits, a second file, no FileIo event. */
struct story_opts { unsigned file_slot; int two_files, no_file_events, keyed_reads; };

/* The story: 300 creates of C:\data\orders.mdf by thread 4100 of the scenario's process,
 * each delayed 2 ms then 12 ms (alternately) by scanner.sys's pre-create callback and
 * 0.5 ms by its post-create callback; 2 pre-create failures; 3 truncated completions.
 * With two_files, the odd (12 ms) creates are of orders.ldf. */
static void ingest_story_opts(struct cap *c, unsigned P, int major_first, int one_pass,
			      const struct story_opts *o)
{
	struct etlgen_scenario s = {.cpus = 2, .pointer_size = P, .buffer_size = 65536,
				    .duration_s = 0.01, .seed = 7, .qpc_frequency = 10000000,
				    .build = 19041, .dpc_groups_enabled = 1,
				    .modules = P == 8 ? mods8 : mods4, .n_modules = 2};
	s.minifilter = (struct etlgen_minifilter){
		.creates = 300, .failures = 2, .truncated = 3, .cpu = 1, .tid = 4100, .module = 1,
		.file_object = P == 8 ? 0xFFFFD00012345670ull : 0xC1234560ull,
		.file = MDF,
		.pre_ticks = {20000, 120000}, .n_pre = 2, .post_ticks = {5000}, .n_post = 1,
		.gap_ticks = 1000, .major_first = major_first, .file_slot = o->file_slot,
		.no_file_events = o->no_file_events};
	if (o->keyed_reads) { /* Windows 8+: 2 FileIo Reads give the object's FileKey, the
			       * rundown names the key, not the object */
		s.diskio = (struct etlgen_diskio){.cpu = 1, .tid = 4100, .file = MDF,
			.file_object = s.minifilter.file_object,
			.file_key = P == 8 ? 0xFFFFC00055550000ull : 0xC5550000ull,
			.file_reads = 2, .file_read_size = 4096, .file_ticks = 100, .gap_ticks = 10};
	}
	if (o->two_files) {
		s.minifilter.file2 = LDF;
		s.minifilter.file_object2 = P == 8 ? 0xFFFFD00012349990ull : 0xC1239990ull;
	}
	char msg[256] = "";
	FILE *f = tmpfile();
	assert_non_null(f);
	if (etlgen_write(&s, f, NULL, msg, sizeof msg) != 0)
		fail_msg("etlgen: %s", msg);
	rewind(f);
	memset(c, 0, sizeof *c);
	test_sink_init(&c->t);
	c->t.sink.flt_row = cap_row;
	c->t.sink.flt_slow = cap_slow;
	c->t.sink.io_type_count = cap_type;
	struct ingest_error err = {{0}};
	int rc = one_pass ? etl_ingest_ex(f, ETL_ONE_PASS, &c->t.sink, &err)
			  : etl_ingest(f, &c->t.sink, &err);
	if (rc != INGEST_OK)
		fail_msg("ingest: %d %s", rc, err.message);
	fclose(f);
}

static void ingest_story(struct cap *c, unsigned P, int major_first, int one_pass)
{
	const struct story_opts plain = {0};
	ingest_story_opts(c, P, major_first, one_pass, &plain);
}

static void test_story_candidate(void **state)
{
	(void)state;
	static const struct { unsigned P; int one_pass; } runs[] = {{8, 0}, {4, 0}, {8, 1}};
	for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
		struct cap c;
		ingest_story(&c, runs[k].P, 0, runs[k].one_pass);
		assert_int_equal(c.n_rows, 2); /* pre and post of (scanner.sys, IRP_MJ_CREATE) */
		const struct sink_flt_row *pre = c.rows[0].post ? &c.rows[1] : &c.rows[0];
		const struct sink_flt_row *post = c.rows[0].post ? &c.rows[0] : &c.rows[1];
		assert_int_equal(pre->post, 0);
		assert_int_equal(post->post, 1);
		assert_true(pre->module >= 0 && (size_t)pre->module < c.t.n_mods);
		assert_string_equal(c.t.mods[pre->module].name, "scanner.sys");
		assert_int_equal(post->module, pre->module);
		assert_int_equal(pre->major, 0);
		assert_string_equal(pre->major_name, "IRP_MJ_CREATE");
		assert_int_equal(pre->pid, ETLGEN_PROCESS_PID);
		assert_string_equal(c.file, MDF);
		/* pre: 150 × 2 ms + 150 × 12 ms = 2100 ms; all over 1 ms, 150 over 10 ms;
		 * post: 300 × 0.5 ms = 150 ms, none over 1 ms */
		static const uint64_t want[2][8] = {
			{300, 300, 2, 2100000000ull, 12000000, 300, 150, 0},
			{300, 0, 0, 150000000ull, 500000, 0, 0, 0}};
		const struct sink_flt_row *got[2] = {pre, post};
		for (int ph = 0; ph < 2; ph++) {
			const uint64_t have[8] = {got[ph]->count, got[ph]->inits, got[ph]->failures,
						  got[ph]->total_ns, got[ph]->max_ns, got[ph]->over[0],
						  got[ph]->over[1], got[ph]->over[2]};
			for (int i = 0; i < 8; i++)
				if (have[i] != want[ph][i])
					fail_msg("%s field %d: %llu, want %llu", ph ? "post" : "pre", i,
						 (unsigned long long)have[i],
						 (unsigned long long)want[ph][i]);
		}
		/* slowest: 20 of the 12 ms pre-creates */
		assert_int_equal(c.n_slow, SINK_FLT_SLOWEST);
		assert_int_equal(c.slow[0].delay_ns, 12000000);
		assert_int_equal(c.slow[19].delay_ns, 12000000);
		assert_int_equal(c.slow[0].tid, 4100);
		assert_int_equal(c.slow[0].post, 0);
		/* counted per type: decoded = those that fit; the 3 truncated ones are not */
		assert_int_equal(c.type_count[0x60], 300);
		assert_int_equal(c.type_undecoded[0x60], 0);
		assert_int_equal(c.type_count[0x62], 303);
		assert_int_equal(c.type_undecoded[0x62], 3);
		assert_int_equal(c.type_count[0x64], 2);
		assert_int_equal(c.type_undecoded[0x64], 0);
		/* the summary says which way it went, on what evidence */
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(c.t.summary, "minifilter");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "state")->valuestring, "decoded");
		assert_int_equal(test_summary_count(&c.t, "minifilter", "events"), 905);
		assert_int_equal(test_summary_count(&c.t, "minifilter", "short_payloads"), 3);
		assert_int_equal(test_summary_count(&c.t, "minifilter", "checked"), 256);
		assert_int_equal(test_summary_count(&c.t, "minifilter", "valid"), 256);
		const cJSON *slots = cJSON_GetObjectItemCaseSensitive(m, "slot_in_image");
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(slots, "RoutineAddr")->valuedouble, 902);
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(slots, "FileObject")->valuedouble, 0);
		assert_false(test_sink_has_warning(&c.t, "minifilter_layout_rejected"));
		test_sink_free(&c.t);
	}
}

static void test_story_major_first(void **state)
{
	(void)state;
	static const unsigned sizes[] = {8, 4};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		struct cap c;
		ingest_story(&c, sizes[k], 1, 0);
		assert_int_equal(c.n_rows, 0);
		assert_int_equal(c.n_slow, 0);
		assert_true(test_sink_has_warning(&c.t, "minifilter_layout_rejected"));
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(c.t.summary, "minifilter");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "state")->valuestring,
				    "layout_rejected");
		assert_int_equal(test_summary_count(&c.t, "minifilter", "checked"), 256);
		assert_int_equal(test_summary_count(&c.t, "minifilter", "valid"), 0);
		assert_int_equal(test_summary_count(&c.t, "minifilter", "events"), 905);
		assert_int_equal(c.type_undecoded[0x62], 303);
		assert_int_equal(c.type_undecoded[0x60], 300);
		test_sink_free(&c.t);
	}
}

/* The row of (file, pre/post) among the captured ones, NULL if none. */
static const struct sink_flt_row *row_of(const struct cap *c, const char *file, int post)
{
	for (size_t i = 0; i < c->n_rows; i++)
		if (c->rows[i].post == post && strcmp(c->row_file[i], file) == 0)
			return &c->rows[i];
	return NULL;
}

/* A row against {count, inits, failures, total_ns, max_ns, over 1, 10, 100 ms}. */
static void expect_row(const struct sink_flt_row *r, const uint64_t want[8], const char *what)
{
	if (!r)
		fail_msg("%s: no row", what);
	const uint64_t have[8] = {r->count, r->inits, r->failures, r->total_ns, r->max_ns,
				  r->over[0], r->over[1], r->over[2]};
	for (int i = 0; i < 8; i++)
		if (have[i] != want[i])
			fail_msg("%s field %d: %llu, want %llu", what, i, (unsigned long long)have[i],
				 (unsigned long long)want[i]);
}

static double summary_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v))
		fail_msg("summary: no number %s", k);
	return v->valuedouble;
}

static const char *const slot_names[] = {"", "FileObject", "FileContext", "IrpPtr", "CallbackDataPtr"};

/* The summary's file_object and the warning: slot (1–4, 0 = none pinned) with all 256
 * deciding records matching there and none elsewhere, seen FileObjects in the set. */
static void expect_pin(const struct cap *c, unsigned slot, double seen, const char *what)
{
	const cJSON *fo = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(c->t.summary, "minifilter"), "file_object");
	const cJSON *got = cJSON_GetObjectItemCaseSensitive(fo, "slot");
	if (slot ? !cJSON_IsString(got) || strcmp(got->valuestring, slot_names[slot]) != 0
		 : !cJSON_IsNull(got))
		fail_msg("%s: summary slot %s", what, cJSON_IsString(got) ? got->valuestring : "null");
	assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fo, "pinned")), slot != 0);
	assert_int_equal(summary_num(fo, "records"), 256);
	assert_int_equal(summary_num(fo, "file_objects_seen"), seen);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(fo, "matches");
	for (unsigned i = 1; i < 5; i++)
		assert_int_equal(summary_num(m, slot_names[i]), i == slot ? 256 : 0);
	assert_int_equal(test_sink_has_warning(&c->t, "minifilter_file_unpinned"), slot == 0);
}

/* The file object in each of the four data-pointer slots, two files (orders.mdf on the
 * even, 2 ms creates; orders.ldf on the odd, 12 ms ones): the FileIo rundown names pin the
 * slot, and every row and slowest delay carries the right path. Expected by hand from the
 * story: per file 150 creates (pre: 150 × 2 ms = 300 ms or 150 × 12 ms = 1800 ms, post:
 * 150 × 0.5 ms = 75 ms), the failures i = 300 (mdf) and 301 (ldf); the 20 slowest are
 * 12 ms ones, all of orders.ldf. */
static void test_story_slots(void **state)
{
	(void)state;
	static const struct { unsigned P, slot; int one_pass; } runs[] = {
		{8, ETLGEN_FLT_SLOT_FILE_OBJECT, 0}, {8, ETLGEN_FLT_SLOT_FILE_CONTEXT, 0},
		{8, ETLGEN_FLT_SLOT_IRP, 0}, {8, ETLGEN_FLT_SLOT_CALLBACK_DATA, 0},
		{4, ETLGEN_FLT_SLOT_FILE_CONTEXT, 0}, {4, ETLGEN_FLT_SLOT_CALLBACK_DATA, 0},
		{8, ETLGEN_FLT_SLOT_IRP, 1},
	};
	static const uint64_t mdf_pre[8] = {150, 150, 1, 300000000ull, 2000000, 150, 0, 0};
	static const uint64_t ldf_pre[8] = {150, 150, 1, 1800000000ull, 12000000, 150, 150, 0};
	static const uint64_t post[8] = {150, 0, 0, 75000000ull, 500000, 0, 0, 0};
	for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
		struct cap c;
		const struct story_opts o = {.file_slot = runs[k].slot, .two_files = 1};
		ingest_story_opts(&c, runs[k].P, 0, runs[k].one_pass, &o);
		char what[64];
		snprintf(what, sizeof what, "P=%u slot %s%s", runs[k].P, slot_names[runs[k].slot],
			 runs[k].one_pass ? " one pass" : "");
		if (c.n_rows != 4)
			fail_msg("%s: %zu rows, want 4", what, c.n_rows);
		expect_row(row_of(&c, MDF, 0), mdf_pre, "mdf pre");
		expect_row(row_of(&c, LDF, 0), ldf_pre, "ldf pre");
		expect_row(row_of(&c, MDF, 1), post, "mdf post");
		expect_row(row_of(&c, LDF, 1), post, "ldf post");
		assert_int_equal(c.n_slow, SINK_FLT_SLOWEST);
		for (size_t i = 0; i < c.n_slow; i++) {
			assert_int_equal(c.slow[i].delay_ns, 12000000);
			assert_string_equal(c.slow_file[i], LDF);
		}
		expect_pin(&c, runs[k].slot, 2, what);
		test_sink_free(&c.t);
	}
}

/* No FileIo event at all: the layout still validates (2 rows, the delays as in
 * test_story_candidate) but no slot can be pinned — no file on any row or slowest delay,
 * the warning, and the summary's null slot with zero matches. */
static void test_story_no_fileio(void **state)
{
	(void)state;
	static const unsigned sizes[] = {8, 4};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		struct cap c;
		const struct story_opts o = {.no_file_events = 1};
		ingest_story_opts(&c, sizes[k], 0, 0, &o);
		assert_int_equal(c.n_rows, 2);
		expect_row(row_of(&c, "(none)", 0),
			   (const uint64_t[8]){300, 300, 2, 2100000000ull, 12000000, 300, 150, 0}, "pre");
		expect_row(row_of(&c, "(none)", 1),
			   (const uint64_t[8]){300, 0, 0, 150000000ull, 500000, 0, 0, 0}, "post");
		assert_int_equal(c.n_slow, SINK_FLT_SLOWEST);
		for (size_t i = 0; i < c.n_slow; i++)
			assert_string_equal(c.slow_file[i], "(none)");
		expect_pin(&c, 0, 0, "no FileIo");
		test_sink_free(&c.t);
	}
}

/* Windows 8+ naming: the FileObject is never named itself; the Reads pair it with a FileKey
 * that the rundown names. The slot pins on the Reads' object, the path comes through its
 * key (orders.mdf on every row and slowest delay); the set holds the object and the key. */
static void test_story_file_key(void **state)
{
	(void)state;
	static const unsigned sizes[] = {8, 4};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		struct cap c;
		const struct story_opts o = {.no_file_events = 1, .keyed_reads = 1};
		ingest_story_opts(&c, sizes[k], 0, 0, &o);
		assert_int_equal(c.n_rows, 2);
		assert_non_null(row_of(&c, MDF, 0));
		assert_non_null(row_of(&c, MDF, 1));
		assert_int_equal(c.n_slow, SINK_FLT_SLOWEST);
		for (size_t i = 0; i < c.n_slow; i++)
			assert_string_equal(c.slow_file[i], MDF);
		expect_pin(&c, ETLGEN_FLT_SLOT_FILE_OBJECT, 2, "file key");
		test_sink_free(&c.t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_each),
		cmocka_unit_test(test_decode_sizes),
		cmocka_unit_test(test_major_names),
		cmocka_unit_test(test_rule_edge),
		cmocka_unit_test(test_pin_rule),
		cmocka_unit_test(test_pin_set),
		cmocka_unit_test(test_story_candidate),
		cmocka_unit_test(test_story_major_first),
		cmocka_unit_test(test_story_slots),
		cmocka_unit_test(test_story_no_fileio),
		cmocka_unit_test(test_story_file_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
