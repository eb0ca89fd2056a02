/* test_catalog.c — the catalog's durable job queue, leases and reservations
 * (db/db_catalog.h) on the SQLite backend: a job's life (receiving, queued, claimed, done
 * by the run's publication), a job given up when its owner's lease expired (claim and
 * publication refused, nothing visible), heartbeats renewing leases, a dead server
 * forgotten (its reservations dropped, its jobs failed), run ids never reused. Every
 * expected value is written here by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "db/db_catalog.h"

static char dir[256], path[300];
/* A time in µs around which leases are set: now (servers a day past their lease are
 * forgotten by heartbeats, so not the epoch). */
static int64_t T;

static int setup(void **state)
{
	char err[256];
	T = db_now_us();
	snprintf(dir, sizeof dir, "/tmp/test-catalog-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	assert_int_equal(db_catalog_migrate(path, err, sizeof err), 0);
	assert_int_equal(db_catalog_migrate(path, err, sizeof err), 0); /* once is enough */
	*state = db_catalog_open(path, err, sizeof err);
	assert_non_null(*state);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	db_catalog_close(*state);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}


static void new_job(struct db_catalog *c, const char *id, const char *owner, int64_t until)
{
	struct db_job j = {.state = DB_JOB_RECEIVING, .expected = 100};
	snprintf(j.id, sizeof j.id, "%s", id);
	snprintf(j.file_name, sizeof j.file_name, "f.csv");
	assert_int_equal(c->ops->job_create(c, &j, owner, until), 0);
}

/* A run row as a run file would hold it. */
static void fill_run(struct db_run *r, int64_t id, const char *public_id)
{
	static char name[] = "n", empty[] = "", fmt[] = "pdh-csv", status[] = "ready", sum[] = "{}";
	memset(r, 0, sizeof *r);
	r->id = id;
	snprintf(r->public_id, sizeof r->public_id, "%s", public_id);
	r->name = name, r->notes = empty, r->file_name = name, r->format = fmt;
	r->status = status, r->summary = sum;
	r->file_size = 10, r->created_us = T;
}

static enum db_job_state state_of(struct db_catalog *c, const char *id)
{
	struct db_job j;
	assert_int_equal(c->ops->job_get(c, id, &j), 0);
	return j.state;
}

static void test_job_done_by_publication(void **state)
{
	struct db_catalog *c = *state;
	struct db_catalog_run got;
	struct db_run row;
	struct db_job j;
	int64_t id;
	const char *pub = "0123456789abcdef0123456789abcdef";
	new_job(c, "job1", "A", db_now_us() + 60000000);
	assert_int_equal(state_of(c, "job1"), DB_JOB_RECEIVING);
	assert_int_equal(c->ops->job_set(c, "job1", "A", DB_JOB_QUEUED, 100, NULL), 0);
	assert_int_equal(c->ops->job_set(c, "job1", "B", DB_JOB_FAILED, 0, "not B's"), 0);
	assert_int_equal(state_of(c, "job1"), DB_JOB_QUEUED); /* another owner changes nothing */
	assert_int_equal(c->ops->job_claim(c, "job1", "B"), 1);
	assert_int_equal(c->ops->job_claim(c, "job1", "A"), 0);
	assert_int_equal(c->ops->job_claim(c, "job1", "A"), 1); /* claimed once */
	assert_int_equal(state_of(c, "job1"), DB_JOB_INGESTING);
	assert_int_equal(c->ops->reserve(c, "A", &id), 0);
	assert_int_equal(c->ops->run_get(c, pub, &got), 1); /* reserved: not visible */
	fill_run(&row, id, pub);
	assert_int_equal(c->ops->publish(c, &row, "tok", "job1", "A"), 0);
	assert_int_equal(c->ops->run_get(c, pub, &got), 0);
	assert_int_equal(got.version, 1);
	assert_string_equal(got.edit_token, "tok");
	db_run_clear(&got.run);
	assert_int_equal(c->ops->job_get(c, "job1", &j), 0);
	assert_int_equal(j.state, DB_JOB_DONE);
	assert_string_equal(j.run.public_id, pub);
	assert_int_equal(c->ops->job_get(c, "nope", &j), 1);
}

static void test_expired_lease_gives_up(void **state)
{
	struct db_catalog *c = *state;
	struct db_catalog_run got;
	struct db_run row;
	struct db_job j;
	int64_t id;
	const char *pub = "fedcba9876543210fedcba9876543210";
	new_job(c, "job2", "A", T);	 /* lease ends at T */
	new_job(c, "job3", "B", T + 10); /* B's ends later */
	assert_int_equal(c->ops->job_set(c, "job2", "A", DB_JOB_QUEUED, 100, NULL), 0);
	assert_int_equal(c->ops->job_expire(c, T), 0);	  /* not yet: lease_until < now */
	assert_int_equal(c->ops->job_expire(c, T + 1), 1); /* A's only */
	assert_int_equal(c->ops->job_get(c, "job2", &j), 0);
	assert_int_equal(j.state, DB_JOB_FAILED);
	assert_non_null(strstr(j.error, "lease expired"));
	assert_int_equal(state_of(c, "job3"), DB_JOB_RECEIVING);
	/* A, stalled and back: its claim and its publication are refused; nothing visible */
	assert_int_equal(c->ops->job_claim(c, "job2", "A"), 1);
	assert_int_equal(c->ops->reserve(c, "A", &id), 0);
	fill_run(&row, id, pub);
	assert_int_equal(c->ops->publish(c, &row, "tok", "job2", "A"), 1);
	assert_int_equal(c->ops->run_get(c, pub, &got), 1);
	assert_int_equal(c->ops->version(c, id), 0);
	/* a failed job stays failed */
	assert_int_equal(c->ops->job_set(c, "job2", "A", DB_JOB_QUEUED, 0, NULL), 0);
	assert_int_equal(state_of(c, "job2"), DB_JOB_FAILED);
}

static void test_heartbeat_renews(void **state)
{
	struct db_catalog *c = *state;
	new_job(c, "job4", "A", T);
	assert_int_equal(c->ops->heartbeat(c, "A", T + 100), 0);
	assert_int_equal(c->ops->job_expire(c, T + 50), 0);
	assert_int_equal(c->ops->others_alive(c, "B", T + 50), 1);
	assert_int_equal(c->ops->others_alive(c, "A", T + 50), 0);
	assert_int_equal(c->ops->others_alive(c, "B", T + 100), 0);
	assert_int_equal(c->ops->job_expire(c, T + 101), 1);
	assert_int_equal(state_of(c, "job4"), DB_JOB_FAILED);
}

static int64_t dropped_sum;
static void on_dropped(void *ud, int64_t run_id)
{
	(void)ud;
	dropped_sum += run_id;
}

static void test_reservations_of_the_dead(void **state)
{
	struct db_catalog *c = *state;
	int64_t a1, a2, b1, next;
	int64_t now = db_now_us();
	assert_int_equal(c->ops->heartbeat(c, "A", now + 60000000), 0);
	assert_int_equal(c->ops->reserve(c, "A", &a1), 0);
	assert_int_equal(c->ops->reserve(c, "A", &a2), 0);
	assert_int_equal(c->ops->reserve(c, "B", &b1), 0); /* B never heartbeat: not alive */
	assert_true(a1 < a2 && a2 < b1);
	dropped_sum = 0;
	assert_int_equal(c->ops->drop_reservations(c, now, on_dropped, NULL), 0);
	assert_int_equal(dropped_sum, b1);
	new_job(c, "job5", "A", now + 60000000);
	dropped_sum = 0;
	assert_int_equal(c->ops->server_forget(c, "A", "A stopped", on_dropped, NULL), 0);
	assert_int_equal(dropped_sum, a1 + a2);
	struct db_job j;
	assert_int_equal(c->ops->job_get(c, "job5", &j), 0);
	assert_int_equal(j.state, DB_JOB_FAILED);
	assert_string_equal(j.error, "A stopped");
	assert_int_equal(c->ops->others_alive(c, "X", now), 0);
	/* ids are never reused, even after every reservation went */
	assert_int_equal(c->ops->reserve(c, "A", &next), 0);
	assert_int_equal(next, b1 + 1);
}

static void test_pg_url_without_server(void **state)
{
	char err[256];
	(void)state;
	assert_true(db_catalog_is_pg("postgresql://u@127.0.0.1:1/x"));
	assert_true(db_catalog_is_pg("postgres://h/x"));
	assert_false(db_catalog_is_pg("/var/lib/etlscope/etlscope.db"));
	/* port 1: nothing listens; a clear error, no crash */
	assert_null(db_catalog_open("postgresql://u@127.0.0.1:1/x?connect_timeout=2", err, sizeof err));
	assert_true(strlen(err) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_job_done_by_publication, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_lease_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_renews, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reservations_of_the_dead, setup, teardown),
		cmocka_unit_test(test_pg_url_without_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
