/* test_blg_units.c — the decoder pieces on their own: counter-type cooking, time-zone
 * rules, CPU numbers from instance names, and the PDH record decoder fed synthetic
 * payloads (single and wildcard records, multi-part reassembly, damaged records). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "blg_build.h"
#include "blg_cook.h"
#include "blg_emit.h"
#include "blg_pdh.h"
#include "blg_tz.h"
#include "ingest.h"

static struct blg_raw raw(int64_t n, int64_t d, uint32_t m, uint64_t f)
{
	struct blg_raw r = { n, d, m, f };
	return r;
}

static void test_cook_formulas(void **state)
{
	double v;
	struct blg_raw a, b;
	(void)state;
	/* rate: 500 events in 2 s of a 1000 Hz clock */
	a = raw(1000, 10000, 1, 1000), b = raw(1500, 12000, 1, 1000);
	assert_int_equal(blg_cook(0x10410400, NULL, &b, &v), BLG_COOK_NEED_PREV);
	assert_int_equal(blg_cook(0x10410400, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 250.0, 1e-12);
	assert_int_equal(blg_cook(0x10410500, &a, &b, &v), BLG_COOK_OK);
	/* 100 ns timer and its inverse */
	a = raw(0, 0 + 1, 1, 10000000), b = raw(250, 1001, 1, 10000000);
	assert_int_equal(blg_cook(0x20510500, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 25.0, 1e-12);
	assert_int_equal(blg_cook(0x21510500, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 75.0, 1e-12);
	/* raw fraction and raw counts need no previous sample */
	b = raw(1, 4, 1, 0);
	assert_int_equal(blg_cook(0x20020400, NULL, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 25.0, 1e-12);
	b = raw(42, 0, 1, 0);
	assert_int_equal(blg_cook(0x00010000, NULL, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 42.0, 0);
	assert_int_equal(blg_cook(0x00010100, NULL, &b, &v), BLG_COOK_OK);
	/* multi timers: 2 CPUs, 150 % busy over the interval → 75 % and 50 % idle-inverse */
	a = raw(0, 1, 2, 10000000), b = raw(1500, 1001, 2, 10000000);
	assert_int_equal(blg_cook(0x22510500, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 75.0, 1e-12);
	assert_int_equal(blg_cook(0x23510500, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 50.0, 1e-12);
	/* averages: 3 ops, 600 ticks at 1000 Hz → 0.2 s per op; idle interval → 0 */
	a = raw(0, 10, 1, 1000), b = raw(600, 13, 1, 1000);
	assert_int_equal(blg_cook(0x30020400, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 0.2, 1e-12);
	assert_int_equal(blg_cook(0x40020500, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 200.0, 1e-12);
	b = raw(0, 10, 1, 1000);
	assert_int_equal(blg_cook(0x30020400, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 0.0, 0);
	/* elapsed time: (D - N) / F */
	b = raw(1000, 6000, 1, 1000);
	assert_int_equal(blg_cook(0x30240500, NULL, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 5.0, 1e-12);
	/* delta, queue length */
	a = raw(5, 100, 1, 10000000), b = raw(9, 110, 1, 10000000);
	assert_int_equal(blg_cook(0x00400400, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 4.0, 0);
	assert_int_equal(blg_cook(0x00550500, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 0.4, 1e-12);
	/* precision timer: base is the private clock in SecondValue */
	assert_int_equal(blg_cook(0x20570500, &a, &b, &v), BLG_COOK_OK);
	assert_float_equal(v, 40.0, 1e-12);
}

static void test_cook_refusals(void **state)
{
	double v = -1;
	struct blg_raw a = raw(100, 100, 1, 1000), b = raw(50, 200, 1, 1000);
	(void)state;
	/* counter went backwards (reboot) */
	assert_int_equal(blg_cook(0x10410400, &a, &b, &v), BLG_COOK_NEGATIVE);
	/* time did not advance */
	b = raw(150, 100, 1, 1000);
	assert_int_equal(blg_cook(0x10410400, &a, &b, &v), BLG_COOK_NO_BASE);
	/* machine off-line: zero time base */
	b = raw(0, 0, 1, 1000);
	assert_int_equal(blg_cook(0x20510500, &a, &b, &v), BLG_COOK_NO_BASE);
	/* inverse timer over 100 %: negative result */
	a = raw(0, 0 + 1, 1, 1), b = raw(200, 101, 1, 1);
	assert_int_equal(blg_cook(0x21510500, &a, &b, &v), BLG_COOK_NEGATIVE);
	/* overflow in the difference */
	a = raw(INT64_MIN, 1, 1, 1), b = raw(INT64_MAX, 2, 1, 1);
	assert_int_equal(blg_cook(0x20510500, &a, &b, &v), BLG_COOK_NEGATIVE);
	/* unknown type, zero base fraction */
	assert_int_equal(blg_cook(0x12345678, &a, &b, &v), BLG_COOK_UNSUPPORTED);
	b = raw(5, 0, 1, 1);
	assert_int_equal(blg_cook(0x20020400, NULL, &b, &v), BLG_COOK_NO_BASE);
	assert_float_equal(v, -1, 0); /* untouched */
}

/* FILETIME of a local date/time */
static int64_t ft(int y, int mo, int d, int h, int mi)
{
	int yy = y - (mo <= 2);
	int era = yy / 400, yoe = yy - era * 400;
	int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t days = (int64_t)era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 584694;
	return (days * 1440 + h * 60 + mi) * 600000000LL;
}

static struct blg_tz pacific(void)
{
	struct blg_tz tz;
	memset(&tz, 0, sizeof tz);
	tz.valid = 1;
	tz.bias = 480;
	tz.dst_bias = -60;
	tz.std_date = (struct blg_systime){ 0, 11, 0, 1, 2, 0, 0, 0 }; /* 1st Sunday Nov 02:00 */
	tz.dst_date = (struct blg_systime){ 0, 3, 0, 2, 2, 0, 0, 0 };  /* 2nd Sunday Mar 02:00 */
	return tz;
}

static void test_tz_rules(void **state)
{
	struct blg_tz tz = pacific();
	(void)state;
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 11, 26, 13, 46)), 480);
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 7, 1, 12, 0)), 420);
	/* 2016: DST from Sunday 13 March 02:00 to Sunday 6 November 02:00 */
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 3, 13, 1, 59)), 480);
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 3, 13, 2, 0)), 420);
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 11, 6, 1, 59)), 420);
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 11, 6, 2, 0)), 480);
	/* 2007 (PAL): 14 August is daylight time */
	tz.bias = 300;
	assert_int_equal(blg_tz_bias_at(&tz, ft(2007, 8, 14, 15, 40)), 240);
	/* southern hemisphere: DST from the last Sunday of October to the first of April */
	tz.bias = -600;
	tz.dst_date = (struct blg_systime){ 0, 10, 0, 5, 2, 0, 0, 0 };
	tz.std_date = (struct blg_systime){ 0, 4, 0, 1, 3, 0, 0, 0 };
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 1, 15, 12, 0)), -660);
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 6, 15, 12, 0)), -600);
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 10, 29, 12, 0)), -600); /* last Sun = 30 */
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 10, 30, 12, 0)), -660);
	/* no daylight saving, invalid tz */
	tz.dst_date.month = 0;
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 1, 15, 12, 0)), -600);
	tz.valid = 0;
	assert_int_equal(blg_tz_bias_at(&tz, ft(2016, 1, 15, 12, 0)), 0);
	/* epoch conversion */
	assert_int_equal(blg_filetime_to_unix_us(116444736000000000LL), 0);
}

