/* db_batch.c — buffered multi-row INSERTs (see db_batch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_batch.h"

/* The statement text for rows rows: head, "(run,?,…)" × rows joined by commas, tail. */
static char *batch_sql(int64_t run_id, const char *head, unsigned cols, const char *tail,
		       unsigned rows)
{
	char row[32 + 2 * DB_BATCH_MAX_COLS];
	int l = snprintf(row, sizeof row, "(%lld", (long long)run_id);
	for (unsigned c = 0; c < cols; c++)
		l += snprintf(row + l, sizeof row - (size_t)l, ",?");
	snprintf(row + l, sizeof row - (size_t)l, ")");
	size_t n = strlen(head) + rows * (strlen(row) + 1) + strlen(tail) + 1;
	char *sql = malloc(n);
	if (!sql)
		return NULL;
	char *p = sql + sprintf(sql, "%s", head);
	for (unsigned r = 0; r < rows; r++)
		p += sprintf(p, "%s%s", r ? "," : "", row);
	sprintf(p, "%s", tail);
	return sql;
}

static int prepare(struct db_batch *b, sqlite3_stmt **st, int64_t run_id, const char *head,
		   const char *tail, unsigned rows)
{
	char *sql = batch_sql(run_id, head, b->cols, tail, rows);
	int rc = sql && sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) ==
				SQLITE_OK ? 0 : -1;
	free(sql);
	return rc;
}

int db_batch_init(struct db_batch *b, sqlite3 *db, int64_t run_id, const char *head,
		  unsigned cols, const char *tail)
{
	memset(b, 0, sizeof *b);
	b->db = db;
	b->cols = cols;
	if (cols == 0 || cols > DB_BATCH_MAX_COLS ||
	    prepare(b, &b->many, run_id, head, tail, DB_BATCH_ROWS) ||
	    prepare(b, &b->one, run_id, head, tail, 1)) {
		db_batch_clear(b);
		return -1;
	}
	return 0;
}

static int run(sqlite3_stmt *st, const int64_t *v, unsigned nv)
{
	for (unsigned i = 0; i < nv; i++)
		sqlite3_bind_int64(st, (int)i + 1, v[i]);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_batch_flush(struct db_batch *b)
{
	unsigned n = b->n;
	b->n = 0;
	if (n == DB_BATCH_ROWS)
		return run(b->many, b->v, n * b->cols);
	for (unsigned r = 0; r < n; r++)
		if (run(b->one, b->v + r * b->cols, b->cols))
			return -1;
	return 0;
}

int db_batch_add(struct db_batch *b, const int64_t *row)
{
	memcpy(b->v + b->n * b->cols, row, b->cols * sizeof *row);
	return ++b->n == DB_BATCH_ROWS ? db_batch_flush(b) : 0;
}

void db_batch_clear(struct db_batch *b)
{
	sqlite3_finalize(b->many);
	sqlite3_finalize(b->one);
	memset(b, 0, sizeof *b);
}
