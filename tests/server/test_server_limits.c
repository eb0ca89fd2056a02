/* test_server_limits.c — the connection caps of limits.c (per client address, and
 * connections waiting for their request server-wide) and http_origin_init's reading of
 * --public-url and the listen address. Expected values are written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "server/server.h"

/* Per address: the first max_conns_ip connections are free, the rest over the cap, and
 * closing one frees a place; other addresses are counted apart. */
static void per_address_cap(void **state)
{
	(void)state;
	struct limits l;
	limits_init(&l, 0, 0, 4, 2, 3, 100);
	for (int i = 0; i < 3; i++)
		assert_int_equal(limits_conn_open(&l, "10.0.0.1"), 1);
	assert_int_equal(limits_conn_open(&l, "10.0.0.1"), 0); /* 4th: over */
	assert_int_equal(limits_conn_open(&l, "10.0.0.2"), 1); /* another address */
	limits_conn_close(&l, "10.0.0.1"); /* the one over the cap */
	limits_conn_request(&l);
	limits_conn_close(&l, "10.0.0.1");
	assert_int_equal(limits_conn_open(&l, "10.0.0.1"), 1); /* 3 open again: free */
	assert_int_equal(limits_conn_open(&l, "10.0.0.1"), 0);
	limits_destroy(&l);
}

/* Server-wide: at most max_waiting connections wait for their request; a request arriving
 * (or the connection closing first) frees a place; over-cap opens never count as waiting. */
static void waiting_cap(void **state)
{
	(void)state;
	struct limits l;
	char addr[32];
	limits_init(&l, 0, 0, 4, 2, 100, 3);
	for (int i = 0; i < 3; i++) {
		snprintf(addr, sizeof addr, "10.0.1.%d", i);
		assert_int_equal(limits_conn_open(&l, addr), 1);
	}
	assert_int_equal(limits_conn_open(&l, "10.0.1.9"), 0);
	limits_conn_close(&l, "10.0.1.9");
	assert_int_equal(l.waiting, 3);
	limits_conn_request(&l); /* 10.0.1.0's request arrived */
	assert_int_equal(limits_conn_open(&l, "10.0.1.9"), 1);
	assert_int_equal(limits_conn_open(&l, "10.0.1.8"), 0);
	limits_conn_request(&l); /* 10.0.1.1 closes before its request: no longer waiting */
	limits_conn_close(&l, "10.0.1.1");
	assert_int_equal(limits_conn_open(&l, "10.0.1.8"), 1);
	assert_int_equal(l.waiting, 3);
	limits_destroy(&l);
}

/* Keep-alive only while at most max_waiting connections are open server-wide and the
 * address has at most half its own cap open; closing connections makes it possible again. */
static void keep_alive_cap(void **state)
{
	(void)state;
	struct limits l;
	limits_init(&l, 0, 0, 4, 2, 4, 3);
	assert_int_equal(limits_conn_open(&l, "10.0.2.1"), 1);
	assert_int_equal(limits_keep_alive(&l, "10.0.2.1"), 1);
	assert_int_equal(limits_conn_open(&l, "10.0.2.1"), 1);
	assert_int_equal(limits_keep_alive(&l, "10.0.2.1"), 1); /* 2 of its 4, 2 of 3 open */
	assert_int_equal(limits_conn_open(&l, "10.0.2.1"), 1);
	assert_int_equal(limits_keep_alive(&l, "10.0.2.1"), 0); /* 3 of 4: over half its cap */
	limits_conn_close(&l, "10.0.2.1");
	assert_int_equal(limits_keep_alive(&l, "10.0.2.1"), 1);
	limits_conn_request(&l);
	limits_conn_request(&l);
	assert_int_equal(limits_conn_open(&l, "10.0.2.2"), 1);
	assert_int_equal(limits_keep_alive(&l, "10.0.2.2"), 1); /* 3 open */
	assert_int_equal(limits_conn_open(&l, "10.0.2.3"), 1);
	assert_int_equal(limits_keep_alive(&l, "10.0.2.2"), 0); /* 4 open: over max_waiting */
	assert_int_equal(limits_keep_alive(&l, "10.0.2.9"), 0);
	limits_conn_close(&l, "10.0.2.3");
	assert_int_equal(limits_keep_alive(&l, "10.0.2.2"), 1);
	limits_destroy(&l);
}

