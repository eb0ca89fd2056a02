/* blg_summary.h — the run summary of a .blg: header facts (writer, time zone), what the
 * PDH decoder found, sample range and warning counts, as one cJSON object. */
#ifndef ETLSCOPE_BLG_SUMMARY_H
#define ETLSCOPE_BLG_SUMMARY_H

#include "blg_emit.h"
#include "blg_pdh.h"
#include "blg_tz.h"
#include "etl_reader.h"

struct cJSON;

/* NULL on allocation failure. */
struct cJSON *blg_summary_build(const struct etl_reader *r, const struct blg_tz *tz,
				const struct blg_pdh_stats *ps, const struct blg_emit *e);

#endif