static void test_tz_parse(void **state)
{
	uint8_t b[BLG_TZI_SIZE];
	struct blg_tz tz;
	(void)state;
	memset(b, 0, sizeof b);
	b[0] = 0xB4; /* 180 */
	b[4] = 'U', b[6] = 'T', b[8] = 'C';
	assert_int_equal(blg_tz_parse(b, sizeof b, &tz), 0);
	assert_int_equal(tz.bias, 180);
	assert_string_equal(tz.std_name, "UTC");
	assert_int_equal(blg_tz_parse(b, sizeof b - 1, &tz), -1);
	b[3] = 0x7F; /* absurd bias */
	assert_int_equal(blg_tz_parse(b, sizeof b, &tz), -1);
}

static void test_cpu_numbers(void **state)
{
	(void)state;
	assert_int_equal(blg_cpu_of("Processor", "3"), 3);
	assert_int_equal(blg_cpu_of("processor", "12"), 12);
	assert_int_equal(blg_cpu_of("Processor", "_Total"), -1);
	assert_int_equal(blg_cpu_of("Processor Information", "0,5"), 5);
	assert_int_equal(blg_cpu_of("Processor Information", "0,_Total"), -1);
	assert_int_equal(blg_cpu_of("Processor Information", "1,5"), -1);
	assert_int_equal(blg_cpu_of("Processor Information", "_Total"), -1);
	assert_int_equal(blg_cpu_of("Process", "3"), -1);
	assert_int_equal(blg_cpu_of("Processor", NULL), -1);
}

/* --- decoder with synthetic payloads --- */

struct rec {
	struct blg_series_info s[16];
	char names[16][64];
	uint32_t ns;
	size_t nsamples, nvals_last;
	struct blg_value last[16];
	int64_t last_ts;
	char warn[32][32];
	int nwarn;
};

