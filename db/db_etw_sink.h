/* db_etw_sink.h — internal: the ETW half of the SQLite sink (modules, DPC/ISR events, CPU
 * samples), driven by db_sink.c inside the run's transaction. */
#ifndef ETLSCOPE_DB_ETW_SINK_H
#define ETLSCOPE_DB_ETW_SINK_H

#include <sqlite3.h>
#include "sink.h"

struct db_etw;
typedef int (*db_etw_warn_fn)(void *ud, const char *code, const char *message);

struct db_etw *db_etw_begin(sqlite3 *db, int64_t run_id, db_etw_warn_fn warn, void *warn_ud);
int db_etw_module(struct db_etw *e, const struct sink_module *m, int32_t *out_id);
/* The final facts of a module stored earlier as id (one-pass ingest). 0 or -1. */
int db_etw_module_update(struct db_etw *e, int32_t id, const struct sink_module *m);
int db_etw_dpcisr(struct db_etw *e, const struct sink_dpcisr *d);
int db_etw_cpu_sample(struct db_etw *e, const struct sink_cpu_sample *s);
int db_etw_task(struct db_etw *e, const struct sink_task *t);
/* Flush aggregates, write reservoirs and the run's ETW facts. */
int db_etw_finish(struct db_etw *e);
const char *db_etw_error(const struct db_etw *e);
void db_etw_free(struct db_etw *e);

#endif
