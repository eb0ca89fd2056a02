/* jobs.h — upload jobs: an upload is received on a request thread, then ingested by one of
 * the background workers into its own run file; clients poll a job's state by its
 * unguessable id. */
#ifndef ETLSCOPE_JOBS_H
#define ETLSCOPE_JOBS_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define JOB_ID_LEN 32

struct jobs;

struct db_store;
/* workers: ingests at once (1 to 64), each writing its own run file in store. */
struct jobs *jobs_create(struct db_store *store, int workers, char *err, size_t errlen);
/* Stop the worker after its current job; queued jobs are failed and their files removed. */
void jobs_destroy(struct jobs *j);

/* A new job in state "receiving", recorded in the catalog's queue; id gets JOB_ID_LEN+1
 * chars. -1 when the table is full of unfinished jobs or the catalog cannot record it. */
int jobs_begin(struct jobs *j, const char *name, const char *file_name, const char *encoding,
	       int64_t expected, char *id);
void jobs_received(struct jobs *j, const char *id, int64_t bytes);
/* Hand the spooled file to the worker (it deletes the file when done). */
void jobs_queue(struct jobs *j, const char *id, const char *spool_path);
/* Hand a spool file still being written to the worker, which ingests it as it grows
 * (ingest_grow.h); the upload ends it with ingest_grow_finish() or ingest_grow_fail() (and
 * jobs_fail), and the run commits only after a finish. The job holds a reference to grow. */
struct ingest_grow;
void jobs_stream(struct jobs *j, const char *id, const char *spool_path,
		 struct ingest_grow *grow);
void jobs_fail(struct jobs *j, const char *id, const char *message);

/* Called by a worker after each successful ingest (the symbol job, server/symbols.h; the
 * kept-stacks warmer, server/warm.h), with db NULL: the run is published and its file
 * closed; set before the first upload. */
struct sqlite3;
typedef void (*jobs_after_fn)(void *ctx, struct sqlite3 *db, int64_t run_id,
			      const char *public_id);
void jobs_set_after_ingest(struct jobs *j, jobs_after_fn fn, void *ctx);

/* The job as JSON, or NULL if unknown. */
cJSON *jobs_status(struct jobs *j, const char *id);
/* A finished job no longer in memory (the server restarted after the run committed, or
 * the job left the table), from the run it stored (db_job_run); NULL if none. */
typedef struct sqlite3 sqlite3;
struct db_catalog;
cJSON *jobs_status_stored(struct db_catalog *db, const char *id);

#endif
