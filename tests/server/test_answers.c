/* test_answers.c — the kept run answers (server/answers.c): a kept answer comes back
 * byte for byte under its tag only (hits and misses counted); a tag stored again holds the newer answer; the total
 * stays within ANSWERS_MAX_BYTES by dropping the least recently used; an answer over
 * ANSWERS_MAX_ONE is never kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "server/answers.h"

static struct answers a; /* 40 KB: not on the test's stack */

static void expect(const char *tag, const char *body, size_t len)
{
	size_t got_len = 12345;
	char *got = answers_get(&a, tag, &got_len);
	if (!body) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, body, len);
	free(got);
}

static void test_kept_by_tag(void **state)
{
	(void)state;
	answers_init(&a);
	expect("\"a\"", NULL, 0);
	answers_put(&a, "\"a\"", "{\"x\":1}", 7);
	answers_put(&a, "\"b\"", "[]", 2);
	answers_put(&a, "\"e\"", "", 0);
	expect("\"a\"", "{\"x\":1}", 7);
	expect("\"b\"", "[]", 2);
	expect("\"e\"", "", 0);
	expect("\"c\"", NULL, 0);
	answers_put(&a, "\"a\"", "{\"x\":22}", 8); /* the same tag again: the newer answer */
	expect("\"a\"", "{\"x\":22}", 8);
	assert_int_equal(a.bytes, 10);
	assert_int_equal(a.hits, 4); /* a, b, e, a */
	assert_int_equal(a.misses, 2); /* a before it was kept, c */
	answers_clear(&a);
}

static void test_bounded_least_recently_used_out(void **state)
{
	(void)state;
	answers_init(&a);
	size_t one = ANSWERS_MAX_ONE; /* 8 of them fill the table's bytes exactly */
	char *big = malloc(one + 1);
	assert_non_null(big);
	for (int i = 0; i < 8; i++) {
		char tag[16];
		snprintf(tag, sizeof tag, "\"%d\"", i);
		memset(big, 'a' + i, one);
		answers_put(&a, tag, big, one);
	}
	assert_int_equal(a.bytes, ANSWERS_MAX_BYTES);
	memset(big, 'a', one);
	expect("\"0\"", big, one); /* 0 is now the most recently used; 1 the least */
	answers_put(&a, "\"new\"", "{}", 2);
	expect("\"1\"", NULL, 0);
	expect("\"0\"", big, one);
	expect("\"new\"", "{}", 2);
	assert_true(a.bytes <= ANSWERS_MAX_BYTES);
	answers_put(&a, "\"huge\"", big, one + 1); /* over the limit for one: not kept */
	expect("\"huge\"", NULL, 0);
	expect("\"0\"", big, one);
	free(big);
	answers_clear(&a);
}

static void test_slots_bounded(void **state)
{
	(void)state;
	answers_init(&a);
	for (int i = 0; i < ANSWERS_SLOTS + 10; i++) {
		char tag[16];
		snprintf(tag, sizeof tag, "\"%d\"", i);
		answers_put(&a, tag, tag, strlen(tag));
	}
	expect("\"0\"", NULL, 0); /* the 10 oldest made room */
	expect("\"9\"", NULL, 0);
	char last[16];
	snprintf(last, sizeof last, "\"%d\"", ANSWERS_SLOTS + 9);
	expect(last, last, strlen(last));
	expect("\"10\"", "\"10\"", 4);
	answers_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_by_tag),
		cmocka_unit_test(test_bounded_least_recently_used_out),
		cmocka_unit_test(test_slots_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