static int r_series(void *ud, const struct blg_series_info *s)
{
	struct rec *r = ud;
	if (r->ns < 16) {
		r->s[r->ns] = *s;
		snprintf(r->names[r->ns], 64, "%s|%s|%s", s->object, s->instance ? s->instance : "-",
			 s->counter);
	}
	r->ns++;
	return 0;
}

static int r_sample(void *ud, int64_t ts, const struct blg_value *v, size_t n)
{
	struct rec *r = ud;
	r->nsamples++;
	r->nvals_last = n;
	r->last_ts = ts;
	if (n)
		memcpy(r->last, v, (n < 16 ? n : 16) * sizeof *v);
	return 0;
}

static int r_warn(void *ud, const char *code, const char *msg)
{
	struct rec *r = ud;
	(void)msg;
	for (int i = 0; i < r->nwarn; i++)
		if (strcmp(r->warn[i], code) == 0)
			return 0; /* distinct codes only */
	if (r->nwarn < 32)
		snprintf(r->warn[r->nwarn++], 32, "%s", code);
	return 0;
}

static int has_warn(const struct rec *r, const char *code)
{
	for (int i = 0; i < r->nwarn; i++)
		if (strcmp(r->warn[i], code) == 0)
			return 1;
	return 0;
}

static struct blg_pdh *new_decoder(struct rec *r)
{
	struct blg_pdh_out out = { r, r_series, r_sample, r_warn };
	memset(r, 0, sizeof *r);
	return blg_pdh_new(&out);
}

static int feed(struct blg_pdh *d, uint8_t type, int64_t ts, const struct bb *b)
{
	struct blg_pdh_event ev = { type, 60, ts, b->b, b->n };
	return blg_pdh_feed(d, &ev);
}

static void build_catalog(struct bb *c)
{
	c->n = 0;
	bb_prefix(c, 1, 1);
	bb_u32(c, 0x6FF);
	bb_u16(c, 8);
	bb_u16(c, 2);
	bb_catalog_entry(c, 0, 0x10410400, 1000, 0, "\\\\HOST", "Processor", "0", "Interrupts/sec");
	bb_catalog_entry(c, 1, 0x20510500, 10000000, 0, "\\\\HOST", "Processor", "*", "% DPC Time");
}

static void build_sample(struct bb *s, int64_t n0, int64_t t0)
{
	size_t cont, multi, blk;
	s->n = 0;
	bb_prefix(s, 1, 1);
	cont = s->n;
	bb_tag(s, 0);
	bb_single(s, 0, 5, n0, t0, 1);
	multi = s->n;
	bb_tag(s, 2);
	blk = s->n;
	bb_u32(s, 0);
	bb_u32(s, 2);
	bb_u32(s, 0);
	bb_u32(s, 0);
	bb_u64(s, 5);
	/* two items, names after them */
	bb_u32(s, 24 + 48);
	bb_u32(s, 1);
	bb_u64(s, (uint64_t)n0);
	bb_u64(s, (uint64_t)t0);
	bb_u32(s, 24 + 48 + 4);
	bb_u32(s, 1);
	bb_u64(s, (uint64_t)(2 * n0));
	bb_u64(s, (uint64_t)t0);
	bb_wstr(s, "0");
	bb_wstr(s, "1");
	bb_pad8(s);
	bb_put32(s, blk, (uint32_t)(s->n - blk));
	bb_put32(s, multi + 4, (uint32_t)(s->n - multi));
	bb_put32(s, cont + 4, (uint32_t)(s->n - cont));
}

static void test_decoder_records(void **state)
{
	struct rec r;
	struct bb *c = calloc(1, sizeof *c), *s = calloc(1, sizeof *s);
	struct blg_pdh *d = new_decoder(&r);
	(void)state;
	build_sample(s, 10, 100);
	assert_int_equal(feed(d, 0x22, 7, s), 0); /* before the catalog */
	assert_true(has_warn(&r, "no_catalog"));
	build_catalog(c);
	assert_int_equal(feed(d, 0x20, 1, c), 0);
	assert_int_equal(feed(d, 0x22, 7, s), 0);
	assert_int_equal(r.ns, 3);
	assert_string_equal(r.names[0], "Processor|0|Interrupts/sec");
	assert_string_equal(r.names[1], "Processor|0|% DPC Time");
	assert_string_equal(r.names[2], "Processor|1|% DPC Time");
	assert_string_equal(r.s[0].machine, "HOST");
	assert_int_equal(r.nvals_last, 3);
	assert_int_equal(r.last_ts, 7);
	assert_int_equal(r.last[2].raw.first, 20);
	assert_int_equal(r.last[1].raw.freq, 10000000);
	/* same sample again: no new series */
	assert_int_equal(feed(d, 0x22, 8, s), 0);
	assert_int_equal(r.ns, 3);
	assert_int_equal(blg_pdh_get_stats(d)->samples, 2);
	/* a second catalog is ignored */
	assert_int_equal(feed(d, 0x20, 9, c), 0);
	assert_true(has_warn(&r, "catalog_again"));
	blg_pdh_free(d);
	free(c);
	free(s);
}

