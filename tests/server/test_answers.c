/* test_answers.c — the kept run answers (server/answers.c): a kept answer comes back
 * byte for byte under its tag only (hits and misses counted); a tag stored again holds the newer answer; the total
 * stays within ANSWERS_MAX_BYTES by dropping the least recently used; an answer over
 * ANSWERS_MAX_ONE is never kept. While one request computes an answer (its claim), a
 * request for the same tag waits and gets that answer; if none is kept, it computes beside
 * the others, without a claim. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
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

struct waiter {
	const char *tag;
	char *got;
	size_t len;
	int claimed;
	atomic_int done;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	w->got = answers_get_or_claim(&a, w->tag, &w->len, &w->claimed);
	atomic_store(&w->done, 1);
	return NULL;
}

static int waiting_now(void)
{
	pthread_mutex_lock(&a.mu);
	int n = a.waiting;
	pthread_mutex_unlock(&a.mu);
	return n;
}

static void test_one_computes_the_others_wait(void **state)
{
	(void)state;
	static const struct {
		const char *body; /* what the claimant keeps; NULL: it keeps nothing (an error) */
		const char *want; /* what the waiter gets */
		int want_claimed; /* whether the waiter then holds the claim */
	} cases[] = {
		{"{\"t\":1}", "{\"t\":1}", 0}, /* the claimant's answer, computed once */
		{NULL, NULL, 0},		 /* nothing kept: it computes, beside any others */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		answers_init(&a);
		size_t len;
		int claimed = -1;
		assert_null(answers_get_or_claim(&a, "\"t\"", &len, &claimed));
		assert_int_equal(claimed, 1); /* the first to miss computes */
		/* another tag is not held up by this claim */
		assert_null(answers_get_or_claim(&a, "\"u\"", &len, &claimed));
		assert_int_equal(claimed, 1);
		answers_land(&a, "\"u\"");

		struct waiter w = {.tag = "\"t\"", .claimed = -1};
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, wait_main, &w), 0);
		/* until it waits for the claim (no clock involved); returning first is a failure */
		while (waiting_now() != 1 && !atomic_load(&w.done))
			sched_yield();
		assert_false(atomic_load(&w.done));
		if (cases[i].body)
			answers_put(&a, "\"t\"", cases[i].body, strlen(cases[i].body));
		answers_land(&a, "\"t\"");
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(w.claimed, cases[i].want_claimed);
		if (cases[i].want) {
			assert_non_null(w.got);
			assert_int_equal(w.len, strlen(cases[i].want));
			assert_memory_equal(w.got, cases[i].want, w.len);
		} else {
			assert_null(w.got);
		}
		free(w.got);
		/* the claim has ended: the next request that misses claims again */
		assert_int_equal(waiting_now(), 0);
		char *again = answers_get_or_claim(&a, "\"t\"", &len, &claimed);
		assert_int_equal(claimed, cases[i].body ? 0 : 1);
		free(again);
		answers_land(&a, "\"t\"");
		answers_clear(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_by_tag),
		cmocka_unit_test(test_bounded_least_recently_used_out),
		cmocka_unit_test(test_slots_bounded),
		cmocka_unit_test(test_one_computes_the_others_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