/* Crowded once as many connections are open as there are worker threads, over the caps
 * or not (what the guard asks before shutting a silent connection on probation). */
static void crowded_threads(void **state)
{
	(void)state;
	struct limits l;
	limits_init(&l, 0, 0, 4, 2, 1, 1);
	assert_int_equal(limits_crowded(&l, 3), 0);
	limits_conn_open(&l, "10.0.3.1");
	limits_conn_open(&l, "10.0.3.1"); /* over its cap: still holds a thread */
	assert_int_equal(limits_crowded(&l, 3), 0);
	limits_conn_open(&l, "10.0.3.2");
	assert_int_equal(limits_crowded(&l, 3), 1);
	limits_conn_close(&l, "10.0.3.2");
	assert_int_equal(limits_crowded(&l, 3), 0);
	limits_destroy(&l);
}

static const struct {
	const char *url, *listen;
	int ok;
	const char *public_host, *public_origin, *listen_host;
	int loopback;
} origins[] = {
	{NULL, "127.0.0.1:8080", 0, "", "", "127.0.0.1", 1},
	{NULL, "0.0.0.0:8080", 0, "", "", "", 0},
	{NULL, "192.168.1.5:80", 0, "", "", "192.168.1.5", 0},
	{NULL, "localhost:8080", 0, "", "", "localhost", 1},
	{"https://Etlscope.Example.internal", "127.0.0.1:8080", 0, "etlscope.example.internal",
	 "https://etlscope.example.internal", "127.0.0.1", 1},
	{"https://x.example:443/", "127.0.0.1:1", 0, "x.example", "https://x.example", "127.0.0.1", 1},
	{"http://x.example:80", "127.0.0.1:1", 0, "x.example", "http://x.example", "127.0.0.1", 1},
	{"https://x.example:8443/app", "127.0.0.1:1", 0, "x.example", "https://x.example:8443",
	 "127.0.0.1", 1},
	{"http://[::1]:9000", "127.0.0.1:1", 0, "[::1]", "http://[::1]:9000", "127.0.0.1", 1},
	{"ftp://x.example", "127.0.0.1:1", -1, NULL, NULL, NULL, 0},
	{"x.example", "127.0.0.1:1", -1, NULL, NULL, NULL, 0},
	{"https://", "127.0.0.1:1", -1, NULL, NULL, NULL, 0},
	{"https://user@x.example", "127.0.0.1:1", -1, NULL, NULL, NULL, 0},
	{"https://x.example:0", "127.0.0.1:1", -1, NULL, NULL, NULL, 0},
	{"https://x.example:99999", "127.0.0.1:1", -1, NULL, NULL, NULL, 0},
	{"https://x.example:80x", "127.0.0.1:1", -1, NULL, NULL, NULL, 0},
	{"https://x_y.example", "127.0.0.1:1", -1, NULL, NULL, NULL, 0},
};

static void origin_init(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof origins / sizeof *origins; i++) {
		struct server_origin o;
		int rc = http_origin_init(&o, origins[i].url, origins[i].listen);
		if (rc != origins[i].ok)
			fail_msg("%s: %d, expected %d", origins[i].url ? origins[i].url : "(none)", rc,
				 origins[i].ok);
		if (rc != 0)
			continue;
		assert_string_equal(o.public_host, origins[i].public_host);
		assert_string_equal(o.public_origin, origins[i].public_origin);
		assert_string_equal(o.listen_host, origins[i].listen_host);
		assert_int_equal(o.loopback, origins[i].loopback);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(per_address_cap),
		cmocka_unit_test(waiting_cap),
		cmocka_unit_test(keep_alive_cap),
		cmocka_unit_test(crowded_threads),
		cmocka_unit_test(origin_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