static void test_decoder_multipart(void **state)
{
	struct rec r;
	struct bb *c = calloc(1, sizeof *c), *s = calloc(1, sizeof *s), *p = calloc(1, sizeof *p);
	struct blg_pdh *d = new_decoder(&r);
	(void)state;
	build_catalog(c);
	assert_int_equal(feed(d, 0x20, 1, c), 0);
	build_sample(s, 10, 100);
	/* split the body into three parts */
	size_t body = s->n - 24, cut1 = body / 3, cut2 = 2 * body / 3;
	size_t cuts[4] = { 0, cut1, cut2, body };
	for (uint32_t k = 0; k < 3; k++) {
		p->n = 0;
		bb_prefix(p, k + 1, 3);
		memcpy(p->b + p->n, s->b + 24 + cuts[k], cuts[k + 1] - cuts[k]);
		p->n += cuts[k + 1] - cuts[k];
		assert_int_equal(feed(d, 0x22, 50, p), 0);
		assert_int_equal(r.nsamples, k == 2 ? 1 : 0);
	}
	assert_int_equal(r.ns, 3);
	assert_int_equal(r.last_ts, 50);
	/* parts out of order, then an unfinished record at the end */
	p->n = 0;
	bb_prefix(p, 2, 3);
	bb_u32(p, 0);
	assert_int_equal(feed(d, 0x22, 51, p), 0);
	assert_true(has_warn(&r, "bad_part"));
	p->n = 0;
	bb_prefix(p, 1, 3);
	bb_u32(p, 0);
	assert_int_equal(feed(d, 0x22, 52, p), 0);
	assert_int_equal(blg_pdh_finish(d), 0);
	assert_true(has_warn(&r, "incomplete_record"));
	assert_int_equal(r.nsamples, 1);
	blg_pdh_free(d);
	free(c);
	free(s);
	free(p);
}

static void test_decoder_damage(void **state)
{
	struct rec r;
	struct bb *c = calloc(1, sizeof *c), *s = calloc(1, sizeof *s);
	struct blg_pdh *d = new_decoder(&r);
	(void)state;
	build_catalog(c);
	assert_int_equal(feed(d, 0x20, 1, c), 0);
	build_sample(s, 10, 100);
	/* record length pointing past the container */
	bb_put32(s, 24 + 8 + 4, 0xFFFF);
	assert_int_equal(feed(d, 0x22, 2, s), 0);
	assert_true(has_warn(&r, "bad_record"));
	/* item count too large for the wildcard record */
	build_sample(s, 10, 100);
	bb_put32(s, 24 + 8 + 48 + 8 + 4, 1000);
	assert_int_equal(feed(d, 0x22, 3, s), 0);
	/* every truncation of a valid sample */
	build_sample(s, 10, 100);
	for (size_t n = 0; n < s->n; n++) {
		struct blg_pdh_event ev = { 0x22, 60, 4, s->b, n };
		assert_int_equal(blg_pdh_feed(d, &ev), 0);
	}
	/* every truncation of the catalog, on a fresh decoder each */
	for (size_t n = 0; n < c->n; n++) {
		struct rec r2;
		struct blg_pdh *d2 = new_decoder(&r2);
		struct blg_pdh_event ev = { 0x20, 60, 1, c->b, n };
		assert_int_equal(blg_pdh_feed(d2, &ev), 0);
		blg_pdh_free(d2);
	}
	/* unknown record type and unknown version are warnings */
	assert_int_equal(feed(d, 0x77, 5, s), 0);
	assert_true(has_warn(&r, "unknown_record"));
	struct blg_pdh_event ev = { 0x22, 61, 6, s->b, s->n };
	assert_int_equal(blg_pdh_feed(d, &ev), 0);
	assert_true(has_warn(&r, "unknown_version"));
	blg_pdh_free(d);
	free(c);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cook_formulas),
		cmocka_unit_test(test_cook_refusals),
		cmocka_unit_test(test_tz_rules),
		cmocka_unit_test(test_tz_parse),
		cmocka_unit_test(test_cpu_numbers),
		cmocka_unit_test(test_decoder_records),
		cmocka_unit_test(test_decoder_multipart),
		cmocka_unit_test(test_decoder_damage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
