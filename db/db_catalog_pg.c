/* db_catalog_pg.c — the catalog in PostgreSQL (db_catalog.h), team mode. */
#include <stdio.h>
#include "db_catalog.h"

struct db_catalog *db_catalog_pg_open(const char *url, char *err, size_t errlen)
{
	(void)url;
	snprintf(err, errlen, "this etlscope was built without PostgreSQL (libpq)");
	return NULL;
}

int db_catalog_pg_migrate(const char *url, char *err, size_t errlen)
{
	(void)url;
	snprintf(err, errlen, "this etlscope was built without PostgreSQL (libpq)");
	return -1;
}
