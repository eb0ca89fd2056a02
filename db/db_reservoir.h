/* db_reservoir.h — internal: per (module, kind, bucket) samples of up to DB_RESV_K
 * below-guideline DPC/ISR events, so any histogram bar can list example events. */
#ifndef ETLSCOPE_DB_RESERVOIR_H
#define ETLSCOPE_DB_RESERVOIR_H

#include <sqlite3.h>
#include "db_batch.h"
#include "db_etw.h"

#define DB_RESV_K 64

struct db_resv_set;
struct db_resv_set *db_resv_new(void);
/* Offer an event (module_id >= -1, kind < SINK_DPCISR_KINDS). 0 or -1 out of memory. */
int db_resv_add(struct db_resv_set *r, const struct db_dpc_event *e, int bucket);
/* Insert every kept event through ins, a batch of 7 columns after the run id: (module_id,
 * kind, bucket, t_ns, cpu, duration_ns, routine); flushed before it returns. 0 or -1 (SQL). */
int db_resv_write(const struct db_resv_set *r, struct db_batch *ins);
void db_resv_free(struct db_resv_set *r);

#endif
