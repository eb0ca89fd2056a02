/* db_catalog.c — choosing the catalog's backend by its URL (db_catalog.h), and the few
 * helpers both backends share. */
#include <stdio.h>
#include <string.h>
#include "db_catalog.h"

static const char *const job_states[] = {"receiving", "queued", "ingesting", "done", "failed"};

const char *db_job_state_name(enum db_job_state s)
{
	return (unsigned)s < sizeof job_states / sizeof *job_states ? job_states[s] : "failed";
}

enum db_job_state db_job_state_parse(const char *s)
{
	for (unsigned i = 0; s && i < sizeof job_states / sizeof *job_states; i++)
		if (strcmp(s, job_states[i]) == 0)
			return (enum db_job_state)i;
	return DB_JOB_FAILED;
}

int db_catalog_is_pg(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

int db_catalog_migrate(const char *url, char *err, size_t errlen)
{
	return db_catalog_is_pg(url) ? db_catalog_pg_migrate(url, err, errlen)
				     : db_catalog_sqlite_migrate(url, err, errlen);
}

struct db_catalog *db_catalog_open(const char *url, char *err, size_t errlen)
{
	return db_catalog_is_pg(url) ? db_catalog_pg_open(url, err, errlen)
				     : db_catalog_sqlite_open(url, err, errlen);
}

void db_catalog_close(struct db_catalog *c)
{
	if (c)
		c->ops->close(c);
}

const char *db_catalog_errmsg(struct db_catalog *c)
{
	return c ? c->ops->errmsg(c) : "no catalog connection";
}
